"""Media benchmarks (issue 12), runnable alone: ``python benchmarks/media.py [--quick]``.

1. **Structuring a 20-media page** (the production capture
   ``tests/fixtures/instagram-v1/locations_media_recent__python-instagram.json``, 85 KB):
   msgspec decoding it into plain structs of the capture's shape (the reference) against the
   library's read (``read_response`` with the fast decoder + ``structure_data``) and the general
   path (orjson/json + the cattrs converter). Best batch, in-process, as ``run.py`` does.
2. **Walking a 100,000-media tag** served by the emulator (its compact big tag, pages of 33)
   in a subprocess on 127.0.0.1: a bare aiohttp + orjson loop following ``next_url`` against
   the library (``client.tags.recent_media``), each in a fresh worker process that reports
   items/s and its peak RSS growth (psutil, sampled every page).

Ratios are measured in the same run; absolute figures move with the load of the machine.
Options: ``--quick`` (20,000 media, short structuring), ``--items N``, ``--transport NAME``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CAPTURE = (
    ROOT / "tests" / "fixtures" / "instagram-v1" / "locations_media_recent__python-instagram.json"
)
TOKEN_ENV = "AIOINSTAGRAM_BENCH_TOKEN"


# -- 1. structuring ---------------------------------------------------------------------------


def _best_us(fn: Any, seconds: float) -> float:
    for _ in range(50):
        fn()
    best = float("inf")
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t0 = time.perf_counter_ns()
        for _ in range(20):
            fn()
        best = min(best, (time.perf_counter_ns() - t0) / 20 / 1e3)
    return best


def structuring(seconds: float) -> list[tuple[str, float]]:
    import msgspec

    from aioinstagram._converter import structure
    from aioinstagram._fastdecode import fast_decoder, structure_data
    from aioinstagram._media_models import Media
    from aioinstagram._protocol import read_response

    body = CAPTURE.read_bytes()
    user = msgspec.defstruct(
        "User",
        [
            ("id", str),
            ("username", str),
            ("full_name", str | None, None),
            ("profile_picture", str | None, None),
        ],
    )
    comment = msgspec.defstruct(
        "Comment",
        [
            ("id", str),
            ("text", str),
            ("created_time", str),
            ("from_", user, msgspec.field(name="from")),
        ],
    )
    image = msgspec.defstruct("Image", [("url", str), ("width", int), ("height", int)])
    images = msgspec.defstruct(
        "Images", [("low_resolution", image), ("thumbnail", image), ("standard_resolution", image)]
    )
    comments = msgspec.defstruct("Comments", [("count", int), ("data", list[comment], [])])  # type: ignore[valid-type]
    likes = msgspec.defstruct("Likes", [("count", int), ("data", list[user], [])])  # type: ignore[valid-type]
    location = msgspec.defstruct(
        "Location",
        [
            ("id", str | None, None),
            ("name", str | None, None),
            ("latitude", float | None, None),
            ("longitude", float | None, None),
        ],
    )
    media = msgspec.defstruct(
        "Media",
        [
            ("id", str),
            ("type", str),
            ("created_time", str),
            ("link", str | None, None),
            ("filter", str | None, None),
            ("tags", list[str], []),
            ("user", user | None, None),
            ("caption", comment | None, None),
            ("images", images | None, None),
            ("likes", likes | None, None),
            ("comments", comments | None, None),
            ("location", location | None, None),
        ],
    )
    page = msgspec.defstruct("Page", [("data", list[media])])  # type: ignore[valid-type]
    decoder = msgspec.json.Decoder(page)
    fast = fast_decoder(list[Media])
    assert fast is not None, "the fast path needs msgspec"

    def library() -> Any:
        envelope = read_response(
            200, {}, body, request="GET /locations/114/media/recent", fast=fast
        )
        assert envelope.structured
        return structure_data(envelope, list[Media], endpoint="x")

    def general() -> Any:
        envelope = read_response(200, {}, body, request="GET /locations/114/media/recent")
        return structure(envelope.data, list[Media], endpoint="x")

    assert len(decoder.decode(body).data) == len(library()) == len(general()) == 20
    return [
        ("msgspec structs", _best_us(lambda: decoder.decode(body), seconds)),
        ("library (fast path)", _best_us(library, seconds)),
        ("library (general path)", _best_us(general, seconds)),
    ]


# -- 2. the 100,000-media tag walk ------------------------------------------------------------


def serve(items: int) -> None:
    """The emulator with a big tag of ``items`` media, on 127.0.0.1 (prints ``PORT n``)."""
    from aioinstagram.emulator import Emulator, EmulatorConfig
    from aioinstagram.emulator import serve as run

    emu = Emulator(
        EmulatorConfig(
            users=2_000, seed=1, celebrity_followers=0, rate_limit=10**9, big_tag_media=items
        )
    )

    async def main() -> None:
        async with run(emu) as base_url:
            print(f"BASE {base_url} TOKEN {emu.token(emu.demo_user_id)}", flush=True)
            await asyncio.to_thread(sys.stdin.read)  # until the parent closes our stdin

    asyncio.run(main())


def _rss() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


class _Meter:
    """Counts items; time and RSS are measured from the end of the first page (imports,
    connection set-up and first-use allocations are the same for any walk length)."""

    def __init__(self) -> None:
        self.items = 0
        self.t0 = 0.0
        self.rss0 = 0
        self.peak = 0

    def page(self, n: int) -> None:
        if not self.t0:
            self.t0, self.rss0 = time.perf_counter(), _rss()
        else:
            self.items += n
        self.peak = max(self.peak, _rss())

    def result(self) -> dict[str, float]:
        seconds = time.perf_counter() - self.t0
        return {"items": self.items, "seconds": seconds, "rss_growth": self.peak - self.rss0}


async def _walk_json_loop(base: str, token: str, meter: _Meter) -> None:
    import aiohttp
    import orjson

    url: str | None = f"{base}/tags/throwback/media/recent?count=33&access_token={token}"
    async with aiohttp.ClientSession() as session:
        while url:
            async with session.get(url) as answer:
                doc = orjson.loads(await answer.read())
            meter.page(len(doc["data"]))
            url = doc.get("pagination", {}).get("next_url")


async def _walk_library(base: str, token: str, transport: str, meter: _Meter) -> None:
    from aioinstagram import InstagramClient

    async with InstagramClient(access_token=token, base_url=base, transport=transport) as client:
        async for page in client.tags.recent_media("throwback", count=33).pages():
            meter.page(len(page))


def worker(kind: str, base: str, transport: str) -> None:
    token = os.environ[TOKEN_ENV]
    import aiohttp  # noqa: F401 - imported before the walk, like the library
    import orjson  # noqa: F401

    import aioinstagram  # noqa: F401

    meter = _Meter()

    async def main() -> None:
        if kind == "json-loop":
            await _walk_json_loop(base, token, meter)
        else:
            await _walk_library(base, token, transport, meter)

    asyncio.run(main())
    print(json.dumps(meter.result()))


def walk(items: int, transport: str) -> list[tuple[str, dict[str, Any]]]:
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(items)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline().split()
        base, token = line[1], line[3]
        rows = []
        for kind in ("json-loop", f"library[{transport}]"):  # each in a fresh process
            out = subprocess.run(
                [sys.executable, __file__, "--worker", kind, base, transport],
                env={**os.environ, TOKEN_ENV: token},
                capture_output=True,
                text=True,
            )
            if out.returncode:
                raise RuntimeError(f"{kind} failed:\n{out.stderr[-2000:]}")
            result = json.loads(out.stdout)
            if result["items"] != items - 33:  # the first page is not counted
                raise RuntimeError(f"{kind} walked {result['items']} media, expected {items}")
            rows.append((kind, result))
        return rows
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--items", type=int, default=None)
    parser.add_argument("--transport", default="aiohttp")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return
    if args.worker is not None:
        worker(*args.worker)
        return
    items = args.items or (20_000 if args.quick else 100_000)

    rows = structuring(1.0 if args.quick else 3.0)
    ref = rows[0][1]
    print("| Structuring one 20-media page | µs/page (best batch) | ÷ msgspec |")
    print("|---|---:|---:|")
    for name, us in rows:
        print(f"| {name} | {us:,.1f} | {us / ref:.2f}x |")
    print()
    walked = walk(items, args.transport)
    base = walked[0][1]["items"] / walked[0][1]["seconds"]  # items after the first page
    print(f"| Walk a {items:,}-media tag (pages of 33) | items/s | ÷ json-loop | Δ peak RSS MB |")
    print("|---|---:|---:|---:|")
    for name, result in walked:
        rate = result["items"] / result["seconds"]
        print(
            f"| {name} | {rate:,.0f} | {rate / base:.2f}x | {result['rss_growth'] / 2**20:+.1f} |"
        )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()
