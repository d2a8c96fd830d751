"""The installed console script in a real subprocess: the demo, and Ctrl-C (SIGINT)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO

import pytest

from .helpers import CONSOLE_SCRIPT, EMU, ids_of, invoke, records, resume_cursor

pytestmark = pytest.mark.skipif(not CONSOLE_SCRIPT.exists(), reason="console script not installed")

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery is POSIX")

#: The celebrity of a 500-user emulator: 120,000+ followers, a walk long enough to interrupt.
CELEBRITY = "501"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("INSTAGRAM_ACCESS_TOKEN", None)
    env.pop("INSTAGRAM_CLIENT_SECRET", None)
    env["COLUMNS"] = "120"
    return env


def test_console_script_runs_the_demo() -> None:
    proc = subprocess.run(
        [str(CONSOLE_SCRIPT), *EMU, "demo"],
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    for text in ("demo summary", "relationships", "followers of user", "requests/s", "elapsed"):
        assert text in proc.stderr, text
    assert "Traceback" not in proc.stderr
    looked_up = next(line for line in proc.stderr.splitlines() if "looked up" in line)
    assert "500" in looked_up  # --lookups 3000 is capped at the 500 users


def _interrupt_after(args: list[str], lines: int) -> tuple[int, str, str]:
    """Start the script, wait for ``lines`` lines of results, send SIGINT, collect all."""
    # stderr goes to a file and the rest of stdout is read through the same text wrapper:
    # communicate() would read the raw pipe and lose lines readline() had already buffered.
    with tempfile.TemporaryFile("w+") as errfile:
        proc = subprocess.Popen(
            [str(CONSOLE_SCRIPT), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=errfile,
            text=True,
            env=_env(),
        )
        assert proc.stdout is not None
        try:
            head = [_readline(proc.stdout) for _ in range(lines)]
            proc.send_signal(signal.SIGINT)
            rest = proc.stdout.read()
            proc.wait(timeout=120)
        finally:
            if proc.poll() is None:  # pragma: no cover - only when the test already failed
                proc.kill()
                proc.wait()
            proc.stdout.close()
        errfile.seek(0)
        err = errfile.read()
    return proc.returncode, "".join(head) + rest, err


def _readline(stream: IO[str]) -> str:
    line = stream.readline()
    assert line.endswith("\n"), "the command ended before it could be interrupted"
    return line


@posix_only
# Pages of 7: interrupted on the first user, at the last user of a page, at the first of the
# next, and mid-walk. On every Python the cursor must continue right after the last printed
# user (3.10's asyncio.run let KeyboardInterrupt land anywhere: issue 10).
@pytest.mark.parametrize("lines", [1, 7, 8, 40])
def test_ctrl_c_ends_a_walk_cleanly_with_a_resume_cursor(lines: int) -> None:
    args = [*EMU, "followers", CELEBRITY, "--count", "7"]
    code, out, err = _interrupt_after(args, lines)
    assert code == 130, err
    assert "Traceback" not in err
    printed = [json.loads(line)["id"] for line in out.splitlines()]  # every line is whole JSON
    interrupted = [line for line in err.splitlines() if line.startswith("interrupted after ")]
    assert len(interrupted) == 1, err
    assert interrupted[0].startswith(f"interrupted after {len(printed):,} users;")
    cursor = resume_cursor(err)
    assert cursor is not None

    more = 30
    resumed = invoke(*args, "--cursor", cursor, "--limit", str(more), "--no-progress")
    assert resumed.exit_code == 0, resumed.stderr
    reference = invoke(*args, "--limit", str(len(printed) + more), "--no-progress")
    assert printed + ids_of(records(resumed)) == ids_of(records(reference))


@posix_only
def test_ctrl_c_ends_a_lookup_with_its_summary(tmp_path: Path) -> None:
    # The celebrity's audience: 120,000 existing ids, far more than can finish before SIGINT.
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(str(1_000_000_000 + k) for k in range(120_000)) + "\n")
    code, out, err = _interrupt_after([*EMU, "lookup", str(ids), "--concurrency", "8"], 50)
    assert code == 130, err
    assert "Traceback" not in err
    results = [json.loads(line) for line in out.splitlines()]
    assert all("outgoing_status" in r for r in results)
    assert len({r["user_id"] for r in results}) == len(results)
    assert "lookup summary" in err
    assert f"interrupted after {len(results):,} of 120,000 lookups" in err
