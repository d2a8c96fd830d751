"""The console script's entry point: without the ``cli`` extra it says what to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

from aioinstagram._cli import entry


@pytest.mark.parametrize("module", ["click", "rich"])
def test_without_the_cli_extra_one_line_and_exit_1(module: str) -> None:
    # A fresh interpreter where importing the module fails, as when the extra is not installed.
    code = (
        f"import sys; sys.modules[{module!r}] = None\n"
        "from aioinstagram._cli.entry import main; main()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"aioinstagram: the command line needs the 'cli' extra ({module} missing): "
        "pip install 'aioinstagram[cli]'"
    ]


def test_with_the_cli_extra_nothing_is_missing() -> None:
    assert entry.missing_cli_requirements() == []


def test_python_dash_m_runs_the_command_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "aioinstagram", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("aioinstagram, version ")
