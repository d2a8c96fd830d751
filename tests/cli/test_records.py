"""The record shapes, the --cursor format and reading ids (pure functions)."""

from __future__ import annotations

import io
import json

import pytest

from aioinstagram import (
    Checkpoint,
    IncomingStatus,
    InvalidArgumentError,
    NotFoundError,
    OutgoingStatus,
    Relationship,
    TransportError,
    User,
    UserCounts,
)
from aioinstagram._cli.records import (
    JsonLinesWriter,
    error_record,
    format_checkpoint,
    parse_checkpoint,
    read_ids,
    relationship_record,
    user_record,
)


def test_user_record_drops_absent_fields_and_keeps_nested_counts() -> None:
    user = User("7", "ann", full_name="Ann", counts=UserCounts(media=3, followed_by=9))
    assert user_record(user) == {
        "id": "7",
        "username": "ann",
        "full_name": "Ann",
        "counts": {"media": 3, "followed_by": 9},
    }


def test_relationship_record_has_fixed_keys_and_enum_values() -> None:
    rel = Relationship(OutgoingStatus.FOLLOWS, IncomingStatus.REQUESTED_BY, True)
    assert relationship_record("5", rel) == {
        "user_id": "5",
        "outgoing_status": "follows",
        "incoming_status": "requested_by",
        "target_user_is_private": True,
    }
    partial = relationship_record("5", Relationship(OutgoingStatus("muted")))
    assert partial == {
        "user_id": "5",
        "outgoing_status": "muted",  # an unknown value is kept as sent
        "incoming_status": None,
        "target_user_is_private": None,
    }
    json.dumps(partial)


def test_error_records() -> None:
    api = NotFoundError(400, "APINotFoundError", "this user does not exist", request="GET /x")
    assert error_record("9", api) == {
        "user_id": "9",
        "error": {
            "type": "NotFoundError",
            "code": 400,
            "error_type": "APINotFoundError",
            "message": "this user does not exist",
        },
    }
    local = error_record("x", InvalidArgumentError("user id must be 'self' or digits"))
    assert local["error"] == {
        "type": "InvalidArgumentError",
        "code": None,
        "error_type": None,
        "message": "user id must be 'self' or digits",
    }
    assert error_record("1", TransportError("boom"))["error"]["type"] == "TransportError"


@pytest.mark.parametrize(
    ("checkpoint", "text"),
    [
        (Checkpoint(None, 0), None),
        (Checkpoint("abc", 0), "abc"),
        (Checkpoint("abc", 7), "abc+7"),
        (Checkpoint(None, 3), "+3"),
        (Checkpoint("a+b", 0), "a+b+0"),
        (Checkpoint("a+12", 0), "a+12+0"),
        (Checkpoint("a+12", 5), "a+12+5"),
        (Checkpoint("x==", 2), "x==+2"),
    ],
)
def test_cursor_format_round_trips(checkpoint: Checkpoint, text: str | None) -> None:
    assert format_checkpoint(checkpoint) == text
    if text is not None:
        assert parse_checkpoint(text) == checkpoint


@pytest.mark.parametrize("bad", ["", " abc", "abc ", "a+b", "abc+", "abc+-1", "a\nb", "a+1x"])
def test_bad_cursors_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a cursor"):
        parse_checkpoint(bad)


def test_read_ids_skips_blanks_comments_and_duplicates() -> None:
    text = "# header\n1\n\n  2  \n3 # note\n1\nabc\n\t\n2\n"
    assert read_ids(io.StringIO(text)) == (["1", "2", "3", "abc"], 2)
    assert read_ids([]) == ([], 0)


def test_json_lines_writer_writes_one_object_per_line() -> None:
    stream = io.StringIO()
    writer = JsonLinesWriter(stream)
    writer.write({"a": 1})
    writer.write({"b": "ü\n"})
    lines = stream.getvalue().splitlines()
    assert [json.loads(line) for line in lines] == [{"a": 1}, {"b": "ü\n"}]
    assert writer.count == 2
