"""RedisBudgetStore against a real redis-server (started by conftest) and the emulator."""

from __future__ import annotations

import asyncio
import logging
from typing import cast

import pytest
import redis.asyncio as aioredis
import redis.exceptions as redis_exceptions

from aioinstagram import InvalidArgumentError, RateLimitError, RedisBudgetStore
from aioinstagram import _redis_budget as redis_budget
from aioinstagram._budget import WAIT_FOR_CHANGE
from aioinstagram._redis_budget import PROBE_LEASE, REASON_OUTAGE

from .helpers import connect, emulator
from .redisproc import RedisProcess

WINDOW = 60.0


def store(url: str, **kw: object) -> RedisBudgetStore:
    return RedisBudgetStore.from_url(url, **kw)


async def test_two_clients_on_one_token_share_one_budget(redis_url: str) -> None:
    emu = emulator(rate_limit=8, rate_window=WINDOW)
    ids = emu.sample_user_ids(16)
    a_store, b_store = store(redis_url), store(redis_url)  # two connections, as two processes
    try:
        async with (
            connect(
                emu, "asgi", budget_store=a_store, rate_limit_window=WINDOW, retry_deadline=1
            ) as a,
            connect(
                emu, "asgi", budget_store=b_store, rate_limit_window=WINDOW, retry_deadline=1
            ) as b,
        ):
            results = await asyncio.gather(
                *(a.users.get(uid) for uid in ids[:8]),
                *(b.users.get(uid) for uid in ids[8:]),
                return_exceptions=True,
            )
            states = a.rate_limits, b.rate_limits
    finally:
        await a_store.aclose()
        await b_store.aclose()
    done = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, RateLimitError)]
    assert len(done) == 8 and len(refused) == 8  # one budget of 8 between the two clients
    assert emu.stats.rate_limited == 0  # refused by the shared accounting, not by the server
    assert all(e.bucket == "token" for e in refused)
    assert states[0]["token"].limit == 8


async def test_reserving_is_atomic_across_connections(redis_url: str) -> None:
    stores = [store(redis_url) for _ in range(4)]
    scope = stores[0].scope_for("token-under-test")
    try:
        first = await stores[0].reserve(scope, ("token",), window=WINDOW)
        assert first.ticket is not None  # the probe
        await stores[0].settle(
            scope,
            ("token",),
            first.ticket,
            window=WINDOW,
            reached_server=True,
            budget=(20, 19),
        )

        async def take(s: RedisBudgetStore) -> bool:
            return (await s.reserve(scope, ("token",), window=WINDOW)).wait == 0

        granted = await asyncio.gather(*(take(s) for s in stores for _ in range(30)))
    finally:
        for s in stores:
            await s.aclose()
    assert sum(granted) == 19  # 20 in the window, one of them the probe


async def test_an_answer_counting_a_call_that_left_our_window_since_is_no_top_up(
    redis_url: str,
) -> None:
    """The server's ``Remaining`` is its count when it handled the request; a call of ours that
    left our window between that send and the answer is still ours, not a call made elsewhere
    (rule 3 of _budget). The window's passing is simulated by purging the log the way the
    scripts do, so nothing depends on timing."""
    s = store(redis_url, namespace="late-answer")
    scope = s.scope_for("token-under-test")
    prefix = f"late-answer:{scope}:token:"
    try:
        first = await s.reserve(scope, ("token",), window=WINDOW)
        assert first.ticket is not None
        await s.settle(
            scope, ("token",), first.ticket, window=WINDOW, reached_server=True, budget=(3, 2)
        )
        slow = await s.reserve(scope, ("token",), window=WINDOW)
        assert slow.ticket is not None
        # the first answer leaves the window while the slow request is out
        assert await s.redis.zrem(prefix + "log", first.ticket) == 1
        await s.redis.hincrby(prefix + "m", "pc", 1)
        # the server counted both (remaining 1)
        await s.settle(
            scope, ("token",), slow.ticket, window=WINDOW, reached_server=True, budget=(3, 1)
        )
        # that settle rides along with the next reserve (one script call)
        third = await s.reserve(scope, ("token",), window=WINDOW)
        xt = await s.redis.hget(prefix + "m", "xt")
        state = s.state(scope, "token")
    finally:
        await s.aclose()
    assert third.wait == 0  # with a top-up, the bucket would be full (3 of 3)
    assert int(xt or 0) == 0  # no top-up
    assert state is not None and (state.used, state.in_flight) == (2, 1)


async def test_a_settle_folded_into_the_next_reserve_or_sent_alone_is_never_lost(
    redis_url: str,
) -> None:
    """A plain answer's settle is not awaited: it runs ahead of the next reserve in one script
    call, or by itself a loop turn later, or at ``aclose``; either way the slot moves from in
    flight to the log exactly once."""
    s = store(redis_url, namespace="folded")
    scope = s.scope_for("token-under-test")
    prefix = f"folded:{scope}:token:"
    check = aioredis.from_url(redis_url)
    try:
        tickets = []
        for _ in range(3):
            grant = await s.reserve(scope, ("token",), window=WINDOW)
            assert grant.ticket is not None
            tickets.append(grant.ticket)
            await s.settle(
                scope, ("token",), grant.ticket, window=WINDOW, reached_server=True, budget=(9, 8)
            )
        # the first two rode along with the next reserve; the last one waits for a reserve
        for _ in range(3):  # ... and goes by itself a loop turn later
            await asyncio.sleep(0)
        await asyncio.gather(*s._flushes)
        logged = {
            t.decode() for t in cast("list[bytes]", await check.zrange(prefix + "log", 0, -1))
        }
        flying = await check.zcard(prefix + "fly")
        last = await s.reserve(scope, ("token",), window=WINDOW)
        assert last.ticket is not None
        await s.settle(
            scope, ("token",), last.ticket, window=WINDOW, reached_server=True, budget=(9, 5)
        )
    finally:
        await s.aclose()  # sends the settle still pending
    try:
        closed = {
            t.decode() for t in cast("list[bytes]", await check.zrange(prefix + "log", 0, -1))
        }
        closed_flying = await check.zcard(prefix + "fly")
    finally:
        await check.aclose()
    assert logged == set(tickets) and flying == 0
    assert closed == {*tickets, last.ticket} and closed_flying == 0


async def test_no_token_in_redis_and_every_key_expires(redis_url: str) -> None:
    emu = emulator(rate_limit=50, rate_window=WINDOW)
    token = emu.token(emu.demo_user_id)
    s = store(redis_url, namespace="ci-test")
    try:
        async with connect(
            emu, "asgi", budget_store=s, access_token=token, rate_limit_window=WINDOW
        ) as client:
            await asyncio.gather(*(client.users.get(u) for u in emu.sample_user_ids(5)))
            await client.relationships.follow(emu.sample_user_ids(7)[6])
    finally:
        await s.aclose()
    redis = aioredis.from_url(redis_url)
    try:
        keys = [k.decode() async for k in redis.scan_iter("*")]
        assert keys and all(k.startswith("ci-test:") for k in keys)
        secret_bits = {token}
        for key in keys:
            assert not any(bit in key for bit in secret_bits)
            ttl = await redis.pttl(key)
            assert 0 < ttl <= (WINDOW + 120.0) * 1000 + 1000
            kind = cast(bytes, await redis.type(key)).decode()
            if kind == "hash":
                values = [cast(bytes, v).decode() for v in (await redis.hgetall(key)).values()]
            else:
                values = [cast(bytes, m).decode() for m in await redis.zrange(key, 0, -1)]
            assert not any(bit in v for v in values for bit in secret_bits)
    finally:
        await redis.aclose()
    assert any(k.endswith(":relationship.unsigned:log") for k in keys)


async def test_a_429_is_written_back_so_every_worker_pauses(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = store(redis_url), store(redis_url)
    scope = a.scope_for("one-token")
    try:
        grant = await a.reserve(scope, ("token",), window=WINDOW)
        assert grant.ticket is not None
        settled = await a.settle(
            scope,
            ("token",),
            grant.ticket,
            window=WINDOW,
            reached_server=True,
            budget=(5000, 0),
            limited=0,
            retry_after=7.0,
        )
        assert settled.paused == pytest.approx(7.0)
        seen = await b.reserve(scope, ("token",), window=WINDOW)
        again = await b.reserve(scope, ("token",), window=WINDOW)
    finally:
        await a.aclose()
        await b.aclose()
    assert 6.0 < seen.wait <= 7.0
    assert seen.paused is not None  # b announces the pause once ...
    assert again.paused is None  # ... not at every look
    assert b.state(scope, "token") is not None
    assert b.state(scope, "token").paused  # type: ignore[union-attr]


async def test_a_redis_restart_loses_only_what_was_in_flight(
    own_redis_process: RedisProcess,
) -> None:
    emu = emulator(rate_limit=10, rate_window=WINDOW)
    ids = emu.sample_user_ids(11)
    s = store(own_redis_process.url)
    try:
        async with connect(
            emu, "socket", budget_store=s, rate_limit_window=WINDOW, retry_deadline=1
        ) as client:
            for uid in ids[:6]:
                await client.users.get(uid)
            own_redis_process.restart()  # the log is gone; the server's headers re-teach it
            for uid in ids[6:10]:
                await client.users.get(uid)
            with pytest.raises(RateLimitError):
                await client.users.get(ids[10])
    finally:
        await s.aclose()
    assert emu.stats.rate_limited == 0


async def test_an_outage_pauses_requests_and_the_deadline_raises(
    own_redis_process: RedisProcess, caplog: pytest.LogCaptureFixture
) -> None:
    emu = emulator()
    s = store(own_redis_process.url, outage_retry=0.05)
    own_redis_process.stop()
    caplog.set_level(logging.WARNING, logger="aioinstagram")
    try:
        async with connect(emu, "asgi", budget_store=s, retry_deadline=0.5) as client:
            with pytest.raises(RateLimitError) as info:
                await client.users.get()
    finally:
        await s.aclose()
    assert "unreachable" in str(info.value)
    assert info.value.bucket == "token"
    assert (
        sum(
            r.getMessage().startswith("the Redis budget store is unreachable")
            for r in caplog.records
        )
        == 1
    )
    assert sum(emu.stats.requests.values()) == 0  # nothing was sent


async def test_an_outage_spends_a_local_budget_when_asked(
    own_redis_process: RedisProcess,
) -> None:
    emu = emulator(rate_limit=3, rate_window=WINDOW)
    s = store(own_redis_process.url, on_outage="local")
    own_redis_process.stop()
    try:
        async with connect(
            emu, "asgi", budget_store=s, rate_limit_window=WINDOW, retry_deadline=0.5
        ) as client:
            for uid in emu.sample_user_ids(3):
                await client.users.get(uid)
            with pytest.raises(RateLimitError):  # the local budget is as strict
                await client.users.get()
            assert client.rate_limits["token"].limit == 3
        own_redis_process.start()
    finally:
        await s.aclose()
    assert emu.stats.rate_limited == 0


def test_bad_arguments_are_invalid_argument_errors(redis_url: str) -> None:
    with pytest.raises(InvalidArgumentError):
        store(redis_url, on_outage="panic")
    with pytest.raises(InvalidArgumentError):
        store(redis_url, lease=0)


async def test_the_client_accepts_a_url_and_closes_what_it_made(redis_url: str) -> None:
    emu = emulator()
    async with connect(emu, "asgi", budget_store=redis_url) as client:
        assert isinstance(client._limiter.store, RedisBudgetStore)
        await client.users.get()
    with pytest.raises(InvalidArgumentError):
        async with connect(emu, "asgi", budget_store="memcached://x"):
            pass


async def test_a_second_run_on_a_shared_store_meets_no_429(redis_url: str) -> None:
    """The issue's stall with a shared store: the second run knows the first run's calls."""
    window = 1.0
    emu = emulator(rate_limit=5, rate_window=window)
    ids = emu.sample_user_ids(10)
    for part in (ids[:5], ids[5:]):
        async with connect(
            emu, "asgi", budget_store=redis_url, rate_limit_window=window, retry_deadline=None
        ) as client:
            await asyncio.gather(*(client.users.get(uid) for uid in part))
    assert emu.stats.rate_limited == 0


async def _evalsha_calls(redis: aioredis.Redis) -> int:
    stats = await redis.info("commandstats")
    return int(stats.get("cmdstat_evalsha", {}).get("calls", 0))


async def test_the_reserves_and_settles_of_one_loop_turn_are_one_script_call(
    redis_url: str,
) -> None:
    """Every reserve and settle started in one event-loop turn goes to Redis as one EVALSHA;
    each reservation is still granted or refused on its own, in order, and a 429's settle in
    the same turn runs first (its pause holds up the reserves beside it)."""
    s = store(redis_url, namespace="one-call")
    scope = s.scope_for("token-under-test")
    write = ("token", "relationship.unsigned")
    check = aioredis.from_url(redis_url)
    try:
        probe = await s.reserve(scope, ("token",), window=WINDOW)
        assert probe.ticket is not None
        await s.settle(
            scope, ("token",), probe.ticket, window=WINDOW, reached_server=True, budget=(20, 19)
        )
        before = await _evalsha_calls(check)
        grants = await asyncio.gather(
            *(s.reserve(scope, ("token",), window=WINDOW) for _ in range(25)),
            s.reserve(scope, write, window=WINDOW),
        )
        calls = await _evalsha_calls(check) - before
        token_state, write_state = s.state(scope, "token"), s.state(scope, "relationship.unsigned")
        # a 429's settle and two reserves in one turn: the settle runs first
        granted = [g for g in grants if g.ticket is not None]
        limited = await asyncio.gather(
            s.settle(
                scope,
                ("token",),
                granted[0].ticket or "",
                window=WINDOW,
                reached_server=True,
                budget=(20, 0),
                limited=0,
                retry_after=30.0,
            ),
            s.reserve(scope, ("token",), window=WINDOW),
            s.reserve(scope, ("token",), window=WINDOW),
        )
    finally:
        await s.aclose()
        await check.aclose()
    assert calls == 1
    token_only = grants[:25]
    assert [g.ticket is not None for g in token_only] == [True] * 19 + [False] * 6
    assert all(g.bucket == "token" and g.wait != 0 for g in token_only[19:])
    assert grants[25].ticket is None and grants[25].bucket == "token"  # the token bucket is full
    assert token_state is not None and (token_state.limit, token_state.used) == (20, 20)
    assert write_state is not None and write_state.used == 0
    settled, first, second = limited
    assert settled.paused == pytest.approx(30.0)
    # one script, one clock: the reserves wait the pause the settle before them started (the
    # stored resume time has 14 significant digits)
    assert first.wait == pytest.approx(30.0, abs=1e-3) == second.wait
    assert first.reason == second.reason == "429 from the server with Retry-After"


async def test_a_failed_script_call_fails_every_waiter_with_the_same_error(
    redis_url: str,
) -> None:
    """A script call that fails (here a key of the wrong type: Redis refuses the script) fails
    every reserve that rode in it with that error, as each would fail alone."""
    s = store(redis_url, namespace="broken")
    scope = s.scope_for("token-under-test")
    check = aioredis.from_url(redis_url)
    try:
        await check.set(f"broken:{scope}:token:m", "not a hash")
        outcomes = await asyncio.gather(
            *(s.reserve(scope, ("token",), window=WINDOW) for _ in range(5)),
            return_exceptions=True,
        )
    finally:
        await s.aclose()
        await check.aclose()
    assert all(isinstance(o, redis_exceptions.ResponseError) for o in outcomes)
    assert len({str(o) for o in outcomes}) == 1


async def test_an_outage_answers_every_reserve_of_a_loop_turn_alike(
    own_redis_process: RedisProcess, caplog: pytest.LogCaptureFixture
) -> None:
    s = store(own_redis_process.url, outage_retry=5.0)
    scope = s.scope_for("token-under-test")
    own_redis_process.stop()
    caplog.set_level(logging.WARNING, logger="aioinstagram")
    try:
        grants = await asyncio.gather(
            *(s.reserve(scope, ("token",), window=WINDOW) for _ in range(8))
        )
    finally:
        await s.aclose()
    assert {(g.wait, g.bucket, g.reason, g.ticket) for g in grants} == {
        (5.0, "token", REASON_OUTAGE, None)
    }
    assert sum(g.paused is not None for g in grants) == 1  # announced once
    assert sum("unreachable" in r.getMessage() for r in caplog.records) == 1


async def test_a_probe_whose_process_died_holds_its_bucket_for_the_probe_lease_only(
    redis_url: str,
) -> None:
    """A killed worker's probe: its slot stays in flight for the whole lease, but the others
    wait for its answer only ``PROBE_LEASE`` seconds (read from Redis: no waiting here)."""
    s = store(redis_url, namespace="dead-probe", lease=600.0)
    scope = s.scope_for("token-under-test")
    prefix = f"dead-probe:{scope}:token:"
    try:
        probe = await s.reserve(scope, ("token",), window=WINDOW)  # never settled: "killed"
        assert probe.ticket is not None
        other = await s.reserve(scope, ("token",), window=WINDOW)
        turn_ends = float(cast(bytes, await s.redis.hget(prefix + "m", "pexp")))
        slot_ends = cast(float, await s.redis.zscore(prefix + "fly", probe.ticket))
    finally:
        await s.aclose()
    assert other.wait == WAIT_FOR_CHANGE  # the others wait for the probe's answer ...
    assert slot_ends - turn_ends == pytest.approx(600.0 - PROBE_LEASE, abs=0.01)  # ... 30 s at most


async def test_a_redis_that_never_answers_is_an_outage_not_a_hang(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The store's connections have no socket timeout (it costs a task per command in
    redis-py); each script call has its own deadline, after which it is an outage."""
    monkeypatch.setattr(redis_budget, "_CALL_TIMEOUT", 0.2)

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(65536):
            pass
        writer.close()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    s = store(f"redis://127.0.0.1:{port}/0", outage_retry=5.0)
    scope = s.scope_for("token-under-test")
    try:
        grants = await asyncio.gather(
            *(s.reserve(scope, ("token",), window=WINDOW) for _ in range(3))
        )
    finally:
        await s.aclose()
        server.close()
        await server.wait_closed()
    assert {(g.reason, g.ticket) for g in grants} == {(REASON_OUTAGE, None)}


async def test_while_a_call_is_out_later_turns_wait_and_go_as_one_call(redis_url: str) -> None:
    """One script call in flight per store: the reserves of the loop turns that pass while it
    is out are held, then sent together as one call the moment it is back (each still granted
    on its own). Redis is paused (CLIENT PAUSE) so that the first call stays out for sure."""
    s = store(redis_url, namespace="held")
    scope = s.scope_for("token-under-test")
    check = aioredis.from_url(redis_url)
    pauser = aioredis.from_url(redis_url)
    try:
        probe = await s.reserve(scope, ("token",), window=WINDOW)
        assert probe.ticket is not None
        await s.settle(
            scope, ("token",), probe.ticket, window=WINDOW, reached_server=True, budget=(100, 99)
        )
        before = await _evalsha_calls(check)
        await pauser.client_pause(300, all=True)
        first = asyncio.ensure_future(s.reserve(scope, ("token",), window=WINDOW))
        later = []
        for _ in range(5):  # five more loop turns while the first call is out
            await asyncio.sleep(0.01)
            later.append(asyncio.ensure_future(s.reserve(scope, ("token",), window=WINDOW)))
        grants = [await first, *await asyncio.gather(*later)]
        calls = await _evalsha_calls(check) - before
        assert calls == 2  # the first call, then one for all five held reserves
        assert all(g.wait == 0 and g.ticket is not None for g in grants)
        assert len({g.ticket for g in grants}) == 6
        state = s.state(scope, "token")
        assert state is not None and state.in_flight == 6
    finally:
        await s.aclose()
        await check.aclose()
        await pauser.aclose()
