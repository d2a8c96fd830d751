"""Rate budgets shared by many processes through Redis (issue 14), measured in one run.

    python benchmarks/budget.py            # all rows, about a minute
    python benchmarks/budget.py --quick    # smaller numbers

Starts a real ``redis-server`` (the tests' launcher, tests/ratelimit/redisproc.py) and the
emulator on 127.0.0.1 in this process; every client runs in its own process ("spawn"). Rows:

* ``procs-N``: N processes (1, 2, 4, 8) on one token share a RedisBudgetStore against an emulator
  allowing L calls per W s; together they look up 3L ids. The emulator refuses (429) any call
  beyond L in its sliding window, so "429s = 0" means no window was ever exceeded and none of our
  pacing met a 429. Ideal time: 2W (L at once, L when the first L leave the window, L after).
* ``cpu``: one process, a budget that never binds: client CPU per request with the in-memory
  store and with the Redis store, at 64 and at 1 request in flight (and the wall time per
  request: at c=1 it shows the Redis round trip).
* ``store``: the stores alone, no HTTP: CPU per reserve + settle at 64 in flight; the difference
  is what the Redis store adds to each request whatever the transport costs.
* ``chaos``: ``lookup --workers 4`` machinery (``aioinstagram.LookupJob``) on 4L ids; one worker is
  killed (SIGKILL) mid-job and Redis (append-only file) is killed and restarted mid-job. Every
  id must get exactly one outcome; 429s show what was in flight during the Redis outage.
* ``stall``: the issue's replay: a first run spends the budget, a second run of 3L ids on the
  spent budget (in-memory store; the emulator sends Retry-After): 429s and time against the
  ideal (until the first run's calls leave the window, then 2W).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests/ratelimit/redisproc.py: the redis-server launcher

import redis.asyncio as aioredis  # noqa: E402
from tests.ratelimit.redisproc import RedisProcess, find_redis_server  # noqa: E402

from aioinstagram import InstagramClient, LookupJob, RedisBudgetStore  # noqa: E402
from aioinstagram._workers import _start_workers, _WorkerSpec  # noqa: E402
from aioinstagram.emulator import Emulator, EmulatorConfig, serve  # noqa: E402

SPAWN = multiprocessing.get_context("spawn")


# -- a client process -----------------------------------------------------------------------------


def _client_main(args: dict[str, Any], results: Any) -> None:
    results.put(asyncio.run(_client(args)))


async def _client(a: dict[str, Any]) -> dict[str, Any]:
    go = aioredis.from_url(a["redis"])
    errors = 0
    async with InstagramClient(
        access_token=a["token"], base_url=a["base_url"], transport="fast"
    ) as warm:
        await warm.users.get("self")  # warm up imports and code paths; its budget is not ours
    store = (
        RedisBudgetStore.from_url(a["redis"], namespace=a["ns"]) if a["store"] == "redis" else None
    )
    async with InstagramClient(
        access_token=a["token"],
        base_url=a["base_url"],
        transport="fast",  # the bulk commands' transport
        budget_store=store,
        rate_limit_window=a["window"],
        retry_deadline=None,
    ) as client:
        while not await go.get(a["ns"] + ":go"):  # noqa: ASYNC110 - another process sets it
            await asyncio.sleep(0.005)
        cpu0 = time.process_time()
        sem = asyncio.Semaphore(a["concurrency"])

        async def one(uid: str) -> None:
            nonlocal errors
            async with sem:
                try:
                    await client.users.get(uid)
                except Exception:
                    errors += 1

        await asyncio.gather(*(one(uid) for uid in a["ids"]))
        cpu = time.process_time() - cpu0
        done_at = time.time()
    await go.aclose()
    if store is not None:
        await store.aclose()
    return {"done_at": done_at, "cpu": cpu, "requests": len(a["ids"]), "errors": errors}


async def _run_clients(
    emu: Emulator, base_url: str, redis_url: str, ns: str, ids: list[str], n: int, **kw: Any
) -> tuple[float, list[dict[str, Any]]]:
    results = SPAWN.Queue()
    token = emu.token(emu.demo_user_id)
    share = [ids[i::n] for i in range(n)]
    procs = [
        SPAWN.Process(
            target=_client_main,
            args=(
                {
                    "token": token,
                    "base_url": base_url,
                    "redis": redis_url,
                    "ns": ns,
                    "ids": part,
                    **kw,
                },
                results,
            ),
            daemon=True,
        )
        for part in share
    ]
    emu.reset_rate_limits()
    emu.stats.reset()
    for p in procs:
        p.start()
    redis = aioredis.from_url(redis_url)
    await asyncio.sleep(0)
    # every process has warmed up when the emulator has seen n warm-up calls
    while sum(emu.stats.requests.values()) < n:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    emu.reset_rate_limits()
    emu.stats.reset()
    started = time.time()
    await redis.set(ns + ":go", "1")
    out: list[dict[str, Any]] = []
    while len(out) < n:
        while results.empty():  # noqa: ASYNC110 - a multiprocessing queue
            await asyncio.sleep(0.01)
        out.append(results.get())
    for p in procs:
        p.join(timeout=10)
    await redis.aclose()
    return max(r["done_at"] for r in out) - started, out


# -- rows -----------------------------------------------------------------------------------------


async def bench_procs(redis_url: str, limit: int, window: float) -> list[str]:
    rows = []
    emu = Emulator(
        EmulatorConfig(
            users=5000, seed=3, celebrity_followers=0, rate_limit=limit, rate_window=window
        )
    )
    ids = emu.sample_user_ids(3 * limit)
    async with serve(emu) as base_url:
        for n in (1, 2, 4, 8):
            # the warm-up calls would spend the budget: give them a wide one, then reset
            elapsed, out = await _run_clients(
                emu,
                base_url,
                redis_url,
                f"bench-procs-{n}-{time.time()}",
                ids,
                n,
                store="redis",
                window=window,
                concurrency=max(8, 64 // n),
            )
            ideal = 2 * window
            errors = sum(r["errors"] for r in out)
            rows.append(
                f"| procs-{n} | {n} | {3 * limit} | {elapsed:.2f} | {ideal:.2f} | "
                f"{elapsed / ideal:.3f} | {emu.stats.rate_limited} | {errors} |"
            )
            print(rows[-1], flush=True)
    return rows


async def bench_cpu(redis_url: str, requests: int) -> list[str]:
    """Client CPU per request, in-memory vs Redis store, at 64 and 1 requests in flight (the
    best of 3 rounds each: the machine is shared). At c=1 the wall time per request shows the
    Redis round trip each request waits for (no batching across loop turns)."""
    emu = Emulator(EmulatorConfig(users=5000, seed=3, celebrity_followers=0, rate_limit=10**9))
    pool = emu.sample_user_ids(1000)
    rows = []
    async with serve(emu) as base_url:
        for concurrency, n in ((64, requests), (1, max(200, requests // 6))):
            ids = [pool[i % 1000] for i in range(n)]
            cpu: dict[str, float] = {}
            wall: dict[str, float] = {}
            for rnd in range(3):
                for store in ("memory", "redis"):
                    elapsed, out = await _run_clients(
                        emu,
                        base_url,
                        redis_url,
                        f"bench-cpu-{store}-{concurrency}-{rnd}-{time.time()}",
                        ids,
                        1,
                        store=store,
                        window=3600.0,
                        concurrency=concurrency,
                    )
                    us = out[0]["cpu"] / out[0]["requests"] * 1e6
                    cpu[store] = min(cpu.get(store, float("inf")), us)
                    wall[store] = min(wall.get(store, float("inf")), elapsed / n * 1e6)
            mem, red = cpu["memory"], cpu["redis"]
            rows.append(
                f"| cpu c={concurrency} | in-memory store | {mem:.0f} µs/request | Redis store | "
                f"{red:.0f} µs/request | +{red - mem:.0f} µs | ratio {red / mem:.2f} | wall "
                f"{wall['memory']:.0f} / {wall['redis']:.0f} µs/request |"
            )
            print(rows[-1], flush=True)
    return rows


async def bench_store(redis_url: str, pairs: int) -> list[str]:
    """The stores alone (no HTTP): CPU per reserve + settle with 64 in flight, a budget that
    never binds. The difference is what the Redis store adds to every request, whatever the
    transport costs."""

    async def run(store: Any) -> float:
        scope = store.scope_for("bench")
        grant = await store.reserve(scope, ("token",), window=3600.0)
        await store.settle(
            scope,
            ("token",),
            grant.ticket,
            window=3600.0,
            reached_server=True,
            budget=(10**9, 10**9 - 1),
        )
        sem = asyncio.Semaphore(64)

        async def one() -> None:
            async with sem:
                got = await store.reserve(scope, ("token",), window=3600.0)
                await asyncio.sleep(0)  # the request
                await store.settle(
                    scope,
                    ("token",),
                    got.ticket,
                    window=3600.0,
                    reached_server=True,
                    budget=(10**9, 10**9 - 1),
                )

        await asyncio.gather(*(one() for _ in range(500)))
        cpu0 = time.process_time()
        await asyncio.gather(*(one() for _ in range(pairs)))
        cpu = time.process_time() - cpu0
        await store.aclose()
        return cpu / pairs * 1e6

    from aioinstagram import InMemoryBudgetStore

    best: dict[str, float] = {}
    for rnd in range(5):
        for kind in ("memory", "redis"):
            store = (
                InMemoryBudgetStore()
                if kind == "memory"
                else RedisBudgetStore.from_url(redis_url, namespace=f"bench-store-{rnd}")
            )
            best[kind] = min(best.get(kind, float("inf")), await run(store))
    row = (
        f"| store c=64 | in-memory {best['memory']:.1f} µs | Redis {best['redis']:.1f} µs | "
        f"Redis adds {best['redis'] - best['memory']:.1f} µs per reserve + settle |"
    )
    print(row, flush=True)
    return [row]


async def bench_chaos(limit: int, window: float) -> list[str]:
    binary = find_redis_server()
    assert binary is not None
    server = RedisProcess(binary, persist=True)
    server.start()
    emu = Emulator(
        EmulatorConfig(
            users=5000, seed=3, celebrity_followers=0, rate_limit=limit, rate_window=window
        )
    )
    ids = emu.sample_user_ids(4 * limit)
    try:
        async with serve(emu) as base_url, LookupJob(server.url, "job", namespace="chaos") as job:
            spec = _WorkerSpec(
                redis_url=server.url,
                job="job",
                base_url=base_url,
                namespace="chaos",
                access_token=emu.token(emu.demo_user_id),
                concurrency=16,
                lease=1.0,
                rate_limit_window=window,
            )
            await job.enqueue(ids)
            started = time.time()
            procs = _start_workers(spec, 4)
            await asyncio.sleep(window * 0.8)
            procs[0].kill()  # SIGKILL one worker mid-job
            await asyncio.sleep(window * 0.4)
            server.restart()  # Redis dies and comes back (its append-only file keeps the job)
            while True:
                try:
                    if await job.pending() <= 0:
                        break
                except Exception:
                    pass
                if not any(p.is_alive() for p in procs):
                    procs = _start_workers(spec, 1)
                await asyncio.sleep(0.05)
            elapsed = time.time() - started
            for p in procs:
                p.join(timeout=10)
            lines = [json.dumps(r) for r in await job.records(ids)]
    finally:
        server.close()
    seen = [json.loads(line)["user_id"] for line in lines]
    exactly_once = sorted(seen) == sorted(ids) and len(set(seen)) == len(seen)
    row = (
        f"| chaos | 4 workers, 1 killed, Redis restarted | {len(ids)} ids | {len(lines)} outcomes "
        f"| exactly one each: {'yes' if exactly_once else 'NO'} | 429s: {emu.stats.rate_limited} "
        f"| {elapsed:.2f} s (ideal {3 * window:.2f} s) |"
    )
    print(row, flush=True)
    return [row]


async def bench_stall(limit: int, window: float) -> list[str]:
    emu = Emulator(
        EmulatorConfig(
            users=5000,
            seed=3,
            celebrity_followers=0,
            rate_limit=limit,
            rate_window=window,
            rate_limit_retry_after=True,
        )
    )
    ids = emu.sample_user_ids(3 * limit)
    async with serve(emu) as base_url:
        token = emu.token(emu.demo_user_id)
        async with InstagramClient(
            access_token=token, base_url=base_url, transport="fast", rate_limit_window=window
        ) as first:
            first_start = time.time()
            await asyncio.gather(*(first.users.get(u) for u in ids[:limit]))
        spent = emu.stats.rate_limited
        async with InstagramClient(
            access_token=token,
            base_url=base_url,
            transport="fast",
            rate_limit_window=window,
            retry_deadline=None,
        ) as second:
            started = time.time()
            sem = asyncio.Semaphore(64)

            async def one(uid: str) -> None:
                async with sem:
                    await second.users.get(uid)

            await asyncio.gather(*(one(u) for u in ids))
            elapsed = time.time() - started
    ideal = max(0.0, first_start + window - started) + 2 * window
    row = (
        f"| stall | second run of {3 * limit} on a spent budget (L={limit}/{window:g} s) | "
        f"429s: {emu.stats.rate_limited - spent} | {elapsed:.2f} s | ideal {ideal:.2f} s | "
        f"ratio {elapsed / ideal:.3f} |"
    )
    print(row, flush=True)
    return [row]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rows", default="procs,cpu,store,chaos,stall")
    args = parser.parse_args()
    limit, window = (100, 1.0) if args.quick else (200, 2.0)
    binary = find_redis_server()
    if binary is None:
        raise SystemExit("redis-server not found (apt-get install redis-server)")
    server = RedisProcess(binary)
    server.start()
    selected = set(args.rows.split(","))
    try:
        if "procs" in selected:
            print("| row | processes | lookups | seconds | ideal | ratio | 429s | errors |")
            print("|---|---|---|---|---|---|---|---|")
            await bench_procs(server.url, limit, window)
        if "cpu" in selected:
            await bench_cpu(server.url, 1000 if args.quick else 3000)
        if "store" in selected:
            await bench_store(server.url, 5000 if args.quick else 20000)
        if "chaos" in selected:
            await bench_chaos(limit, window)
        if "stall" in selected:
            await bench_stall(limit, window)
    finally:
        server.close()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    asyncio.run(main())
