"""Helpers shared by the media-list resources (users' media, tags, locations, geographies)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from .._errors import InvalidArgumentError
from .._media_models import Media
from .._media_validation import validate_time_window
from .._options import CallOptions
from .._pagination import MAX_ID, AsyncPaginator, Checkpoint
from .._protocol import validate_cursor

if TYPE_CHECKING:
    from ._base import Resource

__all__ = ["recent_media", "start_cursor"]


def start_cursor(
    name: str, value: str | int | None, cursor: str | Checkpoint | None
) -> str | Checkpoint | None:
    """Where a walk starts: the family's own parameter (``max_id``, ``max_tag_id``,
    ``max_like_id``: the cursor the API pages with) or a ``cursor``/:class:`Checkpoint` from an
    earlier walk, not both."""
    start = validate_cursor(value, name)
    if start is not None and cursor is not None:
        raise InvalidArgumentError(f"pass {name} or cursor, not both")
    return cursor if cursor is not None else start


def recent_media(
    resource: Resource,
    path: str,
    *,
    count: int | None,
    min_id: str | int | None,
    max_id: str | int | None,
    min_timestamp: int | dt.datetime | None,
    max_timestamp: int | dt.datetime | None,
    cursor: str | Checkpoint | None,
    prefetch: bool,
    options: CallOptions,
) -> AsyncPaginator[Media]:
    """A ``/media/recent`` walk with an id and time window, paged by ``max_id`` (a user's and a
    location's recent media)."""
    low, high = validate_time_window(min_timestamp, max_timestamp)
    params = {
        "min_id": validate_cursor(min_id, "min_id"),
        "min_timestamp": low,
        "max_timestamp": high,
    }
    return resource._paginate(
        path,
        Media,
        MAX_ID,
        count=count,
        cursor=start_cursor("max_id", max_id, cursor),
        params=params,
        prefetch=prefetch,
        options=options,
    )
