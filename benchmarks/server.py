"""A fast, minimal Instagram API v1 stand-in for the benchmarks (HTTP/1.1 and h2c).

Run as its own process: ``python benchmarks/server.py --port 0`` prints ``PORT <n>`` (the
HTTP/1.1 listener) as its first line on stdout and ``H2C_PORT <n>`` (the HTTP/2 cleartext
listener, prior knowledge, no upgrade; ``H2C_PORT 0`` when the ``h2`` package is missing) as its
second, then serves both on 127.0.0.1 until SIGTERM/SIGINT (or until its parent dies).

Both listeners are ``asyncio.Protocol``s in one process (on uvloop when importable) sharing one
``App``: its ``route`` maps a request to a ``Reply`` (status, headers, body). The HTTP/1.1
protocol parses just enough of a request to route it and writes the reply's pre-rendered bytes,
so that it costs the client as little CPU as possible on a shared machine; the h2c protocol uses
the ``h2`` state machine (many concurrent streams per connection, bodies sent within the peer's
flow-control windows). Routes (query parsed minimally: ``access_token``, ``count``, ``cursor``):

* ``GET /v1/users/{id}/relationship``: a relationship; the statuses vary with the id's parity.
* ``GET /v1/users/{id}/followed-by`` and ``/follows``: pages of ``count`` (default 50, at most
  100) users over ``--followers`` users, ``cursor`` = offset, ``pagination.next_url`` /
  ``next_cursor``, ``{}`` on the last page. Ids are unique across the list. Pages are rendered
  on first use and cached (per listener: next_url names its port).
* ``GET /__stats``: JSON counts (requests, per status, 429s sent); ``POST /__reset`` zeroes
  them and empties the rate-limit logs.

Every API answer carries ``Content-Type: application/json``, ``Content-Length`` and
``X-Ratelimit-Limit`` / ``X-Ratelimit-Remaining`` (the same values on both listeners; HTTP/2
sends the names in lower case, as it must). With ``--rate-limit L --rate-window W`` a sliding log
per access token allows L requests per W seconds and answers 429 (``OAuthRateLimitException``)
past it; without it the advertised budget is effectively unlimited. A page's ``next_url`` points
back at the listener it was asked on. Counters and rate-limit logs are shared by both listeners.
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


try:
    import h2.config
    import h2.connection
    import h2.events
    import h2.exceptions
    import h2.settings
except ImportError:  # pragma: no cover - h2 comes with httpx[http2], in the bench extra
    _H2_CONFIG: Any = None
else:
    # Skip h2's per-header checks (about a tenth of its cost per request): ours are constant
    # and valid, the clients' come from httpx. Framing, stream states and flow control are
    # still h2's full state machine.
    _H2_CONFIG = h2.config.H2Configuration(
        client_side=False,
        header_encoding=None,
        validate_outbound_headers=False,
        normalize_outbound_headers=False,
        validate_inbound_headers=False,
    )


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
_CONTENT_TYPE = b"application/json; charset=utf-8"


class Reply:
    """One answer, as both listeners send it: ``status``, ``headers`` (lower-case names, the
    HTTP/2 form) and ``body``. Its HTTP/1.1 bytes (``http1``) and HTTP/2 header list
    (``h2_headers``) are rendered on first use and kept as plain instance attributes (a
    ``__getattr__`` fallback, so that later reads cost a dict lookup and nothing more): a
    constant reply (a relationship, a cached page) is rendered once per process."""

    http1: bytes  #: The whole HTTP/1.1 keep-alive answer, head and body.
    h2_headers: list[tuple[bytes, bytes]]  #: ``:status`` first, then the headers.

    def __init__(self, status: int, body: bytes, limit: int, remaining: int) -> None:
        self.status = status
        self.body = body
        self.headers: tuple[tuple[bytes, bytes], ...] = (
            (b"content-type", _CONTENT_TYPE),
            (b"content-length", b"%d" % len(body)),
            (b"x-ratelimit-limit", b"%d" % limit),
            (b"x-ratelimit-remaining", b"%d" % remaining),
        )

    def __getattr__(self, name: str) -> Any:  # only called while the attribute is not set
        if name == "http1":
            (_, ctype), (_, length), (_, limit), (_, remaining) = self.headers
            self.http1 = b"".join(
                (
                    b"HTTP/1.1 %d %s\r\n" % (self.status, _REASONS.get(self.status, b"Error")),
                    b"Content-Type: %s\r\n" % ctype,
                    b"Content-Length: %s\r\n" % length,
                    b"X-Ratelimit-Limit: %s\r\nX-Ratelimit-Remaining: %s\r\n" % (limit, remaining),
                    b"Connection: keep-alive\r\n\r\n",
                    self.body,
                )
            )
            return self.http1
        if name == "h2_headers":
            self.h2_headers = [(b":status", b"%d" % self.status), *self.headers]
            return self.h2_headers
        raise AttributeError(name)


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
    """Routing, caches, counters and the optional rate limiter, shared by every connection of
    both listeners. ``route`` is the one routing function; the protocols only frame replies."""

    def __init__(self, *, followers: int, rate_limit: int | None, rate_window: float) -> None:
        self.followers = followers
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.port = 0  # the HTTP/1.1 listener's
        self.h2c_port = 0  # the h2c listener's (0: none)
        self._logs: dict[bytes, collections.deque[float]] = {}
        self._pages: dict[tuple[bytes, bytes, int, int, int], Reply] = {}
        # Pre-rendered answers for the unlimited mode: odd id -> Reply.
        limit = UNLIMITED
        self._rel_full = {
            odd: Reply(200, relationship_body(b"1" if odd else b"2"), limit, limit - 1)
            for odd in (False, True)
        }
        self._rel_body = {odd: relationship_body(b"1" if odd else b"2") for odd in (False, True)}
        self._not_found = Reply(404, _NOT_FOUND_BODY, rate_limit or UNLIMITED, 0)
        self._control_not_found = Reply(404, _NOT_FOUND_BODY, UNLIMITED, 0)
        self._reset_ok = Reply(200, b'{"ok":true}', UNLIMITED, UNLIMITED)
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

    def route(self, method: bytes, target: bytes, port: int) -> Reply:
        """The reply to ``method target`` (path and query) received on the listener at
        ``port`` (where a page's next_url points)."""
        path, _, query = target.partition(b"?")
        if path.startswith(b"/__"):
            return self._control(method, path)
        self.requests += 1
        if path.startswith(b"/v1/users/"):
            user_id, _, sub = path[10:].partition(b"/")
            if sub == b"relationship" and method == b"GET":
                self.by_route["relationship"] += 1
                if self.rate_limit is None:  # the lookups' hot path, inlined
                    self.by_status[200] += 1
                    return self._rel_full[user_id[-1:] in b"13579" and bool(user_id)]
                return self._api(query, None, user_id, port)
            if sub in (b"followed-by", b"follows") and method == b"GET":
                self.by_route[sub.decode()] += 1
                return self._api(query, sub, user_id, port)
        self.by_route["unknown"] += 1
        self.by_status[404] += 1
        return self._not_found

    def _api(self, query: bytes, listing: bytes | None, user_id: bytes, port: int) -> Reply:
        if self.rate_limit is None:
            self.by_status[200] += 1
            if listing is None:
                return self._rel_full[user_id[-1:] in b"13579" and bool(user_id)]
            return self._page(query, listing, user_id, port)
        remaining = self._admit(query)
        if remaining < 0:
            self.rate_limited += 1
            self.by_status[429] += 1
            return Reply(429, _RATE_LIMITED_BODY, self.rate_limit, 0)
        self.by_status[200] += 1
        if listing is None:
            body = self._rel_body[user_id[-1:] in b"13579" and bool(user_id)]
        else:
            body = self._page(query, listing, user_id, port).body
        return Reply(200, body, self.rate_limit, remaining)

    def _page(self, query: bytes, listing: bytes, user_id: bytes, port: int) -> Reply:
        """A followers page as an unlimited-mode Reply (cached; rate-limited mode reuses its
        body with its own headers)."""
        count = max(1, min(_int_param(query, b"count", 50), 100))
        cursor = _int_param(query, b"cursor", 0)
        token = _query_param(query, b"access_token") or b""
        key = (user_id + b"/" + listing, token, count, cursor, port)
        reply = self._pages.get(key)
        if reply is None:
            if len(self._pages) >= MAX_CACHED_PAGES:
                self._pages.clear()
            prefix = (
                f"http://127.0.0.1:{port}/v1/users/{user_id.decode()}/{listing.decode()}"
                f"?access_token={token.decode()}&count={count}&cursor="
            )
            body = followers_page_body(
                user_id=user_id.decode(),
                total=self.followers,
                cursor=cursor,
                count=count,
                next_url_prefix=prefix,
            )
            reply = self._pages[key] = Reply(200, body, UNLIMITED, UNLIMITED - 1)
        return reply

    def _control(self, method: bytes, path: bytes) -> Reply:
        if path == b"/__stats" and method == b"GET":
            return Reply(200, _dumps(self.stats()), UNLIMITED, UNLIMITED)
        if path == b"/__reset" and method == b"POST":
            self.reset()
            return self._reset_ok
        return self._control_not_found


_BAD_REQUEST = Reply(400, _NOT_FOUND_BODY, UNLIMITED, 0)


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
        route = self.app.route
        port = self.app.port
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
                out.append(_BAD_REQUEST.http1)
                close = True
                break
            out.append(route(parts[0], parts[1], port).http1)
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


class H2CProtocol(asyncio.Protocol):
    """HTTP/2 over cleartext TCP with prior knowledge (h2c, RFC 9113 §3.3): the client opens
    with the connection preface, no Upgrade. Many concurrent streams per connection; each
    request is answered when its stream ends (a request body is acknowledged and dropped); a
    body goes out in DATA frames no larger than the peer's frame size and its connection and
    stream windows, the rest waits for WINDOW_UPDATE (or a SETTINGS change)."""

    #: Streams a client may open at once (h2's default, 100, would cap a c=64+ client's pool).
    MAX_CONCURRENT_STREAMS = 1_000

    def __init__(self, app: App) -> None:
        self.app = app
        self.transport: asyncio.Transport | None = None
        self.conn = h2.connection.H2Connection(config=_H2_CONFIG)
        self.conn.local_settings = h2.settings.Settings(
            client=False,
            initial_values={
                h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: self.MAX_CONCURRENT_STREAMS,
                h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE: 65_536,
                h2.settings.SettingCodes.ENABLE_PUSH: 0,
            },
        )
        #: stream id -> (method, path) between its HEADERS and its END_STREAM.
        self.requests: dict[int, tuple[bytes, bytes]] = {}
        #: stream id -> (body, bytes already sent), waiting for flow-control window (FIFO).
        self.pending: dict[int, tuple[bytes, int]] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.conn.initiate_connection()  # our SETTINGS (the server's connection preface)
        self.transport.write(self.conn.data_to_send())

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.requests.clear()
        self.pending.clear()

    def data_received(self, data: bytes) -> None:
        conn = self.conn
        close = False
        try:
            events = conn.receive_data(data)
        except h2.exceptions.ProtocolError:  # h2 has queued a GOAWAY
            events = []
            close = True
        windows_changed = False
        for event in events:
            if isinstance(event, h2.events.RequestReceived):
                method = path = b""
                for name, value in event.headers:
                    if name == b":method":
                        method = value
                    elif name == b":path":
                        path = value
                self.requests[event.stream_id] = (method, path)
            elif isinstance(event, h2.events.StreamEnded):
                request = self.requests.pop(event.stream_id, None)
                if request is not None:
                    self._respond(event.stream_id, *request)
            elif isinstance(event, h2.events.DataReceived):
                # Hand the window back: request bodies are read (and ignored) at once.
                if event.flow_controlled_length:
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, (h2.events.WindowUpdated, h2.events.RemoteSettingsChanged)):
                windows_changed = True  # a window grew (or INITIAL_WINDOW_SIZE changed)
            elif isinstance(event, h2.events.StreamReset):
                self.requests.pop(event.stream_id, None)
                self.pending.pop(event.stream_id, None)
            elif isinstance(event, h2.events.ConnectionTerminated):  # the client's GOAWAY
                close = True
        if windows_changed and self.pending:
            self._send_pending()
        self._flush(close)

    def _flush(self, close: bool = False) -> None:
        transport = self.transport
        if transport is None:
            return
        out = self.conn.data_to_send()
        if out:
            transport.write(out)
        if close:
            transport.close()

    def _respond(self, stream_id: int, method: bytes, path: bytes) -> None:
        reply = self.app.route(method, path, self.app.h2c_port)
        body = reply.body
        try:
            self.conn.send_headers(stream_id, reply.h2_headers, end_stream=not body)
        except h2.exceptions.StreamClosedError:  # reset by the client meanwhile
            return
        if body:
            self._send_body(stream_id, body, 0)

    def _send_body(self, stream_id: int, body: bytes, sent: int) -> bool:
        """Send what the windows allow of ``body[sent:]``: True when done (END_STREAM sent),
        else the rest is parked in ``pending``."""
        conn = self.conn
        size = len(body)
        try:
            while sent < size:
                window = conn.local_flow_control_window(stream_id)
                if window <= 0:
                    self.pending[stream_id] = (body, sent)
                    return False
                n = min(window, conn.max_outbound_frame_size, size - sent)
                chunk = body if n == size else body[sent : sent + n]
                sent += n
                conn.send_data(stream_id, chunk, end_stream=sent >= size)
        except h2.exceptions.StreamClosedError:  # reset by the client meanwhile
            pass
        self.pending.pop(stream_id, None)
        return True

    def _send_pending(self) -> None:
        for stream_id, (body, sent) in list(self.pending.items()):
            if self.conn.outbound_flow_control_window <= 0:
                break
            self._send_body(stream_id, body, sent)


async def serve(
    *,
    port: int,
    h2c_port: int = 0,
    followers: int,
    rate_limit: int | None,
    rate_window: float,
    ready: Callable[[int, int], None],
) -> None:
    """Serve HTTP/1.1 on ``port`` and h2c on ``h2c_port`` (0: a free port each; ``h2c_port``
    < 0 or no ``h2`` package: no h2c listener), then call ``ready(port, h2c_port)`` (the h2c
    port is 0 without that listener)."""
    loop = asyncio.get_running_loop()
    app = App(followers=followers, rate_limit=rate_limit, rate_window=rate_window)
    listeners = [
        await loop.create_server(
            lambda: HTTPProtocol(app), host="127.0.0.1", port=port, backlog=2048
        )
    ]
    app.port = listeners[0].sockets[0].getsockname()[1]
    if h2c_port >= 0 and _H2_CONFIG is not None:
        listeners.append(
            await loop.create_server(
                lambda: H2CProtocol(app), host="127.0.0.1", port=h2c_port, backlog=2048
            )
        )
        app.h2c_port = listeners[1].sockets[0].getsockname()[1]
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
    ready(app.port, app.h2c_port)
    try:
        await stop
    finally:
        for listener in listeners:
            listener.close()
        for listener in listeners:
            await listener.wait_closed()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument(
        "--h2c-port", type=int, default=0, help="the h2c listener's: 0 picks one, -1 disables"
    )
    parser.add_argument("--followers", type=int, default=DEFAULT_FOLLOWERS)
    parser.add_argument("--rate-limit", type=int, default=None, metavar="L")
    parser.add_argument("--rate-window", type=float, default=3600.0, metavar="SECONDS")
    parser.add_argument("--loop", choices=("auto", "asyncio", "uvloop"), default="auto")
    args = parser.parse_args(argv)

    def ready(port: int, h2c_port: int) -> None:
        # One write: run.py reads both lines once the first is there.
        sys.stdout.write(f"PORT {port}\nH2C_PORT {h2c_port}\n")
        sys.stdout.flush()

    coro = serve(
        port=args.port,
        h2c_port=args.h2c_port,
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
