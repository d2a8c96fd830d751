"""Fault injection: an ASGI layer in front of the whole app (see :class:`FaultConfig`).

Theory of operation
-------------------
The layer sits *outside* Starlette's error middleware, so it can do what a broken network or an
overloaded front end does (api doc §4: 5xx with HTML bodies; §5: 429), including closing the
connection without an answer, which no Starlette response can express.

1. Only ``/v1`` HTTP requests are faulted; lifespan and other paths pass through.
2. ``latency`` is slept first, for every request.
3. One draw from the seeded RNG picks at most one fault (cumulative rates, in the order error,
   rate_limit, drop, truncate, garbage), so a run with the same seed and the same request
   sequence injects the same faults.
4. By default the fault replaces the request before it reaches the app: nothing is counted,
   nothing in the graph changes. With ``faults_after_apply`` the app handles the request first
   (the write happens) and its answer is thrown away and replaced by the fault; a spurious 429
   is still injected before (a 429 means "refused, nothing done", api doc §5).
6. Injected 5xx, truncated and garbage answers stand for a broken front end and carry no
   ``X-Ratelimit-*`` headers; a spurious 429 carries ``X-Ratelimit-Remaining: 0``.
5. A truncated answer of a GET is the real answer cut in half (GETs change nothing, so running
   them is harmless); for other methods a synthetic envelope is cut.

How a dropped connection is seen (``drop_rate``):

* over a socket served by uvicorn, the layer closes the connection's transport before any byte is
  written: httpx raises ``RemoteProtocolError("Server disconnected without sending a response.")``;
* in process through ``httpx.ASGITransport`` (or any server whose ``send`` does not expose the
  transport), the layer raises :class:`ConnectionDropped`, a subclass of
  ``httpx.RemoteProtocolError``: httpx's ASGI transport re-raises app exceptions as they are, so
  the client sees the same exception type as over a socket. (Another ASGI server would turn
  that exception into its own 500 answer.)
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final

import httpx

from ._config import EmulatorStats, FaultConfig

__all__ = ["ConnectionDropped", "FaultLayer", "FaultState"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_HTML_502: Final = (
    b'<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body bgcolor="white">\r\n'
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n"
    b"</html>\r\n"
)
_HTML_503: Final = (
    b"<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this "
    b"request.\n</body></html>\n"
)
_JSON_500: Final = (
    b'{"meta":{"code":500,"error_type":"APIError","error_message":"Oops, an error occurred."}}'
)
_GARBAGE: Final = (
    b"<!DOCTYPE html><html><head><title>Instagram</title></head><body><p>Sorry, something "
    b"went wrong.</p></body></html>"
)
_SYNTHETIC: Final = (
    b'{"meta":{"code":200},"data":{"outgoing_status":"none","incoming_status":"none",'
    b'"target_user_is_private":false}}'
)
_RATE_LIMITED: Final = (
    b'{"meta":{"code":429,"error_type":"OAuthRateLimitException","error_message":'
    b'"The maximum number of requests per hour has been exceeded."}}'
)


class ConnectionDropped(httpx.RemoteProtocolError):
    """Raised by the app (in process) to stand for a connection closed without an answer."""


class FaultState:
    """The current fault configuration, its RNG, and the counters. Owned by the Emulator."""

    def __init__(self, config: FaultConfig, stats: EmulatorStats, rate_limit: int) -> None:
        self.stats = stats
        self.rate_limit = rate_limit
        self.config = config
        self.active = config.active
        self.rng = random.Random(config.seed)

    def configure(self, config: FaultConfig) -> None:
        self.config = config
        self.active = config.active
        self.rng = random.Random(config.seed)

    def draw(self) -> str | None:
        cfg = self.config
        x = self.rng.random()
        for kind, rate in (
            ("error", cfg.error_rate),
            ("rate_limit", cfg.rate_limit_rate),
            ("drop", cfg.drop_rate),
            ("truncate", cfg.truncate_rate),
            ("garbage", cfg.garbage_rate),
        ):
            if x < rate:
                return kind
            x -= rate
        return None


async def _send_simple(
    send: Send, status: int, body: bytes, content_type: bytes, extra: list[tuple[bytes, bytes]]
) -> None:
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _run_captured(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[int, bytes]:
    """Run the app and keep its answer instead of sending it."""
    status = 500
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        elif message["type"] == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))

    await app(scope, receive, capture)
    return status, b"".join(chunks)


async def _drop(send: Send) -> None:
    """Close the connection without answering (see the module docstring)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None or not hasattr(transport, "close"):
        raise ConnectionDropped("Server disconnected without sending a response.")
    transport.close()
    # Let the server notice the disconnection so it does not try to answer for us.
    for _ in range(20):
        if getattr(cycle, "disconnected", True):
            break
        await asyncio.sleep(0)


class FaultLayer:
    """The ASGI wrapper that injects faults in front of ``app``."""

    def __init__(self, app: ASGIApp, state: FaultState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.state
        cfg = state.config
        if not state.active or scope["type"] != "http" or not scope["path"].startswith("/v1"):
            await self.app(scope, receive, send)
            return
        if cfg.latency:
            await asyncio.sleep(cfg.latency)
        kind = state.draw()
        if kind is None:
            await self.app(scope, receive, send)
            return
        state.stats.faults[kind] += 1
        captured: tuple[int, bytes] | None = None
        # A 429 says "refused, nothing done" (api doc §5), so it is always injected before.
        after = cfg.faults_after_apply and kind != "rate_limit"
        if after or (kind == "truncate" and scope["method"] == "GET"):
            captured = await _run_captured(self.app, scope, receive)
        if kind == "error":
            status = state.rng.choice((500, 502, 503))
            if status == 500:
                await _send_simple(send, 500, _JSON_500, b"application/json; charset=utf-8", [])
            else:
                body = _HTML_502 if status == 502 else _HTML_503
                await _send_simple(send, status, body, b"text/html", [])
        elif kind == "rate_limit":
            extra = [
                (b"x-ratelimit-limit", str(state.rate_limit).encode()),
                (b"x-ratelimit-remaining", b"0"),
            ]
            if cfg.with_retry_after:
                extra.append((b"retry-after", str(cfg.retry_after).encode()))
            await _send_simple(send, 429, _RATE_LIMITED, b"application/json; charset=utf-8", extra)
        elif kind == "drop":
            await _drop(send)
        elif kind == "truncate":
            body = _SYNTHETIC
            if captured is not None and captured[0] == 200 and len(captured[1]) > 2:
                body = captured[1]
            await _send_simple(
                send, 200, body[: len(body) // 2], b"application/json; charset=utf-8", []
            )
        else:  # garbage
            await _send_simple(send, 200, _GARBAGE, b"text/html; charset=utf-8", [])
