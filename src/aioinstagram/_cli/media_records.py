"""JSON records of the media models, in the API's own shape.

``api_record(model)`` turns a Media, Comment, Tag, Location (or a User) back into the JSON the
API sent: the same keys (``from`` for :attr:`Comment.from_user`), ``created_time`` as a string
of Unix seconds, enums as their values, lists for tuples; fields the API did not send (None)
are left out. The media walks of the command line write one such record per line, and the
tests hold it to the captures (decoding then re-encoding a capture loses no field).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from typing import Any

import attrs

from .._media_models import Comment

__all__ = ["api_record"]

_RENAMES: Mapping[type[Any], Mapping[str, str]] = {Comment: {"from_user": "from"}}


def _value(value: Any) -> Any:
    if attrs.has(type(value)):
        return api_record(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return str(int(value.timestamp()))
    if isinstance(value, (tuple, list)):
        return [_value(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _value(v) for k, v in value.items()}
    return value


def api_record(model: Any) -> dict[str, Any]:
    """The API-shaped dict of an attrs model (None fields left out)."""
    renames = _RENAMES.get(type(model), {})
    out: dict[str, Any] = {}
    for field in attrs.fields(type(model)):
        value = getattr(model, field.name)
        if value is None:
            continue
        out[renames.get(field.name, field.name)] = _value(value)
    return out
