"""Many workers, one job (``_cli/workers.py``): a Redis stream with a consumer group as the
queue, HSETNX for exactly one outcome per id, XAUTOCLAIM for a dead worker's ids."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import redis.asyncio as aioredis

from aioinstagram import RedisBudgetStore
from aioinstagram._cli import workers

from .helpers import connect, emulator


async def test_ids_claimed_by_a_dead_worker_come_back_and_each_gets_one_outcome(
    redis_url: str,
) -> None:
    emu = emulator()
    ids = [*emu.sample_user_ids(60), "999999999"]  # an id that does not exist: an error outcome
    keys = workers.JobKeys("t", "job-a")
    redis = aioredis.from_url(redis_url)
    store = RedisBudgetStore.from_url(redis_url)
    try:
        assert await workers.enqueue(redis, keys, ids) == len(ids)
        # worker "dead" claims 20 ids and dies: never looks them up, never acknowledges
        claimed: Any = await redis.xreadgroup(workers.GROUP, "dead", {keys.stream: ">"}, count=20)
        assert len(claimed[0][1]) == 20
        async with connect(emu, "asgi", budget_store=store) as client:
            recorded = await workers.work(client, redis, keys, consumer="alive", lease=0.05)
        assert recorded == len(ids)
        lines = await workers.collect(redis, keys, ids)
        assert await workers.enqueue(redis, keys, ids) == len(ids)  # a rerun adds nothing
        assert await redis.xlen(keys.stream) == len(ids)
        pending = await redis.xpending(keys.stream, workers.GROUP)
    finally:
        await store.aclose()
        await redis.aclose()
    records = [json.loads(line) for line in lines]
    assert [r["user_id"] for r in records] == ids  # every id once, in input order
    assert records[-1]["error"]["type"] == "NotFoundError"
    assert pending["pending"] == 0


async def test_a_result_recorded_before_a_crash_is_not_duplicated(redis_url: str) -> None:
    emu = emulator()
    ids = emu.sample_user_ids(10)
    keys = workers.JobKeys("t", "job-b")
    redis = aioredis.from_url(redis_url)
    try:
        await workers.enqueue(redis, keys, ids)
        await redis.xreadgroup(workers.GROUP, "dead", {keys.stream: ">"}, count=3)
        # it recorded the first id's outcome, then died before XACK
        await redis.hset(keys.results, ids[0], json.dumps({"first": True}))
        async with connect(emu, "asgi") as client:
            recorded = await workers.work(client, redis, keys, consumer="alive", lease=0.05)
        lines = await workers.collect(redis, keys, ids)
    finally:
        await redis.aclose()
    assert recorded == len(ids) - 1
    assert len(lines) == len(ids)
    assert json.loads(lines[0]) == {"first": True}  # the first outcome is the one kept


def test_the_lookup_command_with_two_worker_processes(redis_url: str) -> None:
    ids = [str(i) for i in range(1, 121)]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "aioinstagram.cli",
            "--emulator",
            "--users",
            "500",
            "lookup",
            "--workers",
            "2",
            "--redis",
            redis_url,
            "--no-progress",
        ],
        input="\n".join(ids),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [json.loads(line)["user_id"] for line in lines] == ids
    assert "120 of 120 ids have an outcome (2 workers)" in done.stderr
