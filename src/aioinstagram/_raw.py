"""Raw responses: ``client.with_raw_response.<group>.<method>(...)``.

Each method takes the same arguments as the plain one and returns an :class:`APIResponse`
holding the parsed result (typed: ``APIResponse[Relationship]``) and what came with it: the
HTTP status, headers and body, the envelope's ``meta`` and ``pagination``, and the
``X-Ratelimit-*`` budget. A method that returns a paginator returns the first page
(``APIResponse[Page[T]]``; pass ``cursor=`` for another). Bulk helpers have no raw form (one
call, many responses).

The raw answer is seen through the per-call options' response hook (``_options``): each raw
call runs on its own copy of the resource whose hook records the answer, so concurrent raw
calls never mix their responses. Nothing here does I/O of its own.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable, Mapping
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs
from typing_extensions import ParamSpec

from ._models import Page, RateLimit
from ._pagination import AsyncPaginator
from ._protocol import Envelope, parse_rate_limit
from ._transports._base import RawResponse

if TYPE_CHECKING:
    from ._client import InstagramClient
    from ._resources.comments import CommentsResource
    from ._resources.geographies import GeographiesResource
    from ._resources.likes import LikesResource
    from ._resources.locations import LocationsResource
    from ._resources.media import MediaResource
    from ._resources.relationships import RelationshipsResource
    from ._resources.subscriptions import SubscriptionsResource
    from ._resources.tags import TagsResource
    from ._resources.users import UsersResource

__all__ = ["APIResponse", "WithRawResponse"]

T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")


@attrs.frozen(slots=True)
class APIResponse(Generic[R]):
    """The parsed result of a call and the HTTP answer it came from.

    ``parsed``: what the plain method returns. ``status_code``, ``headers`` (lower-cased
    names), ``content`` (the body, decoded from gzip/deflate). ``meta`` and ``pagination``:
    the envelope's (empty for an answer outside the envelope, oEmbed). ``rate_limit``: the
    ``X-Ratelimit-*`` budget this answer reported, or None.
    """

    parsed: R
    status_code: int
    headers: Mapping[str, str] = attrs.field(repr=False)
    content: bytes = attrs.field(repr=False)
    meta: Mapping[str, Any] = attrs.field(factory=dict)
    pagination: Mapping[str, Any] = attrs.field(factory=dict, repr=False)
    rate_limit: RateLimit | None = None

    @property
    def text(self) -> str:
        """The body as text (UTF-8; undecodable bytes replaced)."""
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON (``ValueError`` when it is not)."""
        return json.loads(self.content)


class _Recorder:
    """The response hook of one raw call: keeps the first answer it sees."""

    __slots__ = ("envelope", "raw")

    def __init__(self) -> None:
        self.raw: RawResponse | None = None
        self.envelope: Envelope | None = None

    def __call__(self, raw: RawResponse, envelope: Envelope | None) -> None:
        if self.raw is None:  # a page read ahead must not replace the page asked for
            self.raw, self.envelope = raw, envelope

    def response(self, parsed: R) -> APIResponse[R]:
        raw = self.raw
        if raw is None:  # pragma: no cover - every successful call goes through the hook
            raise AssertionError("no response was recorded")
        envelope = self.envelope
        budget = parse_rate_limit(raw.headers)
        return APIResponse(
            parsed=parsed,
            status_code=raw.status,
            headers=raw.headers,
            content=raw.body,
            meta=dict(envelope.meta) if envelope is not None else {},
            pagination=dict(envelope.pagination) if envelope is not None else {},
            rate_limit=(
                RateLimit(budget[0], budget[1], dt.datetime.now(dt.timezone.utc))
                if budget is not None
                else None
            ),
        )


def _bound(method: Callable[..., Any]) -> tuple[Any, Callable[..., Any]]:
    return method.__self__, method.__func__  # type: ignore[attr-defined]


def raw(method: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[APIResponse[R]]]:
    """The raw form of a resource's coroutine method (a bound method)."""
    resource, func = _bound(method)

    async def call(*args: P.args, **kwargs: P.kwargs) -> APIResponse[R]:
        recorder = _Recorder()
        parsed: R = await func(resource._capturing(recorder), *args, **kwargs)
        return recorder.response(parsed)

    call.__name__ = func.__name__
    call.__doc__ = func.__doc__
    return call


def raw_page(
    method: Callable[P, AsyncPaginator[T]],
) -> Callable[P, Awaitable[APIResponse[Page[T]]]]:
    """The raw form of a method returning a paginator: the first page it yields."""
    resource, func = _bound(method)

    async def call(*args: P.args, **kwargs: P.kwargs) -> APIResponse[Page[T]]:
        recorder = _Recorder()
        paginator: AsyncPaginator[T] = func(resource._capturing(recorder), *args, **kwargs)
        paginator._prefetch = False  # one page is asked for: read nothing ahead
        async with paginator, aclosing(paginator.pages()) as pages:
            async for page in pages:
                return recorder.response(page)
        raise AssertionError("unreachable")  # pragma: no cover - a walk yields a first page

    call.__name__ = func.__name__
    call.__doc__ = func.__doc__
    return call


class RelationshipsWithRawResponse:
    def __init__(self, r: RelationshipsResource) -> None:
        self.follows = raw_page(r.follows)
        self.followed_by = raw_page(r.followed_by)
        self.requested_by = raw_page(r.requested_by)
        self.get = raw(r.get)
        self.modify = raw(r.modify)
        self.follow = raw(r.follow)
        self.unfollow = raw(r.unfollow)
        self.block = raw(r.block)
        self.unblock = raw(r.unblock)
        self.approve = raw(r.approve)
        self.ignore = raw(r.ignore)
        self.deny = raw(r.deny)


class UsersWithRawResponse:
    def __init__(self, r: UsersResource) -> None:
        self.get = raw(r.get)
        self.search = raw(r.search)
        self.recent_media = raw_page(r.recent_media)
        self.feed = raw_page(r.feed)
        self.liked_media = raw_page(r.liked_media)


class MediaWithRawResponse:
    def __init__(self, r: MediaResource) -> None:
        self.get = raw(r.get)
        self.get_by_shortcode = raw(r.get_by_shortcode)
        self.search = raw_page(r.search)
        self.popular = raw_page(r.popular)


class CommentsWithRawResponse:
    def __init__(self, r: CommentsResource) -> None:
        self.list = raw_page(r.list)
        self.create = raw(r.create)
        self.delete = raw(r.delete)


class LikesWithRawResponse:
    def __init__(self, r: LikesResource) -> None:
        self.list = raw_page(r.list)
        self.like = raw(r.like)
        self.unlike = raw(r.unlike)


class TagsWithRawResponse:
    def __init__(self, r: TagsResource) -> None:
        self.get = raw(r.get)
        self.recent_media = raw_page(r.recent_media)
        self.search = raw_page(r.search)


class LocationsWithRawResponse:
    def __init__(self, r: LocationsResource) -> None:
        self.get = raw(r.get)
        self.recent_media = raw_page(r.recent_media)
        self.search = raw_page(r.search)


class GeographiesWithRawResponse:
    def __init__(self, r: GeographiesResource) -> None:
        self.recent_media = raw_page(r.recent_media)


class SubscriptionsWithRawResponse:
    def __init__(self, r: SubscriptionsResource) -> None:
        self.list = raw(r.list)
        self.create = raw(r.create)
        self.delete = raw(r.delete)


class WithRawResponse:
    """``client.with_raw_response``: every endpoint group, each method returning an
    :class:`APIResponse` (see the module docstring)."""

    def __init__(self, client: InstagramClient) -> None:
        self.relationships = RelationshipsWithRawResponse(client.relationships)
        self.users = UsersWithRawResponse(client.users)
        self.media = MediaWithRawResponse(client.media)
        self.comments = CommentsWithRawResponse(client.comments)
        self.likes = LikesWithRawResponse(client.likes)
        self.tags = TagsWithRawResponse(client.tags)
        self.locations = LocationsWithRawResponse(client.locations)
        self.geographies = GeographiesWithRawResponse(client.geographies)
        self.subscriptions = SubscriptionsWithRawResponse(client.subscriptions)
        self.oembed = raw(client._oembed.__call__)
