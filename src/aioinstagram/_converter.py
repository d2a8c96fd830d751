"""One cattrs configuration, two converters: a fast one and a detailed one.

Structuring runs on the fast converter (``detailed_validation=False``, generated hooks), which
is what every successful page pays for. Only when it fails is the same data structured again
with the detailed converter, whose exception group ``cattrs.transform_error`` turns into a
message that names the field path (``$.data[3].id``); that becomes a DecodeError. A bad item
fails its whole page loudly (decided: silently skipping would lose an item).

Hooks (api doc sections 3 and 9):
* ``str``: strings as they are; integers (pre-launch ids and cursors) become strings;
  anything else is an error (``str({})`` would silently succeed otherwise).
* ``int``: integers, or strings of digits.
* ``bool``: booleans, 0/1, or "true"/"false".
* ``datetime``: Unix seconds as a string or number (``created_time``) become aware UTC datetimes.
* ``float``: numbers (coordinates, ``distance``, positions), or numeric strings.
* ``tuple[X, ...]``: JSON arrays only (a string is not a list of characters).
* ``Mapping[str, Any]`` (``Media.attribution``): an object, kept as sent.
* enums: unknown values are kept (see ``_models.OpenEnum``).
* ``Comment.from_user`` is read from the JSON key ``from`` (a Python keyword).
"""

from __future__ import annotations

import datetime as dt
import math
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from ._errors import DecodeError
from ._media_models import Comment
from ._models import IncomingStatus, OpenEnum, OutgoingStatus, Relationship, User, UserCounts
from ._twins import twin_of

__all__ = ["converter", "detailed_converter", "structure"]

T = TypeVar("T")


def _structure_str(value: Any, _: Any) -> str:
    if type(value) is str:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"expected a string, got {type(value).__name__}")


def _structure_int(value: Any, _: Any) -> int:
    if type(value) is int:
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise TypeError(f"expected an integer, got {type(value).__name__}")


def _structure_bool(value: Any, _: Any) -> bool:
    if type(value) is bool:
        return value
    if value in (0, 1) and type(value) is int:
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise TypeError(f"expected a boolean, got {type(value).__name__}")


def _structure_datetime(value: Any, _: Any) -> dt.datetime:
    if isinstance(value, bool):
        raise TypeError("expected Unix seconds, got bool")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = float(value)  # ValueError for garbage
    else:
        raise TypeError(f"expected Unix seconds, got {type(value).__name__}")
    return dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc)


def _structure_float(value: Any, _: Any) -> float:
    if type(value) is float:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        number = float(value)  # ValueError for garbage
        if math.isfinite(number):
            return number
    raise TypeError(f"expected a number, got {type(value).__name__}")


def _structure_mapping(value: Any, _: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def _is_homogeneous_tuple(t: Any) -> bool:
    args = typing.get_args(t)
    return typing.get_origin(t) is tuple and len(args) == 2 and args[1] is Ellipsis


def _tuple_hook(conv: cattrs.Converter) -> Callable[[Any], Callable[[Any, Any], Any]]:
    def factory(t: Any) -> Callable[[Any, Any], Any]:
        item_type = typing.get_args(t)[0]
        item_hook = conv.get_structure_hook(item_type)

        def hook(value: Any, _: Any) -> tuple[Any, ...]:
            if type(value) is not list:
                raise TypeError(f"expected an array, got {type(value).__name__}")
            return tuple([item_hook(v, item_type) for v in value])

        return hook

    return factory


#: JSON keys that are not the attribute name (``from`` is a keyword).
_RENAMES: Mapping[type[Any], Mapping[str, str]] = {Comment: {"from_user": "from"}}


def _structure_open_enum(value: Any, cl: type[OpenEnum]) -> OpenEnum:
    if type(value) is not str:
        raise TypeError(f"expected a string for {cl.__name__}, got {type(value).__name__}")
    return cl(value)


def _objects_only(conv: cattrs.Converter) -> Callable[[type[Any]], Callable[[Any, Any], Any]]:
    """Hook factory for models: cattrs' generated hook reads a list as an object without any
    of its keys (``[]`` would be a ``Relationship()`` of Nones); refuse anything but an object."""

    def factory(cl: type[Any]) -> Callable[[Any, Any], Any]:
        renames = _RENAMES.get(cl, {})
        overrides: dict[str, Any] = {name: override(rename=key) for name, key in renames.items()}
        generated = make_dict_structure_fn(cl, conv, **overrides)

        def hook(value: Any, _: Any) -> Any:
            if type(value) is not dict:
                raise TypeError(f"expected an object, got {type(value).__name__}")
            return generated(value, cl)

        return hook

    return factory


def _configure(conv: cattrs.Converter) -> cattrs.Converter:
    conv.register_structure_hook_factory(attrs.has, _objects_only(conv))
    # Registered on the base class: more specific than the ``str`` hook for these str enums.
    conv.register_structure_hook(OpenEnum, _structure_open_enum)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(dt.datetime, _structure_datetime)
    conv.register_structure_hook(float, _structure_float)
    conv.register_structure_hook_func(
        lambda t: t == Mapping[str, Any] or t == dict[str, Any], _structure_mapping
    )
    conv.register_structure_hook_factory(_is_homogeneous_tuple, _tuple_hook(conv))
    return conv


def _opt_str(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    return _structure_str(value, None)


_UserTwin = twin_of(User)


def _fast_user(d: Any, _: Any) -> User:
    """The hot path for the most common model (100 per list page): plain dict lookups and
    type checks, no per-field hook dispatch, built through the layout twin (``_twins``).
    Anything unexpected raises, and ``structure`` then re-runs the detailed converter to say
    exactly what."""
    if type(d) is not dict:
        raise TypeError("expected an object")
    get = d.get
    uid, username = d["id"], d["username"]
    full_name, picture, bio = get("full_name"), get("profile_picture"), get("bio")
    website, first, last = get("website"), get("first_name"), get("last_name")
    counts, kind = get("counts"), get("type")
    user = _UserTwin(
        uid if type(uid) is str else _structure_str(uid, None),
        username if type(username) is str else _structure_str(username, None),
        full_name if full_name is None or type(full_name) is str else _opt_str(full_name),
        picture if picture is None or type(picture) is str else _opt_str(picture),
        bio if bio is None or type(bio) is str else _opt_str(bio),
        website if website is None or type(website) is str else _opt_str(website),
        first if first is None or type(first) is str else _opt_str(first),
        last if last is None or type(last) is str else _opt_str(last),
        None if counts is None else converter.structure(counts, UserCounts),
        kind if kind is None or type(kind) is str else _opt_str(kind),
    )
    user.__class__ = User
    return user  # type: ignore[no-any-return]


def _fast_users(data: Any, _: Any) -> list[User]:
    if type(data) is not list:
        raise TypeError("expected a list")
    return [_fast_user(d, None) for d in data]


_RelationshipTwin = twin_of(Relationship)
_OUTGOING = OutgoingStatus._value2member_map_
_INCOMING = IncomingStatus._value2member_map_


def _fast_relationship(d: Any, _: Any) -> Relationship:
    """The hot path of bulk lookups (one per ``GET /users/{id}/relationship``)."""
    if type(d) is not dict:
        raise TypeError("expected an object")
    get = d.get
    return relationship_of(
        get("outgoing_status"), get("incoming_status"), get("target_user_is_private")
    )


def relationship_of(out: Any, inc: Any, private: Any) -> Relationship:
    """A Relationship from its three JSON values: known enum values from the enums' own value
    maps, anything else through the hooks (which keep unknown values and refuse wrong types);
    built through the layout twin. ``_fastdecode`` builds its rows' models here too."""
    rel = _RelationshipTwin(
        None if out is None else _OUTGOING.get(out) or _structure_open_enum(out, OutgoingStatus),
        None if inc is None else _INCOMING.get(inc) or _structure_open_enum(inc, IncomingStatus),
        private if private is None or type(private) is bool else _structure_bool(private, None),
    )
    rel.__class__ = Relationship
    return rel  # type: ignore[no-any-return]


#: The fast converter used for every response.
converter = _configure(cattrs.Converter(detailed_validation=False))
converter.register_structure_hook(User, _fast_user)
converter.register_structure_hook(Relationship, _fast_relationship)
converter.register_structure_hook_func(lambda t: t == list[User], _fast_users)
#: The converter used only to explain a failure of the fast one.
detailed_converter = _configure(cattrs.Converter(detailed_validation=True))


def structure(data: Any, cl: type[T] | Any, *, endpoint: str, root: str = "$.data") -> T:
    """Structure ``data`` into ``cl`` or raise a DecodeError that names the field path."""
    try:
        return converter.structure(data, cl)  # type: ignore[no-any-return]
    except Exception:
        pass
    try:
        detailed_converter.structure(data, cl)
    except Exception as exc:
        # Paths name the JSON keys, not the attribute names (``from``, not ``from_user``).
        messages = [
            m.replace(".from_user", ".from") for m in cattrs.transform_error(exc, path=root)
        ]
        first = messages[0] if messages else str(exc)
        path = first.rsplit(" @ ", 1)[1] if " @ " in first else root
        raise DecodeError(
            f"{endpoint}: cannot read the answer: {'; '.join(messages[:3])}",
            endpoint=endpoint,
            path=path,
        ) from exc
    raise DecodeError(  # pragma: no cover - the two converters disagree
        f"{endpoint}: cannot read the answer at {root}", endpoint=endpoint, path=root
    )
