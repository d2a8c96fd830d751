"""Smoke test of an installed wheel (``nox -s package``): run from a folder with no source tree.

Starts ``python -m aioinstagram.emulator`` on a free loopback port, talks to it with the
library and with the ``aioinstagram`` console script, then stops it with SIGTERM (exit 0).
Uses only what the wheel installed; prints one line per check and exits non-zero on failure.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path


def check(what: str, ok: bool, detail: object = "") -> None:
    print(f"smoke: {'ok  ' if ok else 'FAIL'} {what}" + (f": {detail}" if not ok else ""))
    if not ok:
        sys.exit(1)


def main() -> None:
    import aioinstagram

    here = Path(aioinstagram.__file__).resolve()
    check("imported from site-packages", "site-packages" in here.parts, here)
    version = importlib.metadata.version("aioinstagram")
    check(f"version {version} is aioinstagram.__version__", version == aioinstagram.__version__)
    check("py.typed shipped", (here.parent / "py.typed").is_file())
    plugins = importlib.metadata.entry_points(group="pytest11")
    check("pytest plugin registered", any(ep.name == "aioinstagram" for ep in plugins))

    proc = subprocess.Popen(
        [sys.executable, "-m", "aioinstagram.emulator", "--port", "0", "--users", "300",
         "--celebrity-followers", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    guard = threading.Timer(120, proc.kill)  # never hang CI
    guard.start()
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl-C" in line:
                break
        base_url = next(ln.split()[-1] for ln in lines if ln.startswith("base URL:"))
        token = next(ln.split()[2] for ln in lines if ln.startswith("demo token:"))
        check(f"emulator serving at {base_url}", base_url.startswith("http://127.0.0.1:"))
        asyncio.run(use_library(base_url, token))
        use_console_script(base_url, token)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        check(
            "emulator stops on SIGTERM with status 0", proc.returncode == 0, (proc.returncode, err)
        )
        check("no traceback from the emulator", "Traceback" not in err, err)
        check("the emulator said it stopped", "emulator stopped" in out, out)
    finally:
        guard.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    print("smoke: passed")


async def use_library(base_url: str, token: str) -> None:
    from aioinstagram import InstagramClient, NotFoundError, Relationship

    async with InstagramClient(access_token=token, base_url=base_url) as client:
        me = await client.users.get("self")
        check(f"users.get('self') -> {me.username}", token == f"emulator-{me.id}")
        followers = await client.relationships.followed_by("self", count=25).collect(limit=60)
        check(f"followed_by walked {len(followers)} users over pages", len(followers) > 25)
        ids = [u.id for u in followers[:20]] + ["999999999"]
        results = await client.relationships.get_many(ids, concurrency=8)
        check("get_many answers every id", len(results) == len(ids))
        check("get_many results", all(isinstance(r, Relationship) for r in results[:-1]))
        check("an unknown id is its own NotFoundError", isinstance(results[-1], NotFoundError))


def use_console_script(base_url: str, token: str) -> None:
    script = shutil.which("aioinstagram")
    check("console script installed", script is not None)
    assert script is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("INSTAGRAM_")}
    args = [script, "--token", token, "--base-url", base_url, "followers", "self", "--limit", "5"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env, check=False)
    check("aioinstagram followers exits 0", proc.returncode == 0, proc.stderr)
    users = [json.loads(line) for line in proc.stdout.splitlines()]
    check("aioinstagram followers printed 5 JSON lines", len(users) == 5, proc.stdout)
    check("the token is not echoed", token not in proc.stdout + proc.stderr)
    demo = subprocess.run(
        [script, "--users", "300", "demo", "--lookups", "100", "--no-progress"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    check("aioinstagram demo exits 0", demo.returncode == 0, demo.stderr)
    check("aioinstagram demo prints its summary", "demo summary" in demo.stderr, demo.stderr)


if __name__ == "__main__":
    main()
