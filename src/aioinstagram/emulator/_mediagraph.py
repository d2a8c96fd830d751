"""The emulator's media data: posts, likes, comments, tag and location indexes, geographies.

Theory of operation
-------------------
Like the social graph (``_graph``), everything starts as a function of the seed and nothing is
stored until it changes:

* A user's posts are ``Graph.media_of(uid)`` (newest first), enriched from ``(seed, pk)`` with a
  location (about 40 % of posts, from a fixed set of generated places around a few cities),
  users in photo with positions, and a deterministic set of seeded likers and comments.
  Posts made through :meth:`MediaStore.post` (the emulator's admin API) are stored and come
  first. ``(created_time, pk)`` orders every media list, newest first; it is unique.
* Likes and comments made through the API are stored as overlays over the seeded ones: a like
  or comment shows in the media's lists and counts at once, and a user's liked list holds the
  likes made through the API (seeded likes are not indexed per liker; documented).
* Tag and location indexes are built on first use by one pass over every ordinary user's posts
  (about 12 posts a user on average), then kept up to date by :meth:`MediaStore.post`. Private
  users' media are left out of tag, location, geography, search and popular results (the real
  feeds only showed public media).
* The *big tag* (``EmulatorConfig.big_tag``, 100,000 media by default) is stored like the
  celebrity's audience: as one integer. Its media ``k`` (0 = oldest) is generated from
  ``(seed, k)``, owned by a public ordinary user, and has the sequence number ``k + 1``; its
  media are real for ``GET /media/{id}``, likes and comments, but are not in their owners'
  recent media lists (documented limitation).

Cursors (api doc §2): media lists page with ``max_id`` = the id of the last media returned
(as the real API did); tag lists with ``max_tag_id`` and liked media with ``max_like_id``,
opaque numbers with a check (``_graph.encode_cursor`` style) so that a tampered one is refused.
Every cursor names a position, not an offset: media posted during a walk are newer and never
returned again, and nothing remaining is skipped.
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Final

from ._graph import _EPOCH, _FILTERS, _SPAN, _WORDS, PICTURE_HOST, Graph, _mix, _shortcode

__all__ = [
    "Geography",
    "MediaStore",
    "Place",
    "Post",
    "PostedComment",
    "haversine",
]

#: pk of the big tag's media ``k`` is BIG_PK_BASE + k (far above seeded pks' range start).
BIG_PK_BASE: Final = 9_000_000_000_000_000_000
LINK_HOST: Final = "https://instagram.emulator.invalid"
#: Seeded geographies (one per city) have ids 9001..; geography subscriptions add theirs.
SEEDED_GEO_BASE: Final = 9_001
_CITIES: Final = (
    ("San Francisco", 37.7749, -122.4194),
    ("New York", 40.7128, -74.0060),
    ("London", 51.5074, -0.1278),
    ("Paris", 48.8566, 2.3522),
    ("Tokyo", 35.6762, 139.6503),
    ("Sao Paulo", -23.5505, -46.6333),
)
_PLACE_KINDS: Final = ("Cafe", "Park", "Station", "Museum", "Market", "Pier", "Bakery", "Plaza")
PLACES_PER_CITY: Final = 40
SAMPLE_LIKES: Final = 4  # inline ``likes.data`` sample size
SAMPLE_COMMENTS: Final = 3  # inline ``comments.data`` sample size


def haversine(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True, slots=True)
class Place:
    """A location (api doc §3 "Location object")."""

    id: int
    name: str
    latitude: float
    longitude: float
    facebook_places_id: str
    foursquare_id: str
    foursquare_v2_id: str

    def as_dict(self) -> dict[str, object]:
        return {
            "id": str(self.id),
            "name": self.name,
            "latitude": self.latitude,
            "longitude": self.longitude,
        }


@dataclass(frozen=True, slots=True)
class Geography:
    """A geography (a circle a client subscribed to; api doc §3 "Geographies", §7)."""

    id: int
    latitude: float
    longitude: float
    radius: float


@dataclass(frozen=True, slots=True)
class Post:
    """One media item as the store keeps it."""

    pk: int
    owner: int
    created_time: int
    type: str
    filter: str
    tags: tuple[str, ...]
    caption: str
    location: int | None  # a Place id
    tagged: tuple[tuple[int, float, float], ...]  # users in photo: (uid, x, y)
    seeded_likes: int
    seeded_comments: int
    point: tuple[float, float] | None = None  # a bare (lat, lng), when not at a place

    @property
    def id(self) -> str:
        return f"{self.pk}_{self.owner}"

    @property
    def shortcode(self) -> str:
        """The code of its link (``.../p/<shortcode>/``); it encodes the pk."""
        return _shortcode(self.pk)

    @property
    def key(self) -> tuple[int, int]:
        """The order of media lists (newest first = highest key)."""
        return (self.created_time, self.pk)


@dataclass(frozen=True, slots=True)
class PostedComment:
    id: int
    created_time: int
    text: str
    author: int


@dataclass
class _Overlay:
    """What the API changed on one media: likes (uid -> like seq), comments, deletions."""

    likes: dict[int, int] = field(default_factory=dict)
    unliked: set[int] = field(default_factory=set)  # seeded likers who unliked
    comments: list[PostedComment] = field(default_factory=list)
    deleted: set[int] = field(default_factory=set)  # comment ids


def media_cursor(seed: int, kind: int, scope: int, seq: int) -> str:
    """An opaque, numeric cursor for ``seq`` in list ``(kind, scope)`` with a 4-digit check."""
    return f"{seq}{_mix(seed, 0xD1, kind, scope, seq) % 10_000:04d}"


def decode_media_cursor(seed: int, kind: int, scope: int, cursor: str) -> int | None:
    if not (5 <= len(cursor) <= 40 and cursor.isascii() and cursor.isdigit()) or cursor[0] == "0":
        return None
    seq = int(cursor[:-4])
    return seq if media_cursor(seed, kind, scope, seq) == cursor else None


KIND_TAG: Final = 11
KIND_LIKED: Final = 12


def tag_scope(name: str) -> int:
    return _mix(0, *name.encode())


class MediaStore:
    """Posts, likes, comments and the indexes over one :class:`Graph`."""

    def __init__(
        self,
        graph: Graph,
        *,
        big_tag: str = "throwback",
        big_tag_media: int = 100_000,
        clock: Callable[[], float] | None = None,
    ) -> None:
        import time

        self.graph = graph
        self.seed = graph.seed
        self.big_tag = big_tag
        self.big_tag_media = big_tag_media
        self._wall = clock or time.time
        self._posts: dict[int, list[Post]] = {}  # cache of generated posts per user
        self._posted: dict[int, list[Post]] = {}  # posted through the admin API, newest first
        self._by_pk: dict[int, Post] = {}  # posted media by pk
        self._pointed: list[Post] = []  # posted media at a bare point, not a place
        self._overlay: dict[str, _Overlay] = {}
        self._liked: dict[int, list[tuple[int, str]]] = {}  # liker -> [(like seq, media id)]
        self._like_seq = 1
        self._comment_seq = 90_000_000_000_000
        self._tags: dict[str, list[tuple[tuple[int, int], int]]] | None = None
        self._places_media: dict[int, list[tuple[tuple[int, int], int]]] | None = None
        self._public: list[int] | None = None
        self.places = self._make_places()
        self._place_by_id = {p.id: p for p in self.places}
        self.geographies: dict[int, Geography] = {}
        for i, (_, lat, lng) in enumerate(_CITIES):  # ids far from the subscriptions' 1, 2, ...
            self.add_geography(lat, lng, 5_000.0, geo_id=SEEDED_GEO_BASE + i)
        self._listeners: list[Callable[[Post], object]] = []

    # -- places and geographies ------------------------------------------------------------

    def _make_places(self) -> list[Place]:
        out = []
        for c, (city, lat, lng) in enumerate(_CITIES):
            for i in range(PLACES_PER_CITY):
                h = _mix(self.seed, 0x51, c, i)
                dlat = ((h % 20_001) - 10_000) / 10_000 * 0.05  # within about 5.5 km
                dlng = (((h >> 16) % 20_001) - 10_000) / 10_000 * 0.05
                pid = 100 + c * 1_000 + i
                word = _WORDS[(h >> 32) % len(_WORDS)].title()
                kind = _PLACE_KINDS[(h >> 40) % len(_PLACE_KINDS)]
                out.append(
                    Place(
                        id=pid,
                        name=f"{word} {kind} {city}",
                        latitude=round(lat + dlat, 6),
                        longitude=round(lng + dlng, 6),
                        facebook_places_id=str(100_000_000_000 + pid),
                        foursquare_id=str(4_000_000 + pid),
                        foursquare_v2_id=f"{_mix(self.seed, 0x52, pid):024x}"[:24],
                    )
                )
        return out

    def place(self, place_id: int) -> Place | None:
        return self._place_by_id.get(place_id)

    def find_place(self, key: str, value: str) -> Place | None:
        for p in self.places:
            if getattr(p, key) == value:
                return p
        return None

    def places_near(self, lat: float, lng: float, distance: float, count: int) -> list[Place]:
        found = sorted((haversine(lat, lng, p.latitude, p.longitude), p.id, p) for p in self.places)
        return [p for d, _, p in found if d <= distance][:count]

    def add_geography(
        self, lat: float, lng: float, radius: float, *, geo_id: int | None = None
    ) -> Geography:
        """Register a geography (what a geography subscription creates; api doc §7)."""
        gid = geo_id if geo_id is not None else max(self.geographies, default=0) + 1
        geo = Geography(gid, lat, lng, radius)
        self.geographies[gid] = geo
        return geo

    # -- posts -------------------------------------------------------------------------------

    def _enrich(self, uid: int, media: object) -> Post:
        from ._graph import Media

        assert isinstance(media, Media)
        pk = int(media.id.split("_", 1)[0])
        h = _mix(self.seed, 0x61, pk)
        location = self.places[h % len(self.places)].id if (h >> 8) % 10 < 4 else None
        tagged = []
        for j in range((h >> 12) % 3 if (h >> 14) % 4 == 0 else 0):
            hj = _mix(self.seed, 0x62, pk, j)
            tagged.append(
                (1 + hj % self.graph.users, (hj >> 20) % 1000 / 1000, (hj >> 30) % 1000 / 1000)
            )
        return Post(
            pk=pk,
            owner=uid,
            created_time=media.created_time,
            type=media.type,
            filter=media.filter,
            tags=tuple(dict.fromkeys(media.tags)),  # a tag once per media, as in the real API
            caption=" ".join("#" + t for t in dict.fromkeys(media.tags)),
            location=location,
            tagged=tuple(tagged),
            seeded_likes=min(media.like_count, self.graph.users - 1),
            seeded_comments=media.comment_count,
        )

    def posts_of(self, uid: int) -> list[Post]:
        """A user's media, newest first (posted ones first)."""
        cached = self._posts.get(uid)
        if cached is None:
            if len(self._posts) >= 20_000:
                self._posts.clear()
            cached = [self._enrich(uid, m) for m in self.graph.media_of(uid)]
            self._posts[uid] = cached
        posted = self._posted.get(uid)
        return posted + cached if posted else cached

    def media_count(self, uid: int) -> int:
        return self.graph.media_count(uid) + len(self._posted.get(uid, ()))

    def _public_users(self) -> list[int]:
        if self._public is None:
            graph = self.graph
            self._public = [u for u in range(1, graph.users + 1) if not graph.is_private(u)]
        return self._public

    def big_post(self, k: int) -> Post:
        """Media ``k`` of the big tag (0 = oldest)."""
        h = _mix(self.seed, 0x71, k)
        public = self._public_users()
        return Post(
            pk=BIG_PK_BASE + k,
            owner=public[h % len(public)],
            created_time=_EPOCH + (k * _SPAN) // max(1, self.big_tag_media),
            type="video" if (h >> 8) % 10 == 0 else "image",
            filter=_FILTERS[(h >> 16) % len(_FILTERS)],
            tags=(self.big_tag,),
            caption=f"#{self.big_tag} {_WORDS[(h >> 24) % len(_WORDS)]}",
            location=None,
            tagged=(),
            seeded_likes=int((h >> 32) % 50),
            seeded_comments=int((h >> 40) % 3),
        )

    def find(self, media_id: str) -> Post | None:
        """The media with this id (``<pk>_<owner>``), or None."""
        pk_s, sep, owner_s = media_id.partition("_")
        if not sep or not pk_s.isdigit() or not owner_s.isdigit() or len(media_id) > 60:
            return None
        pk, owner = int(pk_s), int(owner_s)
        if BIG_PK_BASE <= pk < BIG_PK_BASE + self.big_tag_media:
            post = self.big_post(pk - BIG_PK_BASE)
            return post if post.owner == owner else None
        posted = self._by_pk.get(pk)
        if posted is not None:
            return posted if posted.owner == owner else None
        if not self.graph.exists(owner):
            return None
        for post in self.posts_of(owner):
            if post.pk == pk:
                return post
        return None

    def post(
        self,
        owner: int,
        *,
        caption: str = "",
        tags: tuple[str, ...] = (),
        type: str = "image",
        location: int | None = None,
        created_time: int | None = None,
        filter: str = "Normal",
        point: tuple[float, float] | None = None,
    ) -> Post:
        """Post a new media for ``owner`` (the admin API); listeners are called with it.
        ``location`` is a place id; ``point`` a bare (lat, lng) when there is no place (found
        by media search and geographies, with a location of null id and name)."""
        newest = [p.created_time for p in self.posts_of(owner)[:1]]
        created = created_time if created_time is not None else int(self._wall())
        created = max([created, *(t + 1 for t in newest)])
        pk = 8_000_000_000_000_000_000 + len(self._by_pk) * 1_000 + owner % 1_000
        post = Post(
            pk=pk,
            owner=owner,
            created_time=created,
            type=type,
            filter=filter,
            tags=tags,
            caption=caption,
            location=location,
            tagged=(),
            seeded_likes=0,
            seeded_comments=0,
            point=point,
        )
        if post.location is None and post.point is not None:
            self._pointed.append(post)
        self._insert(post)
        return post

    def _insert(self, post: Post) -> None:
        self._posted.setdefault(post.owner, []).insert(0, post)
        self._by_pk[post.pk] = post
        if self._tags is not None and not self.graph.is_private(post.owner):
            self._index(post)
        for listener in list(self._listeners):
            listener(post)

    def on_media_created(self, callback: Callable[[Post], object]) -> Callable[[], None]:
        """Call ``callback(post)`` for each media posted; returns a function that removes it."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback)

    # -- indexes -----------------------------------------------------------------------------

    def _index(self, post: Post) -> None:
        assert self._tags is not None
        assert self._places_media is not None
        entry = (post.key, post.owner)
        for tag in dict.fromkeys(post.tags):
            insort(self._tags.setdefault(tag, []), entry)
        if post.location is not None:
            insort(self._places_media.setdefault(post.location, []), entry)

    def _build(self) -> None:
        if self._tags is not None:
            return
        self._tags, self._places_media = {}, {}
        graph = self.graph
        for uid in range(1, graph.users + 1):
            if graph.is_private(uid):
                continue
            for post in self.posts_of(uid):
                entry = (post.key, uid)
                for tag in post.tags:
                    self._tags.setdefault(tag, []).append(entry)
                if post.location is not None:
                    self._places_media.setdefault(post.location, []).append(entry)
        for entries in (*self._tags.values(), *self._places_media.values()):
            entries.sort()

    def _post_at(self, entry: tuple[tuple[int, int], int]) -> Post:
        (_, pk), owner = entry
        posted = self._by_pk.get(pk)
        if posted is not None:
            return posted
        for post in self.posts_of(owner):
            if post.pk == pk:
                return post
        raise LookupError(pk)  # pragma: no cover - the index only holds existing media

    def tag_count(self, tag: str) -> int:
        if tag == self.big_tag and self.big_tag_media:
            return self.big_tag_media
        self._build()
        assert self._tags is not None
        return len(self._tags.get(tag, ()))

    def tag_names(self) -> list[str]:
        self._build()
        assert self._tags is not None
        names = set(self._tags)
        if self.big_tag_media:
            names.add(self.big_tag)
        return sorted(names)

    def tag_page(
        self, tag: str, before: int | None, after: int | None, count: int
    ) -> list[tuple[int, Post]]:
        """Up to ``count`` (seq, post) of a tag with seq < before (and > after), newest first.
        A tag's seq is its position + 1 in the big tag, else an index key encoded as one int."""
        if tag == self.big_tag and self.big_tag_media:
            top = self.big_tag_media if before is None else min(before - 1, self.big_tag_media)
            low = after if after is not None else 0
            out = []
            for seq in range(top, max(low, top - count), -1):
                out.append((seq, self.big_post(seq - 1)))
            return out
        self._build()
        assert self._tags is not None
        entries = self._tags.get(tag, [])
        return self._walk(entries, before, after, count)

    def _walk(
        self,
        entries: list[tuple[tuple[int, int], int]],
        before: int | None,
        after: int | None,
        count: int,
    ) -> list[tuple[int, Post]]:
        hi = len(entries) if before is None else bisect_left(entries, (_unseq(before), -1))
        out: list[tuple[int, Post]] = []
        for i in range(hi - 1, -1, -1):
            if len(out) >= count:
                break
            seq = _seq(entries[i][0])
            if after is not None and seq <= after:
                break
            out.append((seq, self._post_at(entries[i])))
        return out

    def location_page(self, place: int, before: tuple[int, int] | None, count: int) -> list[Post]:
        self._build()
        assert self._places_media is not None
        entries = self._places_media.get(place, [])
        hi = len(entries) if before is None else bisect_left(entries, (before, -1))
        return [self._post_at(entries[i]) for i in range(hi - 1, max(-1, hi - 1 - count), -1)]

    def near(
        self, lat: float, lng: float, radius: float, low: int, high: int
    ) -> Iterator[tuple[float, Post]]:
        """Public media at places within ``radius`` metres, created in [low, high]."""
        self._build()
        assert self._places_media is not None
        for place in self.places:
            d = haversine(lat, lng, place.latitude, place.longitude)
            if d > radius:
                continue
            for entry in self._places_media.get(place.id, ()):
                if low <= entry[0][0] <= high:
                    yield d, self._post_at(entry)
        for post in self._pointed:  # posted at a bare point (lat, lng)
            assert post.point is not None
            d = haversine(lat, lng, *post.point)
            visible = not self.graph.is_private(post.owner)
            if visible and d <= radius and low <= post.created_time <= high:
                yield d, post

    def newest_time(self) -> int:
        """The emulator's "now" for default search windows: the end of the seeded history or
        the newest posted media, whichever is later."""
        posted = [p.created_time for p in self._by_pk.values()]
        return max([_EPOCH + _SPAN, *posted])

    # -- likes and comments --------------------------------------------------------------------

    def _ov(self, post: Post) -> _Overlay:
        ov = self._overlay.get(post.id)
        if ov is None:
            ov = self._overlay[post.id] = _Overlay()
        return ov

    def seeded_likers(self, post: Post) -> list[int]:
        """Distinct ordinary users, deterministic per media."""
        n = post.seeded_likes
        users = self.graph.users
        out: list[int] = []
        seen: set[int] = set()
        i = 0
        while len(out) < n and i < 4 * n + 10:
            uid = 1 + _mix(self.seed, 0x81, post.pk, i) % users
            i += 1
            if uid != post.owner and uid not in seen:
                seen.add(uid)
                out.append(uid)
        return out

    def likers(self, post: Post) -> list[int]:
        """Everyone who likes the media, most recent first."""
        ov = self._overlay.get(post.id)
        seeded = self.seeded_likers(post)
        if ov is None:
            return seeded
        added = sorted(ov.likes, key=lambda u: -ov.likes[u])
        return added + [u for u in seeded if u not in ov.unliked and u not in ov.likes]

    def like_count(self, post: Post) -> int:
        ov = self._overlay.get(post.id)
        if ov is None:
            return post.seeded_likes
        return len(self.likers(post))

    def has_liked(self, viewer: int, post: Post) -> bool:
        ov = self._overlay.get(post.id)
        if ov is not None and viewer in ov.likes:
            return True
        if ov is not None and viewer in ov.unliked:
            return False
        return viewer in self.seeded_likers(post)

    def like(self, viewer: int, post: Post) -> None:
        if self.has_liked(viewer, post):
            return
        ov = self._ov(post)
        seq = self._like_seq
        self._like_seq += 1
        ov.likes[viewer] = seq
        ov.unliked.discard(viewer)
        self._liked.setdefault(viewer, []).append((seq, post.id))

    def unlike(self, viewer: int, post: Post) -> None:
        ov = self._ov(post)
        seq = ov.likes.pop(viewer, None)
        if seq is not None:
            liked = self._liked.get(viewer, [])
            i = bisect_left(liked, (seq, ""))
            if i < len(liked) and liked[i][0] == seq:
                del liked[i]
        if viewer in self.seeded_likers(post):
            ov.unliked.add(viewer)

    def liked_page(self, viewer: int, before: int | None, count: int) -> list[tuple[int, str]]:
        """(like seq, media id) the viewer liked through the API, most recent first."""
        liked = self._liked.get(viewer, [])
        hi = len(liked) if before is None else bisect_left(liked, (before, ""))
        return [liked[i] for i in range(hi - 1, max(-1, hi - 1 - count), -1)]

    def comments(self, post: Post) -> list[PostedComment]:
        """The comments on the media, oldest first."""
        out = []
        for i in range(post.seeded_comments):
            h = _mix(self.seed, 0x4C, post.pk, i)
            out.append(
                PostedComment(
                    id=17_000_000_000 + (post.pk % 10_000_000) * 100 + i,
                    created_time=post.created_time + 60 * (i + 1) + h % 3_600,
                    text=_WORDS[(h >> 16) % len(_WORDS)] + ("!" if h & 1 else ""),
                    author=1 + h % self.graph.users,
                )
            )
        ov = self._overlay.get(post.id)
        if ov is None:
            return out
        return [c for c in out if c.id not in ov.deleted] + [
            c for c in ov.comments if c.id not in ov.deleted
        ]

    def comment_count(self, post: Post) -> int:
        if post.id not in self._overlay:
            return post.seeded_comments
        return len(self.comments(post))

    def add_comment(self, viewer: int, post: Post, text: str) -> PostedComment:
        self._comment_seq += 1
        newest = max([post.created_time, *(c.created_time for c in self.comments(post))])
        comment = PostedComment(self._comment_seq, max(int(self._wall()), newest + 1), text, viewer)
        self._ov(post).comments.append(comment)
        return comment

    def was_deleted(self, post: Post, comment_id: int) -> bool:
        ov = self._overlay.get(post.id)
        return ov is not None and comment_id in ov.deleted

    def delete_comment(self, post: Post, comment_id: int) -> None:
        self._ov(post).deleted.add(comment_id)

    # -- JSON ------------------------------------------------------------------------------------

    def media_json(
        self, post: Post, viewer: int | None, distance: float | None = None
    ) -> dict[str, object]:
        """The media object (api doc §3 "Media object"), production (2014) shape."""
        short = self.graph.short_user
        pk = post.pk
        base = f"{PICTURE_HOST}/media/{pk}"
        images = {
            "low_resolution": {"url": f"{base}_a.jpg", "width": 320, "height": 320},
            "thumbnail": {"url": f"{base}_s.jpg", "width": 150, "height": 150},
            "standard_resolution": {"url": f"{base}_n.jpg", "width": 640, "height": 640},
        }
        comments = self.comments(post)
        likers = self.likers(post)
        caption = None
        if post.caption:
            caption = {
                "created_time": str(post.created_time),
                "text": post.caption,
                "from": short(post.owner),
                "id": str(17_500_000_000 + pk % 10_000_000_000),
            }
        place = self._place_by_id.get(post.location) if post.location is not None else None
        doc: dict[str, object] = {
            "attribution": None,
            "tags": list(post.tags),
            "type": post.type,
            "location": place.as_dict() if place is not None else _bare_point(post.point),
            "comments": {
                "count": len(comments),
                "data": [self.comment_json(c) for c in comments[-SAMPLE_COMMENTS:]],
            },
            "filter": post.filter,
            "created_time": str(post.created_time),
            "link": f"{LINK_HOST}/p/{_shortcode(pk)}/",
            "likes": {"count": len(likers), "data": [short(u) for u in likers[:SAMPLE_LIKES]]},
            "images": images,
            "users_in_photo": [
                {"user": short(u), "position": {"x": x, "y": y}} for u, x, y in post.tagged
            ],
            "caption": caption,
            "user_has_liked": viewer is not None and self.has_liked(viewer, post),
            "id": post.id,
            "user": short(post.owner),
        }
        if post.type == "video":
            doc["videos"] = {
                "low_resolution": {"url": f"{base}_102.mp4", "width": 480, "height": 480},
                "standard_resolution": {"url": f"{base}_101.mp4", "width": 640, "height": 640},
                "low_bandwidth": {"url": f"{base}_102.mp4", "width": 480, "height": 480},
            }
        if distance is not None:
            doc["distance"] = round(distance, 3)
        return doc

    def comment_json(self, c: PostedComment) -> dict[str, object]:
        return {
            "created_time": str(c.created_time),
            "text": c.text,
            "from": self.graph.short_user(c.author),
            "id": str(c.id),
        }

    def by_shortcode(self, code: str) -> Post | None:
        """Media by shortcode: the shortcode encodes the pk; the owner is searched among the
        posted media, the big tag, and the user whose seeded pks cover it."""
        pk = 0
        for ch in code:
            i = _B62_INDEX.get(ch)
            if i is None:
                return None
            pk = pk * 64 + i
        if BIG_PK_BASE <= pk < BIG_PK_BASE + self.big_tag_media:
            return self.big_post(pk - BIG_PK_BASE)
        posted = self._by_pk.get(pk)
        if posted is not None:
            return posted
        uid = (pk // 1_000_003) // 7919  # seeded pk = (uid * 7919 + n - i) * 1_000_003 + h
        for cand in (uid, uid - 1):
            if cand >= 1 and self.graph.exists(cand):
                for post in self.posts_of(cand):
                    if post.pk == pk:
                        return post
        return None


def _bare_point(point: tuple[float, float] | None) -> dict[str, object] | None:
    """A location without a place (api doc §3: "a bare point has id/name null")."""
    if point is None:
        return None
    return {"id": None, "name": None, "latitude": point[0], "longitude": point[1]}


_B62_INDEX: Final = {
    ch: i for i, ch in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_")
}

#: Index keys (created_time, pk) as one integer and back: the tag cursor's sequence number.
_PK_SPAN: Final = 10**22  # pks stay below (seeded ~1e19, posted by the hub ~1e21)


def _seq(key: tuple[int, int]) -> int:
    return key[0] * _PK_SPAN + key[1] % _PK_SPAN


def _unseq(seq: int) -> tuple[int, int]:
    return (seq // _PK_SPAN, seq % _PK_SPAN)
