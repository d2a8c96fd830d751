"""The emulator's media endpoints: users' media, media, comments, likes, tags, locations,
geographies (api doc §3), over the :class:`~._mediagraph.MediaStore`.

Every handler runs after the shared pipeline of ``_app`` (rate limit, credential, signature)
and then checks, in order: the path ids (unknown -> 400 ``APINotFoundError``), the scope
(api doc §1 table: ``basic`` for your own media, ``public_content`` for anyone else's and for
search/tags/locations, ``comments`` and ``likes`` for the writes), privacy (a private user's
media are visible only to the user and their followers: 400 ``APINotAllowedError`` "you cannot
view this resource", api doc §9.9), the per-endpoint hourly write bucket of likes and comments
(api doc §5: POST and DELETE both count; a call with a valid ``X-Insta-Forwarded-For`` gets the
signed numbers of ``EmulatorConfig``, others the unsigned ones),
then the parameters (400 ``APIInvalidParametersError``).

Media lists: 20 per page by default, at most 33 (api doc §2 "count" **[choice]**), newest
first, ``pagination: {next_url, next_max_id}`` (tags: ``next_max_tag_id``, ``min_tag_id``, the
deprecated ``next_max_id`` and a ``deprecation_warning``; liked: ``next_max_like_id``), ``{}``
on the last page. Searches, popular, and the likes and comments lists have no pagination key.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, urlencode

from .._errors import InvalidArgumentError
from .._media_validation import validate_comment_text
from ._app import _MSG_NOT_ALLOWED, _Call, _Fail, _invalid
from ._mediagraph import KIND_LIKED, KIND_TAG, Post, decode_media_cursor, media_cursor, tag_scope

if TYPE_CHECKING:
    from ._app import _Handlers

__all__ = ["MediaHandlers"]

MEDIA_DEFAULT_COUNT: Final = 20
MEDIA_MAX_COUNT: Final = 33
SEARCH_DEFAULT_DISTANCE: Final = 1_000.0
SEARCH_MAX_DISTANCE: Final = 5_000.0
SEARCH_DEFAULT_WINDOW: Final = 5 * 86_400
SEARCH_MAX_WINDOW: Final = 7 * 86_400
POPULAR_COUNT: Final = 20

_MSG_NO_MEDIA: Final = "invalid media id"
_MSG_NO_TAG: Final = "invalid tag name"
_MSG_NO_LOCATION: Final = "invalid location id"
_MSG_NO_GEO: Final = "invalid geography id"
_MSG_NO_COMMENT: Final = "invalid comment id"
_TAG_RE: Final = re.compile(r"\A\w{1,100}\Z")
_INT_RE: Final = re.compile(r"\A[0-9]{1,40}\Z")
_NUM_RE: Final = re.compile(r"\A[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)\Z")
_DEPRECATION: Final = (
    "next_max_id and min_id are deprecated for this endpoint; use min_tag_id and max_tag_id instead"
)

Doc = tuple[dict[str, Any], int]


def _ok(data: object, pagination: dict[str, Any] | None = None) -> Doc:
    doc: dict[str, Any] = {"meta": {"code": 200}, "data": data}
    if pagination is not None:
        doc["pagination"] = pagination
    return doc, 200


class MediaHandlers:
    """Handlers bound to the shared :class:`~._app._Handlers` (its helpers and emulator)."""

    def __init__(self, h: _Handlers) -> None:
        self.h = h
        self.emu = h.emu
        self.graph = h.graph
        self.store = h.emu.media
        self.config = h.config
        self.seed = h.seed

    # -- helpers ---------------------------------------------------------------------------

    def _read_scope(self, call: _Call, owner: int | None) -> None:
        """basic for your own media, public_content for others' (2015 mapping, api doc §1)."""
        if self.config.scopes == "2015" and owner != call.viewer:
            self.h._need(call, "public_content")

    def _count(self, call: _Call, default: int = MEDIA_DEFAULT_COUNT) -> int:
        raw = call.values.get("count")
        if raw is None:
            return default
        raw = raw.strip()
        if not _INT_RE.match(raw) or int(raw) <= 0:
            raise _invalid("count must be a positive integer")
        return min(int(raw), MEDIA_MAX_COUNT)

    def _media(self, call: _Call, raw: str, *, visible: bool = True) -> Post:
        post = self.store.find(raw)
        if post is None:
            raise _Fail(400, "APINotFoundError", _MSG_NO_MEDIA)
        if visible and not self.graph.can_view_lists(call.viewer, post.owner):
            raise _Fail(400, "APINotAllowedError", _MSG_NOT_ALLOWED)
        return post

    def _number(self, call: _Call, name: str) -> float | None:
        raw = call.values.get(name)
        if raw is None or raw == "":
            return None
        if not _NUM_RE.match(raw.strip()):
            raise _invalid(f"invalid {name}")
        return float(raw)

    def _int(self, call: _Call, name: str) -> int | None:
        raw = call.values.get(name)
        if raw is None or raw == "":
            return None
        if not _INT_RE.match(raw.strip()):
            raise _invalid(f"invalid {name}")
        return int(raw)

    def _point(self, call: _Call) -> tuple[float, float] | None:
        lat, lng = self._number(call, "lat"), self._number(call, "lng")
        if lat is None and lng is None:
            return None
        if lat is None or lng is None:
            raise _invalid("lat and lng must be given together")
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise _invalid("invalid lat or lng")
        return lat, lng

    def _distance(self, call: _Call) -> float:
        distance = self._number(call, "distance")
        if distance is None:
            return SEARCH_DEFAULT_DISTANCE
        if not 0 < distance <= SEARCH_MAX_DISTANCE:
            raise _invalid(f"distance must be at most {int(SEARCH_MAX_DISTANCE)} meters")
        return distance

    def _key_cursor(self, call: _Call, name: str) -> tuple[int, int] | None:
        """``max_id`` / ``min_id``: a media id, read as that media's place in the order."""
        raw = call.values.get(name)
        if raw is None or raw == "":
            return None
        post = self.store.find(raw)
        if post is None:
            raise _invalid(f"invalid {name}")
        return post.key

    def _next_url(self, call: _Call, param: str, value: str) -> str:
        url = call.request.url
        pairs = [
            (k, v)
            for k, v in parse_qsl(url.query, keep_blank_values=True)
            if k not in (param, "sig")
        ]
        pairs.append((param, value))
        return f"{url.scheme}://{url.netloc}{call.path}?{urlencode(pairs)}"

    def _json(self, call: _Call, posts: Iterable[Post]) -> list[dict[str, object]]:
        viewer = call.principal.user_id if call.principal is not None else None
        return [self.store.media_json(p, viewer) for p in posts]

    def _media_page(self, call: _Call, posts: Iterator[Post]) -> Doc:
        """A ``max_id`` page over ``posts`` (newest first): filters, count, next_max_id."""
        count = self._count(call)
        before = self._key_cursor(call, "max_id")
        after = self._key_cursor(call, "min_id")
        low = self._int(call, "min_timestamp")
        high = self._int(call, "max_timestamp")

        def keep(p: Post) -> bool:
            if before is not None and p.key >= before:
                return False
            return (low is None or p.created_time >= low) and (
                high is None or p.created_time <= high
            )

        selected = []
        for post in posts:
            if after is not None and post.key <= after:
                break
            if keep(post):
                selected.append(post)
                if len(selected) > count:
                    break
        pagination: dict[str, Any] = {}
        if len(selected) > count:
            last = selected[count - 1].id
            pagination = {"next_url": self._next_url(call, "max_id", last), "next_max_id": last}
        return _ok(self._json(call, selected[:count]), pagination)

    # -- users -----------------------------------------------------------------------------

    async def user_recent(self, call: _Call, path: dict[str, str]) -> Doc:
        """GET /users/{user-id}/media/recent (api doc §3 "Users", §9.9)."""
        uid = self.h._user(call, path["user_id"])
        self._read_scope(call, uid)
        if not self.graph.can_view_lists(call.viewer, uid):
            raise _Fail(400, "APINotAllowedError", _MSG_NOT_ALLOWED)
        return self._media_page(call, iter(self.store.posts_of(uid)))

    async def feed(self, call: _Call, path: dict[str, str]) -> Doc:
        """GET /users/self/feed: your media and your followees', newest first."""
        if path["user_id"] != "self":
            raise _Fail(404, "APINotFoundError", "invalid endpoint")
        viewer = call.viewer
        followees = [uid for _, uid in self.graph.follows_page(viewer, None, 10_000)]
        lists = [self.store.posts_of(u) for u in [viewer, *followees]]
        merged = heapq.merge(*lists, key=lambda p: p.key, reverse=True)
        return self._media_page(call, merged)

    async def liked(self, call: _Call, path: dict[str, str]) -> Doc:
        """GET /users/self/media/liked, paged by max_like_id (api doc §2)."""
        if path["user_id"] != "self":
            raise _Fail(404, "APINotFoundError", "invalid endpoint")
        viewer = call.viewer
        count = self._count(call)
        raw = call.values.get("max_like_id")
        before = None
        if raw:
            before = decode_media_cursor(self.seed, KIND_LIKED, viewer, raw)
            if before is None:
                raise _invalid("invalid max_like_id")
        page = self.store.liked_page(viewer, before, count + 1)
        posts = [self.store.find(mid) for _, mid in page[:count]]
        pagination: dict[str, Any] = {}
        if len(page) > count:
            cursor = media_cursor(self.seed, KIND_LIKED, viewer, page[count - 1][0])
            pagination = {
                "next_url": self._next_url(call, "max_like_id", cursor),
                "next_max_like_id": cursor,
            }
        return _ok(self._json(call, [p for p in posts if p is not None]), pagination)

    # -- media -----------------------------------------------------------------------------

    async def get_media(self, call: _Call, path: dict[str, str]) -> Doc:
        """GET /media/{media-id} (with user_has_liked)."""
        post = self._media(call, path["media_id"])
        self._read_scope(call, post.owner)
        return _ok(self.store.media_json(post, call.viewer))

    async def shortcode(self, call: _Call, path: dict[str, str]) -> Doc:
        """GET /media/shortcode/{shortcode}."""
        post = self.store.by_shortcode(path["shortcode"])
        if post is None:
            raise _Fail(400, "APINotFoundError", _MSG_NO_MEDIA)
        return await self.get_media(call, {"media_id": post.id})

    async def search(self, call: _Call, path: dict[str, str]) -> Doc:
        """GET /media/search: lat+lng required, distance <= 5000 m, window <= 7 days (default
        the last 5 days before the emulator's "now"); each item carries ``distance``."""
        if self.config.scopes == "2015":
            self.h._need(call, "public_content")
        point = self._point(call)
        if point is None:
            raise _invalid("Missing required parameters: lat and lng")
        distance = self._distance(call)
        high = self._int(call, "max_timestamp")
        low = self._int(call, "min_timestamp")
        if high is None:
            high = self.store.newest_time() if low is None else low + SEARCH_DEFAULT_WINDOW
        if low is None:
            low = high - SEARCH_DEFAULT_WINDOW
        if low > high or high - low > SEARCH_MAX_WINDOW:
            raise _invalid("the time span may not exceed 7 days")
        count = self._count(call)
        found = sorted(
            self.store.near(point[0], point[1], distance, low, high),
            key=lambda dp: dp[1].key,
            reverse=True,
        )[:count]
        viewer = call.viewer
        return _ok([self.store.media_json(p, viewer, d) for d, p in found])

    async def popular(self, call: _Call, path: dict[str, str]) -> Doc:
        """GET /media/popular: the most liked recent public media, no pagination."""
        users = self.store._public_users()[:200]
        newest = (posts[0] for u in users if (posts := self.store.posts_of(u)))
        top = heapq.nlargest(POPULAR_COUNT, newest, key=lambda p: (p.seeded_likes, p.key))
        return _ok(self._json(call, top))

    # -- comments --------------------------------------------------------------------------

    def _write_bucket(self, call: _Call, which: str) -> None:
        emu = self.emu
        # A valid X-Insta-Forwarded-For gives the higher signed bucket (api doc §5, §6b).
        if call.signed_header:
            limiter = emu.signed_likes_limiter if which == "likes" else emu.signed_comments_limiter
        else:
            limiter = emu.likes_limiter if which == "likes" else emu.comments_limiter
        verdict = limiter.hit("t:" + call.values.get("access_token", ""))
        if not verdict.allowed:
            self.emu.stats.rate_limited += 1
            message = (
                "The maximum number of requests per hour has been exceeded. You have made "
                f"{verdict.used + 1} requests of the {verdict.limit} allowed in the last hour."
            )
            raise _Fail(429, "OAuthRateLimitException", message, headers=self.h._retry(verdict))

    async def list_comments(self, call: _Call, path: dict[str, str]) -> Doc:
        """GET /media/{media-id}/comments: every comment, oldest first, no pagination."""
        post = self._media(call, path["media_id"])
        self._read_scope(call, post.owner)
        return _ok([self.store.comment_json(c) for c in self.store.comments(post)])

    async def create_comment(self, call: _Call, path: dict[str, str]) -> Doc:
        """POST /media/{media-id}/comments text=...: the comment rules (api doc §3); the answer
        carries the new comment (the early API's shape; 2015 docs say null **[choice]**)."""
        post = self._media(call, path["media_id"])
        self.h._need(call, "comments")
        self._write_bucket(call, "comments")
        try:
            text = validate_comment_text(call.values.get("text", ""))
        except InvalidArgumentError as exc:
            raise _invalid(str(exc)) from None
        comment = self.store.add_comment(call.viewer, post, text)
        return _ok(self.store.comment_json(comment))

    async def delete_comment(self, call: _Call, path: dict[str, str]) -> Doc:
        """DELETE /media/{media-id}/comments/{comment-id}: your comment, or any on your media.
        Deleting an already deleted comment answers 200 again (so a retry is harmless)."""
        post = self._media(call, path["media_id"])
        self.h._need(call, "comments")
        self._write_bucket(call, "comments")
        raw = path["comment_id"]
        cid = int(raw) if _INT_RE.match(raw) else -1
        if self.store.was_deleted(post, cid):
            return _ok(None)
        comment = next((c for c in self.store.comments(post) if c.id == cid), None)
        if comment is None:
            raise _Fail(400, "APINotFoundError", _MSG_NO_COMMENT)
        if call.viewer not in (comment.author, post.owner):
            raise _Fail(400, "APINotAllowedError", "you cannot delete this comment")
        self.store.delete_comment(post, cid)
        return _ok(None)

    # -- likes -----------------------------------------------------------------------------

    async def list_likes(self, call: _Call, path: dict[str, str]) -> Doc:
        """GET /media/{media-id}/likes: short users, most recent first, no pagination."""
        post = self._media(call, path["media_id"])
        self._read_scope(call, post.owner)
        short = self.graph.short_user
        return _ok([short(u) for u in self.store.likers(post)])

    async def like(self, call: _Call, path: dict[str, str]) -> Doc:
        """POST /media/{media-id}/likes: data null; liking twice changes nothing."""
        post = self._media(call, path["media_id"])
        self.h._need(call, "likes")
        self._write_bucket(call, "likes")
        self.store.like(call.viewer, post)
        return _ok(None)

    async def unlike(self, call: _Call, path: dict[str, str]) -> Doc:
        """DELETE /media/{media-id}/likes: data null."""
        post = self._media(call, path["media_id"])
        self.h._need(call, "likes")
        self._write_bucket(call, "likes")
        self.store.unlike(call.viewer, post)
        return _ok(None)

    # -- tags ------------------------------------------------------------------------------

    def _tag(self, call: _Call, raw: str) -> str:
        if self.config.scopes == "2015":
            self.h._need(call, "public_content")
        if not _TAG_RE.match(raw):
            raise _Fail(400, "APINotFoundError", _MSG_NO_TAG)
        return raw.lower()

    async def get_tag(self, call: _Call, path: dict[str, str]) -> Doc:
        """GET /tags/{tag-name}: name and media_count (0 for a tag nobody used)."""
        name = self._tag(call, path["tag_name"])
        return _ok({"media_count": self.store.tag_count(name), "name": name})

    async def tag_recent(self, call: _Call, path: dict[str, str]) -> Doc:
        """GET /tags/{tag-name}/media/recent, paged by max_tag_id (api doc §2)."""
        name = self._tag(call, path["tag_name"])
        count = self._count(call)
        scope = tag_scope(name)
        bounds = []
        for param in ("max_tag_id", "min_tag_id"):
            raw = call.values.get(param) or (
                call.values.get("max_id") if param == "max_tag_id" else None
            )
            seq = None
            if raw:
                seq = decode_media_cursor(self.seed, KIND_TAG, scope, raw)
                if seq is None:
                    raise _invalid(f"invalid {param}")
            bounds.append(seq)
        page = self.store.tag_page(name, bounds[0], bounds[1], count + 1)
        pagination: dict[str, Any] = {}
        if page:
            pagination["min_tag_id"] = media_cursor(self.seed, KIND_TAG, scope, page[0][0])
        if len(page) > count:
            cursor = media_cursor(self.seed, KIND_TAG, scope, page[count - 1][0])
            pagination.update(
                {
                    "next_url": self._next_url(call, "max_tag_id", cursor),
                    "next_max_tag_id": cursor,
                    "next_max_id": cursor,
                    "deprecation_warning": _DEPRECATION,
                }
            )
        return _ok(self._json(call, [p for _, p in page[:count]]), pagination)

    async def search_tags(self, call: _Call, path: dict[str, str]) -> Doc:
        """GET /tags/search?q=: tags starting with q (without #), most used first."""
        if self.config.scopes == "2015":
            self.h._need(call, "public_content")
        q = call.values.get("q", "").strip().lstrip("#").lower()
        if not q:
            raise _invalid("Missing required parameter: q")
        count = self._count(call, default=MEDIA_MAX_COUNT)
        names = [n for n in self.store.tag_names() if n.startswith(q)]
        found = sorted(((self.store.tag_count(n), n) for n in names), key=lambda t: (-t[0], t[1]))
        return _ok([{"media_count": c, "name": n} for c, n in found[:count]])

    # -- locations -------------------------------------------------------------------------

    def _location(self, call: _Call, raw: str) -> int:
        if self.config.scopes == "2015":
            self.h._need(call, "public_content")
        place = self.store.place(int(raw)) if _INT_RE.match(raw) else None
        if place is None:
            raise _Fail(400, "APINotFoundError", _MSG_NO_LOCATION)
        return place.id

    async def get_location(self, call: _Call, path: dict[str, str]) -> Doc:
        place = self.store.place(self._location(call, path["location_id"]))
        assert place is not None
        return _ok(place.as_dict())

    async def location_recent(self, call: _Call, path: dict[str, str]) -> Doc:
        """GET /locations/{location-id}/media/recent (max_id, min_id, timestamps)."""
        pid = self._location(call, path["location_id"])
        return self._media_page(call, iter(self.store.location_page(pid, None, 10**9)))

    async def search_locations(self, call: _Call, path: dict[str, str]) -> Doc:
        """GET /locations/search: lat+lng (distance default 1000 m, max 5000 m), or one of
        foursquare_v2_id, foursquare_id, facebook_places_id."""
        if self.config.scopes == "2015":
            self.h._need(call, "public_content")
        count = self._count(call, default=MEDIA_DEFAULT_COUNT)
        point = self._point(call)
        ids = [
            (k, call.values[k])
            for k in ("facebook_places_id", "foursquare_id", "foursquare_v2_id")
            if call.values.get(k)
        ]
        if point is not None and not ids:
            places = self.store.places_near(point[0], point[1], self._distance(call), count)
        elif point is None and len(ids) == 1:
            found = self.store.find_place(*ids[0])
            places = [] if found is None else [found]
        else:
            raise _invalid(
                "Missing required parameters: lat and lng, or one of facebook_places_id, "
                "foursquare_id, foursquare_v2_id"
            )
        return _ok([p.as_dict() for p in places])

    # -- geographies -----------------------------------------------------------------------

    async def geo_recent(self, call: _Call, path: dict[str, str]) -> Doc:
        """GET /geographies/{geo-id}/media/recent: accepts client_id alone (api doc §3)."""
        raw = path["geo_id"]
        geo = self.store.geographies.get(int(raw)) if _INT_RE.match(raw) else None
        if geo is None:
            raise _Fail(400, "APINotFoundError", _MSG_NO_GEO)
        found = self.store.near(geo.latitude, geo.longitude, geo.radius, 0, 2**62)
        posts = sorted((p for _, p in found), key=lambda p: p.key, reverse=True)
        return self._media_page(call, iter(posts))
