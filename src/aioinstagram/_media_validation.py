"""Argument checks of the media endpoints: pure functions, run before any request is built.

Each raises :class:`InvalidArgumentError` (also a ValueError) saying what was wrong, so a bad
argument never costs a request nor a rate-limit unit. The rules come from api doc section 3:

* media ids are ``<pk>`` or ``<pk>_<owner id>`` (digits); comment, location and geography ids
  are digits (integers accepted);
* a tag name is letters, digits and underscores (a leading ``#`` is dropped);
* latitude in [-90, 90], longitude in [-180, 180], ``distance`` in (0, 5000] metres (default
  1000, max 5000: "Media", "Locations"); ``/media/search`` time windows may not span more than
  7 days;
* timestamps are Unix seconds (int) or aware datetimes;
* comments (rules since 19 Jul 2014, "Comments"): at most 300 characters, at most 4 hashtags,
  at most 1 URL, not all capital letters.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Final
from urllib.parse import urlsplit

from ._errors import InvalidArgumentError

__all__ = [
    "MAX_COMMENT_HASHTAGS",
    "MAX_COMMENT_LENGTH",
    "MAX_COMMENT_URLS",
    "MAX_DISTANCE",
    "MAX_SEARCH_SPAN",
    "validate_comment_id",
    "validate_comment_text",
    "validate_distance",
    "validate_latitude",
    "validate_longitude",
    "validate_media_id",
    "validate_numeric_id",
    "validate_place_id",
    "validate_shortcode",
    "validate_tag_name",
    "validate_time_window",
    "validate_timestamp",
]

MAX_COMMENT_LENGTH: Final = 300
MAX_COMMENT_HASHTAGS: Final = 4
MAX_COMMENT_URLS: Final = 1
#: Metres; both /media/search and /locations/search (api doc §3).
MAX_DISTANCE: Final = 5000
#: /media/search: "span may not exceed 7 days" (api doc §3 "Media").
MAX_SEARCH_SPAN: Final = 7 * 24 * 3600

_MEDIA_ID_RE: Final = re.compile(r"\A[0-9]{1,40}(?:_[0-9]{1,40})?\Z")
_DIGITS_RE: Final = re.compile(r"\A[0-9]{1,40}\Z")
_TAG_RE: Final = re.compile(r"\A\w{1,100}\Z")
_SHORTCODE_RE: Final = re.compile(r"\A[A-Za-z0-9_-]{1,64}\Z")
_PLACE_ID_RE: Final = re.compile(r"\A[A-Za-z0-9_.:-]{1,100}\Z")
_HASHTAG_RE: Final = re.compile(r"(?<![\w&])#\w+")
_URL_RE: Final = re.compile(
    r"(?i)\b(?:https?://|www\.)\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|me|ly|"
    r"info|biz|us|uk|de|fr|ru|br|jp|cn|in|it|es|nl|tv|gl|gd|app|xyz)(?:/\S*)?\b"
)


def validate_numeric_id(value: object, what: str) -> str:
    """An id made of digits (an int is accepted), as the string to put in a path."""
    if isinstance(value, bool):
        raise InvalidArgumentError(f"{what} must be digits, not {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise InvalidArgumentError(f"{what} must be digits, not {value!r}")
        return str(value)
    if isinstance(value, str) and _DIGITS_RE.match(value):
        return value
    raise InvalidArgumentError(f"{what} must be digits, not {value!r}")


def validate_media_id(media_id: object) -> str:
    """``<pk>_<owner id>`` (production) or ``<pk>`` (early captures); ints accepted."""
    if isinstance(media_id, int) and not isinstance(media_id, bool) and media_id >= 0:
        return str(media_id)
    if isinstance(media_id, str) and _MEDIA_ID_RE.match(media_id):
        return media_id
    raise InvalidArgumentError(
        f"media id must look like '<digits>_<digits>' or '<digits>', not {media_id!r}"
    )


def validate_comment_id(comment_id: object) -> str:
    return validate_numeric_id(comment_id, "comment id")


def validate_place_id(value: object, what: str) -> str:
    """A Facebook Places or Foursquare id (opaque; Foursquare v2 ids are hex strings)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str) and _PLACE_ID_RE.match(value):
        return value
    raise InvalidArgumentError(f"{what} must be a non-empty id, not {value!r}")


def validate_tag_name(name: object) -> str:
    """A tag name without ``#`` (one leading ``#`` is dropped): letters, digits, underscores."""
    if not isinstance(name, str):
        raise InvalidArgumentError(f"tag name must be a string, not {name!r}")
    bare = name[1:] if name.startswith("#") else name
    if not _TAG_RE.match(bare):
        raise InvalidArgumentError(
            f"tag name must be 1-100 letters, digits or underscores (no spaces), not {name!r}"
        )
    return bare


#: Hosts whose post URLs name a media (api doc §8), and the emulator's own media links.
_POST_HOSTS: Final = frozenset(
    {
        "instagram.com",
        "www.instagram.com",
        "instagr.am",
        "www.instagr.am",
        "instagram.emulator.invalid",  # the emulator's ``Media.link`` host
    }
)


def validate_shortcode(shortcode: object) -> str:
    """The shortcode of ``D``, ``os1NQjxtvF`` or a post URL (``https://instagram.com/p/D/``,
    ``instagr.am/p/D``, ``/tv/D``, the emulator's media links). InvalidArgumentError for
    anything else, another host included: the one rule of ``media.get_by_shortcode``,
    ``client.oembed`` and :func:`aioinstagram.shortcode_from_url`."""
    if not isinstance(shortcode, str) or not shortcode.strip():
        raise InvalidArgumentError(f"expected a shortcode or a post URL, not {shortcode!r}")
    text = shortcode.strip()
    if _SHORTCODE_RE.match(text):
        return text
    if "/" not in text:
        raise InvalidArgumentError(f"invalid shortcode {shortcode!r}")
    try:
        parts = urlsplit(text if "://" in text else "https://" + text)
        ok = parts.scheme in ("http", "https") and parts.port is None
        host = (parts.hostname or "").lower() if ok else ""
    except ValueError:  # an invalid port
        host = ""
    segments = [s for s in parts.path.split("/") if s] if host in _POST_HOSTS else []
    if len(segments) == 2 and segments[0] in ("p", "tv") and _SHORTCODE_RE.match(segments[1]):
        return segments[1]
    raise InvalidArgumentError(
        f"expected a shortcode or a post URL such as https://instagram.com/p/D/, not {shortcode!r}"
    )


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentError(f"{what} must be a number, not {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidArgumentError(f"{what} must be finite, not {value!r}")
    return number


def validate_latitude(lat: object) -> float:
    number = _number(lat, "lat")
    if not -90.0 <= number <= 90.0:
        raise InvalidArgumentError(f"lat must be in [-90, 90], not {lat!r}")
    return number


def validate_longitude(lng: object) -> float:
    number = _number(lng, "lng")
    if not -180.0 <= number <= 180.0:
        raise InvalidArgumentError(f"lng must be in [-180, 180], not {lng!r}")
    return number


def validate_distance(distance: object) -> int | float | None:
    """Metres in (0, 5000], or None for the server's default (1000)."""
    if distance is None:
        return None
    number = _number(distance, "distance")
    if not 0 < number <= MAX_DISTANCE:
        raise InvalidArgumentError(
            f"distance must be in (0, {MAX_DISTANCE}] metres, not {distance!r}"
        )
    return int(number) if number.is_integer() else number


def validate_timestamp(value: object, what: str) -> int | None:
    """Unix seconds (int) or an aware datetime, as whole Unix seconds; None stays None."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidArgumentError(f"{what} must be an aware datetime (naive: {value!r})")
        return int(value.timestamp())
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(f"{what} must be Unix seconds or a datetime, not {value!r}")
    if value < 0:
        raise InvalidArgumentError(f"{what} must be >= 0, not {value!r}")
    return value


def validate_time_window(
    min_timestamp: object, max_timestamp: object, *, max_span: int | None = None
) -> tuple[int | None, int | None]:
    """Both bounds checked, ``min <= max`` and, with ``max_span``, at most that many seconds."""
    low = validate_timestamp(min_timestamp, "min_timestamp")
    high = validate_timestamp(max_timestamp, "max_timestamp")
    if low is not None and high is not None:
        if low > high:
            raise InvalidArgumentError(
                f"min_timestamp ({low}) must not be after max_timestamp ({high})"
            )
        if max_span is not None and high - low > max_span:
            raise InvalidArgumentError(
                f"the time window may span at most {max_span // 86400} days, not {high - low} s"
            )
    return low, high


def validate_comment_text(text: object) -> str:
    """The API's comment rules (api doc §3 "Comments"), checked before sending."""
    if not isinstance(text, str):
        raise InvalidArgumentError(f"comment text must be a string, not {text!r}")
    if not text.strip():
        raise InvalidArgumentError("comment text must not be empty")
    if len(text) > MAX_COMMENT_LENGTH:
        raise InvalidArgumentError(
            f"a comment may have at most {MAX_COMMENT_LENGTH} characters, not {len(text)}"
        )
    hashtags = len(_HASHTAG_RE.findall(text))
    if hashtags > MAX_COMMENT_HASHTAGS:
        raise InvalidArgumentError(
            f"a comment may have at most {MAX_COMMENT_HASHTAGS} hashtags, not {hashtags}"
        )
    urls = len(_URL_RE.findall(text))
    if urls > MAX_COMMENT_URLS:
        raise InvalidArgumentError(f"a comment may have at most {MAX_COMMENT_URLS} URL, not {urls}")
    if text.isupper():
        raise InvalidArgumentError("a comment may not be all capital letters")
    return text
