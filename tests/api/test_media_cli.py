"""The media walks of the command line on the embedded emulator: JSON Lines in the API's
shape, progress on stderr, and resume with no item lost or repeated."""

from __future__ import annotations

import pytest

from ..cli.helpers import EMU, invoke, records, resume_cursor


def ids(result_records: list[dict[str, object]]) -> list[object]:
    return [r["id"] for r in result_records]


@pytest.mark.parametrize(
    "args",
    [
        ("tag", "sunset"),
        ("tag", "throwback"),
        ("media", "self"),
        ("location", "100"),
    ],
)
def test_media_walks_resume_exactly(args: tuple[str, ...]) -> None:
    full = invoke(*EMU, *args, "--count", "4", "--limit", "30", "--no-progress")
    assert full.exit_code == 0, full.stderr
    everything = ids(records(full))
    assert everything
    assert len(set(everything)) == len(everything)
    first = invoke(*EMU, *args, "--count", "4", "--limit", "7", "--no-progress")
    head = ids(records(first))
    assert head == everything[:7]
    cursor = resume_cursor(first.stderr)
    if len(everything) <= 7:
        return
    assert cursor is not None
    rest = invoke(*EMU, *args, "--count", "4", "--cursor", cursor, "--limit", "23", "--no-progress")
    assert rest.exit_code == 0, rest.stderr
    assert head + ids(records(rest)) == everything


def test_media_records_are_in_the_api_shape() -> None:
    result = invoke(*EMU, "tag", "sunset", "--limit", "2", "--no-progress")
    assert result.exit_code == 0, result.stderr
    for record in records(result):
        assert isinstance(record["created_time"], str)
        assert "sunset" in record["tags"]
        assert {"id", "images", "user", "likes", "comments", "link"} <= set(record)
    assert "2 media" in result.stderr


def test_comments_likes_and_liked() -> None:
    media = invoke(*EMU, "media", "--limit", "1", "--no-progress")
    (first,) = records(media)
    media_id = str(first["id"])
    comments = invoke(*EMU, "comments", media_id, "--no-progress")
    assert comments.exit_code == 0, comments.stderr
    assert all("from" in r and "text" in r for r in records(comments))
    likes = invoke(*EMU, "likes", media_id, "--no-progress")
    assert likes.exit_code == 0, likes.stderr
    assert all("username" in r for r in records(likes))
    count = first["likes"]["count"]
    assert len(records(likes)) == count
    if count > 1:
        part = invoke(*EMU, "likes", media_id, "--limit", "1", "--no-progress")
        cursor = resume_cursor(part.stderr)
        assert cursor is not None
        rest = invoke(*EMU, "likes", media_id, "--cursor", cursor, "--no-progress")
        assert ids(records(part)) + ids(records(rest)) == ids(records(likes))
    liked = invoke(*EMU, "liked", "--no-progress")
    assert liked.exit_code == 0, liked.stderr
    assert "end of list" in liked.stderr


def test_bad_arguments_are_one_line_usage_errors() -> None:
    result = invoke(*EMU, "tag", "two words", "--no-progress")
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("error: tag name")
    result = invoke(*EMU, "comments", "not-a-media", "--no-progress")
    assert result.exit_code == 2


@pytest.mark.parametrize("command", ["media", "tag", "location", "liked"])
def test_media_walk_help_speaks_of_media(command: str) -> None:
    result = invoke(command, "--help")
    assert result.exit_code == 0
    count_help = next(line for line in result.stdout.splitlines() if "--count" in line)
    assert "Media per page" in count_help and "user" not in count_help.lower()
