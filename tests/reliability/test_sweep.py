"""The secrets sweep (tests/secrets_sweep.py) catches a planted leak on every channel it
watches: run in a child pytest over planted tests, each leaking test fails, the clean one
passes, and the child's own output never shows the secret."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from ..secrets_sweep import SWEPT, leaks_in

PLANTED = textwrap.dedent(
    """
    import logging

    import httpx
    import pytest
    import respx

    from aioinstagram import InstagramClient

    TOKEN = "fb2e77d.47a0479900504cb3ab4a1f626d174d2d"


    def test_clean():
        logging.getLogger("some.library").warning("nothing to see")


    def test_leak_in_a_log_record():
        logging.getLogger("some.library").warning("the token is %s", TOKEN)


    def test_leak_in_a_debug_record_nobody_enabled():
        logging.getLogger("aioinstagram").debug("a piece: %s", TOKEN[3:30])


    def test_leak_in_a_traceback_of_a_logged_exception():
        try:
            raise ValueError(TOKEN)
        except ValueError:
            logging.getLogger("some.library").exception("failed")


    def test_leak_in_a_failure_report():
        assert TOKEN == "something else"


    def test_leak_in_printed_output():
        print("token:", TOKEN)


    async def test_leak_in_an_exception_a_call_raised_and_the_test_caught():
        with respx.mock(base_url="https://api.instagram.com/v1") as api:
            api.get("/users/self").mock(side_effect=RuntimeError(f"echo {TOKEN}"))
            async with InstagramClient(TOKEN, http_client=httpx.AsyncClient()) as client:
                with pytest.raises(RuntimeError):
                    await client.users.get()
    """
)


def test_the_sweep_catches_every_planted_leak(tmp_path: Path) -> None:
    (tmp_path / "test_planted.py").write_text(PLANTED)
    root = Path(__file__).resolve().parents[2]
    path = os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.secrets_sweep",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_mode=auto",
            "-o",
            "asyncio_default_fixture_loop_scope=function",
            "-rA",
            "test_planted.py",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    out = proc.stdout + proc.stderr
    assert "6 failed, 1 passed" in out, out[-3000:]
    assert "PASSED test_planted.py::test_clean" in out
    for name in (
        "a_log_record",
        "a_debug_record_nobody_enabled",
        "a_traceback_of_a_logged_exception",
        "a_failure_report",
        "printed_output",
        "an_exception_a_call_raised_and_the_test_caught",
    ):
        assert f"FAILED test_planted.py::test_leak_in_{name}" in out
    assert "secrets sweep: a credential of the suite was shown" in out
    assert not leaks_in(out)  # the sweep's own report scrubs what it found


def test_leaks_in_finds_whole_secrets_and_long_pieces_only() -> None:
    token = SWEPT[0]
    assert leaks_in(f"x {token} y")
    assert leaks_in(f"b'...{token[5:25]}'")
    assert not leaks_in(f"short {token[:10]} piece")
    assert not leaks_in("access_token=[REDACTED]")
