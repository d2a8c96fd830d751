"""Fault injection (FaultConfig): each kind, seeding, before/after the write, and over a socket."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from aioinstagram.emulator import ConnectionDropped, Emulator, FaultConfig, serve

from .emulator_helpers import as_user, asgi_client


def target_of(emu: Emulator) -> int:
    g = emu.graph
    return next(u for u in range(2, 300) if not g.is_private(u) and not g.follows(1, u))


async def test_error_faults(make_emu: Callable[..., Emulator]) -> None:
    emu = make_emu(faults=FaultConfig(error_rate=1.0, seed=4))
    statuses = set()
    async with asgi_client(emu) as client:
        api = as_user(client, emu, 1)
        for _ in range(30):
            r = await api.get("/users/self")
            statuses.add(r.status_code)
            if r.status_code == 500:
                assert r.json()["meta"]["error_type"] == "APIError"
            else:
                assert r.headers["content-type"].startswith("text/html")
                assert b"<html>" in r.content
    assert statuses == {500, 502, 503}
    assert emu.stats.faults["error"] == 30
    assert not emu.stats.requests  # faulted requests never reached the routes


@pytest.mark.parametrize("with_retry_after", [True, False])
async def test_spurious_429(make_emu: Callable[..., Emulator], with_retry_after: bool) -> None:
    emu = make_emu(
        faults=FaultConfig(rate_limit_rate=1.0, with_retry_after=with_retry_after, retry_after=3)
    )
    async with asgi_client(emu) as client:
        r = await as_user(client, emu, 1).get("/users/self")
    assert r.status_code == 429
    assert r.json()["meta"]["error_type"] == "OAuthRateLimitException"
    assert r.headers["x-ratelimit-remaining"] == "0"
    assert r.headers.get("retry-after") == ("3" if with_retry_after else None)


async def test_truncated_and_garbage_bodies(make_emu: Callable[..., Emulator]) -> None:
    emu = make_emu(faults=FaultConfig(truncate_rate=1.0))
    async with asgi_client(emu) as client:
        api = as_user(client, emu, 1)
        r = await api.get("/users/self/follows")
        assert r.status_code == 200
        assert r.content.startswith(b'{"meta":{"code":200}')
        with pytest.raises(json.JSONDecodeError):
            json.loads(r.content)
        emu.faults = FaultConfig(garbage_rate=1.0)
        r = await api.get("/users/self")
        assert r.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(r.content)
        emu.faults = FaultConfig()  # off again at runtime
        assert (await api.get("/users/self")).json()["data"]["id"] == "1"
    assert emu.stats.faults == {"truncate": 1, "garbage": 1}


async def test_drop_in_process_raises_remote_protocol_error(
    make_emu: Callable[..., Emulator],
) -> None:
    emu = make_emu(faults=FaultConfig(drop_rate=1.0))
    async with asgi_client(emu) as client:
        with pytest.raises(httpx.RemoteProtocolError) as info:
            await as_user(client, emu, 1).get("/users/self")
    assert isinstance(info.value, ConnectionDropped)


async def test_faulted_post_has_no_effect(make_emu: Callable[..., Emulator]) -> None:
    emu = make_emu(faults=FaultConfig(error_rate=1.0))
    t = target_of(emu)
    async with asgi_client(emu) as client:
        r = await as_user(client, emu, 1).action(t, "follow")
    assert r.status_code >= 500
    assert not emu.graph.follows(1, t)


@pytest.mark.parametrize("kind", ["error_rate", "drop_rate"])
async def test_faults_after_apply_write_happens(
    make_emu: Callable[..., Emulator], kind: str
) -> None:
    rates: dict[str, Any] = {kind: 1.0}
    emu = make_emu(faults=FaultConfig(**rates, faults_after_apply=True))
    t = target_of(emu)
    async with asgi_client(emu) as client:
        try:
            r = await as_user(client, emu, 1).action(t, "follow")
        except httpx.RemoteProtocolError:
            assert kind == "drop_rate"
        else:
            assert r.status_code >= 500
    assert emu.graph.follows(1, t)  # the outcome was unknown to the client, but it happened
    assert emu.stats.requests["POST /users/{user_id}/relationship"] == 1


async def test_fault_rates_are_seeded(make_emu: Callable[..., Emulator]) -> None:
    async def pattern(seed: int) -> list[int]:
        emu = make_emu(faults=FaultConfig(error_rate=0.3, rate_limit_rate=0.2, seed=seed))
        async with asgi_client(emu) as client:
            api = as_user(client, emu, 1)
            return [(await api.get("/users/self")).status_code for _ in range(60)]

    first, again, other = await pattern(1), await pattern(1), await pattern(2)
    assert first == again
    assert first != other
    assert 10 < sum(s != 200 for s in first) < 50


async def test_latency_is_added(
    make_emu: Callable[..., Emulator], monkeypatch: pytest.MonkeyPatch
) -> None:
    import aioinstagram.emulator._faults as faults_mod

    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(faults_mod.asyncio, "sleep", fake_sleep)  # type: ignore[attr-defined]
    emu = make_emu(faults=FaultConfig(latency=0.25))
    async with asgi_client(emu) as client:
        assert (await as_user(client, emu, 1).get("/users/self")).status_code == 200
    assert slept == [0.25]


def test_fault_config_validation() -> None:
    with pytest.raises(ValueError, match="fault rates"):
        FaultConfig(error_rate=0.7, drop_rate=0.5)
    with pytest.raises(ValueError, match="fault rates"):
        FaultConfig(garbage_rate=-0.1)
    assert not FaultConfig().active
    assert FaultConfig(latency=0.1).active


async def test_faults_over_a_real_socket(make_emu: Callable[..., Emulator]) -> None:
    emu = make_emu(faults=FaultConfig(drop_rate=1.0))
    async with serve(emu) as base_url, httpx.AsyncClient() as client:
        params = {"access_token": emu.token(1)}
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(base_url + "/users/self", params=params)
        emu.faults = FaultConfig(error_rate=1.0, seed=1)
        r = await client.get(base_url + "/users/self", params=params)
        assert r.status_code in (500, 502, 503)
        emu.faults = FaultConfig(truncate_rate=1.0)
        r = await client.get(base_url + "/users/self", params=params)
        assert r.status_code == 200
        assert int(r.headers["content-length"]) == len(r.content)
        with pytest.raises(json.JSONDecodeError):
            json.loads(r.content)
        emu.faults = FaultConfig()
        assert (await client.get(base_url + "/users/self", params=params)).status_code == 200
