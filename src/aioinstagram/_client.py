"""``InstagramClient``: configuration, lifecycle, and one namespace per endpoint group."""

from __future__ import annotations

import copy
import math
import os
import re
import ssl
import types
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal, TypeVar

import attrs
import httpx
from typing_extensions import Unpack

from ._budget import BucketState, BudgetStore, InMemoryBudgetStore
from ._errors import ClientClosedError, InvalidArgumentError
from ._logging import install_redaction, register_secrets
from ._models import RateLimit
from ._options import NOT_GIVEN, CallOptions, check_timeout
from ._options import NotGiven as _NotGiven
from ._protocol import DEFAULT_BASE_URL, Credentials, validate_base_url, validate_credential
from ._ratelimit import RateLimiter, RateLimitEvent, RateLimitMode
from ._raw import WithRawResponse
from ._resources._base import Resource
from ._resources.comments import CommentsResource
from ._resources.geographies import GeographiesResource
from ._resources.likes import LikesResource
from ._resources.locations import LocationsResource
from ._resources.media import MediaResource
from ._resources.oembed import OEmbed, OEmbedResource
from ._resources.relationships import RelationshipsResource
from ._resources.subscriptions import SubscriptionsResource
from ._resources.tags import TagsResource
from ._resources.users import UsersResource
from ._transport import Requester, RetryPolicy
from ._transport import _check as check_seconds
from ._transports import (
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MEMORY_BUDGET,
    MemoryBudget,
    TransportName,
    make_backend,
)
from ._transports._base import HttpxBackend
from ._transports._pipeline import DEFAULT_PIPELINE_DEPTH, MAX_PIPELINE_DEPTH

__all__ = ["DEFAULT_TIMEOUT", "InstagramClient"]

DEFAULT_TIMEOUT: Final = 10.0
#: The most one attempt may take in all (connect + send + the whole answer), unless configured.
_T = TypeVar("_T")
DEFAULT_MAX_CONNECTIONS: Final = 100


class InstagramClient:
    """An async client for the Instagram API v1.

    Use it as ``async with InstagramClient(...) as client:``, or call :meth:`aclose`. Bad
    arguments raise :class:`InvalidArgumentError` at once. A client with only a ``client_id``
    raises TokenRequiredError, before sending, for the endpoints that needed a user's token.
    ``client.subscriptions`` uses ``client_id`` + ``client_secret``.
    Every method also takes per-call ``timeout=``, ``extra_headers=`` and ``extra_params=``;
    see :meth:`with_options` and :attr:`with_raw_response`.

    Time and memory are bounded (README "Reliability"): ``timeout`` per phase,
    ``attempt_timeout`` per attempt, ``call_timeout`` per call, ``max_body_size`` per answer and
    ``memory_budget`` for all the answers being read at once.

    Args:
        access_token: Authenticates as a user (never shown in logs, reprs or errors).
        client_id: For the endpoints that accept an application instead of a user.
        client_secret: Sign every request with the ``sig`` parameter (HMAC-SHA256 over the
            endpoint and the sorted parameters; api doc §6a).
        base_url: The API root, ending in ``/v1`` (for example a served emulator's
            ``http://127.0.0.1:8765/v1``).
        timeout: Seconds to wait for each phase of an answer, as httpx means it (connect, each
            read, each write, the pool): a float, an ``httpx.Timeout``, or None for no
            timeout. Not given: 10 s (or the given ``http_client``'s own timeout). A read
            timeout restarts with every byte: ``attempt_timeout`` bounds the whole answer.
        max_retries: How many times a call is retried (reads, idempotent writes, and writes
            that surely never reached the server) after a failure worth retrying.
        retry_policy: A :class:`RetryPolicy` for the retries and deadlines; ``max_retries``,
            ``retry_deadline``, ``max_rate_limit_wait``, ``attempt_timeout`` and
            ``call_timeout``, when given, adjust it.
        rate_limit_mode: Rate limits are kept per bucket (the token's budget, the
            application's, one per kind of write). ``"wait"`` waits for a spent or paused
            bucket, at most ``max_rate_limit_wait`` seconds and never past ``retry_deadline``,
            then raises :class:`RateLimitError`; ``"raise"`` raises at once.
        http_client: Any ``httpx.AsyncClient`` (for example one with an ASGI or mock
            transport); this client then does not close it.
        transport: A built-in transport by name: ``"httpx"`` (the default: httpx's own
            transport, HTTP/2 with the ``http2`` extra; respx and pytest-httpx intercept it),
            ``"fast"`` (our asyncio pool on httptools, for many tokens at once),
            ``"aiohttp"``, ``"http2"`` (``"httpcore"`` is ``"httpx"``, ``"native"`` the
            deprecated name of ``"fast"``); or an ``httpx.AsyncBaseTransport``. Not with
            ``http_client``.
        max_connections: Size of the connection pool (keep-alive included).
        retry_deadline: Seconds after which a call stops retrying (None: no deadline).
        rate_limit_window: Length of the API's rate-limit window in seconds (3600 for the
            real API).
        max_rate_limit_wait: The longest a call waits for a rate-limit bucket, in seconds
            (None: no limit besides ``retry_deadline``).
        budget_store: Shares the budgets between processes: ``"redis://host/0"`` or a
            :class:`RedisBudgetStore` (None: this process only).
        on_rate_limit: Receives a :class:`RateLimitEvent` for each pause and give-up.
        client_ips: With ``client_secret``: the client IPs to sign into the
            ``X-Insta-Forwarded-For`` header (api doc §6b).
        forwarded_for: Which calls carry that header: ``"writes"`` (the default) or ``"all"``.
        proxy: A proxy URL or ``httpx.Proxy`` for the built-in transports.
        verify: TLS verification for the built-in transports: True, False, a CA bundle path
            or an ``ssl.SSLContext``.
        trust_env: Read ``HTTP_PROXY`` / ``HTTPS_PROXY`` / ``ALL_PROXY`` / ``NO_PROXY`` and
            ``SSL_CERT_FILE`` (default True). ``proxy``, ``verify`` and ``trust_env`` make no
            sense with ``http_client`` or a transport object, which are configured already.
        attempt_timeout: Seconds one attempt may take in all, from connecting to the last
            byte of the answer (default 30; None: no limit). A timed-out attempt is retried
            like a read timeout; a write that may have been sent raises
            :class:`OutcomeUnknownError`.
        call_timeout: Seconds the whole call may take: rate-limit waits, attempts and backoff
            together (default None: no limit beyond the others). It ends in
            :class:`RequestTimeoutError` (:class:`OutcomeUnknownError` for a write that may
            have been sent).
        max_body_size: The largest answer read, in bytes after decompression (default 64
            MiB); a larger one raises :class:`ResponseTooLargeError` and is not retried.
        memory_budget: The bytes of all the answers this client reads at once (default 256
            MiB; None: no budget); an answer that would go over it raises
            :class:`ResponseTooLargeError` after its retries. At least ``max_body_size``.
        pipelining: With ``transport="fast"``: how many lookups of a bulk call
            (``relationships.get_many`` / ``iter_many``) one connection carries at once,
            sent before their answers come back (HTTP/1.1 pipelining; default 32). 1 sends
            one at a time. An answer that needs more than reading (an error, a 429, a dropped
            connection) is handled for that id alone as in any call. Against a server that
            answers slowly the lane moves to more connections once its first requests wait;
            the ones already queued are answered in turn (README "Transports").
    """

    def __init__(
        self,
        access_token: str | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float | httpx.Timeout | _NotGiven | None = NOT_GIVEN,
        max_retries: int | _NotGiven = NOT_GIVEN,
        rate_limit_mode: RateLimitMode = "wait",
        http_client: httpx.AsyncClient | None = None,
        transport: TransportName | httpx.AsyncBaseTransport | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        retry_deadline: float | _NotGiven | None = NOT_GIVEN,
        rate_limit_window: float = 3600.0,
        max_rate_limit_wait: float | _NotGiven | None = NOT_GIVEN,
        budget_store: BudgetStore | str | None = None,
        on_rate_limit: Callable[[RateLimitEvent], object] | None = None,
        client_ips: str | None = None,
        forwarded_for: Literal["writes", "all"] = "writes",
        proxy: str | httpx.URL | httpx.Proxy | None = None,
        verify: ssl.SSLContext | str | os.PathLike[str] | bool | None = None,
        trust_env: bool | None = None,
        retry_policy: RetryPolicy | None = None,
        attempt_timeout: float | _NotGiven | None = NOT_GIVEN,
        call_timeout: float | _NotGiven | None = NOT_GIVEN,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        memory_budget: int | None = DEFAULT_MEMORY_BUDGET,
        pipelining: int = DEFAULT_PIPELINE_DEPTH,
    ) -> None:
        for name, value in (
            ("access_token", access_token),
            ("client_id", client_id),
            ("client_secret", client_secret),
        ):
            validate_credential(name, value)
        _check_base_url(base_url)
        _check_timeout(timeout)
        _check_sizes(max_body_size, memory_budget)
        if (
            isinstance(pipelining, bool)
            or not isinstance(pipelining, int)
            or not 1 <= pipelining <= MAX_PIPELINE_DEPTH
        ):
            raise InvalidArgumentError(
                f"pipelining must be an integer from 1 to {MAX_PIPELINE_DEPTH}, not {pipelining!r}"
            )
        if isinstance(rate_limit_window, bool) or not isinstance(rate_limit_window, (int, float)):
            raise InvalidArgumentError(
                f"rate_limit_window must be a number of seconds, not {rate_limit_window!r}"
            )
        if not rate_limit_window > 0:
            raise InvalidArgumentError(
                f"rate_limit_window must be positive, not {rate_limit_window!r}"
            )
        if rate_limit_mode not in ("wait", "raise"):
            raise InvalidArgumentError(
                f"rate_limit_mode must be 'wait' or 'raise', not {rate_limit_mode!r}"
            )
        if (
            not isinstance(max_rate_limit_wait, _NotGiven)
            and max_rate_limit_wait is not None
            and (
                isinstance(max_rate_limit_wait, bool)
                or not isinstance(max_rate_limit_wait, (int, float))
                or not max_rate_limit_wait >= 0
            )
        ):
            raise InvalidArgumentError(
                "max_rate_limit_wait must be a number of seconds >= 0 or None, "
                f"not {max_rate_limit_wait!r}"
            )
        if on_rate_limit is not None and not callable(on_rate_limit):
            raise InvalidArgumentError("on_rate_limit must be callable or None")
        policy = _retry_policy(
            retry_policy,
            max_retries,
            retry_deadline,
            max_rate_limit_wait,
            attempt_timeout=attempt_timeout,
            call_timeout=call_timeout,
        )
        store, self._owns_budget_store = _make_budget_store(budget_store)
        if (
            isinstance(max_connections, bool)
            or not isinstance(max_connections, int)
            or (max_connections < 1)
        ):
            raise InvalidArgumentError(
                f"max_connections must be a positive integer, not {max_connections!r}"
            )
        if http_client is not None and transport is not None:
            raise InvalidArgumentError("pass http_client or transport, not both")
        network = {"proxy": proxy, "verify": verify, "trust_env": trust_env}
        given = [name for name, value in network.items() if value is not None]
        if given and (http_client is not None or isinstance(transport, httpx.AsyncBaseTransport)):
            what = "http_client" if http_client is not None else "a transport object"
            raise InvalidArgumentError(
                f"{', '.join(given)} cannot be combined with {what}, which is configured "
                "already; configure it there (or pass a transport name)"
            )
        ssl_verify = _check_verify(verify)
        if trust_env is not None and not isinstance(trust_env, bool):
            raise InvalidArgumentError(f"trust_env must be True or False, not {trust_env!r}")
        if proxy is not None and not isinstance(proxy, (str, httpx.URL, httpx.Proxy)):
            raise InvalidArgumentError(
                f"proxy must be a URL (str or httpx.URL) or an httpx.Proxy, not {proxy!r}"
            )
        _check_forwarded_for(client_ips, client_secret, forwarded_for)

        self._credentials = Credentials(
            access_token,
            client_id,
            client_secret,
            client_ips=client_ips,
            forwarded_for_all=forwarded_for == "all",
        )
        self._secrets_box = register_secrets(self._credentials.secrets())
        install_redaction()

        budget = None if memory_budget is None else MemoryBudget(memory_budget)
        self._memory_budget = budget  # the bytes of answers held now (used, peak, limit)
        if http_client is None:
            http_timeout = DEFAULT_TIMEOUT if isinstance(timeout, _NotGiven) else timeout
            try:
                backend = make_backend(
                    transport,
                    base_url=base_url,
                    max_connections=max_connections,
                    timeout=http_timeout,
                    verify=True if ssl_verify is None else ssl_verify,
                    trust_env=True if trust_env is None else trust_env,
                    proxy=proxy,
                    max_body_size=max_body_size,
                    budget=budget,
                )
            except (ValueError, TypeError) as exc:
                raise InvalidArgumentError(str(exc)) from exc
            request_timeout: Any = httpx.USE_CLIENT_DEFAULT
        else:
            backend = HttpxBackend(
                http_client, owns=False, max_body_size=max_body_size, budget=budget
            )
            request_timeout = (
                httpx.USE_CLIENT_DEFAULT if isinstance(timeout, _NotGiven) else timeout
            )
        credential = (
            access_token
            if access_token
            else ("client_id:" + client_id if client_id else "anonymous")
        )
        self._limiter = RateLimiter(
            rate_limit_mode,
            window=rate_limit_window,
            store=store,
            scope=store.scope_for(credential),
            signed=bool(client_secret),
            authenticated=bool(access_token),
            on_rate_limit=on_rate_limit,
        )
        self._requester = Requester(
            base_url=base_url,
            credentials=self._credentials,
            backend=backend,
            limiter=self._limiter,
            policy=policy,
            timeout=request_timeout,
        )
        self._requester.pipeline_depth = pipelining
        self.relationships = RelationshipsResource(self._requester)
        """Follows / followed-by / requested-by lists, relationship reads and changes, bulk."""
        self.users = UsersResource(self._requester)
        """User profiles and search, a user's media, your feed and liked media."""
        self.media = MediaResource(self._requester)
        """One media (by id or shortcode), search by place and time, popular, bulk."""
        self.comments = CommentsResource(self._requester)
        """Comments on a media: list, create, delete."""
        self.likes = LikesResource(self._requester)
        """Likes on a media: list, like, unlike."""
        self.tags = TagsResource(self._requester)
        """Tags: get, search, recent media."""
        self.locations = LocationsResource(self._requester)
        """Locations: get, search, recent media."""
        self.geographies = GeographiesResource(self._requester)
        """Recent media of a subscribed geography."""
        self.subscriptions = SubscriptionsResource(self._requester)
        """Real-time subscriptions of the application (needs client_id and client_secret)."""
        self._oembed = OEmbedResource(self._requester)

    async def oembed(
        self,
        url: str,
        *,
        maxwidth: int | None = None,
        hidecaption: bool = False,
        omitscript: bool = False,
        **options: Unpack[CallOptions],
    ) -> OEmbed:
        """The oEmbed answer for a media URL (``http://instagram.com/p/<shortcode>/``) or a
        bare shortcode; sent without credentials, as the API allowed (api doc section 8).

        Args:
            url: A media URL or a bare shortcode.
            maxwidth: The widest embed wanted, in pixels (the server's default when None).
            hidecaption: Leave the caption out of the embed.
            omitscript: Leave the embed script out of ``html`` (load it once yourself).
        """
        return await self._oembed(
            url, maxwidth=maxwidth, hidecaption=hidecaption, omitscript=omitscript, **options
        )

    # -- options, raw responses -----------------------------------------------------------------

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | _NotGiven | None = NOT_GIVEN,
        max_retries: int | _NotGiven = NOT_GIVEN,
        retry_deadline: float | _NotGiven | None = NOT_GIVEN,
        retry_policy: RetryPolicy | _NotGiven = NOT_GIVEN,
        rate_limit_mode: RateLimitMode | _NotGiven = NOT_GIVEN,
        max_rate_limit_wait: float | _NotGiven | None = NOT_GIVEN,
        attempt_timeout: float | _NotGiven | None = NOT_GIVEN,
        call_timeout: float | _NotGiven | None = NOT_GIVEN,
    ) -> InstagramClient:
        """A light copy of this client with other options, sharing its connection pool, its
        rate-limit budget and its credentials (nothing is opened)::

            patient = client.with_options(timeout=60, max_retries=10)
            await patient.users.get("self")

        ``retry_policy`` replaces the policy; ``max_retries``, ``retry_deadline``,
        ``max_rate_limit_wait``, ``attempt_timeout`` and ``call_timeout`` then adjust it.
        ``rate_limit_mode``: "wait" or "raise" for the copy's calls (the budgets are still the
        shared ones). Closing the copy closes neither the pool nor the budget store; closing
        this client closes the copy too."""
        base = self._requester.policy if isinstance(retry_policy, _NotGiven) else retry_policy
        policy = _retry_policy(
            base,
            max_retries,
            retry_deadline,
            max_rate_limit_wait,
            attempt_timeout=attempt_timeout,
            call_timeout=call_timeout,
        )
        if not isinstance(rate_limit_mode, _NotGiven) and rate_limit_mode not in ("wait", "raise"):
            raise InvalidArgumentError(
                f"rate_limit_mode must be 'wait' or 'raise', not {rate_limit_mode!r}"
            )
        requester = self._requester.derive(
            policy=policy,
            timeout=check_timeout(_check_timeout(timeout)),
            rate_limit_mode=None if isinstance(rate_limit_mode, _NotGiven) else rate_limit_mode,
        )
        clone = copy.copy(self)
        clone._requester = requester
        clone._owns_budget_store = False  # the original closes the budget store
        for name, value in vars(self).items():  # every endpoint group, bound to the copy
            if isinstance(value, Resource):
                setattr(clone, name, type(value)(requester))
        return clone

    @property
    def with_raw_response(self) -> WithRawResponse:
        """The same endpoint groups, each method returning an :class:`APIResponse`: the parsed
        result plus the HTTP status, headers and body, ``meta`` and the rate-limit budget::

            response = await client.with_raw_response.relationships.get("1574083")
            response.parsed.outgoing_status, response.status_code, response.rate_limit
        """
        return WithRawResponse(self)

    @property
    def retry_policy(self) -> RetryPolicy:
        """The :class:`RetryPolicy` this client's calls use."""
        return self._requester.policy

    @property
    def _transport(self) -> Requester:
        # The requester's old name, kept while branches written against it land.
        return self._requester

    # -- state --------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The API root every request goes to."""
        return self._requester.base_url

    @property
    def rate_limit(self) -> RateLimit | None:
        """The latest budget the server reported (limit, remaining, observed_at), or None
        before the first answer."""
        return self._limiter.latest

    @property
    def rate_limits(self) -> Mapping[str, BucketState]:
        """Every rate-limit bucket this client has used, by name (``"token"``, ``"app"``,
        ``"relationship.signed"``, ...): limit, used, in flight, and the resume time while
        paused. A snapshot; for a shared store, as this process last saw it."""
        return types.MappingProxyType(self._limiter.states())

    @property
    def is_closed(self) -> bool:
        """True once :meth:`aclose` was called (a closed client raises ClientClosedError)."""
        return self._requester.closed

    # -- lifecycle ----------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the connection pool (unless the http_client was given) and the budget store
        made from a URL. Idempotent."""
        await self._requester.aclose()
        if self._owns_budget_store:
            self._owns_budget_store = False
            await self._limiter.store.aclose()

    async def __aenter__(self) -> InstagramClient:
        if self._requester.closed:
            raise ClientClosedError("the client is closed; create a new InstagramClient")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        auth = (
            "token"
            if self._credentials.access_token
            else ("client_id" if self._credentials.client_id else "none")
        )
        return (
            f"<InstagramClient base_url={self.base_url!r} auth={auth} "
            f"signed={bool(self._credentials.client_secret)} "
            f"{'closed' if self.is_closed else 'open'}>"
        )


def _check_seconds(name: str, value: object) -> None:
    """A time limit: None (no limit) or a finite number of seconds > 0."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentError(f"{name} must be a number of seconds or None, not {value!r}")
    if math.isnan(value) or math.isinf(value) or value <= 0:
        raise InvalidArgumentError(
            f"{name} must be a finite number of seconds > 0 (None: no limit), not {value!r}"
        )


def _check_timeout(timeout: _T) -> _T:
    """``timeout`` as httpx takes it: seconds, None, or an ``httpx.Timeout`` whose every phase
    is seconds or None (httpx itself accepts NaN and negative values, which never time out or
    fail obscurely)."""
    if isinstance(timeout, _NotGiven):
        return timeout
    if isinstance(timeout, httpx.Timeout):
        for phase, value in timeout.as_dict().items():
            _check_seconds(f"timeout.{phase}", value)
        return timeout
    _check_seconds("timeout", timeout)
    return timeout


def _check_sizes(max_body_size: object, memory_budget: object) -> None:
    for name, value in (("max_body_size", max_body_size), ("memory_budget", memory_budget)):
        if value is None and name == "memory_budget":
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidArgumentError(f"{name} must be a positive number of bytes, not {value!r}")
    if isinstance(memory_budget, int) and memory_budget < max_body_size:  # type: ignore[operator]
        raise InvalidArgumentError(
            f"memory_budget ({memory_budget} bytes) must be at least max_body_size "
            f"({max_body_size} bytes), or one answer could never reach its cap"
        )


_IPS_RE: Final = re.compile(r"\A[0-9A-Fa-f:.]+(?:\s*,\s*[0-9A-Fa-f:.]+)*\Z")


def _check_forwarded_for(client_ips: object, client_secret: str | None, mode: object) -> None:
    """``client_ips`` (api doc section 6b): one IP or a comma-separated list; signing needs
    the client secret."""
    if mode not in ("writes", "all"):
        raise InvalidArgumentError(f"forwarded_for must be 'writes' or 'all', not {mode!r}")
    if client_ips is None:
        return
    if not isinstance(client_ips, str) or not _IPS_RE.match(client_ips):
        raise InvalidArgumentError(
            f"client_ips must be an IP address or a comma-separated list of them, "
            f"not {client_ips!r}"
        )
    if not client_secret:
        raise InvalidArgumentError("client_ips needs client_secret: the header is signed with it")


def _check_base_url(base_url: object) -> None:
    validate_base_url(base_url)


def _make_budget_store(store: BudgetStore | str | None) -> tuple[BudgetStore, bool]:
    """The budget store and whether the client owns it (made it from a URL)."""
    if store is None:
        return InMemoryBudgetStore(), True
    if isinstance(store, BudgetStore):
        return store, False
    if isinstance(store, str) and store.startswith(("redis://", "rediss://", "unix://")):
        from ._redis_budget import RedisBudgetStore  # the optional extra aioinstagram[redis]

        return RedisBudgetStore.from_url(store), True
    raise InvalidArgumentError(
        "budget_store must be a BudgetStore or a redis:// URL, not "
        + (repr(store.split("@")[-1]) if isinstance(store, str) else type(store).__name__)
    )


def _check_verify(verify: object) -> ssl.SSLContext | bool | None:
    """``verify`` as httpx takes it without a deprecation: a CA bundle path becomes a context."""
    if verify is None or isinstance(verify, (bool, ssl.SSLContext)):
        return verify
    if isinstance(verify, (str, os.PathLike)):
        path = os.fspath(verify)
        if os.path.isdir(path):
            return ssl.create_default_context(capath=path)
        if os.path.isfile(path):
            return ssl.create_default_context(cafile=path)
        raise InvalidArgumentError(f"verify: no CA bundle file or directory at {path!r}")
    raise InvalidArgumentError(
        f"verify must be True, False, a CA bundle path or an ssl.SSLContext, not {verify!r}"
    )


def _retry_policy(
    base: RetryPolicy | None,
    max_retries: object,
    retry_deadline: object,
    max_rate_limit_wait: object = NOT_GIVEN,
    *,
    attempt_timeout: object = NOT_GIVEN,
    call_timeout: object = NOT_GIVEN,
) -> RetryPolicy:
    """``retry_policy=`` (or the default policy) adjusted by ``max_retries=``,
    ``retry_deadline=``, ``max_rate_limit_wait=``, ``attempt_timeout=`` and ``call_timeout=``
    when they are given (RetryPolicy validates them)."""
    if base is None:
        base = RetryPolicy()
    elif not isinstance(base, RetryPolicy):
        raise InvalidArgumentError(f"retry_policy must be a RetryPolicy, not {base!r}")
    changes: dict[str, Any] = {}
    if not isinstance(max_retries, _NotGiven):
        changes["max_retries"] = max_retries
    if not isinstance(retry_deadline, _NotGiven):
        check_seconds("retry_deadline", retry_deadline, none=True)  # named as the user wrote it
        changes["deadline"] = retry_deadline
    if not isinstance(max_rate_limit_wait, _NotGiven):
        changes["rate_limit_max_wait"] = max_rate_limit_wait
    if not isinstance(attempt_timeout, _NotGiven):
        changes["attempt_timeout"] = attempt_timeout
    if not isinstance(call_timeout, _NotGiven):
        changes["call_timeout"] = call_timeout
    return attrs.evolve(base, **changes) if changes else base
