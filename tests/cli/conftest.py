"""Fixtures of the command-line tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: Any) -> None:
    """The tests decide the credentials, not the developer's shell."""
    monkeypatch.delenv("INSTAGRAM_ACCESS_TOKEN", raising=False)
    # nor a token stored by `aioinstagram login` (issue 13)
    monkeypatch.setenv("AIOINSTAGRAM_CONFIG", str(tmp_path_factory.mktemp("cfg") / "c.json"))
    monkeypatch.delenv("INSTAGRAM_CLIENT_SECRET", raising=False)


@pytest.fixture(scope="session")
def served_emulator() -> Iterator[str]:
    """A real emulator server in a subprocess (``python -m aioinstagram.emulator``); yields
    its base URL. Its demo user is the same as the embedded one with ``--users 500``."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "aioinstagram.emulator", "--port", "0", "--users", "500"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        base_url = None
        seen = []
        for line in proc.stdout:
            seen.append(line)
            if line.startswith("base URL:"):
                base_url = line.split(":", 1)[1].strip()
            if "press Ctrl-C" in line:
                break
        assert base_url, "".join(seen)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
