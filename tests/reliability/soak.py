"""The soak driver (issue 11): many lookups and a full follower walk against the emulator over a
real loopback socket, with injected faults and one emulator restart, checked for loss.

    python -m tests.reliability.soak                      # the full soak (nox -s soak)
    python -m tests.reliability.soak --lookups 2000 --followers 3000

What runs, concurrently, against one emulator served by uvicorn on 127.0.0.1:

* ``lookups`` relationship lookups of distinct ids (``iter_many``, concurrency 64): existing,
  missing (about 8%) and private ones;
* a full walk of the ``followers`` of a user (pages of 100, read ahead), resumed after a page
  that still fails after its retries, as a user's program would;
* about ``fault_rate`` of all requests faulted: 5xx (HTML and JSON), 429 with ``Retry-After``
  for the first half of the run and without it for the second, dropped connections, truncated
  and garbage bodies (the emulator's fault API), and latency spikes of 50-250 ms (an ASGI
  wrapper here, since the emulator's latency is uniform);
* one emulator restart on the same port part-way (the server is away for ``outage`` seconds).

The expected outcome of every id and the expected follower list come from the same emulator
with faults off, in process, before the run. The run fails (exit 1, or the ``check()`` list is
not empty) on any id without an outcome or with another outcome, any follower missing or
repeated, any task left running, or any socket left open.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import os
import random
import resource
import socket
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import aclosing
from typing import Any

import httpx

from aioinstagram import InstagramClient, InstagramError, PaginatorState, Relationship
from aioinstagram._transports import TransportName
from aioinstagram.emulator import Emulator, EmulatorConfig, FaultConfig, serve

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


@dataclasses.dataclass
class SoakReport:
    lookups: int = 0
    followers: int = 0
    requests: int = 0  # answered or faulted by the server
    faults: Counter[str] = dataclasses.field(default_factory=Counter)
    latency_spikes: int = 0
    retries: int = 0  # client-side retries (the transport's "retrying" log lines)
    rate_limited: int = 0  # 429s the server sent
    walk_resumes: int = 0  # pages that failed after their retries and were fetched again
    breaker_openings: int = 0  # the client's circuit breaker opened (it may flap in a restart)
    restarts: int = 0
    peak_in_flight: int = 0  # requests inside the server at once
    peak_rss_mib: float = 0.0  # the whole process: client and emulator
    elapsed: float = 0.0
    ids_without_outcome: int = 0
    wrong_outcomes: int = 0
    items_missing: int = 0
    items_repeated: int = 0
    items_out_of_order: bool = False
    leaked_tasks: int = 0
    leaked_sockets: int | None = 0  # None where /proc is not available

    def problems(self) -> list[str]:
        """What went wrong (empty: the soak passed)."""
        out = []
        for name in (
            "ids_without_outcome",
            "wrong_outcomes",
            "items_missing",
            "items_repeated",
            "items_out_of_order",
            "leaked_tasks",
            "leaked_sockets",
        ):
            value = getattr(self, name)
            if value:
                out.append(f"{name} = {value}")
        return out

    def render(self) -> str:
        faults = ", ".join(f"{k} {v:,}" for k, v in sorted(self.faults.items())) or "none"
        sockets = "n/a" if self.leaked_sockets is None else f"{self.leaked_sockets}"
        rows = [
            ("lookups", f"{self.lookups:,}"),
            ("followers walked", f"{self.followers:,}"),
            ("requests (server side)", f"{self.requests:,}"),
            (
                "faults injected",
                f"{sum(self.faults.values()) + self.latency_spikes:,} "
                f"({faults}, latency spikes {self.latency_spikes:,})",
            ),
            ("retries (client side)", f"{self.retries:,}"),
            ("429s", f"{self.rate_limited:,}"),
            ("walk resumes", f"{self.walk_resumes:,}"),
            ("emulator restarts", f"{self.restarts}"),
            ("circuit breaker openings", f"{self.breaker_openings}"),
            ("peak in flight", f"{self.peak_in_flight}"),
            ("peak RSS (client + emulator)", f"{self.peak_rss_mib:.0f} MiB"),
            ("elapsed", f"{self.elapsed:.1f} s"),
            ("ids without an outcome", f"{self.ids_without_outcome}"),
            ("ids with a wrong outcome", f"{self.wrong_outcomes}"),
            ("followers missing / repeated", f"{self.items_missing} / {self.items_repeated}"),
            ("tasks / sockets left", f"{self.leaked_tasks} / {sockets}"),
        ]
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


class _Spikes:
    """An ASGI wrapper: counts requests in flight and delays ``rate`` of them by 50-250 ms."""

    def __init__(self, app: ASGIApp, rate: float, seed: int) -> None:
        self._app = app
        self._rate = rate
        self._random = random.Random(seed)
        self.in_flight = 0
        self.peak = 0
        self.spikes = 0

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            if self._random.random() < self._rate:
                self.spikes += 1
                await asyncio.sleep(self._random.uniform(0.05, 0.25))
            await self._app(scope, receive, send)
        finally:
            self.in_flight -= 1


class _Served:
    """What ``serve`` needs of an emulator: its ``app`` (here wrapped)."""

    def __init__(self, app: Any) -> None:
        self.app = app


class _Retries(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("retrying "):
            self.count += 1


def _sockets() -> int | None:
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return None
    count = 0
    for fd in fds:
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                count += 1
    return count


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _outcome_key(outcome: Relationship | InstagramError) -> object:
    return type(outcome).__name__ if isinstance(outcome, InstagramError) else outcome


async def _reference(emu: Emulator, token: str, ids: list[str], celebrity: str) -> Any:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app))
    async with (
        http,
        InstagramClient(token, base_url="http://emulator.invalid/v1", http_client=http) as client,
    ):
        outcomes = await client.relationships.get_many(ids)
        walk = client.relationships.followed_by(celebrity, count=100)
        followers = [u.id async for u in walk]
    return dict(zip(ids, map(_outcome_key, outcomes), strict=True)), followers


async def soak(
    *,
    lookups: int = 50_000,
    followers: int = 100_000,
    fault_rate: float = 0.10,
    outage: float = 2.0,
    seed: int = 1,
    concurrency: int = 64,
    bare_429s: bool = True,
    transport: TransportName = "httpx",
) -> SoakReport:
    """Run the soak and return its report (see the module docstring)."""
    report = SoakReport()
    started = time.perf_counter()
    baseline_sockets = _sockets()
    users = max(5_000, lookups + lookups // 10)
    config = dataclasses.replace(
        EmulatorConfig(users=users, seed=seed, celebrity_followers=followers),
        rate_limit=100_000_000,
    )
    emu = Emulator(config)
    token = emu.token(emu.demo_user_id)
    celebrity = emu.celebrity_user_id
    assert celebrity is not None
    rng = random.Random(seed)
    # Distinct ids, about 8% of them missing (the private ones give NotAllowed-style outcomes).
    ids = [str(i) for i in rng.sample(range(1, users + users // 12), lookups)]
    expected, expected_followers = await _reference(emu, token, ids, celebrity)

    # ~10% of requests faulted: 5xx, 429, drops, truncated and garbage bodies, and spikes.
    share = fault_rate / 10
    faults = FaultConfig(
        seed=seed,
        error_rate=3 * share,
        rate_limit_rate=min(0.001, share),  # each 429 pauses every caller for 1 s or more
        retry_after=1,
        drop_rate=2 * share,
        truncate_rate=2 * share,
        garbage_rate=share,
    )
    spikes_rate = fault_rate - (
        faults.error_rate
        + faults.rate_limit_rate
        + faults.drop_rate
        + faults.truncate_rate
        + faults.garbage_rate
    )
    emu.stats.reset()
    emu.faults = faults
    app = _Spikes(emu.app, max(spikes_rate, 0.0), seed)
    served = _Served(app)
    port = _free_port()
    stop = asyncio.Event()
    finished = asyncio.Event()
    up = asyncio.Event()

    async def server() -> None:
        async with serve(served, port=port):  # type: ignore[arg-type]
            up.set()
            await stop.wait()
        await asyncio.sleep(outage)
        async with serve(served, port=port):  # type: ignore[arg-type]
            report.restarts += 1
            await finished.wait()

    retries = _Retries()
    log = logging.getLogger("aioinstagram.transport")
    log.addHandler(retries)
    outcomes: dict[str, object] = {}
    walked: list[str] = []
    server_task = asyncio.create_task(server())
    try:
        await up.wait()
        # A 429 without Retry-After pauses the token's bucket for its whole window (the limiter's
        # rule), so with bare 429s the calls may wait past any fixed deadline: no deadline then.
        async with InstagramClient(
            token,
            base_url=f"http://127.0.0.1:{port}/v1",
            max_retries=6,
            retry_deadline=None if bare_429s else 120.0,
            transport=transport,
        ) as client:

            async def lookup() -> None:
                results = client.relationships.iter_many(ids, concurrency=concurrency)
                async with aclosing(results) as stream:
                    async for user_id, outcome in stream:
                        outcomes[user_id] = _outcome_key(outcome)
                        done = len(outcomes)
                        if bare_429s and done == len(expected) // 2:
                            emu.faults = dataclasses.replace(faults, with_retry_after=False)
                        if done == len(expected) * 2 // 5:
                            stop.set()  # the emulator goes away for `outage` seconds

            async def walk() -> None:
                paginator = client.relationships.followed_by(celebrity, count=100)
                while paginator.state is not PaginatorState.EXHAUSTED:
                    try:
                        async for user in paginator:
                            walked.append(user.id)
                    except InstagramError:
                        report.walk_resumes += 1  # the page is fetched again: nothing skipped
                await paginator.aclose()

            await asyncio.gather(lookup(), walk())
            report.breaker_openings = client._transport.breaker.state.opened
        finished.set()
        stop.set()
        await server_task
    finally:
        finished.set()
        stop.set()
        log.removeHandler(retries)
        if not server_task.done():
            server_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await server_task

    await asyncio.sleep(0.05)  # let closed transports finish closing
    report.lookups = len(ids)
    report.followers = len(walked)
    report.requests = sum(emu.stats.requests.values()) + sum(emu.stats.faults.values())
    report.faults = Counter(emu.stats.faults)
    report.latency_spikes = app.spikes
    report.retries = retries.count
    report.rate_limited = emu.stats.faults.get("rate_limit", 0)
    report.peak_in_flight = app.peak
    report.peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report.ids_without_outcome = sum(1 for k in expected if k not in outcomes)
    report.wrong_outcomes = sum(
        1 for k, v in expected.items() if k in outcomes and outcomes[k] != v
    )
    seen = Counter(walked)
    report.items_repeated = sum(n - 1 for n in seen.values() if n > 1)
    report.items_missing = sum(1 for uid in expected_followers if uid not in seen)
    report.items_out_of_order = list(dict.fromkeys(walked)) != expected_followers
    current = asyncio.current_task()
    report.leaked_tasks = sum(1 for t in asyncio.all_tasks() if t is not current)
    now_sockets = _sockets()
    report.leaked_sockets = (
        None
        if now_sockets is None or baseline_sockets is None
        else max(0, now_sockets - baseline_sockets)
    )
    report.elapsed = time.perf_counter() - started
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--lookups", type=int, default=50_000)
    parser.add_argument("--followers", type=int, default=100_000)
    parser.add_argument("--fault-rate", type=float, default=0.10)
    parser.add_argument("--outage", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--transport",
        default="httpx",
        choices=["httpx", "fast", "aiohttp"],
        help="the client's transport (fast: the bulk lane, pipelined)",
    )
    parser.add_argument(
        "--no-bare-429s",
        action="store_true",
        help="keep Retry-After on every 429 (a bare 429 pauses the bucket for its window)",
    )
    args = parser.parse_args(argv)
    report = asyncio.run(
        soak(
            lookups=args.lookups,
            followers=args.followers,
            fault_rate=args.fault_rate,
            outage=args.outage,
            seed=args.seed,
            bare_429s=not args.no_bare_429s,
            transport=args.transport,
        )
    )
    print(report.render())
    problems = report.problems()
    if problems:
        print("SOAK FAILED: " + "; ".join(problems), file=sys.stderr)
        return 1
    print("soak passed: every id has its outcome, every follower once, nothing left open")
    return 0


if __name__ == "__main__":
    sys.exit(main())
