"""Run the aioinstagram benchmarks: the library on each transport against its baselines.

One run, one process tree: this script starts the benchmark server (``server.py``, loopback,
port 0) as a subprocess, runs every (scenario, client) in its own fresh worker process
(``_worker.py``) so that CPU time and RSS are isolated, repeats the whole plan ``--repeat``
times (rounds interleaved), takes the median of every metric, prints a Markdown report (tables
with ratios to the baselines, then the targets) and, with ``--write``, stores it in
``benchmarks/RESULTS.md`` with the machine and package versions. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import math
import os
import platform
import select
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "RESULTS.md"
#: A dummy token (the server accepts anything). Handed to workers through the environment and
#: redacted from anything they write; never printed.
TOKEN = "dummybenchtoken7f3a"
TOKEN_ENV = "AIOINSTAGRAM_BENCH_TOKEN"
#: What --transports accepts: the library's built-in transports, "aiohttp-own" (the aiohttp
#: adapter the library used to keep, clients/_own_aiohttp_transport.py, measured against
#: httpx-aiohttp) and "h2c" (the library on a given ``httpx.AsyncClient(http1=False,
#: http2=True)``, against the server's h2c listener).
KNOWN_TRANSPORTS = ("httpx", "fast", "aiohttp", "aiohttp-own", "http2", "h2c")
TRANSPORTS = ("httpx", "fast", "aiohttp", "aiohttp-own")  # the default selection
SCENARIOS = ("lookup-c1", "lookup-c16", "lookup-c64", "walk-100k", "structure-100", "ratelimit-3L")
#: Clients built on httpcore run the concurrent lookups with fewer requests (it is ~10x slower
#: than aiohttp there; a rate needs no 20,000 requests to be steady, and the run stays short).
SLOW_CLIENTS = frozenset(
    {"httpx-raw", "httpx-h2c-raw", "library[httpx]", "library[http2]", "library[h2c]"}
)
#: The rows that talk HTTP/2 with prior knowledge to the server's h2c listener.
H2C_CLIENTS = frozenset({"httpx-h2c-raw", "library[h2c]"})
VERSIONS = (
    "aioinstagram", "httpx", "httpcore", "h11", "h2", "aiohttp", "yarl", "multidict", "attrs",
    "cattrs", "tenacity", "orjson", "msgspec", "uvloop", "psutil",
)  # fmt: skip


def log(msg: str) -> None:
    sys.stderr.write(redact(msg) + "\n")
    sys.stderr.flush()


def redact(text: str) -> str:
    return text.replace(TOKEN, "***")


# ------------------------------------------------------------------------------------------
# Configuration and plan


@dataclass
class Config:
    quick: bool
    write: bool
    repeat: int
    scenarios: tuple[str, ...]
    transports: tuple[str, ...]
    loop: str
    c1_requests: int
    requests: int
    slow_fraction: float
    followers: int
    page_size: int
    struct_seconds: float
    rate_limit: int
    rate_window: float
    rate_transports: tuple[str, ...]
    job_timeout: float


@dataclass
class Job:
    scenario: str  # e.g. "lookup-c64"
    client: str  # row label, e.g. "aiohttp-raw", "library[fast]"
    spec: dict[str, Any]
    server: str | None  # "main", "ratelimit" or None
    needs_library: str | None = None  # "client" or "models": what must import
    runs: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    skipped: str | None = None

    @property
    def transport(self) -> str | None:
        return self.spec.get("transport")


def lookup_jobs(cfg: Config, scenario: str, c: int) -> list[Job]:
    jobs = []
    clients = ["raw-asyncio", "aiohttp-raw", "httpx-raw"]
    if "fast" in cfg.transports:
        # the floor on a well-kept parser (httptools + msgspec, nothing else), the floor of a
        # pipelining client (as the bulk lane sends), then the fast transport alone, without
        # the library
        clients += ["llhttp-msgspec", "raw-pipelined", "fast-backend"]
    if "h2c" in cfg.transports:
        clients.append("httpx-h2c-raw")
    clients += [f"library[{t}]" for t in cfg.transports]
    if "fast" in cfg.transports and c > 1:
        clients.append("library[fast-p1]")  # the bulk lane without pipelining
    for label in clients:
        n = cfg.c1_requests if c == 1 else cfg.requests
        if c > 1 and label in SLOW_CLIENTS:
            n = max(c * 10, int(n * cfg.slow_fraction))
        spec: dict[str, Any] = {
            "scenario": "lookup",
            "requests": n,
            "concurrency": c,
            "warmup": max(100, 2 * c),
        }
        if label.startswith("library["):
            spec.update(client="library", transport=label[8:-1])
        else:
            spec["client"] = label
        jobs.append(
            Job(scenario, label, spec, "main", "client" if label.startswith("library[") else None)
        )
    return jobs


def plan(cfg: Config) -> list[Job]:
    jobs: list[Job] = []
    for scenario in cfg.scenarios:
        if scenario.startswith("lookup-c"):
            jobs += lookup_jobs(cfg, scenario, int(scenario[len("lookup-c") :]))
        elif scenario == "walk-100k":
            base = {"scenario": "walk", "user_id": "123", "page_size": cfg.page_size}
            jobs.append(Job(scenario, "json-loop", {**base, "client": "json-loop"}, "main"))
            jobs += [
                Job(
                    scenario,
                    f"library[{t}]",
                    {**base, "client": "library", "transport": t, "concurrency": 1},
                    "main",
                    "client",
                )
                for t in cfg.transports
            ]
        elif scenario == "structure-100":
            base = {"scenario": "structure", "page_size": 100, "min_seconds": cfg.struct_seconds}
            for client in ("msgspec", "orjson", "library", "library-general", "library-cattrs"):
                needs = "models" if client.startswith("library") else None
                jobs.append(Job(scenario, client, {**base, "client": client}, None, needs))
        elif scenario == "ratelimit-3L":
            for t in cfg.rate_transports:
                spec = {
                    "scenario": "ratelimit",
                    "client": "library",
                    "transport": t,
                    "concurrency": 64,
                    "rate_limit": cfg.rate_limit,
                    "rate_window": cfg.rate_window,
                    "timeout": 10 * cfg.rate_window + 20,
                }
                jobs.append(Job(scenario, f"library[{t}]", spec, "ratelimit", "client"))
        else:
            raise SystemExit(f"unknown scenario {scenario!r}; choose from {', '.join(SCENARIOS)}")
    for job in jobs:
        job.spec["loop"] = cfg.loop
        if job.client in H2C_CLIENTS:
            job.spec["h2c"] = True  # run_job points it at the server's h2c listener
    return jobs


# ------------------------------------------------------------------------------------------
# Processes


class Server:
    """The benchmark server as a subprocess on 127.0.0.1, port 0."""

    def __init__(self, args: Sequence[str]) -> None:
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, str(BENCH_DIR / "server.py"), "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=self.log,
            stdin=subprocess.DEVNULL,
        )
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], 15.0)
        line = self.proc.stdout.readline().decode() if ready else ""
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"the benchmark server did not start: {line!r} {self.stderr()}")
        self.port = int(line.split()[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        # The server writes "H2C_PORT <n>" in the same write as "PORT" (0: no h2 package).
        line = self.proc.stdout.readline().decode()
        self.h2c_port = int(line.split()[1]) if line.startswith("H2C_PORT ") else 0
        self.h2c_base_url = f"http://127.0.0.1:{self.h2c_port}" if self.h2c_port else None

    def _call(self, method: str, path: str) -> dict[str, Any]:
        req = urllib.request.Request(
            self.base_url + path, method=method, data=b"" if method == "POST" else None
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            result: dict[str, Any] = json.loads(resp.read())
            return result

    def reset(self) -> None:
        self._call("POST", "/__reset")

    def warm_walk(self, user_id: str, page_size: int) -> int:
        """Walk the followers once, untimed: the server builds each page once and keeps it, so
        without this the first walker of a run would pay for building them and the others not.
        Returns the pages walked."""
        url: str | None = (
            f"{self.base_url}/v1/users/{user_id}/followed-by?access_token={TOKEN}&count={page_size}"
        )
        pages = 0
        while url is not None:
            with urllib.request.urlopen(url, timeout=10) as resp:
                doc = json.loads(resp.read())
            pages += 1
            url = (doc.get("pagination") or {}).get("next_url")
        return pages

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "/__stats")

    def stderr(self) -> str:
        self.log.seek(0)
        return redact(self.log.read().decode(errors="replace"))[-2000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.log.close()


@contextmanager
def servers(cfg: Config) -> Iterator[dict[str, Server]]:
    started: dict[str, Server] = {}
    try:
        if any(not s.startswith(("structure", "ratelimit")) for s in cfg.scenarios):
            started["main"] = Server(["--followers", str(cfg.followers)])
        if "ratelimit-3L" in cfg.scenarios:
            started["ratelimit"] = Server(
                [
                    "--rate-limit",
                    str(cfg.rate_limit),
                    "--rate-window",
                    str(cfg.rate_window),
                ]
            )
        yield started
    finally:
        for server in started.values():
            server.stop()


def library_status() -> dict[str, str | None]:
    """None when importable, else the reason, for the client and for the models/converter."""
    checks = {
        "client": "import aioinstagram; aioinstagram.InstagramClient",
        "models": "from aioinstagram import _converter, _protocol; "
        "from aioinstagram._models import User",
    }
    status: dict[str, str | None] = {}
    for name, code in checks.items():
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
        )
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        status[name] = None if proc.returncode == 0 else redact(lines[-1] if lines else "failed")
    return status


def run_job(job: Job, srv: dict[str, Server], timeout: float) -> dict[str, Any]:
    spec = dict(job.spec)
    server = srv.get(job.server) if job.server else None
    if server is not None:
        base_url = server.h2c_base_url if spec.get("h2c") else server.base_url
        if base_url is None:
            raise RuntimeError("the server has no h2c listener (is the h2 package installed?)")
        spec["base_url"] = base_url + "/v1"
        server.reset()
    env = {**os.environ, TOKEN_ENV: TOKEN, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run(
        [sys.executable, str(BENCH_DIR / "_worker.py"), json.dumps(spec)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if proc.returncode != 0:
        raise RuntimeError(redact(last_error(proc.stderr) or f"exit status {proc.returncode}"))
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    if server is not None:
        stats = server.stats()
        result["server_requests"] = stats["requests"]
        result["server_429"] = stats["rate_limited"]
    return result


def last_error(stderr: str) -> str:
    """The exception line of a traceback, with the place it was raised (file:line in func)."""
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    if not lines:
        return ""
    where = ""
    frames = [ln.strip() for ln in lines if ln.startswith("  File ")]
    if frames:  # '  File "/path/to/mod.py", line 266, in roundtrip'
        parts = frames[-1].split('"')
        if len(parts) >= 3:
            tail = parts[2].replace(", line ", ":").replace(", in ", " in ").strip(", ")
            where = f" (at {Path(parts[1]).name}{tail})"
    return lines[-1].strip() + where


def execute(cfg: Config, jobs: list[Job]) -> None:
    status = library_status()
    for job in jobs:
        if job.needs_library and status[job.needs_library] is not None:
            job.skipped = "n/a (not importable)"
            log(f"skip {job.scenario} {job.client}: {status[job.needs_library]}")
    todo = [j for j in jobs if j.skipped is None]
    with servers(cfg) as srv:
        walks = {
            j.spec["user_id"]: j.spec["page_size"] for j in todo if j.spec["scenario"] == "walk"
        }
        for user_id, page_size in walks.items():
            pages = srv["main"].warm_walk(user_id, page_size)
            log(f"warmed the server: one untimed walk of {pages:,} pages")
        for rnd in range(1, cfg.repeat + 1):
            for i, job in enumerate(todo, 1):
                if job.error is not None:
                    continue
                t0 = time.perf_counter()
                try:
                    result = run_job(job, srv, cfg.job_timeout)
                except subprocess.TimeoutExpired:
                    job.error = f"timed out after {cfg.job_timeout:.0f} s"
                except (RuntimeError, ValueError, OSError) as exc:
                    job.error = redact(str(exc))[:240]
                else:
                    job.runs.append(result)
                took = time.perf_counter() - t0
                what = job.error or summary(job.scenario, job.runs[-1])
                log(
                    f"[round {rnd}/{cfg.repeat} {i:2}/{len(todo)}] {job.scenario:<13} "
                    f"{job.client:<18} {what}  ({took:.1f} s)"
                )


# ------------------------------------------------------------------------------------------
# Metrics


def metrics(scenario: str, r: dict[str, Any]) -> dict[str, float]:
    wall, cpu, n = r["wall_s"], r["cpu_s"], max(1, r["requests"])
    if scenario.startswith("walk") and r.get("server_requests", 0) > 0:
        n = r["server_requests"]  # the pages the server actually served
    return {
        "rate": n / wall if wall else math.inf,
        "items_rate": r["items"] / wall if wall else math.inf,
        "cpu_us": cpu / n * 1e6,
        # structuring: the fastest batch (see clients/structuring.py); the mean is kept too
        "us_per": r.get("best_us_per", wall / n * 1e6),
        "mean_us_per": wall / n * 1e6,
        "wall": wall,
        "peak_mb": r["peak_kb"] / 1024,
        "start_mb": r["rss_start_kb"] / 1024,
        "delta_mb": (r["peak_kb"] - r["rss_start_kb"]) / 1024,
        "lifetime_peak_mb": r["maxrss_after_kb"] / 1024,
        "requests": r["requests"],
        "items": r["items"],
        "errors": r["errors"],
        "server_requests": r.get("server_requests", -1),
        "server_429": r.get("server_429", -1),
        "timed_out": float(bool(r.get("timed_out", False))),
    }


def summary(scenario: str, r: dict[str, Any]) -> str:
    m = metrics(scenario, r)
    if scenario.startswith("structure"):
        return f"{m['us_per']:.1f} µs/page"
    if scenario.startswith("walk"):
        return f"{m['items_rate']:,.0f} items/s, ΔRSS {m['delta_mb']:.1f} MB"
    if scenario.startswith("ratelimit"):
        return f"{m['wall']:.2f} s, {m['server_429']:.0f} x 429, {m['errors']:.0f} errors"
    return f"{m['rate']:,.0f} req/s, {m['cpu_us']:.0f} µs CPU/req, {m['errors']:.0f} errors"


def median(job: Job) -> dict[str, float] | None:
    if not job.runs:
        return None
    per = [metrics(job.scenario, r) for r in job.runs]
    return {k: statistics.median(m[k] for m in per) for k in per[0]}


def spread(job: Job, key: str) -> str:
    """The range of a metric over the repeats, as a percentage of its median."""
    if len(job.runs) < 2:
        return ""
    vals = [metrics(job.scenario, r)[key] for r in job.runs]
    mid = statistics.median(vals)
    return f"±{(max(vals) - min(vals)) / 2 / mid * 100:.0f}%" if mid else ""


# ------------------------------------------------------------------------------------------
# Report


def fnum(x: float, digits: int = 0) -> str:
    return f"{x:,.{digits}f}"


def ratio(x: float | None, base: float | None) -> str:
    if x is None or base is None or not base:
        return "-"
    return f"{x / base:.2f}x"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    align = ["---" if i < 2 or h in ("notes", "what") else "---:" for i, h in enumerate(header)]
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def unavailable(job: Job, width: int) -> list[str]:
    why = job.skipped or f"error: {job.error}"
    return [why] + [""] * (width - 1)


def find(jobs: Sequence[Job], scenario: str, client: str) -> Job | None:
    return next((j for j in jobs if j.scenario == scenario and j.client == client), None)


def notes_for(job: Job, m: dict[str, float], expected_requests: float | None = None) -> str:
    notes = []
    if m["errors"]:
        notes.append(f"{m['errors']:.0f} errors")
    if job.error:
        notes.append(f"later run failed: {job.error}")
    if (
        expected_requests is not None
        and m["server_requests"] >= 0
        and (m["server_requests"] != expected_requests)
    ):
        notes.append(f"server saw {m['server_requests']:.0f} requests")
    return "; ".join(notes)


def lookup_section(jobs: Sequence[Job], cfg: Config) -> list[str]:
    rows = []
    for scenario in [s for s in cfg.scenarios if s.startswith("lookup")]:
        base = find(jobs, scenario, "aiohttp-raw")
        bm = median(base) if base else None
        raw = find(jobs, scenario, "httpx-raw")
        hm = median(raw) if raw else None
        for job in [j for j in jobs if j.scenario == scenario]:
            m = median(job)
            head = [scenario, job.client]
            if m is None:
                rows.append(head + unavailable(job, 9))
                continue
            warm = job.spec["warmup"]
            rows.append(
                [
                    *head,
                    fnum(m["requests"]),
                    f"{fnum(m['rate'])} {spread(job, 'rate')}".strip(),
                    ratio(m["rate"], bm["rate"] if bm else None),
                    ratio(m["rate"], hm["rate"] if hm else None),
                    fnum(m["cpu_us"]),
                    ratio(m["cpu_us"], bm["cpu_us"] if bm else None),
                    ratio(m["cpu_us"], hm["cpu_us"] if hm else None),
                    fnum(m["peak_mb"], 1),
                    notes_for(job, m, m["requests"] + warm),
                ]
            )
    header = [
        "Scenario",
        "Client",
        "n",
        "req/s",
        "÷ aiohttp-raw",
        "÷ httpx-raw",
        "CPU µs/req",
        "÷ aiohttp-raw",
        "÷ httpx-raw",
        "peak RSS MB",
        "notes",
    ]
    return ["### Lookups (GET /users/{id}/relationship)", "", *table(header, rows)]


def walk_section(jobs: Sequence[Job], cfg: Config) -> list[str]:
    rows = []
    base = find(jobs, "walk-100k", "json-loop")
    bm = median(base) if base else None
    for job in [j for j in jobs if j.scenario == "walk-100k"]:
        m = median(job)
        if m is None:
            rows.append([job.client, *unavailable(job, 8)])
            continue
        note = notes_for(job, m)
        if m["items"] != cfg.followers:
            note = "; ".join(filter(None, [note, f"expected {cfg.followers:,} items"]))
        rows.append(
            [
                job.client,
                fnum(m["items"]),
                f"{fnum(m['items_rate'])} {spread(job, 'items_rate')}".strip(),
                ratio(m["items_rate"], bm["items_rate"] if bm else None),
                fnum(m["cpu_us"]),
                fnum(m["start_mb"], 1),
                fnum(m["peak_mb"], 1),
                f"{m['delta_mb']:+.1f}",
                note,
            ]
        )
    header = [
        "Client",
        "items",
        "items/s",
        "÷ json-loop",
        "CPU µs/page",
        "start RSS MB",
        "peak RSS MB",
        "Δ RSS MB",
        "notes",
    ]
    return [
        f"### Pagination (walk {cfg.followers:,} followers, pages of {cfg.page_size})",
        "",
        *table(header, rows),
    ]


def structure_section(jobs: Sequence[Job]) -> list[str]:
    rows = []
    base = find(jobs, "structure-100", "msgspec")
    bm = median(base) if base else None
    describe = {
        "msgspec": "msgspec.Struct from bytes",
        "orjson": "orjson.loads only (dicts)",
        "library": "bytes → list[User]",
        "library-general": "bytes → dicts → list[User] (without msgspec)",
        "library-cattrs": "dicts → list[User] (converter step alone)",
    }
    for job in [j for j in jobs if j.scenario == "structure-100"]:
        m = median(job)
        if m is None:
            rows.append([job.client, *unavailable(job, 6)])
            continue
        how = job.runs[-1].get("how", describe.get(job.client, ""))
        rows.append(
            [
                job.client,
                f"{m['us_per']:.1f} {spread(job, 'us_per')}".strip(),
                ratio(m["us_per"], bm["us_per"] if bm else None),
                f"{m['mean_us_per']:.1f}",
                ratio(m["mean_us_per"], bm["mean_us_per"] if bm else None),
                fnum(m["requests"]),
                how,
            ]
        )
    header = [
        "Client",
        "µs/page (best batch)",
        "÷ msgspec",
        "µs/page (mean)",
        "÷ msgspec",
        "iterations",
        "what",
    ]
    return ["### Structuring (one 100-user page)", "", *table(header, rows)]


def ratelimit_section(jobs: Sequence[Job], cfg: Config) -> list[str]:
    ideal = ideal_seconds(cfg)
    rows = []
    for job in [j for j in jobs if j.scenario == "ratelimit-3L"]:
        m = median(job)
        if m is None:
            rows.append([job.client, *unavailable(job, 7)])
            continue
        note = notes_for(job, m)
        if m["timed_out"]:
            note = "; ".join(filter(None, [note, "timed out"]))
        if not job.runs[-1].get("window_passed"):
            note = "; ".join(filter(None, [note, "no rate_limit_window argument"]))
        rows.append(
            [
                job.client,
                fnum(m["requests"]),
                f"{m['wall']:.2f}",
                f"{ideal:.2f}",
                f"{m['wall'] / ideal:.3f}x",
                fnum(m["server_429"]),
                fnum(m["errors"]),
                note,
            ]
        )
    header = [
        "Client",
        "lookups",
        "elapsed s",
        "ideal s",
        "÷ ideal",
        "429s sent",
        "errors",
        "notes",
    ]
    return [
        f"### Rate limits ({3 * cfg.rate_limit} lookups, budget {cfg.rate_limit} per "
        f'{cfg.rate_window:g} s, concurrency 64, rate_limit_mode="wait")',
        "",
        *table(header, rows),
    ]


def ideal_seconds(cfg: Config) -> float:
    """3L requests under L per window: L now, L after one window, L after two."""
    return (math.ceil(3 * cfg.rate_limit / cfg.rate_limit) - 1) * cfg.rate_window


@dataclass
class Target:
    name: str
    goal: str
    measure: Callable[[str], tuple[float, bool] | str]  # transport -> (value, met) or reason


def targets(jobs: Sequence[Job], cfg: Config) -> list[Target]:
    def pair(scenario: str, base: str, t: str) -> tuple[dict[str, float], dict[str, float]] | str:
        lib, ref = find(jobs, scenario, f"library[{t}]"), find(jobs, scenario, base)
        if lib is None or ref is None:
            return "not run"
        lm, rm = median(lib), median(ref)
        if lm is None:
            return lib.skipped or "error"
        if rm is None:
            return "baseline failed"
        if lm["errors"]:
            return f"{lm['errors']:.0f} errors"
        return lm, rm

    def bulk(t: str) -> tuple[float, bool] | str:
        p = pair("lookup-c64", "aiohttp-raw", t)
        if isinstance(p, str):
            return p
        r = p[0]["rate"] / p[1]["rate"]
        return r, r >= 1.0

    def cpu(t: str) -> tuple[float, bool] | str:
        p = pair("lookup-c1", "aiohttp-raw", t)
        if isinstance(p, str):
            return p
        r = p[0]["cpu_us"] / p[1]["cpu_us"]
        return r, r <= 1.3

    def walk_rss(t: str) -> tuple[float, bool] | str:
        p = pair("walk-100k", "json-loop", t)
        if isinstance(p, str):
            return p
        return p[0]["delta_mb"], p[0]["delta_mb"] <= 5.0

    def walk_rate(t: str) -> tuple[float, bool] | str:
        p = pair("walk-100k", "json-loop", t)
        if isinstance(p, str):
            return p
        r = p[0]["items_rate"] / p[1]["items_rate"]
        return r, r >= 0.9 and p[0]["items"] == cfg.followers

    def structuring(_t: str) -> tuple[float, bool] | str:
        lib, ref = find(jobs, "structure-100", "library"), find(jobs, "structure-100", "msgspec")
        if lib is None or ref is None:
            return "not run"
        lm, rm = median(lib), median(ref)
        if lm is None or rm is None:
            return lib.skipped or "error"
        r = lm["us_per"] / rm["us_per"]
        return r, r <= 3.0

    def rate(t: str) -> tuple[float, bool] | str:
        job = find(jobs, "ratelimit-3L", f"library[{t}]")
        if job is None:
            return "not run"
        m = median(job)
        if m is None:
            return job.skipped or "error"
        r = m["wall"] / ideal_seconds(cfg)
        return r, r <= 1.05 and m["server_429"] == 0 and not m["errors"] and not m["timed_out"]

    def over(
        scenario: str, base: str, key: str, goal: float, more: bool
    ) -> Callable[[str], tuple[float, bool] | str]:
        def measure(t: str) -> tuple[float, bool] | str:
            p = pair(scenario, base, t)
            if isinstance(p, str):
                return p
            r = p[0][key] / p[1][key]
            return r, (r >= goal if more else r <= goal)

        return measure

    return [
        Target(
            "Default (httpx): CPU/lookup c=1 ÷ httpx-raw c=1",
            "≤ 1.15x",
            over("lookup-c1", "httpx-raw", "cpu_us", 1.15, False),
        ),
        Target(
            "Default (httpx): get_many c=64 req/s ÷ httpx-raw c=64",
            "≥ 1.00x",
            over("lookup-c64", "httpx-raw", "rate", 1.0, True),
        ),
        Target(
            "Fast: get_many c=64 req/s ÷ aiohttp-raw c=64",
            "≥ 2.00x",
            over("lookup-c64", "aiohttp-raw", "rate", 2.0, True),
        ),
        Target(
            "Fast: get_many c=64 req/s ÷ raw-asyncio c=64 (no parsing)",
            "≥ 0.70x",
            over("lookup-c64", "raw-asyncio", "rate", 0.7, True),
        ),
        Target("Bulk: get_many c=64 req/s ÷ aiohttp-raw c=64", "≥ 1.00x", bulk),
        Target("Per request: CPU/lookup c=1 ÷ aiohttp-raw c=1", "≤ 1.30x", cpu),
        Target(
            f"Pagination: peak RSS - start RSS, {cfg.followers:,} followers", "≤ 5.0 MB", walk_rss
        ),
        Target("Pagination: items/s ÷ json-loop", "≥ 0.90x", walk_rate),
        Target(
            "Structuring: 100-user page ÷ msgspec (transport-independent)", "≤ 3.00x", structuring
        ),
        Target(
            "Rate limits: 3L lookups elapsed ÷ ideal (2 windows), no 429", "≤ 1.05x, 0 x 429", rate
        ),
    ]


def target_section(jobs: Sequence[Job], cfg: Config) -> list[str]:
    rows = []
    for target in targets(jobs, cfg):
        cells = []
        for t in cfg.transports:
            out = target.measure(t)
            if isinstance(out, str):
                cells.append(out)
            else:
                value, met = out
                unit = " MB" if "MB" in target.goal else "x"
                cells.append(f"{value:.2f}{unit} {'**met**' if met else '**not met**'}")
        rows.append([target.name, target.goal, *cells])
    header = ["Target", "Goal", *(f"library[{t}]" for t in cfg.transports)]
    return ["### Targets", "", *table(header, rows)]


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return {
        "CPU": f"{cpu}, {os.cpu_count()} logical cores ({usable} usable)",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "OS": platform.platform(),
        "Load average at start": load,
    }


def versions() -> str:
    out = []
    for name in VERSIONS:
        try:
            out.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            out.append(f"{name} (not installed)")
    return ", ".join(out)


def report(jobs: Sequence[Job], cfg: Config, info: dict[str, str], argv: Sequence[str]) -> str:
    lines = [
        "# aioinstagram benchmark results",
        "",
        f"Measured {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC with "
        f"`python benchmarks/run.py {' '.join(argv)}`".rstrip()
        + "; "
        f"median of {cfg.repeat} run(s); {cfg.loop} event loop in every process. "
        "Client and server share the machine (see benchmarks/README.md).",
        "",
        *(f"- **{k}**: {v}" for k, v in info.items()),
        f"- **Packages**: {versions()}",
        "",
    ]
    sections: list[list[str]] = []
    if any(s.startswith("lookup") for s in cfg.scenarios):
        sections.append(lookup_section(jobs, cfg))
    if "walk-100k" in cfg.scenarios:
        sections.append(walk_section(jobs, cfg))
    if "structure-100" in cfg.scenarios:
        sections.append(structure_section(jobs))
    if "ratelimit-3L" in cfg.scenarios:
        sections.append(ratelimit_section(jobs, cfg))
    sections.append(target_section(jobs, cfg))
    for section in sections:
        lines += [*section, ""]
    lines.append(
        "±: half the range over the repeats, as a share of the median. "
        "CPU: the client process only (`time.process_time`). peak RSS: the client "
        "process's high-water mark during the measured part."
    )
    return redact("\n".join(lines)) + "\n"


# ------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> Config:
    p = argparse.ArgumentParser(description="Benchmark aioinstagram against its baselines.")
    p.add_argument("--quick", action="store_true", help="a smaller run (about a minute)")
    p.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated subset of: {', '.join(SCENARIOS)}",
    )
    p.add_argument(
        "--transports",
        default=",".join(TRANSPORTS),
        help=f"library transports to run, comma-separated, among: {', '.join(KNOWN_TRANSPORTS)} "
        "(h2c also adds the httpx-h2c-raw baseline to the lookups)",
    )
    p.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="runs per row, median kept (default 3, 1 with --quick)",
    )
    p.add_argument("--write", action="store_true", help=f"write the report to {RESULTS.name}")
    p.add_argument(
        "--loop",
        choices=("uvloop", "asyncio"),
        default=None,
        help="event loop of the clients (default: uvloop when installed)",
    )
    a = p.parse_args(argv)
    scenarios = tuple(s.strip() for s in a.scenarios.split(",") if s.strip())
    for s in scenarios:
        if s not in SCENARIOS:
            p.error(f"unknown scenario {s!r}")
    transports = tuple(t.strip() for t in a.transports.split(",") if t.strip())
    for t in transports:
        if t not in KNOWN_TRANSPORTS:
            p.error(f"unknown transport {t!r}; choose from {', '.join(KNOWN_TRANSPORTS)}")
    loop = a.loop
    if loop is None:
        try:
            import uvloop  # noqa: F401
        except ImportError:
            loop = "asyncio"
        else:
            loop = "uvloop"
    quick = a.quick
    return Config(
        quick=quick,
        write=a.write,
        repeat=a.repeat or (1 if quick else 3),
        scenarios=scenarios,
        transports=transports,
        loop=loop,
        c1_requests=500 if quick else 2_000,
        requests=3_000 if quick else 20_000,
        slow_fraction=0.2 if quick else 0.1,
        followers=20_000 if quick else 100_000,
        page_size=100,
        struct_seconds=0.25 if quick else 1.0,
        rate_limit=100 if quick else 200,
        rate_window=1.0 if quick else 2.0,
        rate_transports=transports[:1] if quick else transports,
        job_timeout=300.0,
    )


def kept_sections(path: Path) -> str:
    """The sections of the results file that other scripts write (``## `` headings: media.py,
    budget.py): kept as they are when this report is rewritten."""
    if not path.exists():
        return ""
    old = path.read_text(encoding="utf-8")
    at = old.find("\n## ")
    return "" if at < 0 else "\n" + old[at + 1 :]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    cfg = parse_args(args)
    info = machine()
    jobs = plan(cfg)
    log(f"{len(jobs)} rows x {cfg.repeat} run(s); {cfg.loop}; load {info['Load average at start']}")
    t0 = time.perf_counter()
    execute(cfg, jobs)
    text = report(jobs, cfg, info, args)
    sys.stdout.write("\n" + text)
    log(f"total {time.perf_counter() - t0:.0f} s")
    if cfg.write:
        RESULTS.write_text(text + kept_sections(RESULTS), encoding="utf-8")
        log(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
