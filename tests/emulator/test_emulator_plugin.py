"""The pytest plugin's fixtures (entry point ``pytest11: aioinstagram``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aioinstagram.emulator import Emulator, EmulatorConfig

try:
    from aioinstagram import InstagramClient  # noqa: F401

    HAVE_CLIENT = True
except ImportError:  # pragma: no cover - while the client is being written
    HAVE_CLIENT = False

needs_client = pytest.mark.skipif(not HAVE_CLIENT, reason="aioinstagram.InstagramClient missing")


@pytest.fixture
def instagram_emulator_config() -> EmulatorConfig:
    # A user-defined override of the plugin's fixture, as a user's conftest.py would do.
    return EmulatorConfig(users=500, seed=11, celebrity_followers=0, rate_limit=100_000)


def test_emulator_fixture_uses_the_overridden_config(instagram_emulator: Emulator) -> None:
    assert isinstance(instagram_emulator, Emulator)
    assert instagram_emulator.config.users == 500
    assert instagram_emulator.config.seed == 11


def test_default_config_fixture(pytestconfig: pytest.Config) -> None:
    from aioinstagram.emulator import pytest_plugin

    config = pytest_plugin.instagram_emulator_config.__wrapped__()  # type: ignore[attr-defined]
    assert config.users == 2000
    assert config.celebrity_followers == 0
    assert pytestconfig.pluginmanager.has_plugin("aioinstagram")


@needs_client
async def test_client_fixture_talks_to_the_emulator(
    instagram_client: Any, instagram_emulator: Emulator
) -> None:
    emu = instagram_emulator
    me = await instagram_client.users.get("self")
    assert str(me.id) == emu.demo_user_id
    target = next(
        u for u in range(1, 500) if not emu.graph.is_private(u) and str(u) != emu.demo_user_id
    )
    emu.graph.remove_follow(int(emu.demo_user_id), target)
    emu.graph.remove_block(int(emu.demo_user_id), target)
    emu.graph.remove_block(target, int(emu.demo_user_id))
    rel = await instagram_client.relationships.follow(str(target))
    assert emu.graph.follows(int(emu.demo_user_id), target)
    assert "follows" in str(rel.outgoing_status).lower()
    followers = [u async for u in instagram_client.relationships.followed_by("self")]
    assert len(followers) == emu.graph.followers_count(int(emu.demo_user_id))
    assert emu.stats.requests["GET /users/{user_id}/followed-by"] >= 1


def test_instagram_client_without_pytest_asyncio_fails_saying_why(tmp_path: Path) -> None:
    # A user's test suite in an environment where pytest-asyncio cannot be imported.
    (tmp_path / "test_bot.py").write_text(
        "def test_bot(instagram_client):\n    pass\n\n"
        "def test_emulator(instagram_emulator):\n    assert instagram_emulator.demo_user_id\n"
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    code = (
        "import sys; sys.modules['pytest_asyncio'] = None\n"
        "import pytest\n"
        "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', '-p', PLUGIN]))"
    ).replace("PLUGIN", repr("aioinstagram.emulator.pytest_plugin"))
    # Entry-point plugins off (pytest-asyncio's would fail to load); ours named explicitly.
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 passed, 1 error" in proc.stdout, proc.stdout
    assert "instagram_client fixture needs pytest-asyncio" in proc.stdout
    assert "pip install 'aioinstagram[pytest]'" in proc.stdout
