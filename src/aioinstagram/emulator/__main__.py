"""``python -m aioinstagram.emulator``: run the emulator from the shell.

    python -m aioinstagram.emulator --host 127.0.0.1 --port 8765 --users 10000 --seed 1

prints the base URL and a demo token, then serves until Ctrl-C (SIGINT) or SIGTERM, which stop it
cleanly (exit status 0). Options mirror :class:`~aioinstagram.emulator.EmulatorConfig`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence

from ._config import EmulatorConfig, FaultConfig
from ._emulator import Emulator
from ._server import base_url_for, bind_socket


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m aioinstagram.emulator",
        description="Run the Instagram API v1 emulator (routes under /v1).",
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (0 picks a free one)")
    p.add_argument("--users", type=int, default=10_000, help="ordinary users (default 10000)")
    p.add_argument("--seed", type=int, default=1, help="graph seed (default 1)")
    p.add_argument(
        "--celebrity-followers", type=int, default=120_000,
        help="followers of the celebrity user (0: no celebrity; default 120000)",
    )  # fmt: skip
    p.add_argument("--era", choices=("2014", "2016"), default="2014")
    p.add_argument("--scopes", choices=("2015", "seed"), default="2015")
    p.add_argument("--client-secret", default=None, help="enforce signed requests (sig)")
    p.add_argument("--rate-limit", type=int, default=5_000, help="calls per token per window")
    p.add_argument("--rate-window", type=float, default=3_600.0, help="window in seconds")
    p.add_argument(
        "--relationship-limit",
        type=int,
        default=None,
        help="relationship POSTs per window (default 20 unsigned / 60 signed)",
    )
    p.add_argument("--retry-after", action="store_true", help="add Retry-After to 429s")
    p.add_argument("--fault-seed", type=int, default=0)
    p.add_argument("--error-rate", type=float, default=0.0)
    p.add_argument("--rate-limit-rate", type=float, default=0.0)
    p.add_argument("--drop-rate", type=float, default=0.0)
    p.add_argument("--truncate-rate", type=float, default=0.0)
    p.add_argument("--garbage-rate", type=float, default=0.0)
    p.add_argument("--latency", type=float, default=0.0, help="seconds added to each answer")
    p.add_argument("--log-level", default="warning")
    return p


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    faults = FaultConfig(
        seed=args.fault_seed,
        error_rate=args.error_rate,
        rate_limit_rate=args.rate_limit_rate,
        drop_rate=args.drop_rate,
        truncate_rate=args.truncate_rate,
        garbage_rate=args.garbage_rate,
        latency=args.latency,
    )
    extra = {}
    if args.relationship_limit is not None:
        extra = {
            "relationship_limit_signed": args.relationship_limit,
            "relationship_limit_unsigned": args.relationship_limit,
        }
    return EmulatorConfig(
        users=args.users,
        seed=args.seed,
        celebrity_followers=args.celebrity_followers,
        era=args.era,
        scopes=args.scopes,
        client_secret=args.client_secret,
        rate_limit=args.rate_limit,
        rate_window=args.rate_window,
        rate_limit_retry_after=args.retry_after,
        faults=faults,
        **extra,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    import uvicorn

    started = time.perf_counter()
    emulator = Emulator(config)
    sock = bind_socket(args.host, args.port)
    base_url = base_url_for(sock, args.host)
    print(f"aioinstagram emulator: {config.users} users, seed {config.seed} "
          f"(built in {time.perf_counter() - started:.2f} s)")  # fmt: skip
    print(f"base URL:   {base_url}")
    print(f"demo token: {emulator.demo_token}   (user {emulator.demo_user_id})")
    celebrity = emulator.celebrity_user_id
    if celebrity is not None:
        fans = emulator.graph.followers_count(int(celebrity))
        print(f"celebrity:  user {celebrity} ({fans} followers)")
    print("tokens are emulator-<user-id>; press Ctrl-C to stop", flush=True)
    server = uvicorn.Server(
        uvicorn.Config(emulator.app, log_level=args.log_level, access_log=False, lifespan="off")
    )
    try:
        asyncio.run(server.serve(sockets=[sock]))
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        pass
    finally:
        sock.close()
    print("emulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
