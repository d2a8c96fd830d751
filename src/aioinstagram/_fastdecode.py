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
