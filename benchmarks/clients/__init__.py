"""Benchmark clients: each runs one scenario in the current (fresh) process and reports to a Meter.

A client is an ``async def client(spec, meter)`` (or a plain ``def`` for the structuring
clients). It does its setup (imports, session or client creation, warm-up), calls
``meter.start()`` right before the measured part and ``meter.stop(...)`` right after it.
``benchmarks/_worker.py`` runs one client per process and prints the meter as JSON.
"""

from __future__ import annotations

import os
import resource
import time
from typing import Any, TypedDict

import psutil

__all__ = ["TOKEN_ENV", "Meter", "Spec", "lookup_ids"]

#: The dummy access token is handed to workers in this environment variable (never argv,
#: never printed: the orchestrator redacts it from anything a worker writes).
TOKEN_ENV = "AIOINSTAGRAM_BENCH_TOKEN"


class Spec(TypedDict, total=False):
    scenario: str  # lookup, walk, structure, ratelimit
    client: str  # aiohttp-raw, httpx-raw, httpx-h2c-raw, json-loop, msgspec, orjson, library, ...
    transport: str  # library transport name, or "h2c" (a given HTTP/2-only httpx client)
    h2c: bool  # talk to the server's h2c listener (run.py then puts its URL in base_url)
    base_url: str  # http://127.0.0.1:PORT/v1 (the h2c listener's port for h2c rows)
    token: str  # filled in by the worker from TOKEN_ENV
    requests: int  # lookups to time
    concurrency: int
    warmup: int  # untimed lookups before the measured part
    user_id: str  # whose followers to walk
    page_size: int
    min_seconds: float  # structuring: time at least this long
    rate_limit: int
    rate_window: float
    timeout: float  # give up on the measured part after this many seconds
    loop: str  # "uvloop" or "asyncio" (used by the worker)


def lookup_ids(n: int, offset: int = 0) -> list[str]:
    """Distinct numeric user ids (both parities) for relationship lookups."""
    return [str(1_574_083 + offset + i) for i in range(n)]


def _hwm_kb() -> int | None:
    """Peak RSS (VmHWM) of this process in KiB, from /proc (Linux), or None."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_hwm() -> bool:
    """Reset the peak-RSS high-water mark to the current RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


class Meter:
    """Wall time, process CPU time and memory of the measured part of a run."""

    def __init__(self) -> None:
        self._proc = psutil.Process(os.getpid())
        self.result: dict[str, Any] = {}
        self._t0 = 0.0
        self._c0 = 0.0
        self._started = False

    def start(self) -> None:
        """Call right before the measured part (after imports, client creation and warm-up)."""
        r = self.result
        r["maxrss_before_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        r["hwm_reset"] = _reset_hwm()
        r["rss_start_kb"] = self._proc.memory_info().rss // 1024
        self._started = True
        self._c0 = time.process_time()
        self._t0 = time.perf_counter()

    def stop(
        self, *, requests: int, items: int | None = None, errors: int = 0, **extra: Any
    ) -> None:
        """Call right after the measured part with what it did."""
        wall = time.perf_counter() - self._t0
        cpu = time.process_time() - self._c0
        if not self._started:
            raise RuntimeError("Meter.stop() without Meter.start()")
        r = self.result
        r["wall_s"] = wall
        r["cpu_s"] = cpu
        r["requests"] = requests
        r["items"] = requests if items is None else items
        r["errors"] = errors
        r["maxrss_after_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        r["rss_end_kb"] = self._proc.memory_info().rss // 1024
        hwm = _hwm_kb() if r["hwm_reset"] else None
        # Peak RSS of the measured part: VmHWM since the reset, else the lifetime peak.
        r["peak_kb"] = hwm if hwm is not None else r["maxrss_after_kb"]
        r.update(extra)
