"""The one module that does I/O: send a request with httpx, retry with tenacity, pace with the
rate limiter.

Theory of operation
-------------------
``Transport.send(spec)`` makes one attempt inline (the fast path: a successful call pays for no
retry machinery). An attempt:

1. takes a rate-limit slot (``RateLimiter.acquire``: may wait, or raise in "raise" mode);
2. sends with httpx and maps httpx's exceptions to a :class:`~._protocol.Failure`
   (connect error, pool timeout, other timeouts, dropped connections);
3. records the ``X-Ratelimit-*`` headers and reads the body with ``_protocol.read_response``
   (first offering a 200 body to the ``_fastdecode`` decoder for the caller's ``data_type``);
   a 5xx, a 429/420, or a 2xx body that is not JSON becomes a Failure too.

Each Failure goes through ``_protocol.decide_retry``: retry, raise, or (a non-idempotent write
that may have reached the server) raise OutcomeUnknownError at once. Retries run in a tenacity
loop whose predicate is positive (``retry_if_exception_type(_Retryable)``): nothing else is
retried, in particular never ``asyncio.CancelledError`` (tenacity #529). Waits are exponential
with full jitter and a cap, ``Retry-After`` wins, and the loop stops at ``max_retries`` or when
the next attempt would start after ``retry_deadline``. In "wait" mode a 429 is not a failure of
the call: it closes the limiter's gate for every caller and the attempt is repeated when the
gate opens, bounded by ``rate_limit_max_wait`` seconds per call rather than by ``max_retries``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import attrs
import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

from ._errors import (
    ClientClosedError,
    DecodeError,
    InstagramError,
    OutcomeUnknownError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    TransportError,
)
from ._fastdecode import FastDecoder, fast_decoder
from ._logging import logger as _root_logger
from ._protocol import (
    Credentials,
    Decision,
    Envelope,
    Failure,
    RequestSpec,
    backoff_delay,
    build_request,
    decide_retry,
    encode_query,
    parse_rate_limit,
    parse_retry_after,
    read_response,
    resolve_next_url,
)
from ._ratelimit import RateLimiter
from ._transports.native import NativeTransport

__all__ = ["RetryPolicy", "Transport"]

logger = _root_logger.getChild("transport")

_FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}
_USER_AGENT = "aioinstagram"


@attrs.frozen(slots=True)
class RetryPolicy:
    """How failed attempts are retried (see the module docstring)."""

    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    deadline: float | None = 60.0
    rate_limit_max_wait: float | None = 3900.0


class _Retryable(Exception):
    """An attempt failed in a way that may be retried; ``error`` is what the caller gets if
    it is not."""

    def __init__(
        self, failure: Failure, error: InstagramError, retry_after: float | None = None
    ) -> None:
        super().__init__(failure.value)
        self.failure = failure
        self.error = error
        self.retry_after = retry_after  # a Retry-After the server sent with a 5xx


def _failure_of(exc: httpx.TransportError) -> Failure:
    if isinstance(exc, httpx.PoolTimeout):
        return Failure.POOL_TIMEOUT
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
        return Failure.CONNECT
    if isinstance(exc, httpx.TimeoutException):
        return Failure.TIMEOUT
    return Failure.PROTOCOL


class Transport:
    def __init__(
        self,
        *,
        base_url: str,
        credentials: Credentials,
        http_client: httpx.AsyncClient,
        owns_http_client: bool,
        limiter: RateLimiter,
        policy: RetryPolicy,
        timeout: Any = httpx.USE_CLIENT_DEFAULT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.http = http_client
        self.limiter = limiter
        self.policy = policy
        self._owns_http_client = owns_http_client
        self._timeout = timeout
        self._closed = False
        self._random = random.Random()
        # The fast path: when the client built its own NativeTransport, requests skip
        # httpx.AsyncClient / Request / Response and go to the pool as bytes.
        native = getattr(http_client, "_transport", None) if owns_http_client else None
        self._fast = (
            _NativeFastPath(native, self.base_url, http_client.timeout)
            if isinstance(native, NativeTransport) and _NativeFastPath.supports(self.base_url)
            else None
        )

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._owns_http_client:
            await self.http.aclose()

    # -- public entry points ------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, object] | Iterable[tuple[str, object]] | None = None,
        *,
        idempotent: bool | None = None,
        data_type: Any = None,
    ) -> Envelope:
        """Send one request (with retries). ``data_type`` is what the caller will structure
        ``data`` into: when ``_fastdecode`` has a decoder for it, a 200 answer comes back with
        ``data`` already structured (``Envelope.structured``)."""
        spec = build_request(
            method, path, params, credentials=self.credentials, idempotent=idempotent
        )
        return await self.send(spec, data_type=data_type)

    async def get_next(self, next_url: str, *, data_type: Any = None) -> Envelope:
        """GET a server-given ``next_url`` (validated against base_url, re-signed)."""
        path, params = resolve_next_url(next_url, self.base_url)
        return await self.request("GET", path, params, data_type=data_type)

    async def send(self, spec: RequestSpec, *, data_type: Any = None) -> Envelope:
        if self._closed:
            raise ClientClosedError("the client is closed; create a new InstagramClient")
        fast = None if data_type is None else fast_decoder(data_type)
        try:
            return await self._attempt(spec, fast)
        except _Retryable as first:
            return await self._retry(spec, first, fast)

    # -- one attempt ---------------------------------------------------------------------------

    async def _attempt(self, spec: RequestSpec, fast: FastDecoder | None = None) -> Envelope:
        limiter = self.limiter
        await limiter.acquire(spec.description)
        try:
            status, headers, body = await self._send_once(spec)
        except httpx.TransportError as exc:
            failure = _failure_of(exc)
            limiter.release(reached_server=failure is not Failure.CONNECT)
            cls = RequestTimeoutError if isinstance(exc, httpx.TimeoutException) else TransportError
            error = cls(
                f"{spec.description}: {type(exc).__name__}: {_describe(exc)}",
                request=spec.description,
            )
            error.__cause__ = exc
            raise self._fail(spec, failure, error) from exc
        except BaseException:  # cancelled mid-flight: it may have reached the server
            limiter.release(reached_server=True)
            raise
        limiter.release(
            reached_server=True,
            budget=parse_rate_limit(headers),
            rate_limited=status in (429, 420),
        )
        try:
            envelope = read_response(status, headers, body, request=spec.description, fast=fast)
        except RateLimitError as exc:
            if limiter.mode == "raise":
                raise
            limiter.on_rate_limited(exc.retry_after)
            raise _Retryable(Failure.RATE_LIMITED, exc) from exc
        except ServerError as exc:
            if exc.status_code >= 500:
                retry_after = parse_retry_after(headers.get("retry-after"))
                raise self._fail(spec, Failure.SERVER, exc, retry_after) from exc
            raise
        except DecodeError as exc:
            if exc.body_not_json:
                raise self._fail(spec, Failure.PROTOCOL, exc) from exc
            raise
        limiter.on_success()
        return envelope

    async def _send_once(self, spec: RequestSpec) -> tuple[int, Mapping[str, str], bytes]:
        fast = self._fast
        if fast is not None:
            return await fast.send(spec)
        response = await self._send_httpx(spec)
        return response.status_code, response.headers, response.content

    async def _send_httpx(self, spec: RequestSpec) -> httpx.Response:
        if spec.form is not None:
            request = self.http.build_request(
                spec.method,
                self.base_url + spec.path,
                params=spec.query or None,
                content=urlencode(spec.form).encode(),
                headers={**_FORM_HEADERS, **dict(spec.headers)},
                timeout=self._timeout,
            )
        else:
            request = self.http.build_request(
                spec.method,
                self.base_url + spec.path,
                params=spec.query,
                headers=dict(spec.headers) or None,
                timeout=self._timeout,
            )
        return await self.http.send(request)

    def _fail(
        self,
        spec: RequestSpec,
        failure: Failure,
        error: InstagramError,
        retry_after: float | None = None,
    ) -> Exception:
        decision = decide_retry(failure, idempotent=spec.idempotent, attempts_left=True)
        if decision is Decision.OUTCOME_UNKNOWN:
            unknown = OutcomeUnknownError(
                f"{spec.description} may or may not have taken effect: {error}; "
                "it was not retried because it is not idempotent",
                request=spec.description,
            )
            unknown.__cause__ = error
            return unknown
        return _Retryable(failure, error, retry_after)

    # -- the retry loop ------------------------------------------------------------------------

    async def _retry(
        self, spec: RequestSpec, first: _Retryable, fast: FastDecoder | None = None
    ) -> Envelope:
        policy = self.policy
        started = time.monotonic()
        pending: list[_Retryable] = [first]
        counted = {"failures": 0}

        def wait(rs: RetryCallState) -> float:
            exc = rs.outcome.exception() if rs.outcome else None
            if isinstance(exc, _Retryable) and exc.failure is Failure.RATE_LIMITED:
                return 0.0  # the limiter's gate does the waiting, for every caller at once
            retry_after = exc.retry_after if isinstance(exc, _Retryable) else None
            return backoff_delay(
                counted["failures"] + 1,
                base=policy.backoff_base,
                cap=policy.backoff_cap,
                retry_after=retry_after,
                random=self._random.random(),
            )

        def stop(rs: RetryCallState) -> bool:
            exc = rs.outcome.exception() if rs.outcome else None
            elapsed = time.monotonic() - started
            if isinstance(exc, _Retryable) and exc.failure is Failure.RATE_LIMITED:
                limit = policy.rate_limit_max_wait
                return limit is not None and elapsed > limit
            counted["failures"] += 1
            if counted["failures"] > policy.max_retries:
                return True
            deadline = policy.deadline
            return deadline is not None and elapsed + rs.upcoming_sleep > deadline

        def before_sleep(rs: RetryCallState) -> None:
            exc = rs.outcome.exception() if rs.outcome else None
            reason = exc.failure.value if isinstance(exc, _Retryable) else "?"
            logger.warning(
                "retrying %s (attempt %d failed: %s); next attempt in %.2fs",
                spec.description,
                rs.attempt_number,
                reason,
                rs.upcoming_sleep,
            )

        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_Retryable),
            stop=stop,
            wait=wait,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    if pending:
                        raise pending.pop()  # replay the inline attempt's failure
                    return await self._attempt(spec, fast)
        except _Retryable as last:  # retries spent (ambiguous writes never got here: _fail)
            raise last.error from last.error.__cause__
        raise AssertionError("unreachable")  # pragma: no cover


class _NativeFastPath:
    """Requests serialized here and sent with ``NativeTransport.exchange``: the same bytes
    httpx would send (request line, Host, Accept, User-Agent, and for a POST the form body with
    its Content-Type and Content-Length), minus httpx's per-request object churn."""

    __slots__ = ("_head", "_native", "_origin", "_prefix", "_timeouts")

    def __init__(self, native: NativeTransport, base_url: str, timeout: httpx.Timeout) -> None:
        parts = urlsplit(base_url)
        assert parts.hostname is not None
        self._native = native
        self._origin = native.origin_for(parts.scheme, parts.hostname, parts.port)
        self._prefix = parts.path.rstrip("/")
        host = parts.netloc.rsplit("@", 1)[-1]
        self._head = (
            f" HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n"
            f"User-Agent: {_USER_AGENT}\r\n"
        ).encode("ascii")
        self._timeouts = timeout.as_dict()

    @staticmethod
    def supports(base_url: str) -> bool:
        parts = urlsplit(base_url)
        return (
            parts.scheme in ("http", "https")
            and bool(parts.hostname)
            and (parts.netloc.isascii() and "@" not in parts.netloc)
        )

    async def send(self, spec: RequestSpec) -> tuple[int, Mapping[str, str], bytes]:
        target = self._prefix + spec.path
        if spec.query:
            target += "?" + encode_query(spec.query)
        line = spec.method.encode("ascii") + b" " + target.encode("ascii") + self._head
        for name, value in spec.headers:  # e.g. X-Insta-Forwarded-For (ASCII by construction)
            line += f"{name}: {value}\r\n".encode("ascii")
        if spec.form is not None:
            body = encode_query(spec.form).encode("ascii")
            data = (
                b"%sContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s"
                % (
                    line,
                    len(body),
                    body,
                )
            )
        else:
            data = line + b"\r\n"
        parser = await self._native.exchange(self._origin, spec.method, data, self._timeouts)
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in parser.headers
        }
        return parser.status_code, headers, parser.body


def _describe(exc: BaseException) -> str:
    """An httpx exception's message, which never carries the URL for transport errors; still
    scrubbed by the caller's redaction in logs."""
    text = str(exc) or type(exc).__name__
    return text.split("?", 1)[0]
