"""One bulk relationship lookup over many processes: one work queue and one rate budget in Redis.

Theory of operation
-------------------
A :class:`LookupJob` (a name) lives under ``{namespace}:job:{name}:``:

* ``ids``: a Redis stream with one entry per id, read by the consumer group ``workers``
  (XREADGROUP). A worker's unacknowledged entries stay pending; an entry idle for longer than the
  *lease* is claimed by another worker (XAUTOCLAIM), so ids claimed by a killed worker come back.
* ``results``: a hash id -> JSON record. A worker writes an id's outcome with HSETNX *before*
  it acknowledges the entry (XACK), so an id re-claimed after a crash is looked up again at most,
  and its first outcome is the one kept: each id gets exactly one outcome.
* ``meta``: the total, and a flag that the ids were enqueued (HSETNX): enqueueing the same job
  again resumes it (nothing is enqueued twice, ids with an outcome are skipped).

The rate budget is a :class:`~aioinstagram.RedisBudgetStore` on the same Redis: N workers spend
one budget per bucket. :func:`run_lookup_job` enqueues, starts the workers (``multiprocessing``
"spawn"), restarts none while one lives (the others claim a dead worker's ids), and when every id
has an outcome returns them in input order (and writes the JSON Lines file).

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
import secrets
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import attrs

from ._cli.records import error_record, relationship_record
from ._client import InstagramClient
from ._converter import structure
from ._errors import InstagramError, InvalidArgumentError
from ._logging import logger as _root_logger
from ._models import Relationship
from ._protocol import DEFAULT_BASE_URL
from ._redis_budget import _NEED_REDIS, RedisBudgetStore

if TYPE_CHECKING:
    import redis.asyncio as aioredis

__all__ = ["LookupFailure", "LookupJob", "LookupOutcome", "run_lookup_job"]

GROUP = "workers"

logger = _root_logger.getChild("workers")


def _redis_down() -> tuple[type[BaseException], ...]:
    """The errors that mean Redis is unreachable (redis-py is loaded with the job)."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (RedisConnectionError, RedisTimeoutError, OSError)


# -- outcomes -------------------------------------------------------------------------------------


@attrs.frozen(slots=True)
class LookupFailure:
    """Why an id's lookup failed (what the :class:`~aioinstagram.InstagramError` said).

    Attributes:
        type: The error's class name (``"NotFoundError"``, ``"NotAllowedError"``, ...).
        message: The error's message (never a token).
        code: The API's ``meta.code``, when the API answered.
        error_type: The API's ``meta.error_type``, when the API answered.
    """

    type: str
    message: str
    code: int | None = None
    error_type: str | None = None


@attrs.frozen(slots=True)
class LookupOutcome:
    """One id's outcome in a :class:`LookupJob`: its relationship, or why it failed.

    Attributes:
        user_id: The id looked up.
        relationship: The relationship, or None when the lookup failed.
        error: Why the lookup failed, or None.
    """

    user_id: str
    relationship: Relationship | None = None
    error: LookupFailure | None = None

    @property
    def ok(self) -> bool:
        """True when the lookup succeeded."""
        return self.error is None

    def to_record(self) -> dict[str, Any]:
        """The JSON record ``aioinstagram lookup`` prints for this outcome."""
        if self.error is not None:
            return {
                "user_id": self.user_id,
                "error": {
                    "type": self.error.type,
                    "code": self.error.code,
                    "error_type": self.error.error_type,
                    "message": self.error.message,
                },
            }
        assert self.relationship is not None
        return relationship_record(self.user_id, self.relationship)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> LookupOutcome:
        """The outcome a JSON record (``aioinstagram lookup``'s line) describes.

        Args:
            record: A relationship record or an error record.
        """
        user_id = str(record["user_id"])
        error = record.get("error")
        if isinstance(error, dict):
            return cls(
                user_id,
                error=LookupFailure(
                    type=str(error.get("type")),
                    message=str(error.get("message")),
                    code=error.get("code"),
                    error_type=error.get("error_type"),
                ),
            )
        fields = {
            k: record[k]
            for k in ("outgoing_status", "incoming_status", "target_user_is_private")
            if record.get(k) is not None
        }
        relationship: Relationship = structure(
            fields, Relationship, endpoint="a lookup job's record", root="$"
        )
        return cls(user_id, relationship=relationship)


# -- the job --------------------------------------------------------------------------------------


class LookupJob:
    """A bulk relationship lookup kept in Redis, worked on by any number of processes.

    Every process that opens the job (same Redis, ``namespace`` and ``name``) and calls
    :meth:`work` takes ids from one queue; each id gets exactly one outcome, even when a worker
    is killed (the ids it claimed come back after ``lease`` seconds), and enqueueing the same job
    again resumes it. Give the workers' clients :meth:`budget_store` (or any
    :class:`~aioinstagram.RedisBudgetStore` on the same Redis and namespace) so that they share
    one rate budget. Needs the ``redis`` extra (``pip install 'aioinstagram[redis]'``).

    ```python
    async with LookupJob("redis://localhost/0", "nightly") as job:
        await job.enqueue(ids)  # once; enqueueing again resumes
        async with InstagramClient(token, budget_store=job.budget_store()) as client:
            await job.work(client)  # run this in as many processes as you like
        for outcome in await job.outcomes(ids):
            print(outcome.user_id, outcome.relationship or outcome.error)
    ```

    Args:
        redis: A Redis URL, or a ``redis.asyncio.Redis`` (not closed by :meth:`aclose`).
        name: The job's name (letters, digits, ``-_.:``).
        namespace: The prefix of every key (the budget store's namespace too).
        lease: Seconds an id claimed by a worker stays its own; a worker that dies loses its
            ids to the others after this long. Longer than one batch takes to look up.
        batch: How many ids a worker claims at a time.
    """

    def __init__(
        self,
        redis: str | aioredis.Redis,
        name: str,
        *,
        namespace: str = "aioinstagram",
        lease: float = 60.0,
        batch: int = 64,
    ) -> None:
        if not isinstance(name, str) or not name or not _safe(name):
            raise InvalidArgumentError(
                f"the job name must be letters, digits and -_.: only, not {name!r}"
            )
        if not isinstance(namespace, str) or not namespace:
            raise InvalidArgumentError("namespace must be a non-empty string")
        if not lease > 0:
            raise InvalidArgumentError(f"lease must be positive, not {lease!r}")
        if not (isinstance(batch, int) and batch >= 1):
            raise InvalidArgumentError(f"batch must be a positive integer, not {batch!r}")
        if isinstance(redis, str):
            try:
                import redis.asyncio as aioredis_module
            except ImportError as exc:  # pragma: no cover - the extra is not installed
                raise ImportError(_NEED_REDIS) from exc
            self.redis: aioredis.Redis = aioredis_module.from_url(redis)
            self._owns_redis = True
        else:
            self.redis = redis
            self._owns_redis = False
        self.name = name
        self.namespace = namespace
        self.lease = float(lease)
        self.batch = batch

    def __repr__(self) -> str:
        return f"<LookupJob name={self.name!r} namespace={self.namespace!r}>"

    async def __aenter__(self) -> LookupJob:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the Redis connection the job opened (one passed in is left open)."""
        if self._owns_redis:
            self._owns_redis = False
            await self.redis.aclose()

    def _key(self, part: str) -> str:
        return f"{self.namespace}:job:{self.name}:{part}"

    def budget_store(self, **options: Any) -> RedisBudgetStore:
        """A :class:`~aioinstagram.RedisBudgetStore` on the job's Redis and namespace (the
        caller closes it with ``aclose``; the Redis connection stays the job's).

        Args:
            options: More :class:`~aioinstagram.RedisBudgetStore` arguments (``hash_key``,
                ``on_outage``, ...).
        """
        return RedisBudgetStore(self.redis, namespace=self.namespace, **options)

    async def enqueue(self, ids: Iterable[str]) -> int:
        """Put the ids on the job's queue, once: enqueueing a job that exists adds nothing (it
        resumes). Duplicate ids are enqueued once. Returns the job's number of ids.

        Args:
            ids: The user ids to look up.
        """
        unique = _unique(ids)
        try:
            await self.redis.xgroup_create(self._key("ids"), GROUP, id="0", mkstream=True)
        except Exception as exc:  # BUSYGROUP: the job exists already
            if "BUSYGROUP" not in str(exc):
                raise
        if await self.redis.hsetnx(self._key("meta"), "enqueued", "1"):
            for start in range(0, len(unique), 1000):
                async with self.redis.pipeline(transaction=False) as pipe:
                    for uid in unique[start : start + 1000]:
                        pipe.xadd(self._key("ids"), {"id": uid})
                    await pipe.execute()
            await self.redis.hset(self._key("meta"), "total", str(len(unique)))
        return int(await self.redis.hget(self._key("meta"), "total") or 0)

    async def pending(self) -> int:
        """How many ids have no outcome yet."""
        total = int(await self.redis.hget(self._key("meta"), "total") or 0)
        return total - int(await self.redis.hlen(self._key("results")))

    async def work(
        self,
        client: InstagramClient,
        *,
        concurrency: int = 16,
        consumer: str | None = None,
        idle_poll: float = 0.2,
    ) -> int:
        """Look up ids from the queue with ``client`` until every id of the job has an outcome
        (other workers' included). Safe to kill at any point. A Redis outage is waited out
        (logged at WARNING). Returns how many outcomes this worker recorded.

        Args:
            client: The client to look up with (give it :meth:`budget_store`).
            concurrency: Lookups in flight in this worker.
            consumer: This worker's name in the consumer group (default: unique).
            idle_poll: Seconds to wait for work when every id is claimed by live workers.
        """
        if not (isinstance(concurrency, int) and concurrency >= 1):
            raise InvalidArgumentError(
                f"concurrency must be a positive integer, not {concurrency!r}"
            )
        consumer = consumer or f"{os.getpid()}-{secrets.token_hex(4)}"
        stream = self._key("ids")
        recorded = 0
        lease_ms = max(1, int(self.lease * 1000))
        while True:
            try:
                if await self.pending() <= 0:
                    return recorded
                reply: Any = await self.redis.xautoclaim(
                    stream,
                    GROUP,
                    consumer,
                    min_idle_time=lease_ms,
                    start_id="0-0",
                    count=self.batch,
                )
                entries: list[Any] = list(reply[1])
                if not entries:
                    answer: Any = await self.redis.xreadgroup(
                        GROUP,
                        consumer,
                        {stream: ">"},
                        count=self.batch,
                        block=max(1, int(idle_poll * 1000)),
                    )
                    entries = [e for _, stream_entries in answer for e in stream_entries]
                if not entries:
                    continue  # every id is claimed by live workers: wait for them or their lease
                recorded += await self._process(client, entries, concurrency)
            except _redis_down() as exc:
                # Redis restarts: what this batch did not record comes back after the lease.
                logger.warning(
                    "job %s: Redis unreachable (%s); retrying", self.name, type(exc).__name__
                )
                await asyncio.sleep(idle_poll)

    async def _process(
        self, client: InstagramClient, entries: list[tuple[Any, dict[Any, Any]]], concurrency: int
    ) -> int:
        stream, results = self._key("ids"), self._key("results")
        by_id: dict[str, list[Any]] = {}
        for entry_id, fields in entries:
            if not fields:  # an entry deleted from the stream: nothing to do
                await self.redis.xack(stream, GROUP, entry_id)
                continue
            uid = _text(fields.get(b"id", fields.get("id", b"")))
            by_id.setdefault(uid, []).append(entry_id)
        done = await self.redis.hmget(results, list(by_id)) if by_id else []
        todo = [uid for uid, have in zip(by_id, done, strict=True) if have is None]
        recorded = 0
        if todo:
            async for uid, outcome in client.relationships.iter_many(todo, concurrency=concurrency):
                if isinstance(outcome, InstagramError):
                    record = error_record(uid, outcome)
                else:
                    record = relationship_record(uid, outcome)
                recorded += int(await self.redis.hsetnx(results, uid, json.dumps(record)))
        ack = [entry for ids in by_id.values() for entry in ids]
        if ack:
            await self.redis.xack(stream, GROUP, *ack)
        return recorded

    async def records(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """The JSON records of ``ids`` that have an outcome, in the order given (the lines of
        ``aioinstagram lookup``: a relationship record or an error record each).

        Args:
            ids: The ids whose records to return (usually the ids enqueued).
        """
        out: list[dict[str, Any]] = []
        for start in range(0, len(ids), 1000):
            chunk = list(ids[start : start + 1000])
            for raw in await self.redis.hmget(self._key("results"), chunk):
                if raw is not None:
                    out.append(json.loads(raw))
        return out

    async def outcomes(self, ids: Sequence[str]) -> list[LookupOutcome]:
        """The outcomes of ``ids`` that have one, in the order given.

        Args:
            ids: The ids whose outcomes to return (usually the ids enqueued).
        """
        return [LookupOutcome.from_record(r) for r in await self.records(ids)]

    async def delete(self) -> None:
        """Remove the job (its queue, outcomes and state) from Redis."""
        await self.redis.delete(self._key("ids"), self._key("results"), self._key("meta"))


# -- many processes -------------------------------------------------------------------------------


@attrs.frozen
class _WorkerSpec:
    """What a worker process needs (secrets stay out of its repr)."""

    redis_url: str
    job: str
    base_url: str = DEFAULT_BASE_URL
    access_token: str | None = attrs.field(default=None, repr=False)
    client_secret: str | None = attrs.field(default=None, repr=False)
    namespace: str = "aioinstagram"
    concurrency: int = 16
    batch: int = 64
    lease: float = 60.0
    timeout: float = 10.0
    rate_limit_window: float = 3600.0


def _worker_main(spec: _WorkerSpec, index: int) -> None:
    """A worker process's entry point (a module-level function, so "spawn" can start it)."""
    asyncio.run(_worker(spec, f"{os.getpid()}-{index}"))


async def _worker(spec: _WorkerSpec, consumer: str) -> None:
    from ._transports import bulk_transport

    async with LookupJob(
        spec.redis_url, spec.job, namespace=spec.namespace, lease=spec.lease, batch=spec.batch
    ) as job:
        store = job.budget_store()
        try:
            async with InstagramClient(
                access_token=spec.access_token,
                client_secret=spec.client_secret,
                base_url=spec.base_url,
                timeout=spec.timeout,
                transport=bulk_transport(spec.base_url),
                budget_store=store,
                rate_limit_window=spec.rate_limit_window,
                retry_deadline=None,
            ) as client:
                await job.work(client, concurrency=spec.concurrency, consumer=consumer)
        finally:
            await store.aclose()


def _start_workers(spec: _WorkerSpec, n: int) -> list[multiprocessing.process.BaseProcess]:
    context = multiprocessing.get_context("spawn")
    processes: list[multiprocessing.process.BaseProcess] = [
        context.Process(target=_worker_main, args=(spec, i), daemon=True) for i in range(n)
    ]
    for process in processes:
        process.start()
    return processes


async def run_lookup_job(
    ids: Sequence[str],
    *,
    redis: str,
    workers: int,
    access_token: str | None = None,
    client_secret: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
    job: str | None = None,
    namespace: str = "aioinstagram",
    concurrency: int = 16,
    lease: float = 60.0,
    timeout: float = 10.0,
    rate_limit_window: float = 3600.0,
    output: str | os.PathLike[str] | None = None,
    poll: float = 0.2,
) -> list[LookupOutcome]:
    """Look up the relationship to every id with ``workers`` processes sharing one queue and
    one rate budget in Redis (what ``aioinstagram lookup --workers N --redis URL`` runs).

    Every id gets exactly one outcome even when a worker is killed; running it again with the
    same ``job`` (by default derived from the ids) resumes: ids with an outcome are not looked up
    again. A dead worker is not replaced while another lives (the others claim its ids after
    ``lease``); when every worker is gone, one is started again, a bounded number of times.

    ```python
    outcomes = await run_lookup_job(
        ids, redis="redis://localhost/0", workers=8, access_token=token, output="out.jsonl"
    )
    ```

    Args:
        ids: The user ids (duplicates are looked up once).
        redis: The Redis URL (every worker connects to it).
        workers: How many worker processes to start.
        access_token: The token the workers use.
        client_secret: The application's secret (signed requests, ``client_id`` calls).
        base_url: The API's base URL.
        job: The job's name (default: a hash of the ids, so the same ids resume the same job).
        namespace: The prefix of every Redis key (queue and budget).
        concurrency: Lookups in flight in each worker.
        lease: Seconds before a dead worker's ids go to the others.
        timeout: Each request's timeout in seconds.
        rate_limit_window: The rate-limit window in seconds (3600 on the real API).
        output: A path to write the JSON Lines to (one record per id, in input order).
        poll: Seconds between checks of the job's progress.

    Returns:
        The outcomes in input order (one per unique id).

    Raises:
        InvalidArgumentError: A bad argument (no ids, workers < 1, a bad job name).
        InstagramError: Every worker kept dying (see their stderr); the job resumes when run
            again.
    """
    if not (isinstance(workers, int) and workers >= 1):
        raise InvalidArgumentError(f"workers must be a positive integer, not {workers!r}")
    unique = _unique(ids)
    if not unique:
        raise InvalidArgumentError("ids is empty: there is nothing to look up")
    name = job or default_job_name(unique)
    spec = _WorkerSpec(
        redis_url=redis,
        job=name,
        base_url=base_url,
        access_token=access_token,
        client_secret=client_secret,
        namespace=namespace,
        concurrency=concurrency,
        lease=lease,
        timeout=timeout,
        rate_limit_window=rate_limit_window,
    )
    async with LookupJob(redis, name, namespace=namespace, lease=lease) as lookup_job:
        await lookup_job.enqueue(unique)
        processes = _start_workers(spec, workers)
        restarts = 3 * workers  # bounded: a worker that dies at once every time stops the job
        try:
            while await _pending_or_unknown(lookup_job) != 0:
                if not any(p.is_alive() for p in processes):
                    if restarts == 0:
                        raise InstagramError(
                            f"every worker of job {name!r} kept dying (see their stderr); "
                            "run it again to resume"
                        )
                    restarts -= 1
                    processes = _start_workers(spec, 1)
                await asyncio.sleep(poll)
        finally:
            for process in processes:
                process.join(timeout=10)
                if process.is_alive():
                    process.terminate()
        records = await lookup_job.records(unique)
    if output is not None:
        text = "".join(json.dumps(r) + "\n" for r in records)
        await asyncio.to_thread(Path(output).write_text, text, encoding="utf-8")
    return [LookupOutcome.from_record(r) for r in records]


async def _pending_or_unknown(job: LookupJob) -> int:
    try:
        return await job.pending()
    except _redis_down():
        return -1  # Redis is restarting: keep waiting


def default_job_name(ids: Sequence[str]) -> str:
    """A job name derived from the ids, so that the same ids resume the same job."""
    import hashlib

    digest = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]
    return f"lookup-{digest}"


def _unique(ids: Iterable[str]) -> list[str]:
    if isinstance(ids, str):
        raise InvalidArgumentError("ids must be a sequence of ids, not one string")
    return list(dict.fromkeys(str(i) for i in ids))


def _safe(name: str) -> bool:
    return all(c.isascii() and (c.isalnum() or c in "-_.:") for c in name)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
