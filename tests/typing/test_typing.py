"""The public API's types as a user's type checker sees them: ``check_public_api.py`` is
checked with mypy --strict (``assert_type`` pins each inferred type), and its ``mistakes``
must each be reported."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

api = pytest.importorskip("mypy.api")

HERE = Path(__file__).resolve().parent
CHECKED = HERE / "check_public_api.py"


@pytest.fixture(scope="module")
def mypy_report() -> list[str]:
    stdout, stderr, _status = api.run(
        [
            "--strict",
            "--no-incremental",
            "--cache-dir=/dev/null",
            "--python-version=3.10",
            "--hide-error-context",
            "--no-error-summary",
            "--show-column-numbers",
            str(CHECKED),
        ]
    )
    assert stderr == ""
    return [line for line in stdout.splitlines() if ": error:" in line]


def _error_lines(report: list[str]) -> set[int]:
    return {int(m.group(1)) for line in report if (m := re.search(r":(\d+):\d+: error:", line))}


def test_the_public_api_types_as_documented(mypy_report: list[str]) -> None:
    """Every ``assert_type`` holds and nothing else is reported: only the four mistakes."""
    assert len(_mistakes()) == 4
    unexpected = [line for line in mypy_report if _line(line) not in _mistakes()]
    assert unexpected == []


def test_the_mistakes_are_caught(mypy_report: list[str]) -> None:
    assert _mistakes() <= _error_lines(mypy_report)


def _mistakes() -> set[int]:
    source = CHECKED.read_text().splitlines()
    return {n for n, line in enumerate(source, 1) if "  # E: " in line}


def _line(report_line: str) -> int:
    match = re.search(r":(\d+):\d+: error:", report_line)
    assert match is not None, report_line
    return int(match.group(1))
