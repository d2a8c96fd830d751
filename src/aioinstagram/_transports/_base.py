"""The one boundary every HTTP backend implements, and the one place their errors become ours.

Theory of operation
-------------------
The retry layer (``_transport.Requester``) builds a request as plain values (method, absolute
URL, headers, body) and hands it to a :class:`Backend`, which answers with a
:class:`RawResponse` (status, lower-cased headers, the whole decoded body), in the manner of
gidgethub's ``_request``. A backend does nothing else: no retries, no envelope, no rate limits.

* :class:`HttpxBackend` sends through an ``httpx.AsyncClient`` with public API only
  (``build_request`` / ``send`` / ``Response.content``). It carries the default (httpx's own
  transport, with environment proxies, certifi and HTTP/2 when the ``http2`` extra is present),
  a user's ``http_client=`` or ``transport=`` object, and the ``"aiohttp"`` backend
  (the ``httpx-aiohttp`` package's transport).
* ``_transports.fast.FastBackend``: our asyncio keep-alive pool with a well-kept parser
  (httptools, or h11), for ``transport="fast"``.

Whatever a backend raises goes through :func:`map_exception`, the analogue of httpx's
``map_httpcore_exceptions``: httpx's exception tree is the vocabulary backends speak
(the fast pool raises httpx exceptions, as an httpx transport must), and a foreign exception
that a backend let escape (aiohttp's, an ``OSError``, an ``ssl.SSLError``) is classified here
too. The result says what the retry policy needs to know (:class:`~.._protocol.Failure`:
did the request surely not reach the server?) and what the caller gets (our error).

Room for issue 11: a total deadline per attempt and a body cap belong to ``Backend.send``'s
``timeout`` and to each backend's ``max_body_size``; nothing above this boundary reads sockets.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import sys
import urllib.request
from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version
from typing import Any, Final, NamedTuple, Protocol
from urllib.parse import urlsplit

import httpx

from .._errors import (
    InstagramError,
    InvalidArgumentError,
    RequestTimeoutError,
    ResponseTooLargeError,
    TransportError,
)
from .._protocol import Failure
from .._redact import scrub_exception
from ._limits import BodyLimitExceeded, BodyMeter, MemoryBudget, StreamDecoder

__all__ = [
    "DEFAULT_HEADERS",
    "DEFAULT_MAX_BODY_SIZE",
    "REQUEST_HEADERS",
    "USER_AGENT",
    "Backend",
    "HttpxBackend",
    "RawResponse",
    "env_proxy_for",
    "map_exception",
]


def _version(name: str) -> str:
    try:
        return _dist_version(name)
    except PackageNotFoundError:  # pragma: no cover - running from an unpacked tree
        return "0"


#: httpx's own logger: the direct path logs the request line ``AsyncClient.send`` would.
_httpx_logger: Final = logging.getLogger("httpx")

#: The most bytes of one answer (after Content-Encoding) any backend reads.
DEFAULT_MAX_BODY_SIZE: Final = 64 * 1024 * 1024

#: Sent by every backend, so that a server (or a proxy's log) sees the same client whichever
#: transport is used.
USER_AGENT: Final = f"aioinstagram/{_version('aioinstagram')} python-httpx/{httpx.__version__}"
DEFAULT_HEADERS: Final[tuple[tuple[str, str], ...]] = (
    ("Accept", "application/json"),
    ("Accept-Encoding", "gzip, deflate"),
    ("User-Agent", USER_AGENT),
)


#: The headers of a request without a body, as one shared list: a backend whose client already
#: sends :data:`DEFAULT_HEADERS` recognises it (``is``) and sends nothing more per request.
REQUEST_HEADERS: Final[list[tuple[str, str]]] = list(DEFAULT_HEADERS)


class RawResponse(NamedTuple):
    """One whole answer: status, headers (lower-cased names), body (Content-Encoding decoded)."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class Backend(Protocol):
    """What a backend implements: one request in, one whole response out."""

    async def send(
        self,
        method: str,
        url: str,
        headers: Sequence[tuple[str, str]],
        body: bytes | None,
        *,
        timeout: Any,
    ) -> RawResponse:
        """Send and read the whole answer. ``timeout`` is an ``httpx.Timeout`` or
        ``httpx.USE_CLIENT_DEFAULT``. Raises httpx's exceptions (see :func:`map_exception`)."""
        ...

    async def aclose(self) -> None: ...


class HttpxBackend:
    """A backend over an ``httpx.AsyncClient`` (closed by :meth:`aclose` when ``owns``).

    The answer is streamed and decoded chunk by chunk (gzip and deflate by
    :class:`~._limits.StreamDecoder`, which stops inflating at the cap; other codings by httpx),
    and refused once it exceeds ``max_body_size`` bytes (decoded) or the client's
    ``budget`` (:class:`~._limits.MemoryBudget`), so neither a huge body nor a compression bomb
    is held whole (httpx itself reads any size). ``preset``: the client was made with
    ``headers=DEFAULT_HEADERS``, so :data:`REQUEST_HEADERS` need not be merged in per request
    (about 12 µs each).

    ``direct``: an ``httpx.AsyncHTTPTransport`` that requests under ``direct_origin`` go to
    straight (``handle_async_request``, httpx's public transport API), skipping what
    ``AsyncClient.send`` adds per request (cookies, auth, hooks, redirects: none of which the
    library uses) — about a quarter of httpx's CPU per request. The library sets it only for a
    client it made itself and only when no proxy applies to the API's origin; respx and
    pytest-httpx intercept the transport all the same, and the ``httpx`` logger gets the same
    ``HTTP Request: ...`` line at INFO. Any other URL goes through the client.
    ``timeout``: the client's default, for the direct path."""

    __slots__ = (
        "_default_timeout",
        "_direct_origin",
        "budget",
        "client",
        "direct",
        "max_body_size",
        "owns",
        "preset",
    )

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        owns: bool,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        preset: bool = False,
        budget: MemoryBudget | None = None,
        direct: httpx.AsyncBaseTransport | None = None,
        direct_origin: str = "",
        timeout: Any = None,
    ) -> None:
        self.client = client
        self.owns = owns
        self.max_body_size = max_body_size
        self.preset = preset
        self.budget = budget
        self.direct = direct
        # "scheme://host[:port]/": only URLs under it go straight to ``direct``.
        self._direct_origin = direct_origin.rstrip("/") + "/"
        self._default_timeout = httpx.Timeout(timeout).as_dict()

    async def send(
        self,
        method: str,
        url: str,
        headers: Sequence[tuple[str, str]],
        body: bytes | None,
        *,
        timeout: Any,
    ) -> RawResponse:
        client = self.client
        direct = self.direct
        if direct is not None and url.startswith(self._direct_origin):
            request = httpx.Request(
                method,
                url,
                headers=headers,
                content=body,
                extensions={
                    "timeout": self._default_timeout
                    if timeout is httpx.USE_CLIENT_DEFAULT
                    else httpx.Timeout(timeout).as_dict()
                },
            )
            response = await direct.handle_async_request(request)
            response.request = request
            if _httpx_logger.isEnabledFor(logging.INFO):  # the line AsyncClient.send logs
                _httpx_logger.info(
                    'HTTP Request: %s %s "%s %d %s"',
                    request.method,
                    request.url,
                    response.http_version,
                    response.status_code,
                    response.reason_phrase,
                )
        else:
            if self.preset and headers is REQUEST_HEADERS:
                request = client.build_request(method, url, content=body, timeout=timeout)
            else:
                request = client.build_request(
                    method, url, headers=headers, content=body, timeout=timeout
                )
            response = await client.send(request, stream=True)
        meter = BodyMeter(self.max_body_size, self.budget)
        parts: list[bytes] = []
        try:
            decoder = StreamDecoder.for_encoding(response.headers.get("content-encoding"))
            if decoder is None:
                # identity, or codings httpx decodes (several, br, zstd): httpx inflates one
                # network chunk at a time, and the meter refuses it past the cap.
                async for chunk in response.aiter_bytes():
                    meter.add(len(chunk))
                    parts.append(chunk)
            else:
                async for raw in response.aiter_raw():
                    chunk = decoder.decode(raw, meter.room)
                    meter.add(len(chunk))
                    parts.append(chunk)
                chunk = decoder.flush()
                meter.add(len(chunk))
                parts.append(chunk)
        except BaseException as exc:
            # The traceback keeps this frame alive as long as the error lives (a bulk run keeps
            # every error): do not let it keep the bytes too.
            parts.clear()
            if isinstance(exc, BodyLimitExceeded):
                exc.request = request
            raise
        finally:
            meter.release()
            await response.aclose()
        content = parts[0] if len(parts) == 1 else b"".join(parts)
        return RawResponse(response.status_code, response.headers, content)

    async def aclose(self) -> None:
        if self.owns:
            try:
                if self.direct is not None:
                    await self.direct.aclose()
            finally:
                await self.client.aclose()


def env_proxy_for(url: str) -> str | None:
    """The proxy the environment names for ``url`` (None: none, or NO_PROXY excludes it)."""
    parts = urlsplit(url)
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy:
        return None
    host = parts.hostname or ""
    # Public in urllib.request though not in typeshed: NO_PROXY matching as urllib does it.
    bypass: Any = getattr(urllib.request, "proxy_bypass_environment")  # noqa: B009
    if bypass(host, proxies):
        return None
    if parts.port is not None and bypass(f"{host}:{parts.port}", proxies):
        return None
    return proxy


# -- the one place that maps backend exceptions into ours -----------------------------------


#: Raised before anything was sent, because the request itself cannot be sent (a URL httpx
#: refuses, a character that cannot be encoded, a CR/LF in a header): not retried.
_LOCAL: Final = (httpx.InvalidURL, httpx.LocalProtocolError, UnicodeEncodeError)


def map_exception(
    exc: BaseException, description: str
) -> tuple[Failure | None, InstagramError] | None:
    """Our error for what a backend raised, with the :class:`~.._protocol.Failure` that tells
    the retry policy whether the request may have reached the server. Failure None: the
    request could not be sent at all (an :class:`InvalidArgumentError`, raised at once).
    None: not a transport failure (a cancellation, a bug): re-raise it. The error's
    ``__cause__`` is ``exc``, with credentials scrubbed from the messages of its chain
    (:func:`~.._redact.scrub_exception`: a link that would still show one, such as aiohttp's
    errors printing the request's URL from their own fields, is replaced by a stand-in).
    """
    if isinstance(exc, _LOCAL):
        cause = scrub_exception(exc)
        local = InvalidArgumentError(
            f"{description}: the request cannot be sent: {type(exc).__name__}: {_describe(exc)}"
        )
        local.__cause__ = cause
        return None, local
    if isinstance(exc, BodyLimitExceeded):
        # The server answered (Failure.PROTOCOL). The retry layer retries only the budget
        # case (a crowded moment passes); the same answer would be too large again.
        name = "memory_budget" if exc.budget else "max_body_size"
        too_large = ResponseTooLargeError(
            f"{description}: {exc}", endpoint=description, limit=exc.limit, limit_name=name
        )
        too_large.__cause__ = scrub_exception(exc)
        return Failure.PROTOCOL, too_large
    failure, timeout = _classify(exc)
    if failure is None:
        return None
    cause = scrub_exception(exc)  # after _classify, which reads the chain
    cls = RequestTimeoutError if timeout else TransportError
    error = cls(f"{description}: {type(exc).__name__}: {_describe(exc)}", request=description)
    error.__cause__ = cause
    return failure, error


def _classify(exc: BaseException) -> tuple[Failure | None, bool]:
    # A backend may wrap a foreign exception in an httpx one with a wrong meaning (httpx-aiohttp
    # maps a refused connection, and a connection dropped mid-answer, to ConnectTimeout): when
    # the cause is aiohttp's, its own class decides.
    cause = exc.__cause__ if isinstance(exc, httpx.HTTPError) else exc
    aiohttp_kind = _classify_aiohttp(cause) if cause is not None else None
    if aiohttp_kind is not None:
        return aiohttp_kind
    if isinstance(exc, httpx.PoolTimeout):
        return Failure.POOL_TIMEOUT, True
    if isinstance(exc, httpx.ConnectTimeout):
        return Failure.CONNECT, True
    if isinstance(exc, httpx.TimeoutException):
        return Failure.TIMEOUT, True
    if isinstance(exc, (httpx.ConnectError, httpx.ProxyError, httpx.UnsupportedProtocol)):
        return Failure.CONNECT, False
    if isinstance(exc, httpx.TransportError):
        return Failure.PROTOCOL, False
    if isinstance(exc, httpx.DecodingError):  # a Content-Encoding that does not decode
        return Failure.PROTOCOL, False
    if isinstance(exc, (ssl.SSLError, ConnectionRefusedError)):
        return Failure.CONNECT, False
    if isinstance(exc, OSError) and not isinstance(exc, asyncio.TimeoutError):
        return Failure.PROTOCOL, False
    if isinstance(exc, ValueError) and not isinstance(exc, InstagramError):
        # A parser choking on the answer (h11 on a 5,000-digit Content-Length raises a bare
        # ValueError through httpcore): the server's answer was unusable.
        return Failure.PROTOCOL, False
    return None, False


def _classify_aiohttp(exc: BaseException) -> tuple[Failure, bool] | None:
    aiohttp = sys.modules.get("aiohttp")  # only if some backend imported it
    if aiohttp is None or not isinstance(exc, aiohttp.ClientError):
        return None
    connect_timeout = getattr(aiohttp, "ConnectionTimeoutError", None)
    if connect_timeout is not None and isinstance(exc, connect_timeout):
        return Failure.CONNECT, True
    if isinstance(exc, aiohttp.ServerTimeoutError):  # sock_read, or a connect on aiohttp < 3.10
        return Failure.TIMEOUT, True
    if isinstance(exc, aiohttp.ClientConnectorError):  # refused, DNS, TLS: nothing was sent
        return Failure.CONNECT, False
    if isinstance(exc, aiohttp.InvalidURL):
        return Failure.CONNECT, False
    # ServerDisconnectedError, ClientPayloadError, ClientOSError, a malformed answer: the
    # request may have been received.
    return Failure.PROTOCOL, False


def _describe(exc: BaseException) -> str:
    """An exception's message without a query string (scrubbed again by the log redaction)."""
    text = str(exc) or type(exc).__name__
    return text.split("?", 1)[0]
