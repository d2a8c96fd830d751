"""The HTTP backends, chosen by name with :func:`make_backend`.

``"httpx"`` (the default; ``"httpcore"`` is the same): httpx's own transport
(``httpx.AsyncHTTPTransport``) with keep-alive sized to the pool, environment proxies
(``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY``) when ``trust_env``, certifi, and
HTTP/2 when the ``http2`` extra is installed. respx and pytest-httpx intercept it as their docs
show. ``"http2"``: the same, HTTP/2 required. ``"fast"``: our asyncio keep-alive pool parsing with
httptools (llhttp; h11 when httptools is absent), for many tokens at once; a request a proxy
applies to is handed to the httpx backend. ``"aiohttp"``: aiohttp's pool through the maintained
``httpx-aiohttp`` transport. ``"native"`` is the old name of ``"fast"`` (deprecated).
"""

from __future__ import annotations

import importlib.util
import ssl
import warnings
from typing import Any, Final, Literal, get_args

import httpx

from ._base import (
    DEFAULT_HEADERS,
    DEFAULT_MAX_BODY_SIZE,
    USER_AGENT,
    Backend,
    HttpxBackend,
    RawResponse,
    env_proxy_for,
    map_exception,
)
from ._limits import DEFAULT_MEMORY_BUDGET, MemoryBudget

__all__ = [
    "DEFAULT_HEADERS",
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_MEMORY_BUDGET",
    "DEFAULT_TRANSPORT",
    "TRANSPORT_NAMES",
    "USER_AGENT",
    "Backend",
    "HttpxBackend",
    "MemoryBudget",
    "RawResponse",
    "TransportName",
    "bulk_transport",
    "make_backend",
    "make_httpx_client",
    "map_exception",
]

#: The names ``InstagramClient(transport=...)`` accepts.
TransportName = Literal["httpx", "fast", "aiohttp", "http2", "httpcore", "native"]
TRANSPORT_NAMES: Final[tuple[str, ...]] = get_args(TransportName)
#: httpx's own transport: the ecosystem (proxies from the environment, respx, pytest-httpx,
#: HTTP/2) matters more than speed at 5,000 calls an hour per token (benchmarks/RESULTS.md).
DEFAULT_TRANSPORT: Final = "httpx"

Verify = ssl.SSLContext | str | bool
#: Seconds an idle kept-alive connection stays open (the client's pool and the direct transport).
KEEPALIVE_EXPIRY: Final = 5.0
Proxy = str | httpx.URL | httpx.Proxy


def has_h2() -> bool:
    return importlib.util.find_spec("h2") is not None


def make_httpx_client(
    *,
    max_connections: int,
    timeout: Any,
    verify: Verify = True,
    trust_env: bool = True,
    proxy: Proxy | None = None,
    http2: bool | None = None,
    keepalive_expiry: float | None = KEEPALIVE_EXPIRY,
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` on httpx's own transport, the way the library configures it:
    ``max_connections`` connections with as many kept alive, no redirects followed, HTTP/2
    when ``http2`` (default: when the h2 package is installed)."""
    return httpx.AsyncClient(
        headers=DEFAULT_HEADERS,
        limits=_limits(max_connections, keepalive_expiry),
        verify=verify,
        trust_env=trust_env,
        proxy=proxy,
        http2=has_h2() if http2 is None else http2,
        timeout=timeout,
        follow_redirects=False,
    )


def make_backend(
    transport: str | httpx.AsyncBaseTransport | None,
    *,
    base_url: str,
    max_connections: int,
    timeout: Any,
    verify: Verify = True,
    trust_env: bool = True,
    proxy: Proxy | None = None,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    budget: MemoryBudget | None = None,
) -> Backend:
    """The backend for ``InstagramClient(transport=...)``: a name of :data:`TRANSPORT_NAMES`
    (None: :data:`DEFAULT_TRANSPORT`) or an ``httpx.AsyncBaseTransport``. Raises ValueError for
    an unknown name, ImportError when the name's extra is not installed. Every backend reads
    at most ``max_body_size`` bytes of an answer (decoded), and all of them together hold at
    most ``budget`` bytes of answers at once (``_limits``)."""
    if isinstance(transport, httpx.AsyncBaseTransport):
        client = httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False)
        return HttpxBackend(client, owns=True, max_body_size=max_body_size, budget=budget)
    name = DEFAULT_TRANSPORT if transport is None else transport
    if name not in TRANSPORT_NAMES:
        raise ValueError(
            f"Unknown transport {name!r}; expected one of: {', '.join(TRANSPORT_NAMES)}"
        )
    if max_connections < 1:
        raise ValueError("max_connections must be at least 1")
    options: dict[str, Any] = {
        "max_connections": max_connections,
        "timeout": timeout,
        "verify": verify,
        "trust_env": trust_env,
        "proxy": proxy,
    }
    if name == "native":
        warnings.warn(
            "transport='native' is deprecated and will be removed in the next release; "
            "use transport='fast'",
            DeprecationWarning,
            stacklevel=3,
        )
        name = "fast"
    if name == "fast":
        from .fast import FastBackend

        return FastBackend(base_url=base_url, max_body_size=max_body_size, budget=budget, **options)
    if name == "aiohttp":
        from .aiohttp import make_aiohttp_client  # optional dependency: imported on demand

        client = make_aiohttp_client(**options)
        return HttpxBackend(
            client, owns=True, max_body_size=max_body_size, preset=True, budget=budget
        )
    if name == "http2" and not has_h2():
        raise ImportError(
            "The 'http2' transport needs the h2 package: pip install 'aioinstagram[http2]'"
        )
    http2 = name == "http2" or has_h2()
    if proxy is not None or (trust_env and env_proxy_for(base_url) is not None):
        # A proxy applies: every request goes through the client, which routes it.
        return HttpxBackend(
            make_httpx_client(http2=http2, **options),
            owns=True,
            max_body_size=max_body_size,
            preset=True,
            budget=budget,
        )
    # No proxy for the API's origin: its requests go straight to a transport configured as the
    # client's own (one TLS context for both); anything else (oEmbed) through the client.
    options["verify"] = httpx.create_ssl_context(verify=verify, trust_env=trust_env)
    client = make_httpx_client(http2=http2, **options)
    direct = httpx.AsyncHTTPTransport(
        verify=options["verify"],
        trust_env=trust_env,
        http2=http2,
        limits=_limits(max_connections, KEEPALIVE_EXPIRY),
    )
    parts = httpx.URL(base_url)
    return HttpxBackend(
        client,
        owns=True,
        max_body_size=max_body_size,
        preset=True,
        budget=budget,
        direct=direct,
        direct_origin=f"{parts.scheme}://{parts.netloc.decode('ascii')}",
        timeout=timeout,
    )


def _limits(max_connections: int, keepalive_expiry: float | None) -> httpx.Limits:
    """``max_connections`` connections, as many kept alive (the pool never closes one it
    could reuse during a bulk call)."""
    return httpx.Limits(
        max_connections=max_connections,
        max_keepalive_connections=max_connections,
        keepalive_expiry=keepalive_expiry,
    )


def bulk_transport(base_url: str) -> TransportName:
    """The transport a bulk command picks: ``"fast"`` unless the environment names a proxy for
    ``base_url`` (then httpx's, which goes through it). The library's default stays httpx."""
    return "httpx" if env_proxy_for(base_url) is not None else "fast"
