"""The data models: frozen, slotted attrs classes, structured by the converter in ``_converter``.

Forward compatibility rules (api doc section 3):
* unknown keys are ignored: the server may add a field any day;
* every field the API does not always send is optional and None when absent;
* ids and cursors are strings (early captures had integers: they are turned into strings);
* an unknown enum value is kept as an extra member whose ``value`` is the raw string,
  never a crash (``OutgoingStatus("muted").value == "muted"``).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import attrs

__all__ = [
    "IncomingStatus",
    "OpenEnum",
    "OutgoingStatus",
    "Page",
    "RateLimit",
    "Relationship",
    "RelationshipAction",
    "User",
    "UserCounts",
]

T = TypeVar("T")


class OpenEnum(str, enum.Enum):
    """A string enum that keeps values it does not know.

    ``Cls("new-value")`` returns a pseudo-member named ``UNKNOWN`` whose ``value`` is the raw
    string; it compares equal to that string and is not one of the declared members.
    """

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        pseudo = str.__new__(cls, value)
        pseudo._name_ = "UNKNOWN"
        pseudo._value_ = value
        return pseudo

    @property
    def is_known(self) -> bool:
        """False for a value the library does not know (kept as sent)."""
        return self._name_ != "UNKNOWN"

    def __str__(self) -> str:
        return str(self.value)


class OutgoingStatus(OpenEnum):
    """Your relationship to the target user (api doc section 3, Relationship object)."""

    FOLLOWS = "follows"
    REQUESTED = "requested"
    NONE = "none"


class IncomingStatus(OpenEnum):
    """The target user's relationship to you."""

    FOLLOWED_BY = "followed_by"
    REQUESTED_BY = "requested_by"
    BLOCKED_BY_YOU = "blocked_by_you"
    NONE = "none"


class RelationshipAction(OpenEnum):
    """What ``POST /users/{id}/relationship`` can do. ``deny`` is the official clients' name for
    ``ignore``: both are sent as given (api doc section 3, Actions)."""

    FOLLOW = "follow"
    UNFOLLOW = "unfollow"
    BLOCK = "block"
    UNBLOCK = "unblock"
    APPROVE = "approve"
    IGNORE = "ignore"
    DENY = "deny"


@attrs.frozen(slots=True)
class UserCounts:
    """``counts`` of a full user object (only ``GET /users/{id}`` carries it).

    Attributes:
        media: How many media the user posted.
        follows: How many users the user follows.
        followed_by: How many users follow the user.
    """

    media: int | None = None
    follows: int | None = None
    followed_by: int | None = None


# weakref_slot=False: list pages build Users through a layout twin (``_twins``), which
# CPython allows only without a __weakref__ slot. Users are values: nobody weak-references one.
@attrs.frozen(slots=True, weakref_slot=False)
class User:
    """A user, short (lists) or full (``GET /users/{id}``): every field but ``id`` and
    ``username`` may be absent.

    Attributes:
        id: The user id (always a string, even where early captures sent an integer).
        username: The user name.
        full_name: The display name.
        profile_picture: URL of the profile picture.
        bio: The profile text (full users only).
        website: The profile's link (full users only).
        first_name: Early captures' name parts, instead of ``full_name``.
        last_name: Early captures' name parts, instead of ``full_name``.
        counts: Media, follows and followers counts (full users only).
        type: The object type, when the answer names it (``"user"``).
    """

    id: str
    username: str
    full_name: str | None = None
    profile_picture: str | None = None
    bio: str | None = None
    website: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    counts: UserCounts | None = None
    type: str | None = None


@attrs.frozen(slots=True, weakref_slot=False)  # built through a layout twin, like User
class Relationship:
    """The relationship between the token's user and a target user.

    A ``POST`` answer often carries only ``outgoing_status``: the other fields are then None.

    Attributes:
        outgoing_status: Your relationship to them (``follows``, ``requested``, ``none``; an
            unknown value is kept).
        incoming_status: Theirs to you (``followed_by``, ``requested_by``,
            ``blocked_by_you``, ``none``).
        target_user_is_private: Whether their account is private.
    """

    outgoing_status: OutgoingStatus | None = None
    incoming_status: IncomingStatus | None = None
    target_user_is_private: bool | None = None

    @property
    def following(self) -> bool:
        """You follow them."""
        return self.outgoing_status == OutgoingStatus.FOLLOWS

    @property
    def followed_by(self) -> bool:
        """They follow you."""
        return self.incoming_status == IncomingStatus.FOLLOWED_BY


@attrs.frozen(slots=True)
class Page(Generic[T]):
    """One page of a paginated list.

    Attributes:
        items: The page's items (only those not yet yielded, when a walk stopped part-way).
        cursor: The cursor that fetched this page (None for the first page): resuming from it
            fetches this page again.
        next_cursor: The cursor of the next page; None on the last page.
        next_url: The server's URL of the next page (not in the repr: it embeds the token).
    """

    items: Sequence[T]
    cursor: str | None = None
    next_cursor: str | None = None
    next_url: str | None = attrs.field(default=None, repr=False)  # embeds the access token

    @property
    def has_next(self) -> bool:
        """True unless this is the last page."""
        return self.next_cursor is not None or self.next_url is not None

    def __len__(self) -> int:
        return len(self.items)


@attrs.frozen(slots=True)
class RateLimit:
    """The latest rate-limit budget the server reported (``X-Ratelimit-*`` headers).

    Attributes:
        limit: Calls allowed per window (``X-Ratelimit-Limit``).
        remaining: Calls left in the window (``X-Ratelimit-Remaining``).
        observed_at: When the answer carrying them arrived (an aware UTC datetime).
    """

    limit: int
    remaining: int
    observed_at: dt.datetime

    @property
    def used(self) -> int:
        """Calls spent in the window: ``limit - remaining``."""
        return self.limit - self.remaining
