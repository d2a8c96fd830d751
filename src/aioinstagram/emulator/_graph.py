"""The emulator's data: a seeded, reproducible social graph (pure Python, no web framework).

Theory of operation
-------------------
Everything is a function of ``(users, seed, celebrity_followers)``: two emulators built with the
same numbers hold the same graph, byte for byte, until a relationship POST changes it.

Users (api doc §3 "User objects"):

* Ordinary users have ids ``1..users``. Their profile (username, full_name, profile_picture, bio,
  website, private flag) is never stored: it is computed from ``(seed, id)`` by a 64-bit mixing
  function, so a profile costs nothing until it is read. About ``private_fraction`` of them are
  private (api doc §9.9).
* The celebrity (``celebrity_followers > 0``) has id ``users + 1``, is public, and is followed by
  an *audience* of ``celebrity_followers`` synthetic accounts with ids
  ``AUDIENCE_BASE .. AUDIENCE_BASE + celebrity_followers - 1``. The audience is not stored as
  edges: audience member ``k`` follows the celebrity with the implicit edge sequence number
  ``k + 1`` unless ``k`` is in the ``_audience_removed`` overlay (they unfollowed, were blocked,
  ...). So a 100,000+ follower list costs one integer and a (usually empty) set. Audience members
  are real users: they can authenticate, follow, be followed, and are visible in every read.

Edges: every follow edge and every pending follow request carries a sequence number from one
monotonically increasing counter (the audience takes ``1..celebrity_followers``; the seeded edges
and later writes take the numbers after it). A user's lists are kept as parallel arrays sorted
by sequence number, so:

* lists are newest-relationship-first (highest sequence number first; api doc §2 "Ordering");
* a page is a binary search plus a slice: O(log n + page), whatever the list size;
* the cursor (:func:`encode_cursor`) is the sequence number of the last edge returned plus a
  4-digit check, so it is position independent: edges added during a walk get higher numbers
  and are not returned again, removed edges just vanish, and no remaining edge is ever skipped
  or duplicated (api doc §9 "Cursor stability"). A cursor for another list, user or a
  tampered one fails the check (api doc §9 "Invalid or tampered cursor").

Relationship transitions (api doc §3 "Transitions the emulator should implement") are in
:meth:`Graph.apply_action`, as a table of small methods, and raise :class:`ActionError` when an
action does not apply (approve/ignore without a pending request, ...).

Media and comments (api doc §3 "Media", "Comments") are generated on demand per user, from
``(seed, user id)``, for the media endpoints to come; nothing is stored until they change.
"""

from __future__ import annotations

import random
import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

__all__ = [
    "AUDIENCE_BASE",
    "ActionError",
    "Comment",
    "EdgeList",
    "Graph",
    "ListKind",
    "Media",
    "Relationship",
    "decode_cursor",
    "encode_cursor",
]

_MASK: Final = (1 << 64) - 1

#: First id of the celebrity's synthetic audience (far above any ordinary id).
AUDIENCE_BASE: Final = 1_000_000_000

#: Sequence number "after every edge": where a walk without a cursor starts.
_TOP: Final = sys.maxsize


def _splitmix(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def _mix(seed: int, *values: int) -> int:
    h = _splitmix(seed & _MASK)
    for v in values:
        h = _splitmix(h ^ (v & _MASK))
    return h


# --------------------------------------------------------------------------------------------
# Profiles

_FIRST: Final = (
    "Ada", "Alan", "Alex", "Amara", "Ana", "Ari", "Ben", "Bo", "Cai", "Carla", "Chen", "Dana",
    "Dev", "Elif", "Ella", "Emil", "Eva", "Femi", "Gus", "Hana", "Ines", "Ivan", "Jae", "Jon",
    "Kai", "Kemal", "Lea", "Lin", "Luca", "Maya", "Mia", "Nadia", "Nils", "Noor", "Olga", "Omar",
    "Pia", "Raj", "Rosa", "Sam", "Sara", "Tariq", "Tess", "Uma", "Vera", "Wei", "Yara", "Zoe",
)  # fmt: skip
_LAST: Final = (
    "Abbott", "Bauer", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito",
    "Jensen", "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Petrov", "Quinn", "Rossi",
    "Silva", "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Yilmaz", "Zhang",
)  # fmt: skip
_BIOS: Final = (
    "", "", "", "coffee first", "photos of my cat", "travel | food | light",
    "amateur photographer", "runner, reader", "making things", "city walks and sunsets",
    "film is not dead", "plants and pixels",
)  # fmt: skip
_WORDS: Final = (
    "sunset", "coffee", "cat", "dog", "beach", "city", "food", "travel", "nofilter", "art",
    "friends", "summer", "snow", "street", "night", "flowers", "mountains", "selfie",
)  # fmt: skip
_FILTERS: Final = ("Normal", "Earlybird", "Valencia", "X-Pro II", "Lo-fi", "Amaro", "Rise")

#: Pictures live on a reserved domain: the emulator never points at real hosts.
PICTURE_HOST: Final = "https://images.emulator.invalid"

_EPOCH: Final = 1_300_000_000  # March 2011: media and comment timestamps start here
_SPAN: Final = 150_000_000  # about 4.75 years


@dataclass(frozen=True, slots=True)
class Media:
    """One media item (api doc §3 "Media object"); ``id`` is ``<pk>_<owner id>``."""

    id: str
    owner: int
    created_time: int
    type: str
    shortcode: str
    filter: str
    tags: tuple[str, ...]
    caption: str
    like_count: int
    comment_count: int


@dataclass(frozen=True, slots=True)
class Comment:
    """One comment (api doc §3 "Comment object")."""

    id: str
    media_id: str
    created_time: int
    text: str
    author: int


@dataclass(frozen=True, slots=True)
class Relationship:
    """Both sides of a relationship as the viewer sees it (api doc §3 "Relationship object")."""

    outgoing_status: str
    incoming_status: str
    target_user_is_private: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "outgoing_status": self.outgoing_status,
            "incoming_status": self.incoming_status,
            "target_user_is_private": self.target_user_is_private,
        }


class ActionError(Exception):
    """A relationship action that does not apply; ``error_type`` names the API error."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


# --------------------------------------------------------------------------------------------
# Edge lists and cursors


class EdgeList:
    """A user's list of edges (follows, followers or pending requests), oldest first.

    ``seqs`` and ``ids`` are parallel arrays sorted by sequence number. ``members`` (for lists
    that need membership tests) maps an id to its sequence number.
    """

    __slots__ = ("ids", "members", "seqs")

    def __init__(self, indexed: bool) -> None:
        self.seqs = array("q")
        self.ids = array("q")
        self.members: dict[int, int] | None = {} if indexed else None

    def __len__(self) -> int:
        return len(self.seqs)

    def append(self, seq: int, uid: int) -> None:
        """Add an edge newer than every edge in the list."""
        self.seqs.append(seq)
        self.ids.append(uid)
        if self.members is not None:
            self.members[uid] = seq

    def remove(self, seq: int) -> None:
        i = bisect_left(self.seqs, seq)
        if i < len(self.seqs) and self.seqs[i] == seq:
            if self.members is not None:
                self.members.pop(self.ids[i], None)
            del self.seqs[i]
            del self.ids[i]

    def before(self, cursor: int, count: int) -> list[tuple[int, int]]:
        """Up to ``count`` (seq, id) pairs with seq < cursor, newest first."""
        i = bisect_left(self.seqs, cursor)
        lo = max(0, i - count)
        seqs, ids = self.seqs, self.ids
        return [(seqs[j], ids[j]) for j in range(i - 1, lo - 1, -1)]


class ListKind:
    """Which list a cursor belongs to (part of its check digits)."""

    FOLLOWS: Final = 1
    FOLLOWED_BY: Final = 2
    REQUESTED_BY: Final = 3


def encode_cursor(seed: int, kind: int, owner: int, seq: int) -> str:
    """An opaque, numeric-looking cursor: the edge's sequence number and a 4-digit check."""
    return f"{seq}{_mix(seed, 0xC0, kind, owner, seq) % 10_000:04d}"


def decode_cursor(seed: int, kind: int, owner: int, cursor: str) -> int | None:
    """The sequence number in ``cursor``, or None if it is not one of ours for this list."""
    if not (5 <= len(cursor) <= 24 and cursor.isascii() and cursor.isdigit()):
        return None
    if cursor[0] == "0":
        return None
    seq = int(cursor[:-4])
    if encode_cursor(seed, kind, owner, seq) != cursor:
        return None
    return seq


# --------------------------------------------------------------------------------------------
# The graph


class Graph:
    """The social graph: profiles, follow edges, requests, blocks; media on demand.

    Public ids are strings in the API (api doc §9.1); the graph works with ints.
    """

    def __init__(
        self,
        users: int,
        seed: int,
        *,
        celebrity_followers: int = 0,
        private_fraction: float = 0.12,
    ) -> None:
        if users < 10:
            raise ValueError("the emulator needs at least 10 users")
        if celebrity_followers < 0:
            raise ValueError("celebrity_followers must be >= 0")
        self.users = users
        self.seed = seed
        self.audience_size = celebrity_followers
        self.celebrity_id: int | None = users + 1 if celebrity_followers else None
        self._private_cut = int(private_fraction * 10_000)
        self._privacy_override: dict[int, bool] = {}
        self._follows: dict[int, EdgeList] = {}
        self._followers: dict[int, EdgeList] = {}
        self._requests: dict[int, EdgeList] = {}  # target -> pending requesters
        self._blocks: dict[int, set[int]] = {}  # blocker -> blocked
        self._audience_removed: set[int] = set()
        self._next_seq = celebrity_followers + 1
        self._short_cache: dict[int, dict[str, str]] = {}
        self._search_index: list[tuple[str, int]] | None = None
        self.demo_user_id = 1
        self._seed_graph()

    # -- identity and profiles --------------------------------------------------------------

    def exists(self, uid: int) -> bool:
        if 1 <= uid <= self.users:
            return True
        if uid == self.celebrity_id:
            return True
        return AUDIENCE_BASE <= uid < AUDIENCE_BASE + self.audience_size

    def is_audience(self, uid: int) -> bool:
        return AUDIENCE_BASE <= uid < AUDIENCE_BASE + self.audience_size

    def is_private(self, uid: int) -> bool:
        override = self._privacy_override.get(uid)
        if override is not None:
            return override
        return _mix(self.seed, 0x9B, uid) % 10_000 < self._private_cut

    def _profile_bits(self, uid: int) -> int:
        return _mix(self.seed, 0x9A, uid)

    def username(self, uid: int) -> str:
        h = self._profile_bits(uid)
        first = _FIRST[h % len(_FIRST)].lower()
        last = _LAST[(h >> 8) % len(_LAST)].lower()
        sep = ("", ".", "_")[(h >> 16) % 3]
        return f"{first}{sep}{last}{uid}"

    def short_user(self, uid: int) -> dict[str, str]:
        """The list-item user (api doc §3 "Short user"). The dict is cached: do not mutate."""
        cached = self._short_cache.get(uid)
        if cached is not None:
            return cached
        h = self._profile_bits(uid)
        first = _FIRST[h % len(_FIRST)]
        last = _LAST[(h >> 8) % len(_LAST)]
        sep = ("", ".", "_")[(h >> 16) % 3]
        username = f"{first.lower()}{sep}{last.lower()}{uid}"
        full_name = "" if (h >> 20) % 20 == 0 else f"{first} {last}"
        if (h >> 26) % 8 == 0:
            picture = f"{PICTURE_HOST}/profiles/anonymousUser.jpg"
        else:
            stamp = _EPOCH + (h >> 30) % _SPAN
            picture = f"{PICTURE_HOST}/profiles/profile_{uid}_75sq_{stamp}.jpg"
        user = {
            "id": str(uid),
            "username": username,
            "profile_picture": picture,
            "full_name": full_name,
        }
        if len(self._short_cache) >= 200_000:
            self._short_cache.clear()
        self._short_cache[uid] = user
        return user

    def full_user(self, uid: int) -> dict[str, object]:
        """``GET /users/{id}`` data (api doc §3 "Full user"): short user, bio, website, counts."""
        short = self.short_user(uid)
        h = _mix(self.seed, 0x9C, uid)
        bio = _BIOS[h % len(_BIOS)]
        website = f"https://{short['username']}.example.com" if (h >> 8) % 4 == 0 else ""
        return {
            "id": short["id"],
            "username": short["username"],
            "full_name": short["full_name"],
            "profile_picture": short["profile_picture"],
            "bio": bio,
            "website": website,
            "counts": {
                "media": self.media_count(uid),
                "follows": self.follows_count(uid),
                "followed_by": self.followers_count(uid),
            },
        }

    def search(self, query: str, count: int) -> list[int]:
        """Users whose username or full name contains ``query`` (case-insensitive), ordinary
        users and the celebrity only (the audience is not indexed)."""
        if self._search_index is None:
            ids = list(range(1, self.users + 1))
            if self.celebrity_id is not None:
                ids.append(self.celebrity_id)
            index = []
            for uid in ids:
                u = self.short_user(uid)
                index.append((f"{u['username']} {u['full_name'].lower()}", uid))
            self._search_index = index
        q = query.lower()
        # Exact username first, as the real search ranked it [unverified]; then by id.
        exact = [uid for text, uid in self._search_index if text.split(" ", 1)[0] == q]
        hits = exact[:count]
        for text, uid in self._search_index:
            if len(hits) >= count:
                break
            if q in text and uid not in exact:
                hits.append(uid)
        return hits

    # -- counts ------------------------------------------------------------------------------

    def followers_count(self, uid: int) -> int:
        n = len(self._followers.get(uid, ()))
        if uid == self.celebrity_id:
            n += self.audience_size - len(self._audience_removed)
        return n

    def follows_count(self, uid: int) -> int:
        n = len(self._follows.get(uid, ()))
        if self.is_audience(uid) and uid not in self._audience_removed:
            n += 1
        return n

    # -- relationships -------------------------------------------------------------------------

    def follows(self, a: int, b: int) -> bool:
        """Does ``a`` follow ``b``?"""
        if b == self.celebrity_id and self.is_audience(a) and a not in self._audience_removed:
            return True
        lst = self._follows.get(a)
        return lst is not None and lst.members is not None and b in lst.members

    def has_requested(self, a: int, b: int) -> bool:
        """Has ``a`` a pending request to follow ``b``?"""
        lst = self._requests.get(b)
        return lst is not None and lst.members is not None and a in lst.members

    def has_blocked(self, a: int, b: int) -> bool:
        blocked = self._blocks.get(a)
        return blocked is not None and b in blocked

    def relationship(self, viewer: int, target: int) -> Relationship:
        """The viewer's view of the target (api doc §3 "Relationship object")."""
        if self.follows(viewer, target):
            outgoing = "follows"
        elif self.has_requested(viewer, target):
            outgoing = "requested"
        else:
            outgoing = "none"
        if self.has_blocked(viewer, target):
            incoming = "blocked_by_you"
        elif self.follows(target, viewer):
            incoming = "followed_by"
        elif self.has_requested(target, viewer):
            incoming = "requested_by"
        else:
            incoming = "none"
        return Relationship(outgoing, incoming, self.is_private(target))

    def can_view_lists(self, viewer: int, target: int) -> bool:
        """Private-user rule (api doc §9.9): a private user's lists and media are visible only to
        the user and their followers; a user who blocked the viewer hides them too."""
        if viewer == target:
            return True
        if self.has_blocked(target, viewer):
            return False
        return not self.is_private(target) or self.follows(viewer, target)

    # -- lists ---------------------------------------------------------------------------------

    def follows_page(self, uid: int, before: int | None, count: int) -> list[tuple[int, int]]:
        cursor = _TOP if before is None else before
        lst = self._follows.get(uid)
        page = lst.before(cursor, count) if lst is not None else []
        if len(page) < count and self.is_audience(uid) and uid not in self._audience_removed:
            implicit_seq = uid - AUDIENCE_BASE + 1
            if implicit_seq < cursor:
                assert self.celebrity_id is not None
                page.append((implicit_seq, self.celebrity_id))
        return page

    def followers_page(self, uid: int, before: int | None, count: int) -> list[tuple[int, int]]:
        cursor = _TOP if before is None else before
        lst = self._followers.get(uid)
        page = lst.before(cursor, count) if lst is not None else []
        if len(page) < count and uid == self.celebrity_id:
            # The implicit audience: edge seq k+1 for member AUDIENCE_BASE+k, skipping removed.
            seq = min(cursor - 1, self.audience_size)
            removed = self._audience_removed
            while seq >= 1 and len(page) < count:
                member = AUDIENCE_BASE + seq - 1
                if member not in removed:
                    page.append((seq, member))
                seq -= 1
        return page

    def requests_page(self, uid: int, before: int | None, count: int) -> list[tuple[int, int]]:
        lst = self._requests.get(uid)
        if lst is None:
            return []
        return lst.before(_TOP if before is None else before, count)

    def requests_count(self, uid: int) -> int:
        return len(self._requests.get(uid, ()))

    def blocked_by(self, uid: int) -> frozenset[int]:
        return frozenset(self._blocks.get(uid, ()))

    # -- mutations -----------------------------------------------------------------------------

    def _seq(self) -> int:
        seq = self._next_seq
        self._next_seq += 1
        return seq

    def _edge_lists(self, a: int, b: int) -> tuple[EdgeList, EdgeList]:
        out = self._follows.get(a)
        if out is None:
            out = self._follows[a] = EdgeList(indexed=True)
        inc = self._followers.get(b)
        if inc is None:
            inc = self._followers[b] = EdgeList(indexed=False)
        return out, inc

    def add_follow(self, a: int, b: int) -> None:
        """Make ``a`` follow ``b`` (a new, newest edge); no-op if it already does."""
        if self.follows(a, b):
            return
        out, inc = self._edge_lists(a, b)
        seq = self._seq()
        out.append(seq, b)
        inc.append(seq, a)

    def remove_follow(self, a: int, b: int) -> bool:
        """Remove ``a`` follows ``b``; True if there was such an edge."""
        if b == self.celebrity_id and self.is_audience(a) and a not in self._audience_removed:
            self._audience_removed.add(a)
            return True
        out = self._follows.get(a)
        if out is None or out.members is None:
            return False
        seq = out.members.get(b)
        if seq is None:
            return False
        out.remove(seq)
        self._followers[b].remove(seq)
        return True

    def add_request(self, a: int, b: int) -> None:
        """``a`` asks to follow ``b`` (private); no-op if already pending."""
        if self.has_requested(a, b):
            return
        lst = self._requests.get(b)
        if lst is None:
            lst = self._requests[b] = EdgeList(indexed=True)
        lst.append(self._seq(), a)

    def remove_request(self, a: int, b: int) -> bool:
        lst = self._requests.get(b)
        if lst is None or lst.members is None or a not in lst.members:
            return False
        lst.remove(lst.members[a])
        return True

    def add_block(self, a: int, b: int) -> None:
        """``a`` blocks ``b``: every follow edge and pending request between them goes
        (api doc §3 "block" **[inference]**)."""
        self.remove_follow(a, b)
        self.remove_follow(b, a)
        self.remove_request(a, b)
        self.remove_request(b, a)
        self._blocks.setdefault(a, set()).add(b)

    def remove_block(self, a: int, b: int) -> None:
        blocked = self._blocks.get(a)
        if blocked is not None:
            blocked.discard(b)

    def apply_action(self, viewer: int, target: int, action: str) -> Relationship:
        """Apply a relationship POST ``action`` (api doc §3 "Transitions").

        ``ignore`` and ``deny`` are synonyms. Raises ActionError when it does not apply.
        """
        if viewer == target:
            raise ActionError(
                "APIInvalidParametersError", "you cannot change a relationship with yourself"
            )
        handler = _ACTIONS.get(action)
        if handler is None:
            raise ActionError(
                "APIInvalidParametersError",
                "please supply a valid action: follow, unfollow, block, unblock, approve, ignore",
            )
        handler(self, viewer, target)
        return self.relationship(viewer, target)

    def _follow(self, viewer: int, target: int) -> None:
        # follow: public -> follows; private -> requested; already followed -> stays follows.
        if self.has_blocked(target, viewer) or self.has_blocked(viewer, target):
            raise ActionError("APINotAllowedError", "you cannot follow this user")
        if self.follows(viewer, target):
            return
        if self.is_private(target):
            self.add_request(viewer, target)
        else:
            self.add_follow(viewer, target)

    def _unfollow(self, viewer: int, target: int) -> None:
        # unfollow: outgoing -> none, also cancelling a pending request.
        self.remove_follow(viewer, target)
        self.remove_request(viewer, target)

    def _block(self, viewer: int, target: int) -> None:
        self.add_block(viewer, target)

    def _unblock(self, viewer: int, target: int) -> None:
        self.remove_block(viewer, target)

    def _approve(self, viewer: int, target: int) -> None:
        # approve: the target's pending request to follow me becomes a follow edge.
        if not self.remove_request(target, viewer):
            raise ActionError(
                "APIInvalidParametersError", "this user has not requested to follow you"
            )
        self.add_follow(target, viewer)

    def _ignore(self, viewer: int, target: int) -> None:
        if not self.remove_request(target, viewer):
            raise ActionError(
                "APIInvalidParametersError", "this user has not requested to follow you"
            )

    # -- media (generated on demand; api doc §3 "Media", "Comments") -----------------------------

    def media_count(self, uid: int) -> int:
        h = _mix(self.seed, 0x3D, uid)
        # Heavy-tailed: most users post a little, a few post a lot.
        n = int(min(2_000, 3 / max(1e-6, (h % 10_000) / 10_000) ** 0.8)) - 3
        # The demo user always has media, so that a first ``recent_media("self")`` shows some.
        return max(n, 24) if uid == self.demo_user_id else n

    def media_of(self, uid: int) -> list[Media]:
        """A user's media, newest first."""
        n = self.media_count(uid)
        out = []
        h0 = _mix(self.seed, 0x3E, uid)
        created = _EPOCH + h0 % _SPAN  # the newest item; each older one is 1 h to 3.5 days older
        for i in range(n):
            h = _mix(self.seed, 0x3F, uid, i)
            pk = (uid * 7919 + (n - i)) * 1_000_003 + h % 1_000
            if i:
                created -= 3_600 + h % 300_000
            tags = tuple(_WORDS[(h >> (8 * j)) % len(_WORDS)] for j in range((h >> 40) % 4))
            out.append(
                Media(
                    id=f"{pk}_{uid}",
                    owner=uid,
                    created_time=created,
                    type="video" if (h >> 44) % 10 == 0 else "image",
                    shortcode=_shortcode(pk),
                    filter=_FILTERS[(h >> 48) % len(_FILTERS)],
                    tags=tags,
                    caption=" ".join("#" + t for t in tags),
                    like_count=int((h >> 20) % 500),
                    comment_count=int((h >> 32) % 12),
                )
            )
        return out

    def comments_of(self, media: Media) -> list[Comment]:
        """A media item's comments, oldest first; authors are ordinary users."""
        out = []
        for i in range(media.comment_count):
            h = _mix(self.seed, 0x4C, media.created_time, i)
            author = 1 + h % self.users
            out.append(
                Comment(
                    id=str(17_000_000_000 + (media.created_time % 10_000_000) * 100 + i),
                    media_id=media.id,
                    created_time=media.created_time + 60 * (i + 1) + h % 3_600,
                    text=_WORDS[(h >> 16) % len(_WORDS)] + ("!" if h & 1 else ""),
                    author=author,
                )
            )
        return out

    # -- seeding -------------------------------------------------------------------------------

    def _seed_graph(self) -> None:
        """Build the seeded edges, requests and blocks.

        Follower counts are Pareto-distributed (shape 1.1, scale 2, capped at the population):
        most users have a handful of followers, a few have thousands; the celebrity's audience
        adds the 100,000+ case (api doc issue text: "power-law follower counts").
        """
        rng = random.Random(self.seed)
        n = self.users
        population = range(1, n + 1)
        counts = [min(n - 1, int(2 * rng.paretovariate(1.1))) for _ in population]
        # Build all follow edges in one pass so each list is appended in sequence order.
        follows = self._follows
        followers = self._followers
        seq = self._next_seq
        for uid in population:
            follows[uid] = EdgeList(indexed=True)
            followers[uid] = EdgeList(indexed=False)
        for target in population:
            k = counts[target - 1]
            if not k:
                continue
            inc = followers[target]
            for src in rng.sample(population, k + 1):
                if src == target or len(inc) >= k:
                    continue
                follows[src].append(seq, target)
                inc.append(seq, src)
                seq += 1
        self._next_seq = seq

        if self.celebrity_id is not None:
            celeb = self.celebrity_id
            self._privacy_override[celeb] = False
            for fan in rng.sample(population, max(1, n // 10)):
                self.add_follow(fan, celeb)
            for idol in rng.sample(population, min(50, n // 2)):
                self.add_follow(celeb, idol)

        # The demo user: the ordinary user with the most followers among those followed by at
        # most a quarter of everyone (so there are strangers left to send requests), made
        # private, with pending requests and a few blocks (api doc §9.9, §9.11).
        demo = max(
            population, key=lambda u: (len(followers[u]) if len(followers[u]) <= n // 4 else -1, -u)
        )
        self.demo_user_id = demo
        self._privacy_override[demo] = True
        candidates = [u for u in rng.sample(population, min(n, 200)) if u != demo]
        strangers = [u for u in candidates if not self.follows(u, demo)]
        for u in strangers[:25]:
            self.add_request(u, demo)
        for u in strangers[25:30]:
            self.add_block(demo, u)
        if self.celebrity_id is not None:
            self.add_follow(demo, self.celebrity_id)
            self.add_request(AUDIENCE_BASE + 7 % self.audience_size, demo)

        # Other private users get a few pending requests, and a few users block someone.
        for _ in range(n // 20):
            target = rng.randrange(1, n + 1)
            src = rng.randrange(1, n + 1)
            if src == target or demo in (src, target):
                continue
            if self.is_private(target) and not self.follows(src, target):
                self.add_request(src, target)
            elif not self.is_private(target) and rng.random() < 0.2:
                self.add_block(target, src)

    def sample_user_ids(self, n: int) -> list[int]:
        """``n`` distinct existing user ids, deterministic: ordinary users first (shuffled by the
        seed), then audience members."""
        total = self.users + (1 if self.celebrity_id else 0) + self.audience_size
        if not 0 <= n <= total:
            raise ValueError(f"n must be between 0 and {total}")
        rng = random.Random(self.seed * 1_000_003 + 17)
        ordinary = min(n, self.users)
        out = rng.sample(range(1, self.users + 1), ordinary)
        rest = n - ordinary
        if rest and self.celebrity_id is not None:
            out.append(self.celebrity_id)
            rest -= 1
        out.extend(range(AUDIENCE_BASE, AUDIENCE_BASE + rest))
        return out

    def iter_user_ids(self) -> Iterator[int]:
        yield from range(1, self.users + 1)
        if self.celebrity_id is not None:
            yield self.celebrity_id
        yield from range(AUDIENCE_BASE, AUDIENCE_BASE + self.audience_size)


_ACTIONS: Final = {
    "follow": Graph._follow,
    "unfollow": Graph._unfollow,
    "block": Graph._block,
    "unblock": Graph._unblock,
    "approve": Graph._approve,
    "ignore": Graph._ignore,
    "deny": Graph._ignore,  # the Ruby gem's and Go client's name for ignore (api doc §3)
}

_B62: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"


def _shortcode(pk: int) -> str:
    out = []
    while pk:
        pk, r = divmod(pk, 64)
        out.append(_B62[r])
    return "".join(reversed(out)) or "A"
