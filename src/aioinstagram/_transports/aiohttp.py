"""The ``"aiohttp"`` backend: aiohttp's pool and C parser through the maintained
``httpx-aiohttp`` package (``pip install 'aioinstagram[aiohttp]'``).

``HttpxAiohttpClient`` is an ``httpx.AsyncClient`` whose transports (direct and, from the
environment or ``proxy=``, proxied) are aiohttp's; the library talks to it as to any httpx
client (``_base.HttpxBackend``). httpx-aiohttp maps some aiohttp errors to the wrong httpx class
(a refused connection, and a connection dropped mid-answer, become ``ConnectTimeout``); the
library's one exception mapper (``_base.map_exception``) classifies by the aiohttp cause instead,
so a dropped POST is never taken for one that was not sent. It measured as fast as the adapter
the library used to keep (benchmarks/RESULTS.md).
"""

from __future__ import annotations

from typing import Any

import httpx

from ._base import DEFAULT_HEADERS

try:
    from httpx_aiohttp import HttpxAiohttpClient
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "The 'aiohttp' transport needs httpx-aiohttp: pip install 'aioinstagram[aiohttp]'"
    ) from exc

__all__ = ["make_aiohttp_client"]


def make_aiohttp_client(
    *,
    max_connections: int,
    timeout: Any,
    verify: Any = True,
    trust_env: bool = True,
    proxy: Any = None,
    keepalive_expiry: float | None = 5.0,
) -> httpx.AsyncClient:
    """An httpx client on aiohttp, configured as :func:`~._transports.make_httpx_client`."""
    limits = httpx.Limits(
        max_connections=max_connections,
        max_keepalive_connections=max_connections,
        keepalive_expiry=keepalive_expiry,
    )
    return HttpxAiohttpClient(
        headers=DEFAULT_HEADERS,
        limits=limits,
        verify=verify,
        trust_env=trust_env,
        proxy=proxy,
        timeout=timeout,
        follow_redirects=False,
    )
