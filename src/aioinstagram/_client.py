"""``InstagramClient``: configuration, lifecycle, and one namespace per endpoint group."""

from __future__ import annotations

import re
import types
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import httpx

from ._errors import ClientClosedError, InvalidArgumentError
from ._logging import install_redaction, register_secrets
from ._models import RateLimit
from ._protocol import DEFAULT_BASE_URL, Credentials
from ._ratelimit import RateLimiter, RateLimitMode
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
from ._transport import RetryPolicy, Transport
from ._transports import DEFAULT_TRANSPORT, make_transport

__all__ = ["DEFAULT_TIMEOUT", "InstagramClient"]

DEFAULT_TIMEOUT: Final = 10.0
DEFAULT_MAX_CONNECTIONS: Final = 100


class _NotGiven:
    """Sentinel for "not given", so that ``None`` can mean "no timeout"."""

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = _NotGiven()


class InstagramClient:
    """An async client for the Instagram API v1.

    Use it as ``async with InstagramClient(...) as client:``, or call :meth:`aclose`. Bad
    arguments raise :class:`InvalidArgumentError` at once. A client with only a ``client_id``
    raises TokenRequiredError, before sending, for the endpoints that needed a user's token.
    ``client.subscriptions`` uses ``client_id`` + ``client_secret``.

    Args:
        access_token: Authenticates as a user (never shown in logs, reprs or errors).
        client_id: For the endpoints that accept an application instead of a user.
        client_secret: Sign every request with the ``sig`` parameter (HMAC-SHA256 over the
            endpoint and the sorted parameters; api doc §6a).
        base_url: The API root, ending in ``/v1`` (for example a served emulator's
            ``http://127.0.0.1:8765/v1``).
        timeout: Seconds to wait for each answer: a float, an ``httpx.Timeout``, or None for
            no timeout. Not given: 10 s (or the given ``http_client``'s own timeout).
        max_retries: How many times a call is retried (reads, idempotent writes, and writes
            that surely never reached the server) after a failure worth retrying.
        rate_limit: ``"wait"`` pauses every caller when the budget is spent or a 429 arrives;
            ``"raise"`` raises :class:`RateLimitError` instead.
        http_client: Any ``httpx.AsyncClient`` (for example one with an ASGI or mock
            transport); this client then does not close it.
        transport: A built-in transport by name (``"native"``, the default; ``"httpcore"``,
            ``"aiohttp"``, ``"http2"``) or an ``httpx.AsyncBaseTransport``. Not with
            ``http_client``.
        max_connections: Size of the connection pool (keep-alive included).
        retry_deadline: Seconds after which a call stops retrying (None: no deadline).
        rate_limit_window: Length of the API's rate-limit window in seconds (3600 for the
            real API).
        client_ips: With ``client_secret``: the client IPs to sign into the
            ``X-Insta-Forwarded-For`` header (api doc §6b).
        forwarded_for: Which calls carry that header: ``"writes"`` (the default) or ``"all"``.
    """

    def __init__(
        self,
        access_token: str | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float | httpx.Timeout | _NotGiven | None = NOT_GIVEN,
        max_retries: int = 3,
        rate_limit: RateLimitMode = "wait",
        http_client: httpx.AsyncClient | None = None,
        transport: str | httpx.AsyncBaseTransport | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        retry_deadline: float | None = 60.0,
        rate_limit_window: float = 3600.0,
        client_ips: str | None = None,
        forwarded_for: Literal["writes", "all"] = "writes",
    ) -> None:
        for name, value in (
            ("access_token", access_token),
            ("client_id", client_id),
            ("client_secret", client_secret),
        ):
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise InvalidArgumentError(f"{name} must be a non-empty string or None")
        _check_base_url(base_url)
        if isinstance(rate_limit_window, bool) or not isinstance(rate_limit_window, (int, float)):
            raise InvalidArgumentError(
                f"rate_limit_window must be a number of seconds, not {rate_limit_window!r}"
            )
        if not rate_limit_window > 0:
            raise InvalidArgumentError(
                f"rate_limit_window must be positive, not {rate_limit_window!r}"
            )
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise InvalidArgumentError(f"max_retries must be an integer >= 0, not {max_retries!r}")
        if rate_limit not in ("wait", "raise"):
            raise InvalidArgumentError(f"rate_limit must be 'wait' or 'raise', not {rate_limit!r}")
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

        owns = http_client is None
        if http_client is None:
            http_timeout = DEFAULT_TIMEOUT if isinstance(timeout, _NotGiven) else timeout
            http_client = httpx.AsyncClient(
                transport=_make_transport(transport, max_connections),
                timeout=http_timeout,
                follow_redirects=False,
            )
            request_timeout: Any = httpx.USE_CLIENT_DEFAULT
        else:
            request_timeout = (
                httpx.USE_CLIENT_DEFAULT if isinstance(timeout, _NotGiven) else timeout
            )
        self._limiter = RateLimiter(rate_limit, window=rate_limit_window)
        self._transport = Transport(
            base_url=base_url,
            credentials=self._credentials,
            http_client=http_client,
            owns_http_client=owns,
            limiter=self._limiter,
            policy=RetryPolicy(max_retries=max_retries, deadline=retry_deadline),
            timeout=request_timeout,
        )
        self.relationships = RelationshipsResource(self._transport)
        """Follows / followed-by / requested-by lists, relationship reads and changes, bulk."""
        self.users = UsersResource(self._transport)
        """User profiles and search, a user's media, your feed and liked media."""
        self.media = MediaResource(self._transport)
        """One media (by id or shortcode), search by place and time, popular, bulk."""
        self.comments = CommentsResource(self._transport)
        """Comments on a media: list, create, delete."""
        self.likes = LikesResource(self._transport)
        """Likes on a media: list, like, unlike."""
        self.tags = TagsResource(self._transport)
        """Tags: get, search, recent media."""
        self.locations = LocationsResource(self._transport)
        """Locations: get, search, recent media."""
        self.geographies = GeographiesResource(self._transport)
        """Recent media of a subscribed geography."""
        self.subscriptions = SubscriptionsResource(self._transport)
        """Real-time subscriptions of the application (needs client_id and client_secret)."""
        self._oembed = OEmbedResource(self._transport)

    async def oembed(
        self,
        url: str,
        *,
        maxwidth: int | None = None,
        hidecaption: bool = False,
        omitscript: bool = False,
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
            url, maxwidth=maxwidth, hidecaption=hidecaption, omitscript=omitscript
        )

    # -- state --------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The API root every request goes to."""
        return self._transport.base_url

    @property
    def rate_limit(self) -> RateLimit | None:
        """The latest budget the server reported (limit, remaining, observed_at), or None
        before the first answer."""
        return self._limiter.latest

    @property
    def is_closed(self) -> bool:
        """True once :meth:`aclose` was called (a closed client raises ClientClosedError)."""
        return self._transport.closed

    # -- lifecycle ----------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the connection pool (unless the http_client was given). Idempotent."""
        await self._transport.aclose()

    async def __aenter__(self) -> InstagramClient:
        if self._transport.closed:
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
    if not isinstance(base_url, str):
        raise InvalidArgumentError(f"base_url must be an http(s) URL, not {base_url!r}")
    try:
        parts = urlsplit(base_url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise InvalidArgumentError(f"base_url must be an http(s) URL with a host, not {base_url!r}")
    if parts.query or parts.fragment or "?" in base_url or "#" in base_url:
        raise InvalidArgumentError("base_url must not carry a query or fragment")


def _make_transport(
    transport: str | httpx.AsyncBaseTransport | None, max_connections: int
) -> httpx.AsyncBaseTransport:
    if isinstance(transport, httpx.AsyncBaseTransport):
        return transport
    try:
        return make_transport(transport or DEFAULT_TRANSPORT, max_connections=max_connections)
    except ValueError as exc:
        raise InvalidArgumentError(str(exc)) from exc
