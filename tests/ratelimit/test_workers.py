"""Many workers, one job (``aioinstagram.LookupJob`` / ``run_lookup_job``, ``lookup --workers``):
a Redis stream with a consumer group as the queue, HSETNX for exactly one outcome per id,
XAUTOCLAIM for a dead worker's ids. Against a real redis-server and the emulator."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from aioinstagram import (
    InvalidArgumentError,
    LookupFailure,
    LookupJob,
    LookupOutcome,
    OutgoingStatus,
    Relationship,
    run_lookup_job,
)
from aioinstagram._workers import GROUP, _start_workers, _WorkerSpec
from aioinstagram.emulator import FaultConfig, serve

from .helpers import connect, emulator

MISSING = "999999999"  # an id that does not exist: an error outcome


async def test_ids_claimed_by_a_dead_worker_come_back_and_each_gets_one_outcome(
    redis_url: str,
) -> None:
    emu = emulator()
    ids = [*emu.sample_user_ids(60), MISSING]
    async with LookupJob(redis_url, "job-a", namespace="t", lease=0.05) as job:
        assert await job.enqueue([*ids, ids[0]]) == len(ids)  # a duplicate is enqueued once
        # worker "dead" claims 20 ids and dies: never looks them up, never acknowledges
        claimed: Any = await job.redis.xreadgroup(GROUP, "dead", {"t:job:job-a:ids": ">"}, count=20)
        assert len(claimed[0][1]) == 20
        store = job.budget_store()
        try:
            async with connect(emu, "asgi", budget_store=store) as client:
                recorded = await job.work(client, consumer="alive")
        finally:
            await store.aclose()
        outcomes = await job.outcomes(ids)
        assert await job.enqueue(ids) == len(ids)  # a rerun adds nothing
        assert await job.redis.xlen("t:job:job-a:ids") == len(ids)
        pending = await job.redis.xpending("t:job:job-a:ids", GROUP)
        assert await job.pending() == 0
    assert recorded == len(ids)
    assert [o.user_id for o in outcomes] == ids  # every id once, in input order
    assert all(isinstance(o.relationship, Relationship) for o in outcomes[:-1])
    assert not outcomes[-1].ok and outcomes[-1].error is not None
    assert outcomes[-1].error.type == "NotFoundError"
    assert pending["pending"] == 0


async def test_a_worker_killed_mid_job_loses_no_id(redis_url: str) -> None:
    """A real worker process is SIGKILLed while it holds claimed ids; another worker takes
    them after the lease: every id gets exactly one outcome."""
    emu = emulator()
    emu.faults = FaultConfig(latency=0.05)  # slow answers: the worker holds its batch a while
    ids = emu.sample_user_ids(40)
    async with serve(emu) as base_url, LookupJob(redis_url, "job-k", lease=0.3, batch=10) as job:
        await job.enqueue(ids)
        spec = _WorkerSpec(
            redis_url=redis_url,
            job="job-k",
            base_url=base_url,
            access_token=emu.token(emu.demo_user_id),
            concurrency=2,
            batch=10,
            lease=0.3,
        )
        (victim,) = _start_workers(spec, 1)
        try:
            # until it has recorded an outcome (its probe is answered: a dead probe would hold
            # the bucket for the store's lease) and holds claimed ids (bounded: ~60 s at most)
            for _ in range(6000):
                info: Any = await job.redis.xpending("aioinstagram:job:job-k:ids", GROUP)
                done = await job.redis.hlen("aioinstagram:job:job-k:results")
                if (info["pending"] > 0 and done > 0) or not victim.is_alive():
                    break
                await asyncio.sleep(0.01)
            victim.kill()
            victim.join(timeout=30)
        finally:
            if victim.is_alive():  # pragma: no cover - kill failed
                victim.terminate()
        assert info["pending"] > 0 and done < len(ids)
        emu.faults = FaultConfig()
        store = job.budget_store()
        try:
            async with connect(emu, "asgi", budget_store=store) as client:
                await job.work(client, consumer="survivor")
        finally:
            await store.aclose()
        outcomes = await job.outcomes(ids)
    assert [o.user_id for o in outcomes] == ids
    assert all(o.ok for o in outcomes)


async def test_a_result_recorded_before_a_crash_is_not_duplicated(redis_url: str) -> None:
    emu = emulator()
    ids = emu.sample_user_ids(10)
    redis = aioredis.from_url(redis_url)
    try:
        job = LookupJob(redis, "job-b", namespace="t", lease=0.05)
        await job.enqueue(ids)
        await redis.xreadgroup(GROUP, "dead", {"t:job:job-b:ids": ">"}, count=3)
        # it recorded the first id's outcome, then died before XACK
        first = LookupOutcome(ids[0], error=LookupFailure("ServerError", "kept"))
        await redis.hset("t:job:job-b:results", ids[0], json.dumps(first.to_record()))
        async with connect(emu, "asgi") as client:
            recorded = await job.work(client, consumer="alive")
        outcomes = await job.outcomes(ids)
        await job.aclose()  # the connection passed in stays open
        assert await redis.ping()
        await job.delete()
        assert await redis.exists("t:job:job-b:ids", "t:job:job-b:results") == 0
    finally:
        await redis.aclose()
    assert recorded == len(ids) - 1
    assert len(outcomes) == len(ids)
    assert outcomes[0] == first  # the first outcome is the one kept


async def test_run_lookup_job_resumes_and_writes_json_lines(redis_url: str, tmp_path: Path) -> None:
    """Two worker processes; half the ids already have an outcome (an earlier run that
    crashed): only the others are looked up, and the file has one line per id in order."""
    emu = emulator()
    ids = [*emu.sample_user_ids(30), MISSING]
    async with serve(emu) as base_url:
        token = emu.token(emu.demo_user_id)
        async with LookupJob(redis_url, "resume") as job:
            await job.enqueue(ids)
            async with connect(emu, "asgi") as client:
                async for uid, outcome in client.relationships.iter_many(ids[:15]):
                    assert isinstance(outcome, Relationship)
                    record = LookupOutcome(uid, relationship=outcome).to_record()
                    await job.redis.hset("aioinstagram:job:resume:results", uid, json.dumps(record))
        emu.stats.reset()
        output = tmp_path / "out.jsonl"
        outcomes = await run_lookup_job(
            ids,
            redis=redis_url,
            workers=2,
            access_token=token,
            base_url=base_url,
            job="resume",
            concurrency=4,
            output=output,
        )
        again = await run_lookup_job(
            ids, redis=redis_url, workers=1, access_token=token, base_url=base_url, job="resume"
        )
    looked_up = sum(emu.stats.requests.values())
    assert [o.user_id for o in outcomes] == ids
    assert looked_up == len(ids) - 15  # the done half was not looked up again, nor the rerun
    assert again == outcomes
    lines = output.read_text().splitlines()
    assert [LookupOutcome.from_record(json.loads(line)) for line in lines] == outcomes
    assert outcomes[-1].error is not None and outcomes[-1].error.code == 400


def test_outcomes_round_trip_through_the_cli_record() -> None:
    ok = LookupOutcome(
        "7",
        relationship=Relationship(
            outgoing_status=OutgoingStatus.FOLLOWS, target_user_is_private=False
        ),
    )
    failed = LookupOutcome(
        "8", error=LookupFailure("NotFoundError", "no such user", 400, "APINotFoundError")
    )
    for outcome in (ok, failed):
        assert LookupOutcome.from_record(json.loads(json.dumps(outcome.to_record()))) == outcome
    assert ok.to_record() == {
        "user_id": "7",
        "outgoing_status": "follows",
        "incoming_status": None,
        "target_user_is_private": False,
    }


async def test_bad_arguments_are_invalid_argument_errors(redis_url: str) -> None:
    kwargs: dict[str, Any]
    for kwargs in ({"lease": 0}, {"batch": 0}, {"namespace": ""}):
        with pytest.raises(InvalidArgumentError):
            LookupJob(redis_url, "ok", **kwargs)
    with pytest.raises(InvalidArgumentError, match="job name"):
        LookupJob(redis_url, "no spaces")
    async with LookupJob(redis_url, "ok") as job:
        with pytest.raises(InvalidArgumentError, match="one string"):
            await job.enqueue("12345")
        async with connect(emulator(), "asgi") as client:
            with pytest.raises(InvalidArgumentError, match="concurrency"):
                await job.work(client, concurrency=0)
    with pytest.raises(InvalidArgumentError, match="workers"):
        await run_lookup_job(["1"], redis=redis_url, workers=0)
    with pytest.raises(InvalidArgumentError, match="nothing to look up"):
        await run_lookup_job([], redis=redis_url, workers=1)


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


async def test_the_readme_recipe_runs(
    redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's "Many workers, one job" code, against the emulator over a loopback socket
    and the test's Redis (the token, base_url and Redis URL swapped in)."""
    code = _readme_recipe()
    assert code.count('"redis://localhost/0"') == 2
    emu = emulator()
    ids = emu.sample_user_ids(20)
    monkeypatch.chdir(tmp_path)
    async with serve(emu) as base_url:
        code = (
            code.replace('"redis://localhost/0"', repr(redis_url))
            .replace("access_token=token,", f"access_token=token, base_url={base_url!r},")
            .replace("InstagramClient(token, ", f"InstagramClient(token, base_url={base_url!r}, ")
        )
        body = "".join("    " + line + "\n" for line in code.splitlines())
        namespace: dict[str, Any] = {"ids": ids, "token": emu.token(emu.demo_user_id)}
        source = "async def recipe():\n" + body + "    return locals()\n"
        exec(compile(source, "README.md", "exec"), namespace)
        names = await namespace["recipe"]()
    assert [o.user_id for o in names["outcomes"]] == ids
    assert len(_read(tmp_path / "out.jsonl").splitlines()) == len(ids)


def _read(path: Path) -> str:
    return path.read_text()


def _readme_recipe() -> str:
    readme = _read(Path(__file__).resolve().parents[2] / "README.md")
    section = readme.split("**Many workers, one job.**", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)
