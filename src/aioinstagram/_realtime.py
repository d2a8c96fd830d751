"""Receiving real-time updates (api doc section 7): a receiver to mount in your own service.

Theory of operation
-------------------
Instagram talks to your callback URL twice:

1. When you create a subscription it GETs ``?hub.mode=subscribe&hub.challenge=C&
   hub.verify_token=V``: answer 200 with exactly ``C`` when ``V`` is your verify token, and
   refuse otherwise (:func:`answer_challenge`: 403).
2. For each change it POSTs a JSON array of updates signed with ``X-Hub-Signature: <hex
   HMAC-SHA1(client_secret, raw body)>`` (no ``sha1=`` prefix). :func:`handle_notification`
   refuses an oversize body (413) before reading it whole, checks the signature in constant
   time (:func:`verify_signature`; a missing or bad one is 403 and your callback is *not*
   called), parses the array into :class:`Update` models (a body that is not such an array is
   400), then awaits your ``async`` callback with the list. If the callback raises, the answer
   is 500 so that the sender retries (the emulator does; the API did).

Both steps are plain functions over (query, headers, body): mount them in any framework. The
:class:`RealtimeReceiver` bundles them with your settings, and :meth:`RealtimeReceiver.asgi`
returns a ready Starlette app (the ``emulator`` extra) answering both on one path.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Final

import attrs

from ._converter import structure
from ._errors import DecodeError, InvalidArgumentError
from ._protocol import verify_hub_signature

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = [
    "DEFAULT_MAX_BODY",
    "RealtimeReceiver",
    "Update",
    "UpdateCallback",
    "answer_challenge",
    "handle_notification",
    "parse_updates",
    "verify_signature",
]

logger = logging.getLogger("aioinstagram.realtime")

#: Bodies above this many bytes are refused (413): a real batch is a few hundred bytes.
DEFAULT_MAX_BODY: Final = 64 * 1024

SIGNATURE_HEADER: Final = "x-hub-signature"


@attrs.frozen(slots=True)
class UpdateData:
    """``data`` of an update.

    Attributes:
        media_id: The new media's id, when the sender gives it.
    """

    media_id: str | None = None


@attrs.frozen(slots=True)
class Update:
    """One item of a real-time notification (api doc section 7). Updates carry no media: fetch
    it (``data.media_id`` when given, else the object's recent media).

    Attributes:
        subscription_id: The subscription that matched.
        object: ``user``, ``tag``, ``location`` or ``geography``.
        object_id: The user id, tag name, location id or geography id.
        changed_aspect: What changed: ``media``.
        time: When, in seconds since the epoch.
        data: Details, when the sender gives them.
    """

    subscription_id: str
    object: str
    object_id: str
    changed_aspect: str = "media"
    time: int | None = None
    data: UpdateData | None = None

    @property
    def media_id(self) -> str | None:
        """``data.media_id``, or None."""
        return self.data.media_id if self.data is not None else None


UpdateCallback = Callable[[list[Update]], Awaitable[None]]


def verify_signature(body: bytes, signature: str | None, client_secret: str) -> bool:
    """True when ``signature`` is the hex HMAC-SHA1 of ``body`` keyed with ``client_secret``
    (``X-Hub-Signature``, api doc section 7), compared in constant time. None or garbage is
    False."""
    if not signature or not client_secret:
        return False
    return verify_hub_signature(body, signature, client_secret)


def parse_updates(body: bytes) -> list[Update]:
    """The update array (DecodeError when the body is not a JSON array of updates)."""
    endpoint = "real-time notification"
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        raise DecodeError(
            f"{endpoint}: the body is not JSON", endpoint=endpoint, body_not_json=True
        ) from None
    if not isinstance(doc, list):
        raise DecodeError(f"{endpoint}: expected a JSON array", endpoint=endpoint, path="$")
    updates: list[Update] = structure(doc, list[Update], endpoint=endpoint, root="$")
    return updates


def answer_challenge(query: Mapping[str, str], verify_token: str) -> tuple[int, str]:
    """(status, body) for the subscription challenge GET: 200 with ``hub.challenge`` when
    ``hub.mode`` is ``subscribe`` and ``hub.verify_token`` matches (constant time), else 403.

    Args:
        query: The GET's query parameters.
        verify_token: The token you gave when subscribing.
    """
    challenge = query.get("hub.challenge")
    token = query.get("hub.verify_token", "")
    if query.get("hub.mode") != "subscribe" or not challenge:
        return 400, "not a subscription challenge"
    if not hmac.compare_digest(token.encode(), verify_token.encode()):
        return 403, "verify token mismatch"
    return 200, challenge


async def handle_notification(
    body: bytes,
    signature: str | None,
    *,
    client_secret: str,
    callback: UpdateCallback,
    max_body: int = DEFAULT_MAX_BODY,
) -> tuple[int, str]:
    """(status, body) for a notification POST (see the module docstring).

    Args:
        body: The raw request body.
        signature: The ``X-Hub-Signature`` header (None when absent: refused).
        client_secret: Your application's client secret.
        callback: Receives the list of updates; an exception answers 500, so the sender
            retries.
        max_body: Larger bodies are refused with 413.
    """
    if len(body) > max_body:
        return 413, "body too large"
    if not verify_signature(body, signature, client_secret):
        return 403, "bad signature"
    try:
        updates = parse_updates(body)
    except DecodeError as exc:
        return 400, str(exc)
    try:
        await callback(updates)
    except Exception:
        logger.exception("the real-time callback failed; answering 500 so it is retried")
        return 500, "callback failed"
    return 200, "ok"


async def read_limited(chunks: AsyncIterator[bytes], max_body: int) -> bytes | None:
    """The body from a stream of chunks, or None as soon as it exceeds ``max_body``."""
    buf = bytearray()
    async for chunk in chunks:
        buf += chunk
        if len(buf) > max_body:
            return None
    return bytes(buf)


@attrs.define
class RealtimeReceiver:
    """Your real-time endpoint: the client secret, the verify token you gave when subscribing,
    and the async callback that receives each batch of :class:`Update`.

    Framework-free: ``status, text = receiver.challenge(query)`` for the GET and
    ``status, text = await receiver.notify(body, headers)`` for the POST. Or mount
    ``receiver.asgi()`` (Starlette) in your ASGI server.

    Attributes:
        client_secret: Your application's client secret (checks ``X-Hub-Signature``).
        verify_token: The token you gave when subscribing (checked on the challenge).
        callback: An async function receiving each batch of updates.
        max_body: Larger notification bodies are refused with 413.
    """

    client_secret: str = attrs.field(repr=False)
    verify_token: str = attrs.field(repr=False)
    callback: UpdateCallback
    max_body: int = DEFAULT_MAX_BODY

    def __attrs_post_init__(self) -> None:
        for name in ("client_secret", "verify_token"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise InvalidArgumentError(f"{name} must be a non-empty string")
        if isinstance(self.max_body, bool) or not isinstance(self.max_body, int):
            raise InvalidArgumentError("max_body must be an integer")
        if self.max_body < 1:
            raise InvalidArgumentError("max_body must be positive")

    def challenge(self, query: Mapping[str, str]) -> tuple[int, str]:
        """(status, body) for the subscription challenge GET.

        Args:
            query: The GET's query parameters.
        """
        return answer_challenge(query, self.verify_token)

    async def notify(self, body: bytes, headers: Mapping[str, str]) -> tuple[int, str]:
        """(status, body) for a notification POST; the callback runs before the answer.

        Args:
            body: The raw request body.
            headers: The request headers (``X-Hub-Signature`` is read from them).
        """
        signature = headers.get(SIGNATURE_HEADER) or headers.get("X-Hub-Signature")
        return await handle_notification(
            body,
            signature,
            client_secret=self.client_secret,
            callback=self.callback,
            max_body=self.max_body,
        )

    def asgi(self, path: str = "/") -> Starlette:
        """A Starlette app answering the challenge GET and notification POST on ``path``."""
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import PlainTextResponse, Response
        from starlette.routing import Route

        async def endpoint(request: Request) -> Response:
            if request.method in ("GET", "HEAD"):
                status, text = self.challenge(request.query_params)
                return PlainTextResponse(text, status_code=status)
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_body:
                return PlainTextResponse("body too large", status_code=413)
            body = await read_limited(request.stream(), self.max_body)
            if body is None:
                return PlainTextResponse("body too large", status_code=413)
            status, text = await self.notify(body, request.headers)
            return PlainTextResponse(text, status_code=status)

        return Starlette(routes=[Route(path, endpoint, methods=["GET", "HEAD", "POST"])])
