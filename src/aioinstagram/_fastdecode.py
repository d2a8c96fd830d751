"""Typed one-pass decoding of the hottest answers, when msgspec is installed (``speed`` extra).

A page of 100 users is what every follows / followed-by walk reads. The general path parses
the JSON into dicts (orjson or json), then structures them (``_converter``). Here msgspec
parses the bytes straight into private structs that also check every field's JSON type in
C, and the users are built through their layout twin (``_twins``): about 2x msgspec's own
time for the page, where the general path needs over 4x.

The fast path only ever *accepts* what the general path would turn into the very same
models; whenever it is not sure it answers None and the caller runs the general path on the
same bytes (a property test holds the two to that). It declines:

* any body msgspec rejects: not JSON, a ``data`` that is not a list of user objects, a field
  of another JSON type than the model's (an integer id, which the general path turns into a
  string; a count sent as a string), ...;
* a ``meta.code`` other than the integer 200, and a body with the pre-launch ``paging`` key
  (the general path's business);
* every status but 200 (errors are always read by ``_protocol.read_response``).

Sans-I/O, like ``_protocol``: a decoder is a function of the bytes.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from ._converter import structure
from ._models import User, UserCounts
from ._protocol import Envelope
from ._twins import twin_of

__all__ = ["FastDecoder", "fast_decoder", "structure_data"]

T = TypeVar("T")

#: Decode a 200 answer's body into an Envelope whose ``data`` is already structured, or
#: answer None to let the general path read it.
FastDecoder = Callable[[bytes], "Envelope | None"]

try:
    import msgspec
except ImportError:  # pragma: no cover - exercised only without the extra
    msgspec = None  # type: ignore[assignment]

_DECODERS: dict[Any, FastDecoder] = {}


def fast_decoder(data_type: Any) -> FastDecoder | None:
    """The fast decoder for answers whose ``data`` becomes ``data_type``, if there is one."""
    return _DECODERS.get(data_type)


def structure_data(envelope: Envelope, cl: type[T] | Any, *, endpoint: str) -> T:
    """``envelope.data`` as ``cl``: as it is when a fast decoder already built the models,
    else through the converter (``_converter.structure``)."""
    if envelope.structured:
        built: T = envelope.data
        return built
    result: T = structure(envelope.data, cl, endpoint=endpoint)
    return result


_SCALARS = (str, int, bool)


def _row_type(hint: Any) -> Any:
    """The msgspec type that accepts exactly the JSON values that the converter reads for
    ``hint`` unchanged. (The converter also coerces, an integer id into a string say; msgspec
    then rejects the page and the general path takes it.)"""
    if hint in _SCALARS:
        return hint
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) and len(args) == 2 and type(None) in args:
        (inner,) = (a for a in args if a is not type(None))
        return _row_type(inner) | None
    if attrs.has(hint):
        return _row_struct(hint)
    raise TypeError(f"no fast decoding for a field of type {hint!r}: teach _fastdecode")


@functools.cache
def _row_struct(model: type[Any]) -> Any:
    """A msgspec struct with ``model``'s fields, in order, with the same defaults: a row's
    ``astuple()`` is the model's positional arguments."""
    hints = typing.get_type_hints(model)
    fields: list[Any] = []
    for f in attrs.fields(model):
        kind = _row_type(hints[f.name])
        fields.append((f.name, kind) if f.default is attrs.NOTHING else (f.name, kind, f.default))
    return msgspec.defstruct(f"_{model.__name__}Row", fields, gc=False)


if msgspec is not None:
    _UserRow = _row_struct(User)
    _nested = [
        name
        for name, hint in typing.get_type_hints(User).items()
        if any(attrs.has(t) for t in (hint, *typing.get_args(hint)))
    ]
    if _nested != ["counts"]:  # pragma: no cover - a new nested field must be built below
        raise TypeError(f"User's nested models changed ({_nested}): update _decode_user_page")

    class _UserPage(msgspec.Struct):
        meta: dict[str, Any]
        data: list[_UserRow]  # type: ignore[valid-type]
        pagination: dict[str, Any] | None = None  # absent or null: {} (search has none)
        paging: Any = msgspec.UNSET  # pre-launch captures: declined

    _user_page = msgspec.json.Decoder(_UserPage)
    _astuple = msgspec.structs.astuple
    _UserTwin = twin_of(User)
    _REJECTED = (msgspec.DecodeError, RecursionError)  # ValidationError is a DecodeError

    def _decode_user_page(body: bytes) -> Envelope | None:
        try:
            page = _user_page.decode(body)
        except _REJECTED:
            return None
        meta, pagination = page.meta, page.pagination
        code = meta.get("code")
        if type(code) is not int or code != 200 or page.paging is not msgspec.UNSET:
            return None
        twin = _UserTwin
        users = [twin(*_astuple(row)) for row in page.data]
        for user in users:
            counts = user.counts
            if counts is not None:
                user.counts = UserCounts(*_astuple(counts))
            user.__class__ = User
        return Envelope(meta, users, {} if pagination is None else pagination, structured=True)

    _DECODERS[list[User]] = _decode_user_page


# --------------------------------------------------------------------------------------------
# Media pages (issue 12): 20 media per page, each a tree of about 20 objects (user, caption,
# renditions, inline likes and comments, location). The rows here also cover the field types
# of the media models that ``_row_type`` refuses: ``created_time`` (Unix seconds as a string
# or number: read by the converter's own hook, so both paths agree to the microsecond),
# floats, open enums (the converter's hook), ``tuple[X, ...]`` (JSON arrays), attribution
# (any JSON object) and the JSON key ``from`` of ``Comment.from_user``. Each model gets a
# builder generated once (plain positional calls of its layout twin, no per-field dispatch).


def _media_row_type(hint: Any) -> Any:
    import datetime as dt

    from ._models import OpenEnum

    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) and len(args) == 2 and type(None) in args:
        (inner,) = (a for a in args if a is not type(None))
        return _media_row_type(inner) | None
    if hint in _SCALARS or hint is float:
        return hint
    if hint is dt.datetime:
        return str | int | float  # the converter reads all three (and refuses bool)
    if isinstance(hint, type) and issubclass(hint, OpenEnum):
        return str
    if typing.get_origin(hint) is tuple and len(args) == 2 and args[1] is Ellipsis:
        return list[_media_row_type(args[0])]  # type: ignore[misc]
    if typing.get_origin(hint) in (dict, typing.get_origin(typing.Mapping[str, Any])):
        return dict[str, Any]
    if attrs.has(hint):
        return _media_row_struct(hint)
    raise TypeError(f"no fast decoding for a field of type {hint!r}: teach _fastdecode")


#: JSON keys that are not the attribute name (as in ``_converter._RENAMES``).
_JSON_NAMES = {("Comment", "from_user"): "from"}


@functools.cache
def _media_row_struct(model: Any) -> Any:
    hints = typing.get_type_hints(model)
    fields: list[Any] = []
    for f in attrs.fields(model):
        kind = _media_row_type(hints[f.name])
        key = _JSON_NAMES.get((model.__name__, f.name), f.name)
        default = msgspec.NODEFAULT if f.default is attrs.NOTHING else f.default
        fields.append((f.name, kind, msgspec.field(default=default, name=key)))
    return msgspec.defstruct(f"_{model.__name__}MediaRow", fields, gc=False)


def _expr(hint: Any, value: str, env: dict[str, Any]) -> str:
    """A Python expression turning row value ``value`` into the model's value for ``hint``."""
    import datetime as dt

    from ._converter import _structure_float
    from ._models import OpenEnum

    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) and len(args) == 2 and type(None) in args:
        (inner,) = (a for a in args if a is not type(None))
        inner_expr = _expr(inner, value, env)
        return value if inner_expr == value else f"(None if {value} is None else {inner_expr})"
    if hint in _SCALARS or hint is typing.Any:
        return value
    if hint is float:
        env["_float"] = _structure_float
        return f"({value} if type({value}) is float else _float({value}, None))"
    if hint is dt.datetime:
        # The converter's hook, inlined for the types the row admits (str, int, float; bool
        # is refused by msgspec): ``float(value)`` then an aware UTC datetime. A string that
        # is not a number raises ValueError there too, and the page is declined.
        env["_fromts"] = dt.datetime.fromtimestamp
        env["_utc"] = dt.timezone.utc
        return f"_fromts(float({value}), _utc)"
    if isinstance(hint, type) and issubclass(hint, OpenEnum):
        from ._converter import _structure_open_enum

        name = f"_enum_{hint.__name__}"
        env[name] = hint._value2member_map_
        env[f"{name}_cls"] = hint
        env["_open_enum"] = _structure_open_enum
        return f"({name}.get({value}) or _open_enum({value}, {name}_cls))"
    if typing.get_origin(hint) is tuple:
        item = _expr(args[0], "_x", env)
        return f"tuple({value})" if item == "_x" else f"tuple([{item} for _x in {value}])"
    if typing.get_origin(hint) in (dict, typing.get_origin(typing.Mapping[str, Any])):
        return value
    if attrs.has(hint):
        env[f"_build_{hint.__name__}"] = _media_builder(hint)
        return f"_build_{hint.__name__}({value})"
    raise TypeError(f"no fast building for {hint!r}")  # pragma: no cover - rows refuse first


@functools.cache
def _media_builder(model: Any) -> Callable[[Any], Any]:
    """``build(row) -> model``: generated code calling the layout twin positionally."""
    hints = typing.get_type_hints(model)
    try:
        twin: Any = twin_of(model)
    except TypeError:  # a model with a weakref slot (UserCounts): its own __init__
        twin = None
    env: dict[str, Any] = {"_twin": twin or model, "_model": model}
    lines = ["def build(r):"]
    args = []
    for i, f in enumerate(attrs.fields(model)):
        lines.append(f"    v{i} = r.{f.name}")
        args.append(_expr(hints[f.name], f"v{i}", env))
    lines.append(f"    o = _twin({', '.join(args)})")
    if twin is not None:
        lines.append("    o.__class__ = _model")
    lines.append("    return o")
    exec("\n".join(lines), env)  # code generated from the model's own fields
    built: Callable[[Any], Any] = env["build"]
    return built


if msgspec is not None:
    from ._media_models import Comment, Media

    def _register_list(model: Any) -> None:
        row = _media_row_struct(model)
        build = _media_builder(model)

        page_type = msgspec.defstruct(
            f"_{model.__name__}Page",
            [
                ("meta", dict[str, Any]),
                ("data", list[row]),  # type: ignore[valid-type]
                ("pagination", dict[str, Any] | None, None),  # absent or null: {}
                ("paging", Any, msgspec.UNSET),  # pre-launch captures: declined
            ],
        )
        decoder = msgspec.json.Decoder(page_type)

        def decode(body: bytes) -> Envelope | None:
            try:
                page = decoder.decode(body)
            except _REJECTED:
                return None
            meta, pagination = page.meta, page.pagination  # type: ignore[attr-defined]
            code = meta.get("code")
            if type(code) is not int or code != 200 or page.paging is not msgspec.UNSET:  # type: ignore[attr-defined]
                return None
            try:
                items = [build(row) for row in page.data]  # type: ignore[attr-defined]
            except (TypeError, ValueError, OverflowError, OSError):
                return None  # a value the converter refuses too (a bad timestamp, ...)
            return Envelope(meta, items, {} if pagination is None else pagination, structured=True)

        _DECODERS[list[model]] = decode

    _register_list(Media)
    _register_list(Comment)
