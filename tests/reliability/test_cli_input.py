"""Item 8 of issue 11: the CLI reads its input as bytes; bad lines are records, never a
traceback, and a huge line is never echoed."""

from __future__ import annotations

import io
import json

from click.testing import CliRunner

from aioinstagram._cli.records import MAX_ID_LINE, read_id_lines
from aioinstagram.cli import cli

EMU = ("--emulator", "--users", "500")


def _run(data: bytes) -> tuple[int, list[dict[str, object]], str, BaseException | None]:
    result = CliRunner().invoke(
        cli, [*EMU, "lookup", "--no-progress", "--no-summary"], input=data, prog_name="x"
    )
    out = [json.loads(line) for line in result.stdout.splitlines()]
    return result.exit_code, out, result.stderr, result.exception


def test_invalid_utf8_is_a_record_and_the_other_ids_are_looked_up() -> None:
    code, out, err, exc = _run(b"1\n2\xff\xfe3\n2\n")
    assert code == 2, (err, exc)
    assert "Traceback" not in err
    assert err.strip().splitlines() == ["error: 1 input lines were not ids (see their records)"]
    bad = [r for r in out if "line" in r]
    assert bad == [
        {
            "line": 2,
            "error": {
                "type": "InvalidInputLine",
                "message": "line 2 is not UTF-8 (byte 0xff at column 2)",
            },
        }
    ]
    assert sorted(str(r["user_id"]) for r in out if "user_id" in r) == ["1", "2"]


def test_a_ten_megabyte_line_is_not_echoed() -> None:
    huge = b"7" * 10_000_000
    code, out, err, exc = _run(b"1\n" + huge + b"\n2\n")
    assert code == 2, (err, exc)
    size = sum(len(json.dumps(r)) for r in out) + len(err)
    assert size < 2_000  # the 10 MB line went nowhere
    assert out[0] == {
        "line": 2,
        "error": {
            "type": "InvalidInputLine",
            "message": "line 2 is 10,000,001 bytes long; an id line is at most 1,024 bytes "
            "(not shown)",
        },
    }
    assert sorted(str(r["user_id"]) for r in out if "user_id" in r) == ["1", "2"]


def test_read_id_lines_reads_long_lines_in_bounded_pieces() -> None:
    class Counting(io.BytesIO):
        biggest = 0

        def readline(self, size: int | None = -1) -> bytes:
            line = super().readline(size)
            Counting.biggest = max(Counting.biggest, len(line))
            return line

    data = b"# comment\n\n12\n" + b"x" * 5_000_000 + b"\n12\nabc\x00\nself"
    ids, duplicates, bad = read_id_lines(Counting(data))
    assert ids == ["12", "self"] and duplicates == 1
    assert [b["line"] for b in bad] == [4, 6]
    assert Counting.biggest <= 65536
    line = b"1" * MAX_ID_LINE  # exactly at the limit, without a newline at the end
    assert read_id_lines(io.BytesIO(line)) == ([line.decode()], 0, [])
