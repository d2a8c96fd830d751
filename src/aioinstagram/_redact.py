"""Scrubbing credentials out of text and exceptions (pure, no I/O, no other module of ours).

Theory of operation
-------------------
Two things are scrubbed wherever text may reach a user (an error message, a log line, a repr):

1. Query-style credentials: the value after ``access_token=``, ``client_secret=``,
   ``client_id=``, ``sig=`` or ``code=`` (whatever the secret is, even one we never saw).
2. The literal secrets of live clients (their access token and client secret), registered by
   each client for as long as it lives (a weak registry: a collected client's secrets are
   forgotten). A server or a proxy may echo a request back (a bad status line quoting 100
   bytes of it, an ``error_message`` repeating the token), cut anywhere: so besides the whole
   secret, any run of :data:`FRAGMENT` or more of its characters is scrubbed too (for secrets
   long enough that such a run cannot be ordinary text).

:func:`scrub_exception` applies the same to an exception chain (``__cause__``/``__context__``)
in place, so that a traceback that prints a foreign exception (httpx's, with a URL or the echoed
bytes in its message) shows no secret either.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Iterable, Sequence
from typing import Final

__all__ = [
    "FRAGMENT",
    "REDACTED",
    "RedactedError",
    "SecretBox",
    "all_secrets",
    "redact",
    "register_secrets",
    "scrub_exception",
]

REDACTED: Final = "[REDACTED]"

#: A run of this many characters of a registered secret is scrubbed (secrets of at least
#: ``2 * FRAGMENT`` characters; shorter ones only as a whole).
FRAGMENT: Final = 12

_SECRET_QUERY_RE: Final = re.compile(
    r"(?i)((?:access_token|client_secret|client_id|sig|code)=)([^&\s\"'#]+)"
)

_lock = threading.Lock()
_boxes: weakref.WeakValueDictionary[int, SecretBox] = weakref.WeakValueDictionary()


class SecretBox:
    """Holds a client's secrets; dropped from the registry when nothing holds it any more."""

    __slots__ = ("__weakref__", "fragments", "values")

    def __init__(self, values: tuple[str, ...]) -> None:
        self.values = values
        self.fragments = frozenset(
            value[i : i + FRAGMENT]
            for value in values
            if len(value) >= 2 * FRAGMENT
            for i in range(len(value) - FRAGMENT + 1)
        )

    def __repr__(self) -> str:
        return f"<SecretBox of {len(self.values)} secrets>"


def register_secrets(values: Iterable[str | None]) -> SecretBox:
    """Register literal secrets for scrubbing; keep the returned box alive as long as needed."""
    box = SecretBox(tuple(v for v in values if v and len(v) >= 4))
    with _lock:
        _boxes[id(box)] = box
    return box


def _live_boxes() -> list[SecretBox]:
    with _lock:
        return list(_boxes.values())


def all_secrets() -> list[str]:
    """The literal secrets of every live client."""
    return [value for box in _live_boxes() for value in box.values]


def redact(text: str, secrets: Sequence[str] | None = None) -> str:
    """Scrub credentials from ``text``: query-style values, and the given literal secrets (by
    default those of every live client, with their fragments)."""
    text = _SECRET_QUERY_RE.sub(r"\1" + REDACTED, text)
    if secrets is not None:
        boxes = [SecretBox(tuple(s for s in secrets if s and len(s) >= 4))]
    else:
        boxes = _live_boxes()
    for box in boxes:
        for secret in box.values:
            if secret in text:
                text = text.replace(secret, REDACTED)
        if box.fragments and len(text) >= FRAGMENT:
            text = _scrub_fragments(text, box.fragments)
    return text


def _scrub_fragments(text: str, fragments: frozenset[str]) -> str:
    covered: list[tuple[int, int]] = []
    i, n = 0, len(text) - FRAGMENT + 1
    while i < n:
        if text[i : i + FRAGMENT] in fragments:
            end = i + FRAGMENT
            while end < len(text) and text[end - FRAGMENT + 1 : end + 1] in fragments:
                end += 1
            covered.append((i, end))
            i = end
        else:
            i += 1
    if not covered:
        return text
    out: list[str] = []
    last = 0
    for start, end in covered:
        out.append(text[last:start])
        out.append(REDACTED)
        last = end
    out.append(text[last:])
    return "".join(out)


def _redact_value(value: object) -> object:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, (bytes, bytearray)):
        text = bytes(value).decode("latin-1")
        clean = redact(text)
        return value if clean == text else clean.encode("latin-1", "replace")
    return value


class RedactedError(Exception):
    """Stands in, in an exception chain, for a foreign exception whose text still showed a
    secret after scrubbing (its ``str`` is built from objects, such as aiohttp's URL). It
    keeps the original's type name, scrubbed text, traceback and own chain."""


def _dirty(exc: BaseException) -> bool:
    try:
        text = str(exc)
    except Exception:  # pragma: no cover - a broken __str__
        return True
    return redact(text) != text


def _stand_in(exc: BaseException) -> BaseException:
    try:
        text = redact(str(exc))
    except Exception:  # pragma: no cover - a broken __str__
        text = "(message not shown)"
    new = RedactedError(f"{type(exc).__module__}.{type(exc).__qualname__}: {text}")
    new.__cause__ = exc.__cause__
    new.__context__ = exc.__context__
    new.__suppress_context__ = exc.__suppress_context__
    new.__traceback__ = exc.__traceback__
    return new


def scrub_exception(exc: BaseException) -> BaseException:
    """Scrub ``exc`` and every exception chained to it, in place: their ``args`` and the text
    attributes their ``str`` may be built from (aiohttp's ``message``, for one). A link whose
    text still shows a secret is replaced in the chain by a :class:`RedactedError`. Returns
    ``exc``, or its stand-in when it is one of those."""
    root = exc
    _scrub_one(root)
    if _dirty(root):
        root = _stand_in(root)
    seen: set[int] = set()
    stack = [root]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for attr in ("__cause__", "__context__"):
            child = getattr(current, attr)
            if child is None:
                continue
            _scrub_one(child)
            if _dirty(child):
                child = _stand_in(child)
                setattr(current, attr, child)
                if attr == "__cause__":
                    current.__suppress_context__ = True
            stack.append(child)
    return root


def _scrub_one(exc: BaseException) -> None:
    try:
        args = exc.args
        clean = tuple(_redact_value(a) for a in args)
        if any(a is not b for a, b in zip(args, clean, strict=True)):
            exc.args = clean
        state = getattr(exc, "__dict__", None)
        if state:
            for key, value in list(state.items()):
                if isinstance(value, (str, bytes, bytearray)):
                    new = _redact_value(value)
                    if new is not value:
                        setattr(exc, key, new)
    except Exception:  # pragma: no cover - an exception type with odd attributes
        pass
