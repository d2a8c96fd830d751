"""Importing aioinstagram does not import the optional extras' heavy modules: redis-py (about
60 ms) is imported when a Redis budget store or a lookup job is made."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(out.stdout.split())


def test_importing_the_package_leaves_redis_alone() -> None:
    modules = _modules_after("import aioinstagram")
    assert "aioinstagram" in modules
    assert not {m for m in modules if m == "redis" or m.startswith("redis.")}


def test_making_a_store_loads_redis() -> None:
    pytest.importorskip("redis")
    modules = _modules_after(
        "import aioinstagram\n"
        "from aioinstagram import _redis_budget\n"
        "store = aioinstagram.RedisBudgetStore.from_url('redis://127.0.0.1:9/0')\n"
        "assert _redis_budget.NoScriptError.__module__ == 'redis.exceptions'\n"
    )
    assert "redis.asyncio" in modules
