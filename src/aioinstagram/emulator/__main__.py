"""``python -m aioinstagram.emulator``: run the emulator from the shell.

    python -m aioinstagram.emulator --host 127.0.0.1 --port 8765 --users 10000 --seed 1

prints the base URL and a demo token, then serves until Ctrl-C (SIGINT) or SIGTERM, which stop it
cleanly (exit status 0; a second signal stops it at once). Options mirror
:class:`~aioinstagram.emulator.EmulatorConfig`; ``--help`` describes them. It runs on uvloop
when installed (the ``speed`` extra). Without the ``emulator`` extra, or when the port is
taken, it prints one line on stderr and exits with status 1.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import time
from collections.abc import Iterator, Sequence

from .. import _runner
from ._config import EmulatorConfig, FaultConfig
from ._emulator import Emulator
from ._server import base_url_for, bind_socket

_INSTALL = "pip install 'aioinstagram[emulator]'"


class _Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows a default only where there is one worth showing."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False) or action.help is None:
            return action.help
        return super()._get_help_string(action)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m aioinstagram.emulator",
        description="Run the Instagram API v1 emulator (routes under /v1) until Ctrl-C or "
        "SIGTERM (exit status 0). Needs the 'emulator' extra: "
        "pip install 'aioinstagram[emulator]'.",
        formatter_class=_Formatter,
    )
    graph = p.add_argument_group("server and graph")
    graph.add_argument("--host", default="127.0.0.1", help="interface to bind")
    graph.add_argument("--port", type=int, default=8765, help="port (0 picks a free one)")
    graph.add_argument("--users", type=int, default=10_000, help="ordinary users")
    graph.add_argument("--seed", type=int, default=1, help="graph seed")
    graph.add_argument(
        "--celebrity-followers", type=int, default=120_000,
        help="followers of the celebrity user (0: no celebrity)",
    )  # fmt: skip
    api = p.add_argument_group("API behaviour")
    api.add_argument(
        "--era",
        choices=("2014", "2016"),
        default="2014",
        help="2014: any user's lists and every relationship action; 2016: only the token "
        "owner's follows/followed-by lists, block and unblock refused (the API after its "
        "June 2016 changes)",
    )
    api.add_argument(
        "--scopes",
        choices=("2015", "seed"),
        default="2015",
        help="2015: lists need the follower_list scope and changes the relationships scope; "
        "seed: the older mapping, where basic covers the lists",
    )
    api.add_argument(
        "--client-secret",
        default=None,
        help="enforce signed requests: every call must carry a valid sig parameter",
    )
    limits = p.add_argument_group("rate limits")
    limits.add_argument("--rate-limit", type=int, default=5_000, help="calls per token per window")
    limits.add_argument("--rate-window", type=float, default=3_600.0, help="window in seconds")
    limits.add_argument(
        "--relationship-limit",
        type=int,
        default=None,
        help="relationship POSTs per window (default: 20 unsigned, 60 signed)",
    )
    limits.add_argument(
        "--retry-after",
        action="store_true",
        help="add a Retry-After header to 429 answers (the real API sent none)",
    )
    faults = p.add_argument_group(
        "faults",
        "Inject faults into a fraction of the answers (each rate in [0, 1], their sum at most "
        "1), to test a client's retries. Faulted requests have no effect.",
    )
    faults.add_argument(
        "--fault-seed", type=int, default=0, help="seed of the random draw deciding faults"
    )
    faults.add_argument(
        "--error-rate",
        type=float,
        default=0.0,
        help="fraction answered with HTTP 500 (JSON envelope) or 502/503 (nginx HTML)",
    )
    faults.add_argument(
        "--rate-limit-rate",
        type=float,
        default=0.0,
        help="fraction answered with a spurious 429 OAuthRateLimitException",
    )
    faults.add_argument(
        "--drop-rate",
        type=float,
        default=0.0,
        help="fraction whose connection is closed without an answer",
    )
    faults.add_argument(
        "--truncate-rate",
        type=float,
        default=0.0,
        help="fraction answered 200 with a JSON body cut in half",
    )
    faults.add_argument(
        "--garbage-rate",
        type=float,
        default=0.0,
        help="fraction answered 200 with an HTML (non-JSON) body",
    )
    faults.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    p.add_argument(
        "--log-level",
        default="warning",
        choices=("critical", "error", "warning", "info", "debug", "trace"),
        help="uvicorn's log level",
    )
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
    """Run the emulator; returns the exit status (0 after Ctrl-C or SIGTERM, 1 when it cannot
    start, with one line on stderr, 2 for bad options)."""
    args = _parser().parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        import uvicorn
    except ImportError:
        print(f"error: the emulator needs the 'emulator' extra: {_INSTALL}", file=sys.stderr)
        return 1

    started = time.perf_counter()
    emulator = Emulator(config)
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(f"error: cannot listen on {args.host} port {args.port}: {reason}", file=sys.stderr)
        return 1
    base_url = base_url_for(sock, args.host)
    print(f"aioinstagram emulator: {config.users} users, seed {config.seed} "
          f"(built in {time.perf_counter() - started:.2f} s)")  # fmt: skip
    print(f"base URL:   {base_url}")
    print(f"demo token: {emulator.demo_token}   (user {emulator.demo_user_id})")
    celebrity = emulator.celebrity_user_id
    if celebrity is not None:
        fans = emulator.graph.followers_count(int(celebrity))
        print(f"celebrity:  user {celebrity} ({fans} followers)")

    class _Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # Ours, not uvicorn's: uvicorn re-raises a captured SIGTERM after its shutdown,
            # which killed the process with status 143 instead of exiting 0.
            yield

    server = _Server(
        uvicorn.Config(emulator.app, log_level=args.log_level, access_log=False, lifespan="off")
    )

    def stop() -> None:
        server.should_exit = True  # a graceful shutdown; a second signal ends at once

    async def serve() -> None:
        # Said from inside the loop, once the signal handlers are in place: a signal sent as
        # soon as this line is read stops the server cleanly. The socket already listens.
        print("tokens are emulator-<user-id>; press Ctrl-C to stop", flush=True)
        await server.serve(sockets=[sock])

    try:
        _runner.run(serve(), signals=(signal.SIGINT, signal.SIGTERM), on_signal=stop)
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        pass
    finally:
        sock.close()
    print("emulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
