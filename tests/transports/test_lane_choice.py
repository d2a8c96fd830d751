"""When bulk lookups take the bulk lane (``_lane``) and when the general path, against the emulator
over a real socket; the ``pipelining=`` option; and that both give the same outcomes."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import httpx
import pytest

from aioinstagram import (
    InstagramClient,
    InstagramError,
    InvalidArgumentError,
    NotFoundError,
    Relationship,
)
from aioinstagram import _lane as lane_module
from aioinstagram._options import EMPTY
from aioinstagram._transports import TransportName
from aioinstagram.emulator import Emulator, EmulatorConfig, FaultConfig, serve, serve_app


@pytest.fixture
async def emulator() -> AsyncIterator[tuple[Emulator, str]]:
    emu = Emulator(
        dataclasses.replace(
            EmulatorConfig(users=600, seed=11, celebrity_followers=0), rate_limit=1_000_000
        )
    )
    async with serve(emu) as base_url:
        yield emu, base_url


@pytest.fixture
def lane_runs(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """What every bulk lane's ``run`` returned (False: it leased nothing and stepped aside)."""
    runs: list[bool] = []
    original = lane_module.BulkLane.run

    async def spy(self: lane_module.BulkLane) -> bool:
        ran = await original(self)
        runs.append(ran)
        return ran

    monkeypatch.setattr(lane_module.BulkLane, "run", spy)
    return runs


def _ids(emu: Emulator, n: int) -> list[str]:
    return [str(i) for i in emu.sample_user_ids(n)]


async def test_get_many_and_iter_many_take_the_lane_on_fast(
    emulator: tuple[Emulator, str], lane_runs: list[bool]
) -> None:
    emu, base_url = emulator
    ids = [*_ids(emu, 300), "999999999", "not-an-id", _ids(emu, 1)[0]]
    token = emu.token(emu.demo_user_id)
    async with InstagramClient(token, base_url=base_url) as general:
        expected = await general.relationships.get_many(ids, concurrency=16)
    assert lane_runs == []  # the default transport never takes it
    async with InstagramClient(token, base_url=base_url, transport="fast") as client:
        got = await client.relationships.get_many(ids, concurrency=16)
        assert lane_runs == [True]
        streamed: dict[str, Relationship | InstagramError] = {}
        async with aclosing(client.relationships.iter_many(ids, concurrency=16)) as stream:
            async for user_id, outcome in stream:
                assert user_id not in streamed
                streamed[user_id] = outcome
        assert lane_runs == [True, True]
    assert [_key(o) for o in got] == [_key(o) for o in expected]
    assert {k: _key(v) for k, v in streamed.items()} == {
        k: _key(v) for k, v in zip(ids, expected, strict=True)
    }
    assert isinstance(got[-3], NotFoundError)
    assert isinstance(got[-2], InvalidArgumentError)


def _key(outcome: object) -> object:
    return type(outcome).__name__ if isinstance(outcome, InstagramError) else outcome


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"call_timeout": 30.0}, id="call_timeout"),
        pytest.param({"max_connections": 1}, id="one-connection"),
    ],
)
async def test_the_lane_steps_aside(
    emulator: tuple[Emulator, str], lane_runs: list[bool], kwargs: dict[str, Any]
) -> None:
    emu, base_url = emulator
    async with InstagramClient(
        emu.token(emu.demo_user_id), base_url=base_url, transport="fast", **kwargs
    ) as client:
        got = await client.relationships.get_many(_ids(emu, 40), concurrency=8)
    assert all(isinstance(o, Relationship) for o in got)
    assert True not in lane_runs  # never made (call_timeout), or leased nothing (one connection)


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"proxy": "http://127.0.0.1:9"}, id="proxy"),
        pytest.param({"budget_store": "redis://127.0.0.1:9/0"}, id="redis-store"),
        pytest.param({"transport": "httpx"}, id="httpx"),
        pytest.param({"transport": "aiohttp"}, id="aiohttp"),
    ],
)
async def test_no_lane_for_a_proxy_a_store_with_io_or_another_transport(
    kwargs: dict[str, Any],
) -> None:
    # Nothing is sent: neither the proxy nor the Redis server is there.
    kwargs.setdefault("transport", "fast")
    async with InstagramClient("t0k3n", base_url="http://127.0.0.1:9/v1", **kwargs) as client:
        requester = client._requester
        assert lane_module.lane_for(requester, EMPTY, Relationship, path_of=str) is None
    async with InstagramClient("t0k3n", base_url="http://127.0.0.1:9/v1", transport="fast") as fast:
        requester = fast._requester  # the same call without it: a lane
        assert lane_module.lane_for(requester, EMPTY, Relationship, path_of=str)


async def test_per_call_options_take_the_general_path(
    emulator: tuple[Emulator, str], lane_runs: list[bool]
) -> None:
    emu, base_url = emulator
    async with InstagramClient(
        emu.token(emu.demo_user_id), base_url=base_url, transport="fast"
    ) as client:
        got = await client.relationships.get_many(
            _ids(emu, 20), concurrency=8, extra_headers={"X-Trace": "1"}
        )
        assert all(isinstance(o, Relationship) for o in got)
        assert lane_runs == []
        copy = client.with_options(max_retries=1)  # a copy keeps its lane (no per-call options)
        await copy.relationships.get_many(_ids(emu, 20), concurrency=8)
        assert lane_runs == [True]


@pytest.mark.parametrize("depth", [1, 2, 16, 128])
async def test_any_depth_gives_every_outcome(
    emulator: tuple[Emulator, str], lane_runs: list[bool], depth: int
) -> None:
    emu, base_url = emulator
    ids = _ids(emu, 200)
    async with InstagramClient(
        emu.token(emu.demo_user_id), base_url=base_url, transport="fast", pipelining=depth
    ) as client:
        got = await client.relationships.get_many(ids, concurrency=32)
    assert len(got) == len(ids)
    assert all(isinstance(o, Relationship) for o in got)
    assert lane_runs == [True]


@pytest.mark.parametrize("bad", [0, -1, 129, True, 2.0, "8", None])
def test_pipelining_is_validated(bad: object) -> None:
    with pytest.raises(InvalidArgumentError, match="pipelining must be an integer from 1 to 128"):
        InstagramClient("t0k3n", transport="fast", pipelining=bad)  # type: ignore[arg-type]


class _Concurrency:
    """An ASGI wrapper that counts the requests the server works on at once (uvicorn answers a
    connection's pipelined requests one after the other, so this is the connections in use)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.now = 0
        self.peak = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await self.app(scope, receive, send)
        finally:
            self.now -= 1


async def test_a_slow_server_gets_as_many_connections_as_the_general_path_would_use(
    lane_runs: list[bool],
) -> None:
    # Every answer takes 0.1 s: 64 lookups pipelined 32 deep on 2 connections would be answered
    # 2 at a time. The lane sees its requests wait and spreads them over more connections.
    emu = Emulator(
        dataclasses.replace(
            EmulatorConfig(users=600, seed=11, celebrity_followers=0), rate_limit=1_000_000
        )
    )
    emu.faults = FaultConfig(latency=0.1)
    counted = _Concurrency(emu.app)
    async with (
        serve_app(counted) as root,
        InstagramClient(
            emu.token(emu.demo_user_id), base_url=root + "/v1", transport="fast"
        ) as client,
    ):
        got = await client.relationships.get_many(_ids(emu, 400), concurrency=64)
    assert all(isinstance(o, Relationship) for o in got)
    assert lane_runs == [True]
    assert counted.peak >= 32, counted.peak  # 2 without the lane's growth


@pytest.mark.parametrize("transport", ["fast", "httpx"])
async def test_the_budget_learnt_from_the_answers_counts_calls_made_elsewhere(
    transport: TransportName,
) -> None:
    # The token already spent 300 of its 1,000 calls elsewhere. The lane gives each slot back
    # at once but learns the budget from the last answer of each read (the server's latest
    # count): afterwards the client knows what the general path knows.
    emu = Emulator(
        dataclasses.replace(
            EmulatorConfig(users=600, seed=11, celebrity_followers=0), rate_limit=1_000
        )
    )
    token = emu.token(emu.demo_user_id)
    ids = _ids(emu, 200)
    elsewhere = httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app))
    async with InstagramClient(
        token, base_url="http://emulator.invalid/v1", http_client=elsewhere
    ) as other:
        await other.relationships.get_many(ids[:150] * 2, concurrency=8)  # 150 distinct calls
        await other.relationships.get_many(ids[:150], concurrency=8)  # 150 more
    await elsewhere.aclose()
    async with (
        serve(emu) as base_url,
        InstagramClient(token, base_url=base_url, transport=transport) as client,
    ):
        got = await client.relationships.get_many(ids, concurrency=64)
        state = client.rate_limits["token"]
    assert all(isinstance(o, Relationship) for o in got)
    assert state.limit == 1_000
    assert state.in_flight == 0
    assert state.server_remaining == 1_000 - 300 - 200
    assert state.used == 300 + 200  # our 200, and the 300 made elsewhere (topped up)
