"""Alternative httpx transports, chosen by name with :func:`make_transport`.

``"native"``: our asyncio HTTP/1.1 keep-alive pool (:class:`~.native.NativeTransport`), the
fastest; ``"aiohttp"``: aiohttp's pool behind httpx's API (needs the ``aiohttp`` extra);
``"httpcore"``: httpx's own transport, with keep-alive sized to the pool; ``"http2"``: httpx's
transport speaking HTTP/2 (needs the ``http2`` extra).
"""

from __future__ import annotations

import ssl
from typing import Final

import httpx

from .native import NativeTransport

__all__ = ["DEFAULT_TRANSPORT", "TRANSPORT_NAMES", "NativeTransport", "make_transport"]

TRANSPORT_NAMES: Final = ("native", "aiohttp", "httpcore", "http2")
#: Chosen by the numbers in benchmarks/RESULTS.md. ``"httpcore"`` is httpx's own transport
#: (the one respx's default mocker patches).
DEFAULT_TRANSPORT: Final = "native"


def make_transport(
    name: str,
    *,
    max_connections: int,
    http2: bool = False,
    max_keepalive_connections: int | None = None,
    keepalive_expiry: float | None = 5.0,
    verify: bool = True,
    ssl_context: ssl.SSLContext | None = None,
) -> httpx.AsyncBaseTransport:
    """A new transport called ``name`` (one of :data:`TRANSPORT_NAMES`).

    ``max_connections`` bounds the open connections; ``max_keepalive_connections`` (default:
    all of them) the idle ones kept for ``keepalive_expiry`` seconds. ``http2=True`` selects
    ``"http2"`` for ``"httpcore"`` and is refused by the HTTP/1.1-only transports.
    """
    if name not in TRANSPORT_NAMES:
        raise ValueError(
            f"Unknown transport {name!r}; expected one of: {', '.join(TRANSPORT_NAMES)}"
        )
    if max_connections < 1:
        raise ValueError("max_connections must be at least 1")
    keepalive = max_connections if max_keepalive_connections is None else max_keepalive_connections
    if http2 and name == "httpcore":
        name = "http2"
    if http2 and name != "http2":
        raise ValueError(f"The {name!r} transport speaks HTTP/1.1 only; use 'http2'")
    if name == "native":
        return NativeTransport(
            max_connections=max_connections,
            max_keepalive_connections=keepalive,
            keepalive_expiry=keepalive_expiry,
            verify=verify,
            ssl_context=ssl_context,
        )
    if name == "aiohttp":
        from .aiohttp import AiohttpTransport  # optional dependency: imported on demand

        return AiohttpTransport(
            max_connections=max_connections,
            keepalive_expiry=keepalive_expiry,
            verify=verify,
            ssl_context=ssl_context,
        )
    limits = httpx.Limits(
        max_connections=max_connections,
        max_keepalive_connections=keepalive,
        keepalive_expiry=keepalive_expiry,
    )
    verify_arg: ssl.SSLContext | bool = ssl_context if ssl_context is not None else verify
    if name == "http2":
        try:
            import h2  # noqa: F401
        except ImportError as exc:
            raise ImportError(
                "The 'http2' transport needs the h2 package: pip install 'aioinstagram[http2]'"
            ) from exc
        return httpx.AsyncHTTPTransport(verify=verify_arg, limits=limits, http2=True)
    return httpx.AsyncHTTPTransport(verify=verify_arg, limits=limits)
