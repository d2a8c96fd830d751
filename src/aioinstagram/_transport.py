"""The requester: send a request through a backend, retry with tenacity, pace with the rate
limiter. (Named so as not to collide with ``_transports/``, the backends, or ``transport=``.)

Theory of operation
-------------------
``Requester.send(spec)`` makes one attempt inline (the fast path: a successful call pays for no
retry machinery). An attempt:

1. takes a slot in each of its rate-limit buckets (``RateLimiter.acquire``: may wait, bounded
   by the call's deadline, or raise in "raise" mode);
2. sends through the backend (``_transports._base.Backend``: method, URL, headers, body in;
   status, headers, body out) and maps the backend's exceptions with the one mapper,
   ``_transports._base.map_exception``, to our error and a :class:`~._protocol.Failure`
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
the call: it pauses the limiter's bucket it came from and the attempt is repeated when that
bucket resumes; the limiter raises RateLimitError instead when the wait would outlast the call's
``retry_deadline``, ``call_timeout`` or ``rate_limit_max_wait`` (``_ratelimit`` rule 2), not
``max_retries``.

Deadlines (issue 11). httpx's ``timeout`` is per phase, and its read timeout restarts with every
byte, so a server that drips a byte a second (or a ``100 Continue`` every half second) never
trips it. Two total deadlines bound what the phases cannot, the same way on every backend (they
cancel the awaiting coroutine; each backend closes the connection it was using):

* ``attempt_timeout``: one attempt, from sending to the last byte of the answer (connect, pool
  wait, send and read together). It is a failed attempt like a read timeout
  (:class:`~._protocol.Failure` ``TIMEOUT``): retried when idempotent, OutcomeUnknownError for
  a write that may have reached the server.
* ``call_timeout``: the whole call (rate-limit waits, attempts and backoff together). When it
  passes the call ends at once with RequestTimeoutError (OutcomeUnknownError for a
  non-idempotent write, which may have been sent); a backoff that would end after it is not
  slept (the last attempt's error is raised instead), and a rate-limit wait that would is not
  begun (RateLimitError, as above).

A backend with ``bounds_attempts`` (the fast pool) is given the attempt's deadline and enforces
it with the timers its phases arm anyway; others run inside an ``asyncio.timeout``.

An answer over ``max_body_size`` is raised at once (ResponseTooLargeError, not retried: the
same answer would be too large again); one refused by the client's memory budget is a failed
attempt (``Failure.PROTOCOL``), retried with backoff (see ``_transports/_limits.py``).
"""

from __future__ import annotations

import asyncio
import math
import random
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from typing import Any, Final

import attrs
import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

from ._breaker import CircuitBreaker
from ._buckets import limit_in_429
from ._errors import (
    ClientClosedError,
    DecodeError,
    InstagramError,
    InvalidArgumentError,
    OutcomeUnknownError,
    RateLimitError,
    RequestTimeoutError,
    ResponseTooLargeError,
    ServerError,
    ServerUnreachableError,
)
from ._fastdecode import FastDecoder, fast_decoder
from ._logging import IN_OUR_REQUEST
from ._logging import logger as _root_logger
from ._options import EMPTY, NOT_GIVEN, RequestOptions
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
from ._ratelimit import RateLimiter, RateLimitMode, Slot
from ._transports._base import (
    DEFAULT_HEADERS,
    REQUEST_HEADERS,
    Backend,
    RawResponse,
    map_exception,
)
from ._transports._limits import AttemptDeadlineExceeded, scope_expired
from ._transports._pipeline import DEFAULT_PIPELINE_DEPTH

__all__ = ["Requester", "RetryPolicy"]

if sys.version_info >= (3, 11):
    from asyncio import timeout as _deadline
else:  # pragma: no cover - Python 3.10: the backport asyncio.timeout was made from
    from async_timeout import timeout as _deadline  # type: ignore[import-not-found,unused-ignore]

logger = _root_logger.getChild("transport")

_GET_HEADERS: Final = REQUEST_HEADERS
_FORM_HEADERS: Final = [*DEFAULT_HEADERS, ("Content-Type", "application/x-www-form-urlencoded")]


@attrs.frozen(slots=True)
class RetryPolicy:
    """How failed attempts are retried (see the module docstring), public and configurable:
    ``InstagramClient(..., retry_policy=RetryPolicy(backoff_base=0))`` retries at once (for
    tests), ``client.with_options(retry_policy=...)`` changes it for a copy.

    ``max_retries``: retries after the first attempt. ``backoff_base`` / ``backoff_cap``:
    the exponential wait (full jitter) in seconds; a ``Retry-After`` wins. ``deadline``: no
    attempt starts after this many seconds of retrying (None: no deadline).
    ``rate_limit_max_wait``: how long one call may wait for a rate limit in "wait" mode.
    ``attempt_timeout``: seconds one attempt may take in all, from connecting to the last byte
    of the answer (None: no limit beyond the per-phase ``timeout``). ``call_timeout``: seconds
    the whole call may take, rate-limit waits, attempts and backoff together (None: no limit).
    Both end in RequestTimeoutError (README "Reliability"); they must be finite and > 0.
    """

    max_retries: int = attrs.field(default=3, validator=lambda i, a, v: _check_count(a.name, v))
    backoff_base: float = attrs.field(default=0.5, validator=lambda i, a, v: _check(a.name, v))
    backoff_cap: float = attrs.field(default=30.0, validator=lambda i, a, v: _check(a.name, v))
    deadline: float | None = attrs.field(
        default=60.0, validator=lambda i, a, v: _check(a.name, v, none=True)
    )
    rate_limit_max_wait: float | None = attrs.field(
        default=3900.0, validator=lambda i, a, v: _check(a.name, v, none=True)
    )
    attempt_timeout: float | None = attrs.field(
        default=30.0, validator=lambda i, a, v: _check_limit(a.name, v)
    )
    call_timeout: float | None = attrs.field(
        default=None, validator=lambda i, a, v: _check_limit(a.name, v)
    )


def _check_count(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidArgumentError(f"{name} must be an integer >= 0, not {value!r}")


def _check(name: str, value: object, *, none: bool = False) -> None:
    if value is None and none:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        what = "a number of seconds >= 0" + (" or None" if none else "")
        raise InvalidArgumentError(f"{name} must be {what}, not {value!r}")


def _check_limit(name: str, value: object) -> None:
    """A time limit: None (no limit) or a finite number of seconds > 0."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentError(f"{name} must be a number of seconds or None, not {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise InvalidArgumentError(
            f"{name} must be a finite number of seconds > 0 (None: no limit), not {value!r}"
        )


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


class Requester:
    """Requests with retries and rate limiting, over one :class:`~._transports._base.Backend`
    (closed with the requester)."""

    def __init__(
        self,
        *,
        base_url: str,
        credentials: Credentials,
        backend: Backend,
        limiter: RateLimiter,
        policy: RetryPolicy,
        timeout: Any = httpx.USE_CLIENT_DEFAULT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.backend = backend
        self.limiter = limiter
        self.policy = policy
        self._timeout = timeout
        # A backend that bounds an attempt with its own timers (the fast pool) is given the
        # deadline instead of an asyncio.timeout around it (about 10 µs an attempt).
        self._bounds_attempts = bool(getattr(backend, "bounds_attempts", False))
        # The span of a rate-limit wait (see _rate_limit_deadline), fixed with the policy.
        spans = [
            x
            for x in (policy.deadline, policy.call_timeout, policy.rate_limit_max_wait)
            if x is not None
        ]
        self._rate_limit_span: float | None = min(spans) if spans else None
        # The query of a request that carries the token only, encoded once.
        auth = tuple(credentials.auth_params())
        self._auth_query = (auth, encode_query(auth))
        self._closed = False
        self._random = random.Random()
        self.breaker = CircuitBreaker()  # shared by every call: outages pause them all
        self._parent: Requester | None = None  # set on a with_options() copy
        self.rate_limit_mode: RateLimitMode | None = None  # None: the limiter's own mode
        #: Requests in flight per connection in the bulk lane (``_lane``; fast transport).
        self.pipeline_depth = DEFAULT_PIPELINE_DEPTH

    def derive(
        self,
        *,
        policy: RetryPolicy | None = None,
        timeout: Any = NOT_GIVEN,
        rate_limit_mode: RateLimitMode | None = None,
    ) -> Requester:
        """A light copy for ``client.with_options``: the same backend (connection pool),
        limiter (rate budget) and credentials; its own policy, timeout and rate-limit mode.
        Closing it does not close the backend; closing this requester closes it too."""
        copy = Requester(
            base_url=self.base_url,
            credentials=self.credentials,
            backend=self.backend,
            limiter=self.limiter,
            policy=self.policy if policy is None else policy,
            timeout=self._timeout if timeout is NOT_GIVEN else timeout,
        )
        copy._random = self._random
        copy._parent = self._parent or self
        copy.rate_limit_mode = rate_limit_mode or self.rate_limit_mode
        copy.pipeline_depth = self.pipeline_depth
        return copy

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed or (self._parent is not None and self._parent.closed)

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._parent is None:  # a with_options() copy leaves the shared pool open
            await self.backend.aclose()

    def lane_query(self) -> str | None:
        """``?`` and the query of a GET that carries the token and nothing else, when every GET
        of this client is one (no secret to sign with, no signed header): the bulk lane then
        builds no RequestSpec per id. Else None."""
        credentials = self.credentials
        if not credentials.access_token or credentials.client_secret:
            return None
        return "?" + self._auth_query[1]

    # -- public entry points ------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, object] | Iterable[tuple[str, object]] | None = None,
        *,
        idempotent: bool | None = None,
        data_type: Any = None,
        options: RequestOptions = EMPTY,
    ) -> Coroutine[Any, Any, Envelope]:
        """Send one request (with retries). ``data_type`` is what the caller will structure
        ``data`` into: when ``_fastdecode`` has a decoder for it, a 200 answer comes back with
        ``data`` already structured (``Envelope.structured``). ``options``: the per-call
        options (``_options``); extra parameters are signed like the others.

        A plain function that returns :meth:`send`'s coroutine (one coroutine frame less on
        every call): a request that cannot be built raises here, when called, rather than when
        awaited; every caller awaits it at once."""
        if options.params:
            params = options.merge_params(params)
        spec = build_request(
            method, path, params, credentials=self.credentials, idempotent=idempotent
        )
        return self.send(spec, data_type=data_type, options=options)

    async def get_next(
        self, next_url: str, *, data_type: Any = None, options: RequestOptions = EMPTY
    ) -> Envelope:
        """GET a server-given ``next_url`` (validated against base_url, re-signed)."""
        path, params = resolve_next_url(next_url, self.base_url)
        return await self.request("GET", path, params, data_type=data_type, options=options)

    async def send_plain(
        self, method: str, url: str, description: str, *, options: RequestOptions = EMPTY
    ) -> RawResponse:
        """One request to an absolute URL outside the API's envelope (oEmbed): no credentials,
        no retries, no rate limit; the backend's errors mapped as for any call."""
        if self.closed:
            raise ClientClosedError("the client is closed; create a new InstagramClient")
        headers = [*_GET_HEADERS, *options.headers] if options.headers else _GET_HEADERS
        timeout = self._timeout if options.timeout is NOT_GIVEN else options.timeout
        # One attempt: bounded by the shorter of the two deadlines.
        limits = [
            (seconds, name)
            for seconds, name in (
                (self.policy.attempt_timeout, "attempt_timeout"),
                (self.policy.call_timeout, "call_timeout"),
            )
            if seconds is not None
        ]
        scope = None
        try:
            if not limits:
                raw = await self.backend.send(method, url, headers, None, timeout=timeout)
            else:
                scope = _deadline(min(limits)[0])
                async with scope:
                    raw = await self.backend.send(method, url, headers, None, timeout=timeout)
        except BaseException as exc:
            if scope is not None and isinstance(exc, asyncio.TimeoutError) and scope_expired(scope):
                seconds, name = min(limits)
                raise RequestTimeoutError(
                    f"{description}: {name} of {seconds:g}s passed before the whole answer arrived",
                    request=description,
                ) from None
            mapped = map_exception(exc, description)
            if mapped is None:
                raise
            raise mapped[1] from mapped[1].__cause__  # scrubbed by map_exception
        if options.on_response is not None:
            options.on_response(raw, None)
        return raw

    async def send(
        self, spec: RequestSpec, *, data_type: Any = None, options: RequestOptions = EMPTY
    ) -> Envelope:
        if self._closed or (self._parent is not None and self._parent.closed):
            raise ClientClosedError("the client is closed; create a new InstagramClient")
        if options.headers:
            spec = attrs.evolve(spec, headers=(*spec.headers, *options.headers))
        fast = None if data_type is None else fast_decoder(data_type)
        deadline = self._rate_limit_deadline()
        limit = self.policy.deadline
        outage = None if limit is None else time.monotonic() + limit  # the breaker's bound
        call_timeout = self.policy.call_timeout
        mark = IN_OUR_REQUEST.set(True)  # httpx's log lines of this call get scrubbed
        try:
            if call_timeout is None:
                try:
                    return await self._attempt(spec, fast, deadline, options, outage)
                except _Retryable as first:
                    return await self._retry(spec, first, fast, deadline, options, outage)
            scope = _deadline(call_timeout)
            try:
                async with scope:
                    try:
                        return await self._attempt(spec, fast, deadline, options, outage)
                    except _Retryable as first:
                        return await self._retry(spec, first, fast, deadline, options, outage)
            except asyncio.TimeoutError:  # TimeoutError from 3.11; async_timeout's before
                if not scope_expired(scope):
                    raise
            raise self._call_timed_out(spec, call_timeout)
        finally:
            IN_OUR_REQUEST.reset(mark)

    def _call_timed_out(self, spec: RequestSpec, call_timeout: float) -> InstagramError:
        timed_out = RequestTimeoutError(
            f"{spec.description}: call_timeout of {call_timeout:g}s passed (rate-limit waits, "
            "attempts and backoff together)",
            request=spec.description,
        )
        if spec.idempotent:
            return timed_out
        # Cut off in flight or not, a write may have been sent: never say it was not.
        unknown = OutcomeUnknownError(
            f"{spec.description} may or may not have taken effect: {timed_out}",
            request=spec.description,
        )
        unknown.__cause__ = timed_out
        return unknown

    def _rate_limit_deadline(self) -> float | None:
        """When a rate-limit wait must give up (the earliest of retry_deadline, call_timeout
        and max_rate_limit_wait, from now): the limiter raises RateLimitError instead of
        waiting past it (``_ratelimit`` rule 2)."""
        span = self._rate_limit_span
        return None if span is None else self.limiter.now() + span

    # -- one attempt ---------------------------------------------------------------------------

    async def _attempt(
        self,
        spec: RequestSpec,
        fast: FastDecoder | None = None,
        deadline: float | None = None,
        options: RequestOptions = EMPTY,
        outage: float | None = None,
    ) -> Envelope:
        breaker = self.breaker
        probe = False
        if not breaker.closed:  # an outage is declared: wait for the gate (_breaker)
            admitted = await breaker.admit(outage)
            if admitted is None:
                raise ServerUnreachableError(
                    f"{spec.description}: the server has refused connections since an outage "
                    "began, past this call's retry deadline; nothing was sent",
                    request=spec.description,
                )
            probe = admitted
        limiter = self.limiter
        mode = self.rate_limit_mode or limiter.mode
        description = spec.description
        # A free slot is taken without an await (the in-memory store); else wait for one.
        slot = limiter.acquire_now(spec.method, spec.path, request=description)
        if slot is None:
            try:
                slot = await limiter.acquire(
                    spec.method, spec.path, request=description, deadline=deadline, mode=mode
                )
            except BaseException:
                if probe:
                    breaker.on_probe_abandoned()
                raise
        attempt_timeout = self.policy.attempt_timeout
        timeout = options.timeout
        scope = None
        try:
            if attempt_timeout is None:
                status, headers, body = await self._send_once(spec, timeout)
            elif self._bounds_attempts:
                # The loop's clock (asyncio and uvloop both read CLOCK_MONOTONIC), read directly.
                ends = time.monotonic() + attempt_timeout
                status, headers, body = await self._send_once(spec, timeout, ends)
            else:
                scope = _deadline(attempt_timeout)
                async with scope:
                    status, headers, body = await self._send_once(spec, timeout)
        except BaseException as exc:
            expired = isinstance(exc, AttemptDeadlineExceeded) or (
                scope is not None and isinstance(exc, asyncio.TimeoutError) and scope_expired(scope)
            )
            mapped = self._map_failure(spec, exc, expired)
            if mapped is None:  # cancelled mid-flight (or a bug): it may have reached the server
                limiter.release_soon(slot, reached_server=True)
                if probe:
                    breaker.on_probe_abandoned()
                raise
            failure, error = mapped  # its __cause__: exc, scrubbed of any echoed secret
            if failure is None:  # the request cannot be sent: nothing to retry
                if probe:
                    breaker.on_probe_abandoned()
                await limiter.release(slot, reached_server=False)
                raise error from error.__cause__
            if failure is Failure.CONNECT:
                breaker.on_connect_failure(probe=probe)
            elif probe:
                breaker.on_probe_abandoned()
            await limiter.release(slot, reached_server=failure is not Failure.CONNECT)
            raise self._failed(spec, failure, error) from error.__cause__
        breaker.on_success()
        limited_bucket: str | None = None
        if status == 200 and limiter.synchronous:  # the usual answer, without an await
            limiter.release_now(
                slot, reached_server=True, budget=parse_rate_limit(headers), request=description
            )
        else:
            limited_bucket = await self._release_answered(slot, status, headers, body, description)
        envelope = self._read(spec, status, headers, body, fast, mode, limited_bucket)
        if options.on_response is not None:
            options.on_response(RawResponse(status, headers, body), envelope)
        return envelope

    def _map_failure(
        self, spec: RequestSpec, exc: BaseException, expired: bool
    ) -> tuple[Failure | None, InstagramError] | None:
        """What an attempt that raised ``exc`` failed with (``map_exception``); ``expired``:
        the attempt's deadline passed (``attempt_timeout``)."""
        if expired:
            return (
                Failure.TIMEOUT,
                RequestTimeoutError(
                    f"{spec.description}: attempt_timeout of {self.policy.attempt_timeout:g}s "
                    "passed before the whole answer arrived (connect, send and read together)",
                    request=spec.description,
                ),
            )
        return map_exception(exc, spec.description)

    def _failed(self, spec: RequestSpec, failure: Failure, error: InstagramError) -> Exception:
        """The exception for an attempt that failed in flight (its slot given back)."""
        if isinstance(error, ResponseTooLargeError) and error.limit_name == "max_body_size":
            return error  # the same answer would be too large again
        return self._fail(spec, failure, error)

    async def _release_answered(
        self,
        slot: Slot,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        description: str,
    ) -> str | None:
        """Give ``slot`` back with what an answer other than the usual 200 said; the bucket a
        429 was attributed to."""
        rate_limited = status in (429, 420) or (status == 400 and b"OAuthRateLimit" in body)
        return await self.limiter.release(
            slot,
            reached_server=True,
            budget=parse_rate_limit(headers),
            rate_limited=rate_limited,
            retry_after=parse_retry_after(headers.get("retry-after")) if rate_limited else None,
            limit_hint=limit_in_429(body) if rate_limited else None,
            request=description,
        )

    def _read(
        self,
        spec: RequestSpec,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        fast: FastDecoder | None,
        mode: RateLimitMode,
        limited_bucket: str | None,
    ) -> Envelope:
        """The envelope of an answer (its slot given back), or the error to raise: a
        :class:`_Retryable` for what may be retried."""
        try:
            return read_response(status, headers, body, request=spec.description, fast=fast)
        except RateLimitError as exc:
            exc.bucket = exc.bucket or limited_bucket
            if mode == "raise":
                raise
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

    # -- the rest of an attempt the bulk lane began (``_lane``) --------------------------------

    async def lane_answered(
        self,
        spec: RequestSpec,
        slot: Slot | None,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        fast: FastDecoder | None,
    ) -> Envelope:
        """An answer the lane got but does not read itself (not a 200 its decoder took):
        read as :meth:`_attempt` reads it, then retried as :meth:`send` retries. ``slot`` is
        None when the lane already gave it back (a 200)."""
        if slot is not None:
            limited = await self._release_answered(slot, status, headers, body, spec.description)
        else:
            limited = None
        mode = self.rate_limit_mode or self.limiter.mode
        try:
            return self._read(spec, status, headers, body, fast, mode, limited)
        except _Retryable as first:
            return await self._lane_retry(spec, first, fast)

    async def lane_failed(
        self, spec: RequestSpec, slot: Slot, exc: Exception, fast: FastDecoder | None
    ) -> Envelope:
        """A request the lane wrote that got no answer (``exc``: the connection's failure or a
        deadline): failed as in :meth:`_attempt`, then retried as :meth:`send` retries."""
        mapped = self._map_failure(spec, exc, isinstance(exc, AttemptDeadlineExceeded))
        failure = None if mapped is None else mapped[0]
        if mapped is None or failure is None:  # pragma: no cover - the pipe's errors map
            self.limiter.release_soon(slot, reached_server=True)
            raise exc
        error = mapped[1]
        await self.limiter.release(slot, reached_server=True)
        first = self._failed(spec, failure, error)
        if not isinstance(first, _Retryable):
            raise first from error.__cause__
        return await self._lane_retry(spec, first, fast)

    async def _lane_retry(
        self, spec: RequestSpec, first: _Retryable, fast: FastDecoder | None
    ) -> Envelope:
        if self.closed:
            raise ClientClosedError("the client is closed; create a new InstagramClient")
        limit = self.policy.deadline
        outage = None if limit is None else time.monotonic() + limit
        mark = IN_OUR_REQUEST.set(True)
        try:
            return await self._retry(spec, first, fast, self._rate_limit_deadline(), EMPTY, outage)
        finally:
            IN_OUR_REQUEST.reset(mark)

    def _send_once(
        self, spec: RequestSpec, timeout: Any = NOT_GIVEN, deadline: float | None = None
    ) -> Awaitable[RawResponse]:
        if timeout is NOT_GIVEN:
            timeout = self._timeout
        url = self.base_url + spec.path
        query = spec.query
        if query:
            auth, encoded = self._auth_query
            url += "?" + (encoded if query == auth else encode_query(query))
        if spec.form is not None:
            body: bytes | None = encode_query(spec.form).encode("ascii")
            headers = [*_FORM_HEADERS, *spec.headers] if spec.headers else _FORM_HEADERS
        else:
            body = None
            headers = [*_GET_HEADERS, *spec.headers] if spec.headers else _GET_HEADERS
        if deadline is None:
            return self.backend.send(spec.method, url, headers, body, timeout=timeout)
        # A backend with bounds_attempts takes deadline= (not part of the Backend protocol).
        send: Callable[..., Awaitable[RawResponse]] = self.backend.send
        return send(spec.method, url, headers, body, timeout=timeout, deadline=deadline)

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
        self,
        spec: RequestSpec,
        first: _Retryable,
        fast: FastDecoder | None = None,
        deadline: float | None = None,
        options: RequestOptions = EMPTY,
        outage: float | None = None,
    ) -> Envelope:
        policy = self.policy
        started = time.monotonic()
        pending: list[_Retryable] = [first]
        counted = {"failures": 0}

        def wait(rs: RetryCallState) -> float:
            exc = rs.outcome.exception() if rs.outcome else None
            if isinstance(exc, _Retryable) and exc.failure is Failure.RATE_LIMITED:
                return 0.0  # the limiter does the waiting (the bucket's pause, bounded)
            if _in_outage(exc):
                return 0.0  # the breaker's gate does the waiting (and probing), for every caller
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
            if _in_outage(exc):  # not one of max_retries: bounded by the deadline alone
                return outage is not None and time.monotonic() >= outage
            counted["failures"] += 1
            if counted["failures"] > policy.max_retries:
                return True
            deadline = policy.deadline
            if deadline is not None and elapsed + rs.upcoming_sleep > deadline:
                return True
            call_timeout = policy.call_timeout  # do not sleep into the call's deadline
            return call_timeout is not None and elapsed + rs.upcoming_sleep >= call_timeout

        def _in_outage(exc: BaseException | None) -> bool:
            return (
                isinstance(exc, _Retryable)
                and exc.failure is Failure.CONNECT
                and self.breaker.outage
            )

        def before_sleep(rs: RetryCallState) -> None:
            exc = rs.outcome.exception() if rs.outcome else None
            if isinstance(exc, _Retryable) and exc.failure is Failure.RATE_LIMITED:
                return  # the limiter logged the bucket's pause once, with its resume time
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
                    return await self._attempt(spec, fast, deadline, options, outage)
        except _Retryable as last:  # retries spent (ambiguous writes never got here: _fail)
            raise last.error from last.error.__cause__
        raise AssertionError("unreachable")  # pragma: no cover
