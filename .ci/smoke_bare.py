"""Smoke test of the wheel installed WITHOUT extras (``nox -s package``).

The library imports; the ``aioinstagram`` script and ``python -m aioinstagram.emulator`` say
in one line what to install (exit 1) instead of a traceback.
"""

from __future__ import annotations

import shutil
import subprocess
import sys


def check(what: str, ok: bool, detail: object = "") -> None:
    print(f"smoke-bare: {'ok  ' if ok else 'FAIL'} {what}" + (f": {detail}" if not ok else ""))
    if not ok:
        sys.exit(1)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def main() -> None:
    import aioinstagram

    check("the library imports without extras", bool(aioinstagram.InstagramClient))
    script = shutil.which("aioinstagram")
    check("console script installed", script is not None)
    assert script is not None
    proc = run(script, "demo")
    check("aioinstagram without the cli extra exits 1", proc.returncode == 1, proc)
    check(
        "and says what to install, in one line",
        proc.stderr.splitlines() == [proc.stderr.strip()]
        and "pip install 'aioinstagram[cli]'" in proc.stderr,
        proc.stderr,
    )
    proc = run(sys.executable, "-m", "aioinstagram.emulator", "--port", "0")
    check("the emulator without its extra exits 1", proc.returncode == 1, proc)
    check(
        "and says what to install, in one line",
        proc.stderr.splitlines() == [proc.stderr.strip()]
        and "pip install 'aioinstagram[emulator]'" in proc.stderr,
        proc.stderr,
    )
    print("smoke-bare: passed")


if __name__ == "__main__":
    main()
