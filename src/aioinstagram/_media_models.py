"""Models of the media endpoints: Media, Comment, Tag, Location and their parts.

Frozen, slotted attrs classes structured by ``_converter`` with the rules of ``_models``
(unknown keys ignored, every field the API does not always send is optional, ids are strings,
unknown enum values kept). Shapes follow api doc section 3 ("Media object", "Comment object",
"Tag object", "Location object") and every capture in ``tests/fixtures/instagram-v1``:

* ``created_time`` (media, caption, comment) is a string of Unix seconds: an aware UTC datetime;
* ``comments`` and ``likes`` are ``{"count", "data"}`` where ``data`` is an inline *sample*
  (a subset; dropped for apps created after 2015-11-17): :class:`MediaComments` /
  :class:`MediaLikes` keep both, and ``data`` is None when the key was absent;
* a comment's author is the JSON key ``from`` (a Python keyword): :attr:`Comment.from_user`;
* ``location`` may be a bare point (id and name null) and its id may be an integer;
* ``videos`` only on ``type == "video"``; ``carousel_media`` only on carousels (2017 era);
  ``distance`` only on ``/media/search`` results; ``attribution`` is kept as sent (a dict).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from ._models import OpenEnum, User

__all__ = [
    "CarouselItem",
    "Comment",
    "Image",
    "Images",
    "Location",
    "Media",
    "MediaComments",
    "MediaLikes",
    "MediaType",
    "Position",
    "Tag",
    "UserInPhoto",
    "Video",
    "Videos",
]


class MediaType(OpenEnum):
    """``Media.type``: ``carousel`` appeared in 2017 (api doc section 3); other values are kept."""

    IMAGE = "image"
    VIDEO = "video"
    CAROUSEL = "carousel"


@attrs.frozen(slots=True, weakref_slot=False)
class Image:
    """One image rendition (``images.low_resolution`` ...): a URL and its size in pixels."""

    url: str
    width: int | None = None
    height: int | None = None


@attrs.frozen(slots=True, weakref_slot=False)
class Video:
    """One video rendition (``videos.standard_resolution`` ...)."""

    url: str
    width: int | None = None
    height: int | None = None
    id: str | None = None


@attrs.frozen(slots=True, weakref_slot=False)
class Images:
    """``images``: 150 px thumbnail, 306/320 px low and 612/640 px standard resolution."""

    low_resolution: Image | None = None
    thumbnail: Image | None = None
    standard_resolution: Image | None = None


@attrs.frozen(slots=True, weakref_slot=False)
class Videos:
    """``videos`` (video media only); ``low_bandwidth`` came later."""

    low_resolution: Video | None = None
    standard_resolution: Video | None = None
    low_bandwidth: Video | None = None


@attrs.frozen(slots=True, weakref_slot=False)
class Comment:
    """A comment, or a media's caption (api doc section 3 "Comment object").

    ``from_user`` is the JSON key ``from``."""

    id: str
    text: str | None = None
    created_time: dt.datetime | None = None
    from_user: User | None = None


@attrs.frozen(slots=True, weakref_slot=False)
class MediaComments:
    """``comments``: the total ``count`` and an inline sample (``data``, None when absent)."""

    count: int | None = None
    data: tuple[Comment, ...] | None = None


@attrs.frozen(slots=True, weakref_slot=False)
class MediaLikes:
    """``likes``: the total ``count`` and an inline sample of likers (None when absent)."""

    count: int | None = None
    data: tuple[User, ...] | None = None


@attrs.frozen(slots=True, weakref_slot=False)
class Position:
    """Where a tagged user is in the picture: ``x`` and ``y`` in [0, 1] from the top left."""

    x: float
    y: float


@attrs.frozen(slots=True, weakref_slot=False)
class UserInPhoto:
    """One entry of ``users_in_photo``."""

    user: User
    position: Position | None = None


@attrs.frozen(slots=True, weakref_slot=False)
class Location:
    """A place (api doc section 3): a bare point has ``id`` and ``name`` None; ids may arrive
    as integers and become strings."""

    id: str | None = None
    name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    street_address: str | None = None


@attrs.frozen(slots=True, weakref_slot=False)
class Tag:
    """A hashtag without its ``#``, with the number of media carrying it."""

    name: str
    media_count: int | None = None


@attrs.frozen(slots=True, weakref_slot=False)
class CarouselItem:
    """One item of ``carousel_media`` (2017 era)."""

    type: MediaType | None = None
    images: Images | None = None
    videos: Videos | None = None
    users_in_photo: tuple[UserInPhoto, ...] | None = None
    id: str | None = None


@attrs.frozen(slots=True, weakref_slot=False)
class Media:
    """A photo, video or carousel (api doc section 3 "Media object").

    ``id`` is ``"<media pk>_<owner id>"`` in production. ``user_has_liked`` only comes with a
    user token; ``distance`` (metres) only on ``/media/search`` results."""

    id: str
    type: MediaType | None = None
    created_time: dt.datetime | None = None
    link: str | None = None
    filter: str | None = None
    tags: tuple[str, ...] | None = None
    user: User | None = None
    caption: Comment | None = None
    images: Images | None = None
    videos: Videos | None = None
    likes: MediaLikes | None = None
    comments: MediaComments | None = None
    users_in_photo: tuple[UserInPhoto, ...] | None = None
    location: Location | None = None
    user_has_liked: bool | None = None
    attribution: Mapping[str, Any] | None = None
    carousel_media: tuple[CarouselItem, ...] | None = None
    distance: float | None = None

    @property
    def shortcode(self) -> str | None:
        """The last path segment of ``link`` (``http://instagram.com/p/D/`` -> ``D``)."""
        if not self.link:
            return None
        segment = self.link.rstrip("/").rsplit("/", 1)[-1]
        return segment or None

    @property
    def owner_id(self) -> str | None:
        """The owner's user id: ``user.id``, else the part after ``_`` in a production id."""
        if self.user is not None:
            return self.user.id
        _, sep, owner = self.id.partition("_")
        return owner if sep and owner else None

    @property
    def like_count(self) -> int | None:
        return None if self.likes is None else self.likes.count

    @property
    def comment_count(self) -> int | None:
        return None if self.comments is None else self.comments.count
