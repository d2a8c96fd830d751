"""One bulk lookup over N processes: one work queue and one rate budget, both in Redis.

Theory of operation
-------------------
A *job* (a name) lives under ``{namespace}:job:{name}:``:

* ``ids``: a Redis stream with one entry per id, read by the consumer group ``workers``
  (XREADGROUP). A worker's unacknowledged entries stay pending; an entry idle for longer than the
  *lease* is claimed by another worker (XAUTOCLAIM), so ids claimed by a killed worker come back.
* ``results``: a hash id -> JSON record. A worker writes an id's outcome with HSETNX *before*
  it acknowledges the entry (XACK), so an id re-claimed after a crash is looked up again at most,
  and its first outcome is the one kept: each id gets exactly one outcome.
* ``meta``: the total, and a flag that the ids were enqueued (HSETNX): running the same command
  again with the same ``--job`` resumes (nothing is enqueued twice, done ids are skipped).

The rate budget is a :class:`~aioinstagram.RedisBudgetStore` on the same Redis: N workers spend
one budget per bucket. The parent enqueues, starts the workers (``multiprocessing`` "spawn"),
restarts none (the others claim a dead worker's ids), and when every id has an outcome writes
the JSON Lines file from ``results`` in input order.

Redis streams with consumer groups (redis-py) were chosen over arq: arq is a job scheduler (one
job = one function call with pickled arguments and result keys), and a million one-id jobs
would cost a round trip each to enqueue and to store, with no lease-based reclaim of a batch;
streams give at-least-once delivery with a lease (XAUTOCLAIM) and batched reads in two commands.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .._client import InstagramClient
from .._errors import InstagramError
from .._logging import logger as _root_logger
from .._redis_budget import RedisBudgetStore
from .._transports import bulk_transport
from .records import error_record, relationship_record

if TYPE_CHECKING:
    import redis.asyncio as aioredis

__all__ = [
    "JobKeys",
    "WorkerSpec",
    "collect",
    "default_job_name",
    "enqueue",
    "lookup_with_workers",
    "pending",
    "run_job",
    "work",
]

GROUP = "workers"

logger = _root_logger.getChild("workers")

try:
    from redis.exceptions import ConnectionError as _RedisConnectionError
    from redis.exceptions import TimeoutError as _RedisTimeoutError

    _REDIS_DOWN: tuple[type[BaseException], ...] = (
        _RedisConnectionError,
        _RedisTimeoutError,
        OSError,
    )
except ImportError:  # pragma: no cover - the redis extra is not installed
    _REDIS_DOWN = (OSError,)


@attrs.frozen
class JobKeys:
    namespace: str
    job: str

    def key(self, part: str) -> str:
        return f"{self.namespace}:job:{self.job}:{part}"

    @property
    def stream(self) -> str:
        return self.key("ids")

    @property
    def results(self) -> str:
        return self.key("results")

    @property
    def meta(self) -> str:
        return self.key("meta")


@attrs.frozen
class WorkerSpec:
    """What a worker process needs (secrets stay out of its repr)."""

    base_url: str
    redis_url: str
    job: str
    token: str | None = attrs.field(default=None, repr=False)
    client_secret: str | None = attrs.field(default=None, repr=False)
    namespace: str = "aioinstagram"
    concurrency: int = 16
    batch: int = 64
    lease: float = 60.0
    timeout: float = 10.0
    rate_limit_window: float = 3600.0


async def enqueue(redis: aioredis.Redis, keys: JobKeys, ids: Sequence[str]) -> int:
    """Put the job's ids on its stream once (a second call resumes: nothing is added)."""
    try:
        await redis.xgroup_create(keys.stream, GROUP, id="0", mkstream=True)
    except Exception as exc:  # BUSYGROUP: the job exists already
        if "BUSYGROUP" not in str(exc):
            raise
    if await redis.hsetnx(keys.meta, "enqueued", "1"):
        for start in range(0, len(ids), 1000):
            async with redis.pipeline(transaction=False) as pipe:
                for uid in ids[start : start + 1000]:
                    pipe.xadd(keys.stream, {"id": uid})
                await pipe.execute()
        await redis.hset(keys.meta, "total", str(len(ids)))
    return int(await redis.hget(keys.meta, "total") or 0)


async def pending(redis: aioredis.Redis, keys: JobKeys) -> int:
    """Ids without an outcome yet."""
    total = int(await redis.hget(keys.meta, "total") or 0)
    return total - int(await redis.hlen(keys.results))


async def work(
    client: InstagramClient,
    redis: aioredis.Redis,
    keys: JobKeys,
    *,
    consumer: str,
    batch: int = 64,
    lease: float = 60.0,
    concurrency: int = 16,
    idle_poll: float = 0.2,
) -> int:
    """Take ids from the job's stream until every id has an outcome; returns how many outcomes
    this worker recorded. Safe to kill at any point (see the module docstring)."""
    recorded = 0
    lease_ms = max(1, int(lease * 1000))
    while True:
        try:
            if await pending(redis, keys) <= 0:
                return recorded
            reply: Any = await redis.xautoclaim(
                keys.stream, GROUP, consumer, min_idle_time=lease_ms, start_id="0-0", count=batch
            )
            entries: list[Any] = list(reply[1])
            if not entries:
                answer: Any = await redis.xreadgroup(
                    GROUP, consumer, {keys.stream: ">"}, count=batch, block=int(idle_poll * 1000)
                )
                entries = [e for _, stream_entries in answer for e in stream_entries]
            if not entries:
                continue  # everything is claimed by live workers: wait for them or their lease
            recorded += await _process(client, redis, keys, entries, concurrency)
        except _REDIS_DOWN as exc:
            # Redis restarts: what this batch did not record comes back after the lease.
            logger.warning("job %s: Redis unreachable (%s); retrying", keys.job, type(exc).__name__)
            await asyncio.sleep(idle_poll)


async def _process(
    client: InstagramClient,
    redis: aioredis.Redis,
    keys: JobKeys,
    entries: list[tuple[Any, dict[Any, Any]]],
    concurrency: int,
) -> int:
    by_id: dict[str, list[Any]] = {}
    for entry_id, fields in entries:
        if not fields:  # an entry deleted from the stream: nothing to do
            await redis.xack(keys.stream, GROUP, entry_id)
            continue
        uid = _text(fields.get(b"id", fields.get("id", b"")))
        by_id.setdefault(uid, []).append(entry_id)
    done = await redis.hmget(keys.results, list(by_id)) if by_id else []
    todo = [uid for uid, have in zip(by_id, done, strict=True) if have is None]
    recorded = 0
    if todo:
        async for uid, outcome in client.relationships.iter_many(todo, concurrency=concurrency):
            if isinstance(outcome, InstagramError):
                record = error_record(uid, outcome)
            else:
                record = relationship_record(uid, outcome)
            recorded += int(await redis.hsetnx(keys.results, uid, json.dumps(record)))
    ack = [entry for ids in by_id.values() for entry in ids]
    if ack:
        await redis.xack(keys.stream, GROUP, *ack)
    return recorded


async def collect(redis: aioredis.Redis, keys: JobKeys, ids: Sequence[str]) -> list[str]:
    """The job's JSON Lines, one per id, in input order (ids without an outcome are left out)."""
    lines: list[str] = []
    for start in range(0, len(ids), 1000):
        chunk = list(ids[start : start + 1000])
        for raw in await redis.hmget(keys.results, chunk):
            if raw is not None:
                lines.append(_text(raw))
    return lines


async def _pending_or_unknown(redis: aioredis.Redis, keys: JobKeys) -> int:
    try:
        return await pending(redis, keys)
    except _REDIS_DOWN:
        return -1  # Redis is restarting: keep waiting


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# -- processes ------------------------------------------------------------------------------------


def worker_main(spec: WorkerSpec, index: int) -> None:
    """A worker process's entry point (a module-level function, so "spawn" can start it)."""
    asyncio.run(_worker(spec, f"{os.getpid()}-{index}"))


async def _worker(spec: WorkerSpec, consumer: str) -> None:
    import redis.asyncio as aioredis

    redis = aioredis.from_url(spec.redis_url)
    store = RedisBudgetStore.from_url(spec.redis_url, namespace=spec.namespace)
    try:
        async with InstagramClient(
            access_token=spec.token,
            client_secret=spec.client_secret,
            base_url=spec.base_url,
            timeout=spec.timeout,
            transport=bulk_transport(spec.base_url),  # as the one-process lookup does
            budget_store=store,
            rate_limit_window=spec.rate_limit_window,
            retry_deadline=None,
        ) as client:
            await work(
                client,
                redis,
                JobKeys(spec.namespace, spec.job),
                consumer=consumer,
                batch=spec.batch,
                lease=spec.lease,
                concurrency=spec.concurrency,
            )
    finally:
        await store.aclose()
        await redis.aclose()


def start_workers(spec: WorkerSpec, n: int) -> list[multiprocessing.process.BaseProcess]:
    context = multiprocessing.get_context("spawn")
    processes: list[multiprocessing.process.BaseProcess] = [
        context.Process(target=worker_main, args=(spec, i), daemon=True) for i in range(n)
    ]
    for process in processes:
        process.start()
    return processes


async def run_job(
    spec: WorkerSpec, ids: Sequence[str], workers: int, *, poll: float = 0.2
) -> list[str]:
    """Enqueue ``ids`` (or resume the job), run ``workers`` processes until every id has an
    outcome, and return the JSON Lines in input order. A dead worker is not restarted: the
    others claim its ids after the lease; when every worker is gone, one is started again."""
    import redis.asyncio as aioredis

    redis = aioredis.from_url(spec.redis_url)
    keys = JobKeys(spec.namespace, spec.job)
    try:
        await enqueue(redis, keys, ids)
        processes = start_workers(spec, workers)
        restarts = 3 * workers  # bounded: a worker that dies at once every time stops the job
        try:
            while await _pending_or_unknown(redis, keys) != 0:
                if not any(p.is_alive() for p in processes):
                    if restarts == 0:
                        raise RuntimeError(f"every worker of job {spec.job!r} died; see stderr")
                    restarts -= 1
                    processes = start_workers(spec, 1)
                await asyncio.sleep(poll)
        finally:
            for process in processes:
                process.join(timeout=10)
                if process.is_alive():
                    process.terminate()
        return await collect(redis, keys, ids)
    finally:
        await redis.aclose()


def unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def default_job_name(ids: Sequence[str]) -> str:
    """A job name derived from the ids, so that the same command resumes the same job."""
    import hashlib

    digest = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]
    return f"lookup-{digest}"


async def lookup_with_workers(
    *,
    base_url: str | None,
    token: str | None,
    client_secret: str | None,
    timeout: float,
    emulator: Any,
    ids: Sequence[str],
    workers: int,
    redis_url: str,
    job: str | None,
    concurrency: int,
) -> list[str]:
    """``aioinstagram lookup --workers N --redis URL``: the JSON Lines of every id. With the
    embedded emulator, it is served on a loopback socket for the worker processes."""
    spec = WorkerSpec(
        base_url=base_url or "",
        redis_url=redis_url,
        job=job or default_job_name(ids),
        token=token,
        client_secret=client_secret,
        concurrency=max(1, concurrency // workers),
        timeout=timeout,
    )
    if emulator is None:
        return await run_job(spec, ids, workers)
    from ..emulator import serve

    async with serve(emulator) as served:
        token = token or emulator.token(emulator.demo_user_id)
        spec = attrs.evolve(spec, base_url=served, token=token)
        return await run_job(spec, ids, workers)
