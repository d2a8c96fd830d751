"""The bulk lane: ``get_many`` lookups on the fast transport, driven from the connections'
callbacks, pipelined.

Theory of operation
-------------------
The general path gives every lookup a worker's turn, a chain of coroutines and a future; at
tens of thousands of lookups that bookkeeping is most of the client's CPU (issue 9:
benchmarks/README.md). The lane keeps it for what is unusual and does the usual lookup in
the callbacks of a few connections leased from the fast pool (``FastPool.lease``), each
carrying up to ``depth`` GET requests at once (HTTP/1.1 pipelining, RFC 9112 9.3.2; answers
come back in request order, :class:`~._transports._pipeline.Pipe`):

* **Sending.** While fewer than ``concurrency`` lookups are in flight, a pipe with room takes
  the next id: a slot from the rate limiter without an await (``acquire_now``), and the request
  bytes; the requests a pipe takes in one turn go out in one write.
* **The usual answer** (a 200 the relationship decoder takes) is read in the callback: the
  slot is given back (``release_now``), the outcome recorded (``_bulk._Tally``: progress, the
  global-failure check), and once the read is parsed the pipe takes the next ids. What the
  answers say of the budget (``X-Ratelimit-*``) is learnt from the read's last usual answer,
  the server's latest count, when the read is done: a read carries up to ``depth`` answers,
  and learning from each cost about a tenth of a lookup.
* **Everything else goes to the general path, for that id only**, in a task: an answer that is
  not a 200 or does not decode is read by ``Requester.lane_answered`` as any attempt's answer
  (errors, 429 pauses, retries); a request that got no answer (the connection failed or
  closed with requests unanswered, a timeout) by ``Requester.lane_failed`` (a failed attempt,
  retried: these are GETs); an id the limiter has no slot for at once (a pause, a spent
  budget) by the ordinary lookup, which waits as the rules allow. The lane sends no new id
  while such a wait is on, and resumes when one ends.
* **Connections.** The lane leases ceil(concurrency / depth) connections, but never more
  than three quarters of the pool's (and never its last): the general path (a retry, the rate
  limiter's first probe, another call of the client) always has one. What the pipes cannot
  carry (all full, or none left) goes the general way, up to the concurrency. A connection
  that fails is not reused; a replacement is leased (a few times per call).
* **Time.** One timer per call checks every :data:`_TICK` seconds that each pipe made
  progress within the read timeout and that its oldest request is within
  ``attempt_timeout``; a pipe past either fails (its requests are retried). The same check
  finds a server that answers slowly (:meth:`BulkLane._watch`).
* **Stopping.** A global failure (``BulkAbortedError``), a crash or a cancellation stops the
  lane: tasks are cancelled and awaited, slots of requests in flight given back (as reached
  the server), pipes with requests in flight closed, and idle ones returned to the pool.

Every id ends with exactly one outcome, from the lane or from the general path, never both:
an entry leaves its pipe (answered or failed) exactly once, and each id is pulled from the
shared iterator once.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Final

import httpx

from ._errors import InstagramError
from ._fastdecode import FastDecoder, fast_decoder, structure_data
from ._options import EMPTY, RequestOptions
from ._protocol import Envelope, RequestSpec, build_request, encode_query, parse_rate_limit
from ._ratelimit import Slot
from ._transports._base import REQUEST_HEADERS
from ._transports._limits import AttemptDeadlineExceeded
from ._transports._parsers import PipelinedParser
from ._transports._pipeline import Pipe
from ._transports._pool import _Connection
from ._transports.fast import FastBackend

__all__ = ["BulkLane", "lane_for"]

#: Replacement connections one call may lease for ones that failed, per connection it began
#: with; past that, the general path takes the rest.
_REPLACEMENTS: Final = 2
#: The lane leases at most all but 1/_RESERVE of the pool's connections (and never the last).
_RESERVE: Final = 4
#: Seconds between two checks of the pipes (timeouts, and whether the server is slow).
_TICK: Final = 0.05
#: A pipe whose oldest request has waited this long at two checks in a row says the server
#: answers slowly (latency, not our CPU): the lane leases more connections.
_SLOW: Final = 0.05

#: One request in flight: (id, slot, path, when it was written on the monotonic clock).
_Entry = tuple[str, Slot, str, float]


class BulkLane:
    """One ``get_many`` or ``iter_many`` call's lane (see the module docstring). ``run``
    returns False when no connection could be leased: then nothing was pulled, and the
    caller's workers do it all."""

    def __init__(
        self,
        requester: Any,
        backend: FastBackend,
        *,
        keys: Iterator[str],
        call: Callable[[str], Awaitable[Any]],
        path_of: Callable[[str], str],
        data_type: Any,
        fast: FastDecoder,
        record: Callable[[str, object], None],
        concurrency: int,
        depth: int,
        hold: bool = False,
    ) -> None:
        self._requester = requester
        self._backend = backend
        self._limiter = requester.limiter
        self._breaker = requester.breaker
        self._keys = keys
        self._call = call
        self._path_of = path_of
        self._data_type = data_type
        self._fast = fast
        self._record_outcome = record
        self._capacity = concurrency
        self._depth = depth
        self._pipes: list[Pipe] = []
        self._tasks: set[asyncio.Task[None]] = set()
        # Ids pulled and not done with: in pipes and tasks, and, with ``hold``, outcomes
        # recorded and not yet taken by the consumer (:meth:`taken`).
        self._inflight = 0
        self._hold = hold
        self._exhausted = False
        self._throttled = False  # an id waits for the limiter: send no new id meanwhile
        self._stopping = False
        self._replacements = 0
        self._cap = 0  # the most pipes at once (run)
        self._leasing = 0  # leases under way
        self._slow_ticks = 0  # checks in a row that found a slow pipe
        self._width = depth  # requests per pipe now: the depth, or less once there are more
        self._done: asyncio.Future[None] | None = None
        # The slot and header fields of the last usual answer of the read being parsed: its
        # budget is learnt once the read is done (_settle_last).
        self._last: tuple[Slot, dict[str, str]] | None = None
        self._timer: asyncio.TimerHandle | None = None
        policy = requester.policy
        self._read_timeout: float | None = backend.timeouts.get("read")
        self._attempt_timeout: float | None = policy.attempt_timeout
        # The request bytes: start + path + query + head. The query is the token alone (the
        # usual client: built once), else what build_request makes per id (signed).
        self._credentials = requester.credentials
        start = backend.get_start(requester.base_url)
        assert start is not None  # lane_for checked it
        self._start = start
        query = requester.lane_query()
        self._plain: bytes | None = (
            None if query is None else query.encode("ascii") + backend.get_head(REQUEST_HEADERS)
        )

    # -- the call ----------------------------------------------------------------------------

    async def run(self) -> bool:
        loop = asyncio.get_running_loop()
        backend = self._backend
        # Never every connection of the pool: a retry, a rate-limit probe or another call of
        # this client needs one (the general path).
        limit = backend.pool.max_connections
        self._cap = min(self._capacity, limit - max(1, limit // _RESERVE))
        wanted = min(math.ceil(self._capacity / self._depth), self._cap)
        if wanted < 1:
            return False
        leases = [asyncio.ensure_future(backend.lease()) for _ in range(wanted)]
        try:
            await asyncio.wait(leases)
        except BaseException:
            for lease in leases:
                lease.cancel()
            await asyncio.wait(leases)
            self._stopping = True  # what was leased goes back at once (_adopt)
            raise
        finally:
            for lease in leases:  # a lease may have failed or been cancelled
                if not lease.cancelled() and lease.exception() is None:
                    self._adopt(lease.result())
        if not self._pipes:
            return False
        self._replacements = _REPLACEMENTS * len(self._pipes)
        self._done = loop.create_future()
        try:
            self._fill_all()
            self._timer = loop.call_later(_TICK, self._watch)
            await self._done
        finally:
            self._shut()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
        return True

    def _adopt(self, conn: _Connection) -> None:
        """A leased connection becomes a pipe (or goes back at once when the call stops)."""
        backend = self._backend
        pipe = Pipe(
            self,
            conn,
            max_body_size=backend.max_body_size,
            max_head_size=backend.pool.max_head_size,
            budget=backend.budget,
        )
        if self._stopping:
            self._return(pipe)
        else:
            self._pipes.append(pipe)
            self._reshape()

    def _reshape(self) -> None:
        """Requests per pipe: the depth, or fewer when more pipes share the concurrency."""
        self._width = min(self._depth, math.ceil(self._capacity / max(1, len(self._pipes))))

    def _shut(self) -> None:
        """Stop: cancel the tasks, give back the slots of requests in flight (as reached the
        server), close pipes with requests in flight, return the others to the pool."""
        self._stopping = True
        self._settle_last()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for task in self._tasks:
            task.cancel()
        for pipe in list(self._pipes):
            if pipe.pending or pipe.parser.received:
                # _broken ends the lease and gives the slots back (as reached the server)
                pipe.fail(ConnectionAbortedError("the bulk call stopped"))
            else:
                self._pipes.remove(pipe)
                self._return(pipe)

    def _return(self, pipe: Pipe) -> None:
        conn = pipe.release()
        self._backend.pool.end_lease(conn, not pipe.broken and not conn.eof)

    def _stop(self, exc: BaseException) -> None:
        self._stopping = True  # nothing more is sent; run() cleans up
        done = self._done
        if done is not None and not done.done():
            done.set_exception(exc)

    def taken(self) -> None:
        """With ``hold``: the consumer took one outcome, so one more id may be in flight."""
        self._inflight -= 1
        if not self._stopping:
            self._fill_all()

    def _finish_if_done(self) -> None:
        if self._exhausted and not self._inflight:
            done = self._done
            if done is not None and not done.done():
                done.set_result(None)

    # -- sending -----------------------------------------------------------------------------

    def _fill_all(self) -> None:
        try:
            self._send_more()
        except BaseException as exc:  # the input iterator failed (or a bug): stop the call
            self._stop(exc)

    def _send_more(self) -> None:
        for pipe in self._pipes:
            if self._throttled or self._exhausted or self._stopping:
                break
            self._fill(pipe)
        # What the pipes cannot carry (every one is full, or none is left) goes the general way,
        # on the pool's other connections, up to the concurrency.
        while not (self._throttled or self._exhausted or self._stopping) and (
            self._inflight < self._capacity
        ):
            key = next(self._keys, None)
            if key is None:
                self._exhausted = True
                break
            self._inflight += 1
            self._spawn(key, self._call(key), direct=True)
        self._finish_if_done()

    def _fill(self, pipe: Pipe) -> None:
        """Give ``pipe`` the next ids, up to its depth and the call's concurrency, in one write."""
        room = min(self._width - len(pipe.pending), self._capacity - self._inflight)
        if room <= 0 or self._throttled or self._stopping or pipe.broken:
            return
        acquire = self._limiter.acquire_now
        start = self._start
        plain = self._plain
        now = time.monotonic()
        data: list[bytes] = []
        entries: list[_Entry] = []
        for key in self._keys:
            try:
                path = self._path_of(key)
                slot = acquire("GET", path)
                if slot is None:  # wait as the rules allow, on the general path
                    self._throttled = True
                    self._inflight += 1
                    self._spawn(key, self._call(key), direct=True)
                    break
                if plain is not None:  # the usual client: the token only
                    data.append(start + path.encode("ascii") + plain)
                else:
                    try:
                        data.append(self._request_of(path))
                    except BaseException:
                        self._limiter.release_soon(slot, reached_server=False)
                        raise
            except InstagramError as exc:  # a bad id: its outcome, without a request
                self._inflight += 1
                if not self._outcome(key, exc):
                    break
                continue
            entries.append((key, slot, path, now))
            self._inflight += 1
            room -= 1
            if not room:
                break
        else:
            self._exhausted = True
        if data:
            pipe.write(b"".join(data), entries)

    def _request_of(self, path: str) -> bytes:
        """A signed client's request: the query build_request makes for ``path``."""
        spec = self._spec(path)
        headers = [*REQUEST_HEADERS, *spec.headers] if spec.headers else REQUEST_HEADERS
        query = encode_query(spec.query).encode("ascii")
        return self._start + path.encode("ascii") + b"?" + query + self._backend.get_head(headers)

    # -- outcomes ----------------------------------------------------------------------------

    def answered(self, pipe: Pipe, entry: _Entry, parser: PipelinedParser) -> None:
        """A pipe's answer (called from its ``data_received``): the usual one (a 200 the
        decoder takes) is read here, anything else goes on the general path."""
        key, slot, path, _ = entry
        status = parser.status_code
        fields = parser.fields
        body = parser.body
        held: Slot | None = slot  # None once given back
        try:
            if status == 200:
                coding = fields.get("content-encoding")
                if coding is not None and body:
                    try:
                        body = self._backend.decode(body, coding)
                    except Exception as exc:  # cannot be decoded: a failed attempt
                        failed = self._requester.lane_failed(self._spec(path), slot, exc, None)
                        self._slow(key, failed)
                        return
                # The slot goes back now; what the answer says of the budget is learnt from the
                # read's last usual answer only (_settle_last), the server's latest count.
                last = self._last
                if last is not None:
                    self._limiter.release_now(last[0], reached_server=True)
                self._last = (slot, fields)
                held = None
                envelope = self._fast(body)
                if envelope is not None and envelope.structured:  # the model, built by the decoder
                    if not self._hold:
                        self._inflight -= 1
                    self._record_outcome(key, envelope.data)
                    return
            answer = self._requester.lane_answered(
                self._spec(path), held, status, fields, body, self._fast
            )
            self._slow(key, answer)
        except BaseException as exc:  # BulkAbortedError, the progress callback's, or a bug
            self._stop(exc)

    def _settle_last(self) -> None:
        """Give back the slot of the last usual answer read, with the budget it says."""
        last = self._last
        if last is not None:
            self._last = None
            budget = parse_rate_limit(last[1])
            self._limiter.release_now(last[0], reached_server=True, budget=budget)

    def drained(self, pipe: Pipe) -> None:
        """A pipe's read is parsed (its answers handed over): the ids it has room for go out
        in one write."""
        self._settle_last()
        self._breaker.on_success()  # the server answered (once per read is enough)
        try:
            self._fill(pipe)
        except BaseException as exc:  # the input iterator failed (or a bug): stop the call
            self._stop(exc)
            return
        if self._inflight < self._capacity:  # room this pipe cannot take: the others' turn
            self._fill_all()
        else:
            self._finish_if_done()

    def broken(self, pipe: Pipe, error: Exception) -> None:
        """A pipe's connection failed or ended: its unanswered requests are failed attempts."""
        try:
            self._broken(pipe, error)
        except BaseException as exc:  # a bug: stop the call with it
            self._stop(exc)

    def _broken(self, pipe: Pipe, error: Exception) -> None:
        self._settle_last()
        entries = list(pipe.pending)
        pipe.pending.clear()
        if pipe in self._pipes:
            self._pipes.remove(pipe)
            self._backend.pool.end_lease(pipe.conn, False)
            self._reshape()
        if self._stopping:
            for entry in entries:
                self._limiter.release_soon(entry[1], reached_server=True)
            return
        for key, slot, path, _ in entries:
            self._slow(key, self._requester.lane_failed(self._spec(path), slot, error, self._fast))
        if self._replacements > 0 and not self._exhausted:
            self._replacements -= 1
            self._lease_more(1)
        self._fill_all()

    def _lease_more(self, count: int) -> None:
        """Lease ``count`` more connections in the background (each becomes a pipe)."""
        for _ in range(count):
            self._leasing += 1
            task = asyncio.ensure_future(self._lease_one())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _lease_one(self) -> None:
        try:
            conn = await self._backend.lease()
        except Exception:
            return  # the general path takes the rest (and meets the same failure there)
        finally:
            self._leasing -= 1
        self._adopt(conn)
        self._fill_all()

    def _spec(self, path: str) -> RequestSpec:
        return build_request("GET", path, None, credentials=self._credentials)

    def _slow(self, key: str, coro: Awaitable[Envelope]) -> None:
        """The rest of ``key``'s lookup, on the general path (the id stays in flight)."""
        self._spawn(key, coro, direct=False)

    def _spawn(self, key: str, coro: Awaitable[Any], *, direct: bool) -> None:
        task = asyncio.ensure_future(self._general(key, coro, direct))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _general(self, key: str, coro: Awaitable[Any], direct: bool) -> None:
        outcome: object
        try:
            result = await coro
            outcome = (
                result
                if direct
                else structure_data(result, self._data_type, endpoint=f"GET {self._path_of(key)}")
            )
        except InstagramError as exc:
            outcome = exc
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # a bug: stop the call with it
            self._stop(exc)
            return
        if self._stopping:
            return
        self._outcome(key, outcome)
        self._throttled = False
        self._fill_all()

    def _outcome(self, key: str, outcome: object) -> bool:
        """``key`` is done: record its outcome (its place in flight is given up now, or, with
        ``hold``, when the consumer takes it). False when that stopped the call."""
        if not self._hold:
            self._inflight -= 1
        try:
            self._record_outcome(key, outcome)
        except BaseException as exc:  # BulkAbortedError (or the progress callback's error)
            self._stop(exc)
            return False
        return True

    # -- time --------------------------------------------------------------------------------

    def _watch(self) -> None:
        """Every tick: fail a pipe past its read timeout or its oldest request's
        ``attempt_timeout``; and when the server answers slowly (a pipe's oldest request
        waiting :data:`_SLOW` at two ticks in a row: latency, which more connections hide,
        not our CPU), lease connections up to the cap at once: a server that answers a
        connection's requests one after the other is then asked on as many connections as the
        general path would use, each carrying fewer requests (:meth:`_reshape`)."""
        self._timer = None
        if self._stopping:
            return
        now = time.monotonic()
        read_timeout = self._read_timeout
        attempt_timeout = self._attempt_timeout
        slow = False
        for pipe in list(self._pipes):
            if not pipe.pending:
                continue
            waited = now - pipe.pending[0][3]
            if read_timeout is not None and now - pipe.since > read_timeout:
                pipe.fail(httpx.ReadTimeout("Timed out reading the response."))
            elif attempt_timeout is not None and waited >= attempt_timeout:
                pipe.fail(
                    AttemptDeadlineExceeded(
                        "The attempt's deadline passed before the whole answer arrived."
                    )
                )
            elif waited >= _SLOW:
                slow = True
        self._slow_ticks = self._slow_ticks + 1 if slow else 0
        pipes = len(self._pipes) + self._leasing
        if self._slow_ticks >= 2 and pipes < self._cap and not self._exhausted:
            self._slow_ticks = 0
            self._lease_more(self._cap - pipes)
        if not self._stopping:
            self._timer = asyncio.get_running_loop().call_later(_TICK, self._watch)


def lane_for(
    requester: Any, options: RequestOptions, data_type: Any, *, path_of: Callable[[str], str]
) -> Callable[..., BulkLane] | None:
    """A maker of this call's lane (``BulkLane(**kwargs)`` with the requester, backend, decoder
    and depth filled in), or None when the call takes the general path: another transport, a
    proxy, a base URL the lane cannot target, per-call options, a ``call_timeout`` (a bound
    on each call the lane does not keep), a rate-limit store that does I/O (Redis), an outage
    under way, no fast decoder for ``data_type``, or a closed client."""
    backend = requester.backend
    if (
        not isinstance(backend, FastBackend)
        or options is not EMPTY
        or requester.policy.call_timeout is not None
        or not requester.limiter.synchronous
        or not requester.breaker.closed
        or requester.closed
        or backend.get_start(requester.base_url) is None
    ):
        return None
    fast = fast_decoder(data_type)
    if fast is None:
        return None

    def make(**kwargs: Any) -> BulkLane:
        return BulkLane(
            requester,
            backend,
            data_type=data_type,
            fast=fast,
            path_of=path_of,
            depth=requester.pipeline_depth,
            **kwargs,
        )

    return make
