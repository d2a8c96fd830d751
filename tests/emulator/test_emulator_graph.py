"""The seeded graph: reproducible, power-law, private users, requests, blocks, media."""

from __future__ import annotations

import aioinstagram.emulator as emulator_pkg
from aioinstagram.emulator import Emulator, EmulatorConfig
from aioinstagram.emulator._graph import AUDIENCE_BASE, Graph, decode_cursor, encode_cursor


def snapshot(g: Graph) -> tuple[object, ...]:
    users = range(1, g.users + 1)
    return (
        [g.full_user(u) for u in users],
        [[uid for _, uid in g.followers_page(u, None, 10_000)] for u in users],
        [g.is_private(u) for u in users],
        [[uid for _, uid in g.requests_page(u, None, 1000)] for u in users],
        g.demo_user_id,
    )


def test_same_seed_same_graph_other_seed_other_graph() -> None:
    a, b, c = Graph(400, 5), Graph(400, 5), Graph(400, 6)
    assert snapshot(a) == snapshot(b)
    assert snapshot(a) != snapshot(c)


def test_default_config_has_power_law_and_a_celebrity() -> None:
    emu = Emulator(EmulatorConfig())
    g = emu.graph
    assert emu.config.users == 10_000
    counts = sorted(g.followers_count(u) for u in range(1, g.users + 1))
    median = counts[len(counts) // 2]
    assert median <= 10
    assert counts[-1] >= 50 * max(1, median)  # heavy tail
    assert emu.celebrity_user_id is not None
    assert g.followers_count(int(emu.celebrity_user_id)) >= 100_000
    private = sum(g.is_private(u) for u in range(1, g.users + 1)) / g.users
    assert 0.08 < private < 0.16
    assert g.exists(AUDIENCE_BASE)
    assert g.exists(AUDIENCE_BASE + 119_999)
    assert not g.exists(AUDIENCE_BASE + 120_000)
    assert not g.exists(0)


def test_profiles_are_deterministic_and_unique() -> None:
    g = Graph(300, 9, celebrity_followers=100)
    names = [g.username(u) for u in g.iter_user_ids()]
    assert len(set(names)) == len(names)
    assert g.short_user(AUDIENCE_BASE + 5) == Graph(300, 9, celebrity_followers=100).short_user(
        AUDIENCE_BASE + 5
    )
    assert g.short_user(7)["username"] == g.username(7)


def test_sample_user_ids() -> None:
    emu = Emulator(users=100, seed=2, celebrity_followers=50)
    ids = emu.sample_user_ids(120)
    assert len(set(ids)) == 120
    assert ids == Emulator(users=100, seed=2, celebrity_followers=50).sample_user_ids(120)
    assert all(emu.graph.exists(int(i)) for i in ids)
    assert str(emu.celebrity_user_id) in ids


def test_media_and_comments_are_modelled() -> None:
    g = Graph(200, 1)
    poster = next(u for u in range(1, 201) if g.media_count(u) >= 3)
    media = g.media_of(poster)
    assert len(media) == g.media_count(poster) == g.full_user(poster)["counts"]["media"]  # type: ignore[index]
    assert media == Graph(200, 1).media_of(poster)
    assert all(m.id.endswith(f"_{poster}") for m in media)
    times = [m.created_time for m in media]
    assert times == sorted(times, reverse=True)  # newest first
    with_comments = next(m for u in range(1, 201) for m in g.media_of(u) if m.comment_count)
    comments = g.comments_of(with_comments)
    assert len(comments) == with_comments.comment_count
    assert all(g.exists(c.author) for c in comments)


def test_cursor_roundtrip() -> None:
    c = encode_cursor(1, 2, 3, 12345)
    assert c.isdigit()
    assert decode_cursor(1, 2, 3, c) == 12345
    assert decode_cursor(2, 2, 3, c) is None  # other seed
    assert decode_cursor(1, 1, 3, c) is None  # other list
    assert decode_cursor(1, 2, 4, c) is None  # other user


def test_public_api() -> None:
    assert set(emulator_pkg.__all__) == {
        "TOKEN_PREFIX",
        "ConnectionDropped",
        "Emulator",
        "EmulatorConfig",
        "EmulatorStats",
        "FaultConfig",
        "DEFAULT_APP",
        "OAuthApp",
        "serve",
        "serve_app",
    }
    emu = Emulator(users=50, seed=1, celebrity_followers=0)
    assert emu.celebrity_user_id is None
    assert emu.token("123") == "emulator-123"
    assert emu.demo_token == f"emulator-{emu.demo_user_id}"
