"""The ``"fast"`` backend: requests serialized here and sent through our asyncio pool
(:class:`~._pool.FastPool`, parsing with httptools or h11), with no httpx objects per request.

* The same headers as every backend (``_base.DEFAULT_HEADERS``), and the body decoded from
  ``Content-Encoding`` gzip or deflate (zlib), up to the pool's body cap.
* TLS with httpx's own trust store (``httpx.create_ssl_context``: certifi, ``verify=`` a CA
  bundle path or an ``ssl.SSLContext``, ``SSL_CERT_FILE`` with ``trust_env``).
* Proxies are never bypassed: when ``proxy=`` is given, or ``trust_env`` and the environment
  names a proxy for the base URL (``HTTP_PROXY`` / ``HTTPS_PROXY`` / ``ALL_PROXY``, unless
  ``NO_PROXY`` excludes the host), every request is handed to the httpx backend (which speaks
  to the proxy, CONNECT for https), and that is logged once at INFO.
"""

from __future__ import annotations

import asyncio
import ssl
import sys
import zlib
from collections.abc import Sequence
from typing import Any, Final
from urllib.parse import urlsplit

import httpx

from .._logging import logger as _root_logger
from ._base import HttpxBackend, RawResponse, env_proxy_for
from ._limits import AttemptDeadlineExceeded, BodyLimitExceeded, MemoryBudget, scope_expired
from ._parsers import DEFAULT_MAX_BODY_SIZE, check_request_line, serialize_fields
from ._pool import FastPool, _Connection

__all__ = ["FastBackend", "decode_body", "env_proxy_for"]

logger = _root_logger.getChild("transport")

if sys.version_info >= (3, 11):
    from asyncio import timeout_at as _deadline_at
else:  # pragma: no cover - Python 3.10: the backport asyncio.timeout was made from
    from async_timeout import timeout_at as _deadline_at  # type: ignore[import-not-found,unused-ignore]

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


def decode_body(body: bytes, encoding: str, max_size: int) -> bytes:
    """``body`` decoded from a ``Content-Encoding`` of gzip / deflate (several: applied in
    reverse), stopping at ``max_size`` bytes: zlib never inflates more than ``max_size + 1``.
    Raises ``httpx.DecodingError`` (invalid data) or ``_limits.BodyLimitExceeded``."""
    for coding in reversed([c.strip().lower() for c in encoding.split(",") if c.strip()]):
        if coding == "identity":
            continue
        if coding in ("gzip", "x-gzip"):
            decoder = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif coding == "deflate":
            # RFC 9110 says zlib-wrapped; some servers send raw deflate (as httpx, accept both).
            raw = body[:1] and (body[0] & 0x0F) != 8
            decoder = zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
        else:
            raise httpx.DecodingError(f"Unsupported Content-Encoding: {coding!r}")
        try:
            out = decoder.decompress(body, max_size + 1)
            if not decoder.eof and not decoder.unconsumed_tail:
                out += decoder.flush()
        except zlib.error as exc:
            raise httpx.DecodingError(f"Invalid {coding} body: {exc}") from exc
        if len(out) > max_size or decoder.unconsumed_tail:
            raise BodyLimitExceeded(
                f"The answer exceeds max_body_size ({max_size} bytes) once decompressed.",
                limit=max_size,
                budget=False,
            )
        body = out
    return body


class FastBackend:
    """The fast backend for one base URL (see the module docstring).

    ``send`` takes a ``deadline`` (loop time) for the whole attempt and enforces it with the
    pool's own timers (``bounds_attempts``), so the retry layer arms no timer of its own."""

    #: ``send(..., deadline=)`` is honoured (see ``_transport.Requester``).
    bounds_attempts = True

    def __init__(
        self,
        *,
        base_url: str,
        max_connections: int,
        timeout: Any,
        verify: ssl.SSLContext | str | bool = True,
        trust_env: bool = True,
        proxy: str | httpx.URL | httpx.Proxy | None = None,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        keepalive_expiry: float | None = 5.0,
        budget: MemoryBudget | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        scheme, host = parts.scheme, parts.hostname
        if scheme not in _DEFAULT_PORTS or not host:
            raise ValueError(f"the fast transport needs an http(s) URL, not {base_url!r}")
        self._timeout = httpx.Timeout(timeout).as_dict()
        self._max_body = max_body_size
        self._budget = budget
        self._fallback: HttpxBackend | None = None
        via = str(proxy) if proxy is not None else (env_proxy_for(base_url) if trust_env else None)
        if via is not None:
            from . import make_httpx_client

            logger.info(
                "a proxy applies to %s://%s: the fast transport hands its requests to the "
                "httpx transport, which goes through the proxy",
                scheme,
                parts.netloc.rsplit("@", 1)[-1],
            )
            self._fallback = HttpxBackend(
                make_httpx_client(
                    max_connections=max_connections,
                    timeout=timeout,
                    verify=verify,
                    trust_env=trust_env,
                    proxy=proxy,
                    keepalive_expiry=keepalive_expiry,
                ),
                owns=True,
                max_body_size=max_body_size,
                preset=True,
                budget=budget,
            )
        ssl_context: ssl.SSLContext | None = None
        if scheme == "https":
            ssl_context = httpx.create_ssl_context(verify=verify, trust_env=trust_env)
        self.pool = FastPool(
            max_connections=max_connections,
            keepalive_expiry=keepalive_expiry,
            ssl_context=ssl_context,
            max_body_size=max_body_size,
            budget=budget,
        )
        self._origin = self.pool.origin_for(scheme, host, parts.port)
        netloc = parts.netloc.rsplit("@", 1)[-1]
        self._prefix = f"{scheme}://{netloc}"
        self._host = netloc.encode("idna" if not netloc.isascii() else "ascii")
        self._heads: dict[int, tuple[Sequence[tuple[str, str]], bytes]] = {}
        self._methods: dict[str, bytes] = {}
        self._timeouts: dict[int, tuple[httpx.Timeout, dict[str, float | None]]] = {}

    @property
    def proxied(self) -> bool:
        """True when a proxy applies and requests go through the httpx backend."""
        return self._fallback is not None

    # -- for the bulk lane (``_lane``): leased connections and ready-made GET requests -------

    @property
    def timeouts(self) -> dict[str, float | None]:
        """The client's timeouts by phase (connect, read, write, pool)."""
        return self._timeout

    @property
    def max_body_size(self) -> int:
        return self._max_body

    @property
    def budget(self) -> MemoryBudget | None:
        return self._budget

    async def lease(self) -> _Connection:
        """A connection to the base URL's origin, spoken to by the caller's own protocol
        (``FastPool.lease``); give it back with ``pool.end_lease``."""
        return await self.pool.lease(self._origin, self._timeout)

    def get_start(self, base_url: str) -> bytes | None:
        """``GET `` and the target of ``base_url`` on this origin (the lane appends the path,
        the query and :meth:`get_head`); None when the lane cannot send there (a proxy
        applies, another origin, or a target that is not plain ASCII)."""
        prefix = self._prefix
        if self._fallback is not None or not base_url.startswith(prefix):
            return None
        target = base_url[len(prefix) :]
        if target and target[0] != "/":
            return None
        try:
            raw = target.encode("ascii")
            check_request_line(b"", raw)
        except (ValueError, UnicodeEncodeError):
            return None
        return b"GET " + raw

    def get_head(self, headers: Sequence[tuple[str, str]]) -> bytes:
        """What follows a GET's target (version, Host, ``headers``, the blank line)."""
        return self._head_of(headers)

    def decode(self, content: bytes, encoding: str) -> bytes:
        """``content`` decoded from its ``Content-Encoding`` (as :meth:`send` decodes)."""
        return self._decode(content, encoding)

    async def send(
        self,
        method: str,
        url: str,
        headers: Sequence[tuple[str, str]],
        body: bytes | None,
        *,
        timeout: Any,
        deadline: float | None = None,
    ) -> RawResponse:
        if self._fallback is not None:
            return await self._fallback_send(method, url, headers, body, timeout, deadline)
        prefix = self._prefix
        target = url[len(prefix) :]
        if not url.startswith(prefix) or (target and target[0] != "/"):
            raise httpx.UnsupportedProtocol(f"the fast transport serves {prefix} only")
        head = self._head_of(headers)
        try:
            start = self._methods[method]
        except KeyError:
            start = self._method_of(method)
        try:
            raw_target = target.encode("ascii") if target else b"/"
            check_request_line(b"", raw_target)
        except (ValueError, UnicodeEncodeError) as exc:
            raise httpx.LocalProtocolError(f"cannot send this request: {exc}") from None
        if body is None:
            data = start + raw_target + head
        else:
            # head without its blank line, then Content-Length
            length = b"Content-Length: %d\r\n\r\n" % len(body)
            data = b"".join((start, raw_target, head[:-2], length, body))
        status, _, fields, content, _, _ = await self.pool.exchange(
            self._origin, method, data, self._timeouts_of(timeout), None, deadline
        )
        encoding = fields.get("content-encoding")
        if encoding is not None and content:
            content = self._decode(content, encoding)
        return RawResponse(status, fields, content)

    async def _fallback_send(
        self,
        method: str,
        url: str,
        headers: Sequence[tuple[str, str]],
        body: bytes | None,
        timeout: Any,
        deadline: float | None,
    ) -> RawResponse:
        assert self._fallback is not None
        if deadline is None:
            return await self._fallback.send(method, url, headers, body, timeout=timeout)
        try:
            async with _deadline_at(deadline) as scope:
                return await self._fallback.send(method, url, headers, body, timeout=timeout)
        except asyncio.TimeoutError:
            if not scope_expired(scope):
                raise
            raise AttemptDeadlineExceeded(
                "The attempt's deadline passed before the whole answer arrived."
            ) from None

    def _decode(self, content: bytes, encoding: str) -> bytes:
        # Decoding is synchronous and the answer is parsed right after, with no await between:
        # the decoded bytes must fit in what is left of the memory budget, not in all of it.
        cap = self._max_body
        budget = self._budget
        room = cap if budget is None else min(cap, budget.limit - budget.used)
        try:
            return decode_body(content, encoding, room)
        except BodyLimitExceeded:
            if room >= cap or budget is None:
                raise
            budget.take(room + 1)  # raises the memory_budget error
            raise  # pragma: no cover - take() raised

    def _head_of(self, headers: Sequence[tuple[str, str]]) -> bytes:
        """The request head after the target, blank line included, for ``headers``: kept per
        header list (the retry layer sends the same list object every time), so that a
        request costs one splice (:func:`~._parsers.serialize_fields`)."""
        cached = self._heads.get(id(headers))
        if cached is not None and cached[0] is headers:
            return cached[1]
        try:
            encoded = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
            head = serialize_fields(encoded, self._host) + b"\r\n"
        except (ValueError, UnicodeEncodeError) as exc:
            raise httpx.LocalProtocolError(f"cannot send this request: {exc}") from None
        if len(self._heads) < 64:
            self._heads[id(headers)] = (headers, head)
        return head

    def _method_of(self, method: str) -> bytes:
        """``method`` and a space, the start of the request line (kept per method)."""
        try:
            start = method.encode("ascii") + b" "
            check_request_line(start, b"")
        except (ValueError, UnicodeEncodeError) as exc:
            raise httpx.LocalProtocolError(f"cannot send this request: {exc}") from None
        if len(self._methods) < 16:
            self._methods[method] = start
        return start

    def _timeouts_of(self, timeout: Any) -> dict[str, float | None]:
        if not isinstance(timeout, httpx.Timeout):
            return self._timeout
        cached = self._timeouts.get(id(timeout))
        if cached is not None and cached[0] is timeout:
            return cached[1]
        values = timeout.as_dict()
        if len(self._timeouts) < 64:
            self._timeouts[id(timeout)] = (timeout, values)
        return values

    async def aclose(self) -> None:
        try:
            await self.pool.aclose()
        finally:
            if self._fallback is not None:
                await self._fallback.aclose()
