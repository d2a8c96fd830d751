"""A fast, minimal Instagram API v1 stand-in for the benchmarks (raw HTTP/1.1 keep-alive).

Run as its own process: ``python benchmarks/server.py --port 0`` prints ``PORT <n>`` as its
first line on stdout, then serves on 127.0.0.1 until SIGTERM/SIGINT (or until its parent dies).

It is an ``asyncio.Protocol`` (on uvloop when importable) that parses just enough of a request
to route it and answers from pre-rendered bytes, so that it costs the client as little CPU as
possible on a shared machine. Routes (query parsed minimally: ``access_token``, ``count``,
``cursor``):

* ``GET /v1/users/{id}/relationship``: a relationship; the statuses vary with the id's parity.
* ``GET /v1/users/{id}/followed-by`` and ``/follows``: pages of ``count`` (default 50, at most
  100) users over ``--followers`` users, ``cursor`` = offset, ``pagination.next_url`` /
  ``next_cursor``, ``{}`` on the last page. Ids are unique across the list. Pages are rendered
  on first use and cached as bytes.
* ``GET /__stats``: JSON counts (requests, per status, 429s sent); ``POST /__reset`` zeroes
  them and empties the rate-limit logs.

Every API answer carries ``Content-Type: application/json``, ``Content-Length`` and
``X-Ratelimit-Limit`` / ``X-Ratelimit-Remaining``. With ``--rate-limit L --rate-window W`` a
sliding log per access token allows L requests per W seconds and answers 429
(``OAuthRateLimitException``) past it; without it the advertised budget is effectively unlimited.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import Any, cast

try:
    import orjson

    def _dumps(obj: Any) -> bytes:
        return orjson.dumps(obj)

except ImportError:  # pragma: no cover - orjson is in the bench extra

    def _dumps(obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


DEFAULT_FOLLOWERS = 100_000
#: The budget advertised when no rate limit is enforced (large: never makes a client pace).
UNLIMITED = 100_000_000
#: First follower id; ids are FIRST_FOLLOWER_ID + offset, unique across the whole list.
FIRST_FOLLOWER_ID = 1_000_000_000
MAX_CACHED_PAGES = 8_192

_FIRST = (
    "Olivia", "Liam", "Emma", "Noah", "Amelia", "Oliver", "Ava", "Elijah", "Sophia", "Mateo",
    "Isabella", "Lucas", "Mia", "Levi", "Evelyn", "Asher", "Harper", "James", "Luna", "Leo",
    "Camila", "Grayson", "Gianna", "Ezra", "Elizabeth", "Luca", "Eleanor", "Ethan", "Ella",
    "Aiden", "Sofía", "Björn", "Zoë", "José", "Chloé", "Matías", "Renée", "Søren", "Yuki", "Aarav",
)  # fmt: skip
_LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Pérez", "Thompson", "White", "Harris", "Sánchez",
    "Clark", "Ramírez", "Lewis", "Robinson", "Müller", "Nakamura", "O'Brien", "Kowalski", "Nguyễn",
)  # fmt: skip
_WORDS = (
    "sunny", "wander", "coffee", "pixel", "urban", "wild", "ocean", "studio", "daily", "vintage",
    "golden", "little", "north", "velvet", "salt", "forest", "neon", "paper", "honey", "lunar",
)  # fmt: skip


def follower(offset: int) -> dict[str, str]:
    """The follower at ``offset`` (deterministic, realistic lengths, some non-ASCII names)."""
    uid = FIRST_FOLLOWER_ID + offset
    first = _FIRST[offset % len(_FIRST)]
    last = _LAST[(offset // len(_FIRST)) % len(_LAST)]
    word = _WORDS[(offset * 7) % len(_WORDS)]
    pic = (uid * 2_654_435_761) % 10**12
    return {
        "id": str(uid),
        "username": f"{word}.{first.lower()}_{offset}"[:30],
        "full_name": f"{first} {last}",
        "profile_picture": (
            f"https://scontent.cdninstagram.com/t51.2885-19/s150x150/"
            f"{pic}_{uid % 9_973}{offset % 89}_{uid}_a.jpg"
        ),
    }


def followers_page_body(
    *, user_id: str, total: int, cursor: int, count: int, next_url_prefix: str | None
) -> bytes:
    """A rendered ``followed-by`` page. ``next_url_prefix`` + the next cursor is the next_url
    (``None`` leaves next_url out: used by the structuring benchmark, which has no server)."""
    end = min(cursor + count, total)
    data = [follower(i) for i in range(cursor, end)]
    pagination: dict[str, str] = {}
    if end < total:
        pagination["next_cursor"] = str(end)
        if next_url_prefix is not None:
            pagination["next_url"] = f"{next_url_prefix}{end}"
    return _dumps({"pagination": pagination, "meta": {"code": 200}, "data": data})


def relationship_body(user_id: bytes) -> bytes:
    odd = bool(user_id) and user_id[-1:] in b"13579"
    data = {
        "outgoing_status": "none" if odd else "follows",
        "target_user_is_private": odd,
        "incoming_status": "followed_by" if odd else "none",
    }
    return _dumps({"meta": {"code": 200}, "data": data})


_REASONS = {200: b"OK", 400: b"Bad Request", 404: b"Not Found", 429: b"Too Many Requests"}
_RATE_LIMITED_BODY = _dumps(
    {
        "meta": {
            "code": 429,
            "error_type": "OAuthRateLimitException",
            "error_message": "The maximum number of requests per hour has been exceeded.",
        }
    }
)
_NOT_FOUND_BODY = _dumps(
    {
        "meta": {
            "code": 400,
            "error_type": "APINotFoundError",
            "error_message": "this endpoint does not exist in the benchmark server",
        }
    }
)


def response(status: int, body: bytes, limit: int, remaining: int) -> bytes:
    return b"".join(
        (
            b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b"Error")),
            b"Content-Type: application/json; charset=utf-8\r\n",
            b"Content-Length: %d\r\n" % len(body),
            b"X-Ratelimit-Limit: %d\r\nX-Ratelimit-Remaining: %d\r\n" % (limit, remaining),
            b"Connection: keep-alive\r\n\r\n",
            body,
        )
    )


def _query_param(query: bytes, name: bytes) -> bytes | None:
    """The raw (still percent-encoded) value of ``name`` in ``query``, or None."""
    for part in query.split(b"&"):
        key, sep, value = part.partition(b"=")
        if sep and key == name:
            return value
    return None


def _int_param(query: bytes, name: bytes, default: int) -> int:
    raw = _query_param(query, name)
    if raw is None or not raw.isdigit():
        return default
    return int(raw)


class App:
    """Routing, caches, counters and the optional rate limiter (shared by all connections)."""

    def __init__(self, *, followers: int, rate_limit: int | None, rate_window: float) -> None:
        self.followers = followers
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.port = 0
        self._logs: dict[bytes, collections.deque[float]] = {}
        self._pages: dict[tuple[bytes, bytes, int, int], bytes] = {}
        # Complete pre-rendered answers for the unlimited mode: (odd id,) -> bytes.
        limit = UNLIMITED
        self._rel_full = {
            odd: response(200, relationship_body(b"1" if odd else b"2"), limit, limit - 1)
            for odd in (False, True)
        }
        self._rel_body = {odd: relationship_body(b"1" if odd else b"2") for odd in (False, True)}
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.by_status: collections.Counter[int] = collections.Counter()
        self.by_route: collections.Counter[str] = collections.Counter()
        self.rate_limited = 0
        self._logs.clear()

    def stats(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "by_route": dict(sorted(self.by_route.items())),
            "rate_limited": self.rate_limited,
            "rate_limit": self.rate_limit,
            "rate_window": self.rate_window,
            "followers": self.followers,
        }

    def _admit(self, query: bytes) -> int:
        """Log a request against its token's budget: the remaining budget, or -1 when over."""
        assert self.rate_limit is not None
        token = _query_param(query, b"access_token") or b""
        log = self._logs.get(token)
        if log is None:
            log = self._logs[token] = collections.deque()
        now = time.monotonic()
        horizon = now - self.rate_window
        while log and log[0] <= horizon:
            log.popleft()
        if len(log) >= self.rate_limit:
            return -1
        log.append(now)
        return self.rate_limit - len(log)

    def handle(self, method: bytes, target: bytes) -> bytes:
        path, _, query = target.partition(b"?")
        if path.startswith(b"/__"):
            return self._control(method, path)
        self.requests += 1
        if path.startswith(b"/v1/users/"):
            user_id, _, sub = path[10:].partition(b"/")
            if sub == b"relationship" and method == b"GET":
                self.by_route["relationship"] += 1
                return self._api(query, None, user_id)
            if sub in (b"followed-by", b"follows") and method == b"GET":
                self.by_route[sub.decode()] += 1
                return self._api(query, sub, user_id)
        self.by_route["unknown"] += 1
        self.by_status[404] += 1
        return response(404, _NOT_FOUND_BODY, self.rate_limit or UNLIMITED, 0)

    def _api(self, query: bytes, listing: bytes | None, user_id: bytes) -> bytes:
        if self.rate_limit is None:
            self.by_status[200] += 1
            if listing is None:
                return self._rel_full[user_id[-1:] in b"13579" and bool(user_id)]
            return response(200, self._page(query, listing, user_id), UNLIMITED, UNLIMITED - 1)
        remaining = self._admit(query)
        if remaining < 0:
            self.rate_limited += 1
            self.by_status[429] += 1
            return response(429, _RATE_LIMITED_BODY, self.rate_limit, 0)
        self.by_status[200] += 1
        if listing is None:
            body = self._rel_body[user_id[-1:] in b"13579" and bool(user_id)]
        else:
            body = self._page(query, listing, user_id)
        return response(200, body, self.rate_limit, remaining)

    def _page(self, query: bytes, listing: bytes, user_id: bytes) -> bytes:
        count = max(1, min(_int_param(query, b"count", 50), 100))
        cursor = _int_param(query, b"cursor", 0)
        token = _query_param(query, b"access_token") or b""
        key = (user_id + b"/" + listing, token, count, cursor)
        body = self._pages.get(key)
        if body is None:
            if len(self._pages) >= MAX_CACHED_PAGES:
                self._pages.clear()
            prefix = (
                f"http://127.0.0.1:{self.port}/v1/users/{user_id.decode()}/{listing.decode()}"
                f"?access_token={token.decode()}&count={count}&cursor="
            )
            body = self._pages[key] = followers_page_body(
                user_id=user_id.decode(),
                total=self.followers,
                cursor=cursor,
                count=count,
                next_url_prefix=prefix,
            )
        return body

    def _control(self, method: bytes, path: bytes) -> bytes:
        if path == b"/__stats" and method == b"GET":
            return response(200, _dumps(self.stats()), UNLIMITED, UNLIMITED)
        if path == b"/__reset" and method == b"POST":
            self.reset()
            return response(200, b'{"ok":true}', UNLIMITED, UNLIMITED)
        return response(404, _NOT_FOUND_BODY, UNLIMITED, 0)


class HTTPProtocol(asyncio.Protocol):
    """HTTP/1.1 keep-alive (pipelining tolerated); bodies only via Content-Length."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.transport: asyncio.Transport | None = None
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        buf = self.buffer + data if self.buffer else data
        out: list[bytes] = []
        close = False
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buf[:end]
            body_len = 0
            line_end = head.find(b"\r\n")
            request_line = head if line_end < 0 else head[:line_end]
            lower = b""
            if not request_line.startswith(b"GET "):
                lower = head.lower()
                at = lower.find(b"\r\ncontent-length:")
                if at >= 0:
                    stop = lower.find(b"\r\n", at + 2)
                    value = lower[at + 17 : stop if stop >= 0 else len(lower)].strip()
                    body_len = int(value) if value.isdigit() else 0
            if len(buf) < end + 4 + body_len:
                break
            buf = buf[end + 4 + body_len :]
            parts = request_line.split(b" ")
            if len(parts) != 3:
                out.append(response(400, _NOT_FOUND_BODY, UNLIMITED, 0))
                close = True
                break
            out.append(self.app.handle(parts[0], parts[1]))
            if b"lose" in head:  # "Connection: close" (any case); cheap pre-check
                lower = lower or head.lower()
                if b"\r\nconnection: close" in lower or parts[2] == b"HTTP/1.0":
                    close = True
                    break
        self.buffer = b"" if close else buf
        if self.transport is not None:
            if out:
                self.transport.write(out[0] if len(out) == 1 else b"".join(out))
            if close:
                self.transport.close()


async def serve(
    *,
    port: int,
    followers: int,
    rate_limit: int | None,
    rate_window: float,
    ready: Callable[[int], None],
) -> None:
    loop = asyncio.get_running_loop()
    app = App(followers=followers, rate_limit=rate_limit, rate_window=rate_window)
    server = await loop.create_server(
        lambda: HTTPProtocol(app), host="127.0.0.1", port=port, backlog=2048
    )
    app.port = server.sockets[0].getsockname()[1]
    stop: asyncio.Future[None] = loop.create_future()

    def finish() -> None:
        if not stop.done():
            stop.set_result(None)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, finish)
    parent = os.getppid()

    def watch_parent() -> None:  # never outlive the benchmark that started us
        if os.getppid() != parent:
            finish()
        else:
            loop.call_later(1.0, watch_parent)

    watch_parent()
    ready(app.port)
    try:
        await stop
    finally:
        server.close()
        await server.wait_closed()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--followers", type=int, default=DEFAULT_FOLLOWERS)
    parser.add_argument("--rate-limit", type=int, default=None, metavar="L")
    parser.add_argument("--rate-window", type=float, default=3600.0, metavar="SECONDS")
    parser.add_argument("--loop", choices=("auto", "asyncio", "uvloop"), default="auto")
    args = parser.parse_args(argv)

    def ready(port: int) -> None:
        sys.stdout.write(f"PORT {port}\n")
        sys.stdout.flush()

    coro = serve(
        port=args.port,
        followers=args.followers,
        rate_limit=args.rate_limit,
        rate_window=args.rate_window,
        ready=ready,
    )
    if args.loop != "asyncio":
        try:
            import uvloop
        except ImportError:
            if args.loop == "uvloop":
                raise
        else:
            uvloop.run(coro)
            return
    asyncio.run(coro)


if __name__ == "__main__":
    main()
