"""Run one (scenario, client) in this fresh process and print its measurements as JSON.

Usage (by ``run.py``): ``python benchmarks/_worker.py '<spec json>'`` with the dummy access
token in the environment (``clients.TOKEN_ENV``). The last stdout line is the JSON result.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import os
import sys
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from clients import TOKEN_ENV, Meter, Spec

#: (scenario, client) -> "module:function" under benchmarks/clients/.
CLIENTS: dict[tuple[str, str], str] = {
    ("lookup", "raw-asyncio"): "clients.baselines:raw_asyncio",
    ("lookup", "llhttp-msgspec"): "clients.baselines:llhttp_msgspec",
    ("lookup", "raw-pipelined"): "clients.baselines:raw_pipelined",
    ("lookup", "fast-backend"): "clients.baselines:fast_backend",
    ("lookup", "aiohttp-raw"): "clients.baselines:aiohttp_raw",
    ("lookup", "httpx-raw"): "clients.baselines:httpx_raw",
    ("lookup", "httpx-h2c-raw"): "clients.baselines:httpx_h2c_raw",
    ("lookup", "library"): "clients.library:lookups",
    ("walk", "json-loop"): "clients.baselines:json_loop",
    ("walk", "library"): "clients.library:walk",
    ("structure", "msgspec"): "clients.structuring:msgspec_structs",
    ("structure", "orjson"): "clients.structuring:orjson_only",
    ("structure", "library"): "clients.structuring:library",
    ("structure", "library-general"): "clients.structuring:library_general",
    ("structure", "library-cattrs"): "clients.structuring:library_structure_only",
    ("ratelimit", "library"): "clients.library:ratelimit",
}


def resolve(scenario: str, client: str) -> Callable[[Spec, Meter], Any]:
    module, _, name = CLIENTS[(scenario, client)].partition(":")
    func: Callable[[Spec, Meter], Any] = getattr(importlib.import_module(module), name)
    return func


def run_async(coro: Any, loop: str) -> None:
    if loop == "uvloop":
        import uvloop

        uvloop.run(coro)
    else:
        asyncio.run(coro)


def main() -> int:
    spec: Spec = json.loads(sys.argv[1])
    spec["token"] = os.environ.get(TOKEN_ENV, "")
    loop = spec.get("loop", "asyncio")
    func = resolve(spec["scenario"], spec["client"])
    meter = Meter()
    if inspect.iscoroutinefunction(func):
        run_async(func(spec, meter), loop)
    else:
        func(spec, meter)
    if "wall_s" not in meter.result:
        raise RuntimeError("the client did not call meter.stop()")
    sys.stdout.write(json.dumps(meter.result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
