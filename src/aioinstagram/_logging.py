"""Logging with redaction built in.

The library logs to the ``aioinstagram`` logger, silent by default (a NullHandler; configure
``logging`` as usual to see it). Our own records never contain a query string: they name
``METHOD /path`` only. httpx, however, logs every request at INFO as
``HTTP Request: GET https://...?access_token=...`` (httpx issue #2760), so a filter is installed
on the ``httpx`` and ``httpcore`` loggers (and ours, as a second line of defence) that scrubs
``access_token``, ``client_secret``, ``client_id``, ``sig`` and ``code`` values, and any literal
secret registered by a live client.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterable

from ._protocol import redact

__all__ = ["RedactingFilter", "install_redaction", "logger", "register_secrets"]

logger = logging.getLogger("aioinstagram")
logger.addHandler(logging.NullHandler())

_lock = threading.Lock()
# Literal secrets of live clients, so that a secret appearing outside a query is scrubbed too.
_secrets: weakref.WeakValueDictionary[int, _SecretBox] = weakref.WeakValueDictionary()


class _SecretBox:
    """Holds a client's secrets; dropped from the registry when the client is collected."""

    __slots__ = ("__weakref__", "values")

    def __init__(self, values: tuple[str, ...]) -> None:
        self.values = values


def register_secrets(values: Iterable[str]) -> _SecretBox:
    """Register literal secrets for scrubbing; keep the returned box alive as long as needed."""
    box = _SecretBox(tuple(v for v in values if v))
    with _lock:
        _secrets[id(box)] = box
    return box


def _all_secrets() -> list[str]:
    with _lock:
        boxes = list(_secrets.values())
    return [value for box in boxes for value in box.values]


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with credentials scrubbed (never drops the record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        clean = redact(message, _all_secrets())
        if clean != message:
            record.msg = clean
            record.args = None
        return True


_FILTER = RedactingFilter()
# Logger filters do not apply to records of child loggers, so each known one is listed.
_REDACTED_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "aioinstagram",
    "aioinstagram.transport",
)
_installed = False


def install_redaction() -> None:
    """Install the filter on the httpx, httpcore and aioinstagram loggers (idempotent)."""
    global _installed
    if _installed:
        return
    with _lock:
        for name in _REDACTED_LOGGERS:
            target = logging.getLogger(name)
            if _FILTER not in target.filters:
                target.addFilter(_FILTER)
        _installed = True
