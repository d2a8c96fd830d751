"""Typed one-pass decoding of the hottest answers, when msgspec is installed (``speed`` extra).

A page of 100 users is what every follows / followed-by walk reads. The general path parses
the JSON into dicts (orjson or json), then structures them (``_converter``). Here msgspec
parses the bytes straight into private structs that also check every field's JSON type in
C, and the users are built by generated code through bare layout twins (``_Gen``): about
1.8x msgspec's own time for the page, where the general path needs over 4x.

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

import datetime as dt
import functools
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from ._converter import _structure_datetime, structure
from ._media_models import Comment, Image, Images, Media
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
if msgspec is not None:
    _REJECTED = (msgspec.DecodeError, RecursionError)  # ValidationError is a DecodeError


# --------------------------------------------------------------------------------------------
# Media pages (issue 12): 20 media per page, each a tree of about 20 objects (user, caption,
# renditions, inline likes and comments, location). The rows check every field's JSON type, as
# the converter reads it unchanged (scalars, optional ones, nested models), and also cover
# the media models' own field types: ``created_time`` (Unix seconds, converted a
# page at a time: ``_datetimes``), floats, open enums (the converter's hook), ``tuple[X, ...]``
# (JSON arrays), attribution (any JSON object) and the JSON key ``from`` of
# ``Comment.from_user``. A page's items are built by ONE generated function (``_Gen``): every
# nested model inline through a bare twin, with no call, ``__init__`` frame or per-field
# dispatch per object. The image renditions need no row: see ``_DECODED_AS_IS``.
# Measured (benchmarks/RESULTS.md, media): the rows cost about what msgspec's own structs do;
# the rest is the Python build of ~280 objects and the page's 77 timestamps.

#: Models msgspec decodes itself (it supports attrs classes, frozen ones included, and checks
#: each field's JSON type as the rows do). Only worth it where the answers carry every field:
#: msgspec fills a missing one after a failed attribute lookup, which costs more than a row.
#: The renditions and a user's ``counts`` always have all theirs; a user has 4 of 10, a
#: location 4 of 5 (measured: slower as is).
_DECODED_AS_IS = frozenset({Image, Images, UserCounts})


def _media_row_type(hint: Any) -> Any:
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
        item = _media_row_type(args[0])
        if item in _SCALARS:  # msgspec builds the tuple itself (tags)
            return tuple[item, ...]  # type: ignore[valid-type]
        return list[item]  # type: ignore[valid-type]
    if typing.get_origin(hint) in (dict, typing.get_origin(typing.Mapping[str, Any])):
        return dict[str, Any]
    if hint in _DECODED_AS_IS:
        return hint
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


class _Gen:
    """Generates the one-pass builder of a page's items: every nested model is built inline
    (no call per object) through its layout twin, allocated bare, its slots stored directly
    (no ``__init__`` frame), then given the frozen model's class."""

    def __init__(self) -> None:
        self.env: dict[str, Any] = {}
        self.lines: list[str] = []
        self.n = 0
        #: (key, (field, model name)) of every timestamp field built: its twins wait for the
        #: page's timestamps (see ``_media_builder``)
        self.stamps: list[tuple[str, tuple[str, str]]] = []

    def var(self) -> str:
        self.n += 1
        return f"t{self.n}"

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def value(self, hint: Any, v: str, depth: int) -> None:
        """Emit statements turning row value ``v`` (a local) into the model's value, in place."""
        from ._converter import _structure_open_enum
        from ._models import OpenEnum

        args = typing.get_args(hint)
        if isinstance(hint, types.UnionType) and len(args) == 2 and type(None) in args:
            (inner,) = (a for a in args if a is not type(None))
            if self.trivial(inner):
                return
            self.emit(depth, f"if {v} is not None:")
            self.value(inner, v, depth + 1)
            return
        if self.trivial(hint):
            return
        if isinstance(hint, type) and issubclass(hint, OpenEnum):
            name = f"_enum_{hint.__name__}"
            self.env[name] = hint._value2member_map_
            self.env[f"{name}_cls"] = hint
            self.env["_open_enum"] = _structure_open_enum
            self.emit(depth, f"{v} = {name}.get({v}) or _open_enum({v}, {name}_cls)")
        elif typing.get_origin(hint) is tuple:
            acc, item = self.var(), self.var()
            self.emit(depth, f"{acc} = []")
            self.emit(depth, f"for {item} in {v}:")
            self.value(args[0], item, depth + 1)
            self.emit(depth + 1, f"{acc}.append({item})")
            self.emit(depth, f"{v} = tuple({acc})")
        elif attrs.has(hint):
            self.model(hint, v, depth)
        else:  # pragma: no cover - the rows refuse first
            raise TypeError(f"no fast building for {hint!r}")

    @staticmethod
    def trivial(hint: Any) -> bool:
        """Row values already the model's: scalars; floats (msgspec's ``float`` takes JSON
        integers as floats, what ``_converter._structure_float`` does); tuples of scalars
        (decoded as tuples); objects kept as sent; models msgspec built (``_DECODED_AS_IS``)."""
        args = typing.get_args(hint)
        if isinstance(hint, types.UnionType) and len(args) == 2 and type(None) in args:
            (inner,) = (a for a in args if a is not type(None))
            return _Gen.trivial(inner)
        if typing.get_origin(hint) is tuple:
            return args[0] in _SCALARS
        return (
            hint in _SCALARS
            or hint in _DECODED_AS_IS
            or hint is float
            or hint is typing.Any
            or (typing.get_origin(hint) in (dict, typing.get_origin(typing.Mapping[str, Any])))
        )

    def model(self, model: Any, v: str, depth: int) -> None:
        """Emit statements replacing the row in ``v`` by the built ``model``: a bare twin
        (:func:`_bare_twin`) whose slots are stored one by one, then made the frozen model
        (one with a timestamp only once the page's timestamps are read); a model without a
        twin is called. (Sharing equal users within a page was measured twice: no faster than
        building each, so it is not done.)"""
        hints = typing.get_type_hints(model)
        name = model.__name__
        fields = attrs.fields(model)
        values, stamps = [], []
        for f in fields:
            hint = hints[f.name]
            if self.trivial(hint):
                values.append(f"{v}.{f.name}")
                continue
            fv = self.var()
            self.emit(depth, f"{fv} = {v}.{f.name}")
            if hint in (dt.datetime, dt.datetime | None):
                stamps.append((f.name, fv, hint is not dt.datetime))
                values.append("None")  # set with the page's other timestamps, at the end
                continue
            self.value(hint, fv, depth)
            values.append(fv)
        self.env[f"_model_{name}"] = model
        try:
            twin: Any = _bare_twin(model)
        except TypeError:
            if stamps:  # pragma: no cover - every model with a timestamp has a twin
                raise
            self.emit(depth, f"{v} = _model_{name}({', '.join(values)})")
            return
        self.env[f"_twin_{name}"] = twin
        obj = self.var()
        self.emit(depth, f"{obj} = _twin_{name}()")
        for f, value in zip(fields, values, strict=True):
            self.emit(depth, f"{obj}.{f.name} = {value}")
        if not stamps:
            self.emit(depth, f"{obj}.__class__ = _model_{name}")
        elif len(stamps) == 1:  # the twin becomes the model once its timestamp is stored
            ((field, fv, optional),) = stamps
            key = f"{name}_{field}"
            self.stamps.append((key, (field, name)))
            if optional:
                self.emit(depth, f"if {fv} is None: {obj}.__class__ = _model_{name}")
                self.emit(depth, f"else: _raw_{key}({fv}); _own_{key}({obj})")
            else:
                self.emit(depth, f"_raw_{key}({fv}); _own_{key}({obj})")
        else:  # pragma: no cover - no model has two
            raise TypeError(f"{name} has two timestamps: teach _fastdecode")
        self.emit(depth, f"{v} = {obj}")


@functools.cache
def _bare_twin(model: Any) -> type[Any]:
    """A mutable subclass of ``model`` that adds nothing: no slot, no ``__init__`` (``bare()``
    allocates without a frame), and ``object``'s own ``__setattr__``, so the generated code
    stores its slots as plainly as on any slotted object, then assigns ``__class__``. Being a
    subclass with the same layout, CPython accepts that assignment without comparing the two
    classes' slots one by one (``_twins`` builds a sibling instead): about 40 ns less per
    object. ``twin_of``'s checks say first, at import time, whether the model allows it. (The
    one trace: ``Model.__subclasses__()`` lists the twin; no instance of it ever escapes.)"""
    twin_of(model)  # TypeError unless a frozen, slotted model without a __weakref__ slot
    bare: type[Any] = type(
        f"_{model.__name__}Bare",
        (model,),
        {
            "__slots__": (),
            "__init__": object.__init__,
            # Both, or CPython keeps the model's frozen hooks for every store.
            "__setattr__": object.__setattr__,
            "__delattr__": object.__delattr__,
        },
    )
    probe = bare()
    probe.__class__ = model  # TypeError here, at import, if the layouts differ
    return bare


_DATETIMES = list[dt.datetime]


def _datetimes(raw: list[Any]) -> list[dt.datetime]:
    """A page's ``created_time`` values as aware UTC datetimes, in one msgspec call when they
    are all strings of ASCII digits (what the API sends: Unix seconds). Whole seconds need no
    rounding, so msgspec's answer is exactly ``_converter``'s (its range, years 1 to 9999, is
    the converter's too); anything else (numbers, signs, fractions, leading zeros, out of
    range) takes the converter's own hook, one value at a time, and raises where it raises.
    One call for 77 timestamps costs about a fifth of 77 ``datetime.fromtimestamp``."""
    try:
        joined = "".join(raw)  # TypeError unless all are strings
        if joined.isascii() and joined.encode().isdigit():  # bytes: 4x quicker than str
            stamps: list[dt.datetime] = msgspec.convert(raw, _DATETIMES, strict=False)
            return stamps
    except (TypeError, msgspec.ValidationError):
        pass  # a number among them, an empty string, a value out of msgspec's range, ...
    return [_structure_datetime(value, dt.datetime) for value in raw]


@functools.cache
def _media_builder(model: Any) -> Callable[[list[Any]], list[Any]]:
    """``build(rows) -> [model, ...]``: generated code building each row's whole tree in one
    pass (see :class:`_Gen`), then the page's timestamps, all at once (:func:`_datetimes`),
    each stored into its twin, which then becomes the model: nothing frozen is ever changed."""
    gen = _Gen()
    gen.emit(1, "out = []")
    gen.emit(1, "for r in rows:")
    gen.model(model, "r", 2)
    gen.emit(2, "out.append(r)")
    body = gen.lines
    gen.lines = ["def build(rows):"]
    keys = dict(gen.stamps)  # every timestamp field, in order, once
    for key in keys:
        gen.emit(1, f"raw_{key} = []; own_{key} = []")
        gen.emit(1, f"_raw_{key} = raw_{key}.append; _own_{key} = own_{key}.append")
    gen.lines += body
    gen.env["_datetimes"] = _datetimes
    for key, (field, name) in keys.items():
        gen.emit(1, f"for twin, stamp in zip(own_{key}, _datetimes(raw_{key})):")
        gen.emit(2, f"twin.{field} = stamp")
        gen.emit(2, f"twin.__class__ = _model_{name}")
    gen.emit(1, "return out")
    exec("\n".join(gen.lines), gen.env)  # code generated from the models' own fields
    built: Callable[[list[Any]], list[Any]] = gen.env["build"]
    return built


if msgspec is not None:

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
                items = build(page.data)  # type: ignore[attr-defined]
            except (TypeError, ValueError, OverflowError, OSError):
                return None  # a value the converter refuses too (a bad timestamp, ...)
            return Envelope(meta, items, {} if pagination is None else pagination, structured=True)

        _DECODERS[list[model]] = decode

    _register_list(Media)
    _register_list(Comment)


# --------------------------------------------------------------------------------------------
# User pages (every follows / followed-by walk): the rows and the one-pass builder of the
# media pages (``_Gen``), so a user is a bare twin whose slots are stored directly, with no
# ``__init__`` frame and no ``astuple``; ``counts`` (when sent, all its fields are) is decoded
# by msgspec itself (``_DECODED_AS_IS``). Measured per page of 100 users (benchmarks/server.py
# page): 44 us, where rows + ``twin(*astuple(row))`` + a class swap per user took 57 us
# (msgspec's own decoding is 24 us of either). msgspec decoding straight into the twin: 170 us
# (most fields are absent; see ``_DECODED_AS_IS``).

if msgspec is not None:
    _register_list(User)  # no timestamp, no enum: nothing the builder can refuse


# --------------------------------------------------------------------------------------------
# One relationship (``GET /users/{id}/relationship``: what every bulk lookup reads). The row
# takes only the JSON types the converter reads unchanged (strings for the open enums, a real
# boolean); a 0/1 or "true" privacy flag, a non-200 code, ``paging``: declined, as above.

if msgspec is not None:
    from ._converter import relationship_of
    from ._models import Relationship

    class _RelationshipRow(msgspec.Struct, gc=False):
        outgoing_status: str | None = None
        incoming_status: str | None = None
        target_user_is_private: bool | None = None

    class _RelationshipAnswer(msgspec.Struct, gc=False):
        meta: dict[str, Any]
        data: _RelationshipRow
        pagination: dict[str, Any] | None = None
        paging: Any = msgspec.UNSET

    _relationship_answer = msgspec.json.Decoder(_RelationshipAnswer)

    def _decode_relationship(body: bytes) -> Envelope | None:
        try:
            answer = _relationship_answer.decode(body)
        except _REJECTED:
            return None
        meta = answer.meta
        code = meta.get("code")
        if type(code) is not int or code != 200 or answer.paging is not msgspec.UNSET:
            return None
        row = answer.data
        rel = relationship_of(row.outgoing_status, row.incoming_status, row.target_user_is_private)
        pagination = answer.pagination
        return Envelope(meta, rel, {} if pagination is None else pagination, structured=True)

    _DECODERS[Relationship] = _decode_relationship
