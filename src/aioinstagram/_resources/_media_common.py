"""Helpers shared by the media-list resources (users' media, tags, locations, geographies)."""

from __future__ import annotations

from .._errors import InvalidArgumentError
from .._pagination import Checkpoint
from .._protocol import validate_cursor

__all__ = ["start_cursor"]


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
