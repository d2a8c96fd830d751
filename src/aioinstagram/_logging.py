"""Logging with redaction built in, touching nobody else's records.

The library logs to the ``aioinstagram`` logger, silent by default (a NullHandler; configure
``logging`` as usual to see it). Our own records never contain a query string: they name
``METHOD /path`` only, and a filter on our logger scrubs them again as a second line of defence.

httpx, however, logs every request at INFO as ``HTTP Request: GET https://...?access_token=...``
(httpx issue #2760), and the credential must be in the query (api doc section 1). The design:

* The transport marks the context of each of our requests (:data:`IN_OUR_REQUEST`, a
  ``ContextVar`` set for the duration of ``Transport.send``). httpx logs synchronously inside
  that call, in the same task, so its record is emitted inside the mark; another application's
  httpx client, even in the same process and the same event loop, logs outside it.
* A :class:`RedactingFilter` sits on the ``httpx``/``httpcore`` loggers (logger filters do not
  reach child loggers, so each is listed). It rewrites a record only when the record was
  emitted inside our mark (or on our own logger): it scrubs ``access_token``, ``client_secret``,
  ``client_id``, ``sig`` and ``code`` values and the literal secrets of live clients
  (``_redact``). Every other record passes through untouched: the filter is process-wide in
  place but inert for everyone else, and it never drops a record.

The alternatives were worse: a filter that scrubs every httpx record edits other applications'
logs (the behaviour this replaces); keeping the token out of the URL httpx sees needs a
transport wrapper that cannot be applied to a user's own ``http_client``; and a log record
factory is global to every logger of the process.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Iterable

from ._redact import SecretBox, redact
from ._redact import register_secrets as _register

__all__ = [
    "IN_OUR_REQUEST",
    "RedactingFilter",
    "install_redaction",
    "logger",
    "register_secrets",
]

logger = logging.getLogger("aioinstagram")
logger.addHandler(logging.NullHandler())

#: True while one of our requests is being sent, in the task sending it.
IN_OUR_REQUEST: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "aioinstagram_in_request", default=False
)

_lock = threading.Lock()


def register_secrets(values: Iterable[str | None]) -> SecretBox:
    """Register a client's literal secrets for scrubbing; they are forgotten when the returned
    box is collected (the client holds it)."""
    return _register(values)


class RedactingFilter(logging.Filter):
    """Scrubs credentials from records of our requests and our logger; never drops a record,
    never touches another application's."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not (IN_OUR_REQUEST.get() or record.name.startswith("aioinstagram")):
            return True
        try:
            message = record.getMessage()
        except Exception:
            return True
        clean = redact(message)
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
