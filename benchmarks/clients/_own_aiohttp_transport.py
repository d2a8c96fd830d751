"""AiohttpTransport: httpx's transport API over an ``aiohttp.ClientSession``.

aiohttp's connection pool and C HTTP parser are much faster than httpcore's; this keeps httpx's
API (``httpx.AsyncClient(transport=AiohttpTransport())``) on top of them. It needs the optional
dependency: ``pip install 'aioinstagram[aiohttp]'``.

Unlike the ``httpx-aiohttp`` package, the error mapping is exact, because the library's retry
policy depends on it: only a failure to connect (refused, unreachable, DNS, TLS) is
:class:`httpx.ConnectError`; a connection closed early, a truncated or malformed response is
:class:`httpx.RemoteProtocolError`; other socket errors are :class:`httpx.ReadError`; timeouts
are :class:`httpx.ConnectTimeout` / :class:`httpx.ReadTimeout` / :class:`httpx.PoolTimeout`.
(aiohttp has no write timeout: request bodies here are small; ``write`` is ignored.)

The pool limit is enforced by a FIFO gate in front of aiohttp's connector (whose own limit is
the same), so waiting for a connection honours the ``pool`` timeout as
:class:`httpx.PoolTimeout`. aiohttp itself retries an idempotent request once when a reused
keep-alive connection turns out to be closed.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ssl
from typing import Any, Final

import httpx

try:
    import aiohttp
    from yarl import URL
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "The 'aiohttp' transport needs aiohttp: pip install 'aioinstagram[aiohttp]'"
    ) from exc

from aioinstagram._transports._parsers import DEFAULT_MAX_BODY_SIZE
from aioinstagram._transports._pool import build_response

__all__ = ["AiohttpTransport"]

_EMPTY: Final[dict[str, Any]] = {}
# aiohttp >= 3.10 tells connect timeouts from read timeouts; 3.9 raises ServerTimeoutError.
_CONNECT_TIMEOUT: Final[Any] = getattr(aiohttp, "ConnectionTimeoutError", ())


class _PoolTimeoutSignal(Exception):
    pass


def _expire(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_exception(_PoolTimeoutSignal())


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport that sends requests with aiohttp.

    ``max_connections`` bounds concurrent requests (and aiohttp's connector);
    ``keepalive_expiry`` is aiohttp's keep-alive timeout. ``verify`` / ``ssl_context``
    configure https. Responses are read whole; one larger than ``max_body_size`` is a
    :class:`httpx.RemoteProtocolError`. ``session``: use this ``aiohttp.ClientSession``
    (not closed by :meth:`aclose`) instead of creating one on first use.
    """

    def __init__(
        self,
        *,
        max_connections: int = 100,
        keepalive_expiry: float | None = 5.0,
        verify: bool = True,
        ssl_context: ssl.SSLContext | None = None,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self._max_connections = max_connections
        self._keepalive_expiry = keepalive_expiry
        self._ssl: ssl.SSLContext | bool = (
            ssl_context if ssl_context is not None else (bool(verify))
        )
        self._max_body = max_body_size
        self._session = session
        self._owns_session = session is None
        self._active = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._timeouts: dict[tuple[float | None, float | None], aiohttp.ClientTimeout] = {}
        self._is_closed = False

    @property
    def num_active_requests(self) -> int:
        """Requests holding a pool slot right now."""
        return self._active

    @property
    def session(self) -> aiohttp.ClientSession | None:
        return self._session

    def _make_session(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self._max_connections,
            limit_per_host=0,
            keepalive_timeout=(
                self._keepalive_expiry if self._keepalive_expiry is not None else 3600.0
            ),
            ssl=self._ssl,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),  # httpx.AsyncClient handles cookies
            auto_decompress=False,  # httpx decodes Content-Encoding itself
            # Send exactly httpx's headers: no default User-Agent / Accept of aiohttp's.
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
            timeout=aiohttp.ClientTimeout(total=None),
        )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._is_closed:
            raise RuntimeError("Cannot send a request, as the AiohttpTransport has been closed.")
        session = self._session
        if session is None:
            session = self._make_session()
        scheme = request.url.scheme
        if scheme != "http" and scheme != "https":
            raise httpx.UnsupportedProtocol(
                f"Request URL has an unsupported protocol '{scheme}://'.", request=request
            )
        try:
            body: bytes | None = request.content
        except httpx.RequestNotRead:
            stream = request.stream
            if isinstance(stream, httpx.AsyncByteStream):
                body = b"".join([chunk async for chunk in stream])
            else:
                body = b"".join(list(stream))
        headers = request.headers.multi_items()
        if body:
            # aiohttp frames the body itself (Content-Length).
            headers = [(k, v) for k, v in headers if k != "transfer-encoding"]
        else:
            body = None
        timeouts = request.extensions.get("timeout") or _EMPTY
        connect_timeout = timeouts.get("connect")
        read_timeout = timeouts.get("read")
        tkey = (connect_timeout, read_timeout)
        timeout = self._timeouts.get(tkey)
        if timeout is None:
            timeout = aiohttp.ClientTimeout(
                total=None, sock_connect=connect_timeout, sock_read=read_timeout
            )
            if len(self._timeouts) < 64:
                self._timeouts[tkey] = timeout
        sni = request.extensions.get("sni_hostname")
        if isinstance(sni, bytes):
            sni = sni.decode("ascii")

        if self._active < self._max_connections and not self._waiters:
            self._active += 1
        else:
            await self._wait_slot(timeouts.get("pool"), request)
        try:
            try:
                resp = await session.request(
                    request.method,
                    URL(str(request.url), encoded=True),
                    headers=headers,
                    data=body,
                    allow_redirects=False,
                    timeout=timeout,
                    server_hostname=sni,
                )
            except BaseException as exc:
                mapped = _map_exception(exc, request)
                if mapped is None:
                    raise
                raise mapped from exc
            try:
                length = resp.content_length
                if length is not None and length <= self._max_body:
                    content = await resp.read()
                else:
                    content = await self._read_limited(resp)
            except BaseException as exc:
                resp.close()  # never return a half-read connection to the pool
                mapped = _map_exception(exc, request)
                if mapped is None:
                    raise
                raise mapped from exc
            resp.release()
        finally:
            self._release_slot()
        return build_response(
            request,
            resp.status,
            resp.raw_headers,
            content,
            b"HTTP/%d.%d" % tuple(resp.version or (1, 1)),
            (resp.reason or "").encode("ascii", "replace"),
        )

    async def _read_limited(self, resp: aiohttp.ClientResponse) -> bytes:
        parts: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_any():
            size += len(chunk)
            if size > self._max_body:
                raise httpx.RemoteProtocolError(f"Response body exceeds {self._max_body} bytes.")
            parts.append(chunk)
        return b"".join(parts)

    async def _wait_slot(self, timeout: float | None, request: httpx.Request) -> None:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        self._waiters.append(fut)
        handle = loop.call_later(timeout, _expire, fut) if timeout is not None else None
        try:
            await fut
        except BaseException as exc:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                self._release_slot()  # handed a slot as we were cancelled: pass it on
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(fut)
            if isinstance(exc, _PoolTimeoutSignal):
                raise httpx.PoolTimeout(
                    "Timed out waiting for a connection from the pool.", request=request
                ) from None
            raise
        finally:
            if handle is not None:
                handle.cancel()

    def _release_slot(self) -> None:
        waiters = self._waiters
        while waiters:
            fut = waiters.popleft()
            if not fut.done():
                fut.set_result(None)  # the slot passes to the waiter
                return
        self._active -= 1

    async def aclose(self) -> None:
        if self._is_closed:
            return
        self._is_closed = True
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_exception(RuntimeError("The AiohttpTransport was closed."))
        if self._session is not None and self._owns_session:
            await self._session.close()


def _map_exception(exc: BaseException, request: httpx.Request) -> Exception | None:
    """The httpx exception for an aiohttp one (None: re-raise as is)."""
    if isinstance(exc, httpx.HTTPError):
        return None
    message = str(exc) or type(exc).__name__
    # Timeouts first: asyncio.TimeoutError is an OSError on Python >= 3.11.
    if isinstance(exc, _CONNECT_TIMEOUT):
        return httpx.ConnectTimeout(message, request=request)
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return httpx.ReadTimeout(message, request=request)
    if isinstance(exc, asyncio.TimeoutError):
        return httpx.ReadTimeout(message, request=request)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx.ConnectError(message, request=request)
    if isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError)):
        return httpx.RemoteProtocolError(message, request=request)
    if isinstance(exc, aiohttp.ClientResponseError):  # the response could not be parsed
        return httpx.RemoteProtocolError(message, request=request)
    if isinstance(exc, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(message, request=request)
    if isinstance(exc, (aiohttp.ClientError, OSError)):
        return httpx.ReadError(message, request=request)
    return None
