"""JSON Lines records, the ``--cursor`` format, and reading ids for ``lookup``.

Record shapes (one JSON object per line on stdout):

* a user: the :class:`~aioinstagram.User` fields, fields the API did not send (None) left
  out, enums as their values: ``{"id": "1", "username": "...", "full_name": "...", ...}``;
* a relationship: always the same four keys, ``null`` when the API did not say:
  ``{"user_id", "outgoing_status", "incoming_status", "target_user_is_private"}``
  (a change adds ``"action"``);
* a failed lookup: ``{"user_id", "error": {"type", "code", "error_type", "message"}}``.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from typing import IO, Any, Final, Protocol

import attrs

from .._errors import APIError, InstagramError
from .._models import Relationship, User
from .._pagination import Checkpoint

__all__ = [
    "JsonLinesWriter",
    "RecordWriter",
    "error_record",
    "format_checkpoint",
    "parse_checkpoint",
    "read_ids",
    "relationship_record",
    "user_record",
]


class RecordWriter(Protocol):
    """Where the jobs put their results."""

    def write(self, record: Mapping[str, Any]) -> None: ...


class JsonLinesWriter:
    """Writes each record as one line of JSON and flushes it, so a consumer (or a Ctrl-C)
    sees every result as soon as it is known. ``count`` is the number of lines written."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self.count = 0

    def write(self, record: Mapping[str, Any]) -> None:
        self._stream.write(json.dumps(record) + "\n")
        self._stream.flush()
        self.count += 1


class NullWriter:
    """Discards records (the demo without ``--jsonl``)."""

    count = 0

    def write(self, record: Mapping[str, Any]) -> None:
        pass


def _serialize(_inst: Any, _field: Any, value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _not_none(_field: Any, value: Any) -> bool:
    return value is not None


def user_record(user: User) -> dict[str, Any]:
    return attrs.asdict(user, filter=_not_none, value_serializer=_serialize)


def _enum_value(value: enum.Enum | None) -> Any:
    return None if value is None else value.value


def relationship_record(user_id: str, relationship: Relationship) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "outgoing_status": _enum_value(relationship.outgoing_status),
        "incoming_status": _enum_value(relationship.incoming_status),
        "target_user_is_private": relationship.target_user_is_private,
    }


def error_record(user_id: str, error: InstagramError) -> dict[str, Any]:
    if isinstance(error, APIError):
        code: int | None = error.code
        error_type = error.error_type
        message = error.error_message or str(error)
    else:
        code, error_type, message = None, None, str(error)
    return {
        "user_id": user_id,
        "error": {
            "type": type(error).__name__,
            "code": code,
            "error_type": error_type,
            "message": message,
        },
    }


# -- the --cursor format ----------------------------------------------------------------------
# A checkpoint is (cursor of the page in progress, items of it already printed). It is written
# as the bare cursor when the offset is 0, else as ``CURSOR+OFFSET`` (``+OFFSET`` for the first
# page). A cursor that itself contains "+" always gets the suffix, so the last "+" followed by
# digits is the separator: parsing is unambiguous whatever the server's cursors look like.


def format_checkpoint(checkpoint: Checkpoint) -> str | None:
    """The ``--cursor`` value resuming at ``checkpoint``; None at the very beginning."""
    cursor, offset = checkpoint.cursor, checkpoint.offset
    if cursor is None and offset == 0:
        return None
    if cursor is not None and offset == 0 and "+" not in cursor:
        return cursor
    return f"{cursor or ''}+{offset}"


def parse_checkpoint(value: str) -> Checkpoint:
    """The inverse of :func:`format_checkpoint`; raises ValueError with a readable message."""
    if not value or value != value.strip() or any(c in value for c in "\r\n\x00"):
        raise ValueError(f"{value!r} is not a cursor printed by aioinstagram")
    if "+" not in value:
        return Checkpoint(value, 0)
    cursor, _, offset = value.rpartition("+")
    if not (offset.isascii() and offset.isdigit()) or len(offset) > 9:
        raise ValueError(
            f"{value!r} is not a cursor printed by aioinstagram (expected CURSOR or CURSOR+OFFSET)"
        )
    return Checkpoint(cursor or None, int(offset))


# -- ids ------------------------------------------------------------------------------------


def read_ids(lines: Iterable[str]) -> tuple[list[str], int]:
    """The ids in ``lines`` (one per line; blank lines and ``#`` comments ignored), each kept
    once in first-seen order, and the number of duplicates dropped. Ids are not validated
    here: an invalid one becomes that id's error record."""
    ids: dict[str, None] = {}
    duplicates = 0
    for line in lines:
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        if text in ids:
            duplicates += 1
        else:
            ids[text] = None
    return list(ids), duplicates


#: The longest input line read as an id (a user id is at most 40 digits; this leaves room for
#: comments). A longer line is reported as a bad line, never echoed.
MAX_ID_LINE: Final = 1024


def bad_line_record(number: int, message: str) -> dict[str, Any]:
    """The record for an input line that could not be read as an id (it is never quoted)."""
    return {"line": number, "error": {"type": "InvalidInputLine", "message": message}}


def read_id_lines(stream: IO[bytes]) -> tuple[list[str], int, list[dict[str, Any]]]:
    """Like :func:`read_ids`, reading bytes: ``(ids, duplicates, bad line records)``. A line
    that is not UTF-8, holds a NUL, or is longer than :data:`MAX_ID_LINE` bytes becomes a
    record naming its line number and what is wrong; it is read past in bounded pieces (a
    10 MB line costs no 10 MB) and never echoed."""
    good: list[str] = []
    bad: list[dict[str, Any]] = []
    number = 0
    while True:
        chunk = stream.readline(MAX_ID_LINE + 1)
        if not chunk:
            break
        number += 1
        if len(chunk) > MAX_ID_LINE and not chunk.endswith(b"\n"):
            size = len(chunk)
            while chunk and not chunk.endswith(b"\n"):
                chunk = stream.readline(65536)
                size += len(chunk)
            bad.append(
                bad_line_record(
                    number,
                    f"line {number} is {size:,} bytes long; an id line is at most "
                    f"{MAX_ID_LINE:,} bytes (not shown)",
                )
            )
            continue
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad.append(
                bad_line_record(
                    number,
                    f"line {number} is not UTF-8 (byte 0x{chunk[exc.start]:02x} at column "
                    f"{exc.start + 1})",
                )
            )
            continue
        if "\x00" in text:
            bad.append(bad_line_record(number, f"line {number} holds a NUL character"))
            continue
        good.append(text)
    ids, duplicates = read_ids(good)
    return ids, duplicates, bad
