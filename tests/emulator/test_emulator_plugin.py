"""The pytest plugin's fixtures (entry point ``pytest11: aioinstagram``)."""

from __future__ import annotations

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
