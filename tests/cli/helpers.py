"""Helpers of the command-line tests: a click runner on a small embedded emulator."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from aioinstagram.cli import cli

#: The group options of most tests: a small embedded emulator (fast to build and walk).
EMU = ("--emulator", "--users", "500")

VENV_BIN = Path(sys.executable).parent
CONSOLE_SCRIPT = VENV_BIN / ("aioinstagram.exe" if sys.platform == "win32" else "aioinstagram")


def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    """Run the command line in process; exceptions are kept on the result, never raised."""
    return CliRunner().invoke(cli, list(args), input=input, env=env, prog_name="aioinstagram")


def records(result: Result) -> list[dict[str, Any]]:
    """The JSON Lines of stdout (every line must be one JSON object)."""
    out = []
    for line in result.stdout.splitlines():
        value = json.loads(line)
        assert isinstance(value, dict), line
        out.append(value)
    return out


def stderr_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def resume_cursor(stderr: str) -> str | None:
    """The ``--cursor`` value of the "resume with --cursor X" hint, if any."""
    for line in stderr.splitlines():
        if "resume with --cursor " in line:
            return shlex.split(line.split("resume with --cursor ", 1)[1])[0]
    return None


def assert_one_line_error(result: Result, code: int, *fragments: str) -> str:
    """The run failed with ``code`` and stderr is exactly one ``error: ...`` line."""
    assert result.exit_code == code, (result.exit_code, result.stderr, result.exception)
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    lines = stderr_lines(result)
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: "), lines
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def ids_of(users: Sequence[dict[str, Any]]) -> list[str]:
    return [u["id"] for u in users]
