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
    """One image rendition (``images.low_resolution`` ...).

    Attributes:
        url: The image's URL.
        width: Its width in pixels.
        height: Its height in pixels.
    """

    url: str
    width: int | None = None
    height: int | None = None


@attrs.frozen(slots=True, weakref_slot=False)
class Video:
    """One video rendition (``videos.standard_resolution`` ...).

    Attributes:
        url: The video's URL.
        width: Its width in pixels.
        height: Its height in pixels.
        id: The rendition's id, when the answer has one.
    """

    url: str
    width: int | None = None
    height: int | None = None
    id: str | None = None


@attrs.frozen(slots=True, weakref_slot=False)
class Images:
    """``images``: 150 px thumbnail, 306/320 px low and 612/640 px standard resolution.

    Attributes:
        low_resolution: The 306/320 px rendition.
        thumbnail: The 150 px rendition.
        standard_resolution: The 612/640 px rendition.
    """

    low_resolution: Image | None = None
    thumbnail: Image | None = None
    standard_resolution: Image | None = None


@attrs.frozen(slots=True, weakref_slot=False)
class Videos:
    """``videos`` (video media only).

    Attributes:
        low_resolution: The low-resolution rendition.
        standard_resolution: The standard-resolution rendition.
        low_bandwidth: The low-bandwidth rendition (later answers only).
    """

    low_resolution: Video | None = None
    standard_resolution: Video | None = None
    low_bandwidth: Video | None = None


@attrs.frozen(slots=True, weakref_slot=False)
class Comment:
    """A comment, or a media's caption (api doc section 3 "Comment object").

    Attributes:
        id: The comment's id.
        text: Its text.
        created_time: When it was written (an aware UTC datetime).
        from_user: Its author (the JSON key ``from``).
    """

    id: str
    text: str | None = None
    created_time: dt.datetime | None = None
    from_user: User | None = None


@attrs.frozen(slots=True, weakref_slot=False)
class MediaComments:
    """``comments`` of a media.

    Attributes:
        count: The total number of comments.
        data: An inline sample of comments (None when absent).
    """

    count: int | None = None
    data: tuple[Comment, ...] | None = None


@attrs.frozen(slots=True, weakref_slot=False)
class MediaLikes:
    """``likes`` of a media.

    Attributes:
        count: The total number of likes.
        data: An inline sample of likers (None when absent).
    """

    count: int | None = None
    data: tuple[User, ...] | None = None


@attrs.frozen(slots=True, weakref_slot=False)
class Position:
    """Where a tagged user is in the picture: ``x`` and ``y`` in [0, 1] from the top left."""

    x: float
    y: float


@attrs.frozen(slots=True, weakref_slot=False)
class UserInPhoto:
    """One entry of ``users_in_photo``.

    Attributes:
        user: The tagged user.
        position: Where they are in the picture.
    """

    user: User
    position: Position | None = None


@attrs.frozen(slots=True, weakref_slot=False)
class Location:
    """A place (api doc section 3): a bare point has ``id`` and ``name`` None.

    Attributes:
        id: The location id (integers in answers become strings).
        name: The place's name.
        latitude: Its latitude in degrees.
        longitude: Its longitude in degrees.
        street_address: Its street address, when known.
    """

    id: str | None = None
    name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    street_address: str | None = None


@attrs.frozen(slots=True, weakref_slot=False)
class Tag:
    """A hashtag.

    Attributes:
        name: The tag, without its ``#``.
        media_count: How many media carry it.
    """

    name: str
    media_count: int | None = None


@attrs.frozen(slots=True, weakref_slot=False)
class CarouselItem:
    """One item of ``carousel_media`` (2017 era).

    Attributes:
        type: ``image`` or ``video``.
        images: The item's image renditions.
        videos: The item's video renditions (videos only).
        users_in_photo: The users tagged in the item.
        id: The item's id, when the answer has one.
    """

    type: MediaType | None = None
    images: Images | None = None
    videos: Videos | None = None
    users_in_photo: tuple[UserInPhoto, ...] | None = None
    id: str | None = None


@attrs.frozen(slots=True, weakref_slot=False)
class Media:
    """A photo, video or carousel (api doc section 3 "Media object").

    Attributes:
        id: ``"<media pk>_<owner id>"`` in production.
        type: ``image``, ``video`` or ``carousel`` (other values are kept).
        created_time: When it was posted (an aware UTC datetime).
        link: Its page, ``http://instagram.com/p/<shortcode>/``.
        filter: The filter's name.
        tags: Its hashtags, without ``#``.
        user: The owner.
        caption: The caption, as a comment.
        images: The image renditions.
        videos: The video renditions (videos only).
        likes: The like count and a sample of likers.
        comments: The comment count and a sample of comments.
        users_in_photo: The users tagged in it.
        location: Where it was taken.
        user_has_liked: Whether the token's user liked it (only with a user token).
        attribution: The app it was posted from, as sent.
        carousel_media: The items of a carousel.
        distance: Metres from the searched point (only on ``/media/search`` results).
    """

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
        """``likes.count``, or None."""
        return None if self.likes is None else self.likes.count

    @property
    def comment_count(self) -> int | None:
        """``comments.count``, or None."""
        return None if self.comments is None else self.comments.count
