"""The public API's types as a user's type checker sees them: ``check_public_api.py`` is
checked with mypy --strict. Each ``assert_type`` pins an inferred type, and each deliberate
mistake carries a ``type: ignore`` that --strict reports when it is unused (the mistake was let
through): so the file must check clean."""

from __future__ import annotations

from pathlib import Path

import pytest

api = pytest.importorskip("mypy.api")

CHECKED = Path(__file__).resolve().parent / "check_public_api.py"


def test_the_public_api_types_as_documented() -> None:
    stdout, stderr, status = api.run(
        [
            "--strict",
            "--warn-unused-ignores",
            "--no-incremental",
            "--cache-dir=/dev/null",
            "--python-version=3.10",
            "--no-error-summary",
            str(CHECKED),
        ]
    )
    assert stderr == ""
    assert stdout == ""
    assert status == 0


def test_the_mistakes_are_there() -> None:
    """The check has teeth: four deliberate mistakes, each expected to be reported."""
    assert CHECKED.read_text().count("  # type: ignore[") == 4
