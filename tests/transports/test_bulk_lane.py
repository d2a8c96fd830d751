"""``relationships.get_many`` on ``transport="fast"`` against a scripted server that pipelines.

On the fast transport ``get_many`` sends the lookups through the bulk lane (``_lane``: a few
keep-alive connections, HTTP/1.1 pipelining, anything unusual handed to the ordinary
per-request path for that id only). These tests pin its public behaviour: one outcome per
input id, in input order, the same as on ``transport="httpx"`` (which never pipelines) for the
same per-id script, no id asked more often than the retry rules allow, and no answer thrown
away and asked for again; where it matters, that the fast transport did pipeline. The server is
``laneserver.LaneServer``: its answer for a request is decided by the id and that id's attempt
number, so it is the same whichever connection, order or transport the request comes in.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aioinstagram import (
    DecodeError,
    IncomingStatus,
    InstagramClient,
    InstagramError,
    NotAllowedError,
    NotFoundError,
    OutgoingStatus,
    Relationship,
    RetryPolicy,
)

from .laneserver import (
    Answer,
    LaneServer,
    Script,
    not_allowed,
    not_found,
    ok,
    rate_limited,
    relationship_data,
    server_error,
)

TOKEN = "test.token.0123456789"
Transport = Literal["fast", "httpx"]
Outcome = Relationship | InstagramError
#: What an id must end as: its Relationship, or an instance of this error class.
Expected = Callable[[int], "type[InstagramError] | None"]

NOT_JSON = b"<html><body>502 Bad Gateway, served with a 200</body></html>"
#: Seconds a call may take before the test fails: only a guard against a hang (a lost id
#: would leave get_many waiting for ever), far beyond what any call here needs.
HANG = 120.0


def relationship(uid: int) -> Relationship:
    data = relationship_data(uid)
    return Relationship(
        OutgoingStatus(data["outgoing_status"]),
        IncomingStatus(data["incoming_status"]),
        data["target_user_is_private"],
    )


def client_for(server: LaneServer, transport: Transport, **policy: Any) -> InstagramClient:
    """A client of ``server`` that retries at once (the tests exercise the rules, not the
    clock)."""
    policy.setdefault("backoff_base", 0)
    return InstagramClient(
        TOKEN,
        base_url=server.url,
        transport=transport,
        trust_env=False,
        retry_policy=RetryPolicy(**policy),
    )


@contextlib.asynccontextmanager
async def serving(
    script: Script, transport: Transport, server_options: dict[str, Any], policy: dict[str, Any]
) -> AsyncIterator[tuple[LaneServer, InstagramClient]]:
    async with contextlib.AsyncExitStack() as stack:
        server = await stack.enter_async_context(LaneServer(script, **server_options))
        client = await stack.enter_async_context(client_for(server, transport, **policy))
        yield server, client


async def lookup(
    script: Script,
    transport: Transport,
    ids: Sequence[int],
    *,
    concurrency: int = 16,
    server_options: dict[str, Any] | None = None,
    **policy: Any,
) -> tuple[list[Outcome], LaneServer]:
    """``get_many(ids)`` against a new server running ``script``."""
    async with serving(script, transport, server_options or {}, policy) as (server, client):
        results = await asyncio.wait_for(
            client.relationships.get_many(ids, concurrency=concurrency), HANG
        )
    return results, server


def check(ids: Sequence[int], results: Sequence[Outcome], expected: Expected) -> None:
    """One outcome per input id, in input order: the id's own Relationship, or the expected
    error class (exactly: a subclass would be another kind of failure)."""
    assert len(results) == len(ids)
    for uid, outcome in zip(ids, results, strict=True):
        error = expected(uid)
        if error is None:
            assert outcome == relationship(uid), (uid, outcome)
        else:
            assert type(outcome) is error, (uid, outcome)


def summary(outcome: Outcome) -> object:
    """What must be equal on every transport: the Relationship, or the error's class and
    envelope (not its message, which may name a transport)."""
    if isinstance(outcome, Relationship):
        return outcome
    return type(outcome), getattr(outcome, "code", None), getattr(outcome, "error_type", None)


async def on_both(
    script: Script,
    ids: Sequence[int],
    expected: Expected,
    *,
    pipelined: bool = False,
    **options: Any,
) -> dict[Transport, LaneServer]:
    """Run ``get_many`` on both transports, check each, and check they agree; ``pipelined``:
    check that the fast transport pipelined (the bulk lane carried the lookups)."""
    servers: dict[Transport, LaneServer] = {}
    summaries: dict[Transport, list[object]] = {}
    for transport in ("fast", "httpx"):
        results, servers[transport] = await lookup(script, transport, ids, **options)
        check(ids, results, expected)
        summaries[transport] = [summary(r) for r in results]
    assert summaries["fast"] == summaries["httpx"]
    # httpx waits for each answer: a deeper pipeline would mean the server miscounts.
    assert servers["httpx"].max_pending == 1
    if pipelined:
        assert servers["fast"].max_pending > 1
    return servers


def all_relationships(uid: int) -> None:
    return None


def asked_once(server: LaneServer, ids: Sequence[int]) -> None:
    assert server.asked == dict.fromkeys(ids, 1)
    assert server.answered == dict.fromkeys(ids, 1)


def answered_once(server: LaneServer, ids: Sequence[int]) -> None:
    """Each id answered once (it may have been asked again after a dropped connection, but
    no answer was thrown away and asked for again)."""
    assert server.answered == dict.fromkeys(ids, 1)


# -- 1. every answer a 200 ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "count"),
    [
        pytest.param(Answer(), 3000, id="plain"),
        pytest.param(Answer(gzip=True), 600, id="gzip"),
        pytest.param(Answer(chunked=True), 600, id="chunked"),
        pytest.param(Answer(gzip=True, chunked=True), 300, id="gzip-chunked"),
    ],
)
async def test_all_200_each_id_its_own_relationship_asked_once(answer: Answer, count: int) -> None:
    ids = list(range(1, count + 1))
    servers = await on_both(
        lambda uid, n: answer, ids, all_relationships, concurrency=64, pipelined=True
    )
    for server in servers.values():
        asked_once(server, ids)


async def test_duplicates_and_input_order_are_kept() -> None:
    ids = [9, 3, 9, 1, 2, 3, 3, 500, 1]
    servers = await on_both(ok, ids, all_relationships, concurrency=4)
    for server in servers.values():
        asked_once(server, ids)  # a duplicate shares its id's one lookup


# -- 2. per-id errors, never retried ------------------------------------------------------


def mixed_errors(uid: int, attempt: int) -> Answer:
    if uid % 7 == 0:
        return not_found(404)
    if uid % 7 == 3:
        return not_found(400)  # what the API sent for an unknown user
    if uid % 11 == 0:
        return not_allowed()  # a private user
    return Answer()


def mixed_expected(uid: int) -> type[InstagramError] | None:
    if uid % 7 in (0, 3):
        return NotFoundError
    if uid % 11 == 0:
        return NotAllowedError
    return None


async def test_per_id_errors_are_that_ids_outcome_asked_once() -> None:
    ids = list(range(1, 401))
    servers = await on_both(mixed_errors, ids, mixed_expected, concurrency=32, pipelined=True)
    for server in servers.values():
        asked_once(server, ids)


# -- 3. a transient 5xx, then the answer ----------------------------------------------------


def transient_5xx(uid: int, attempt: int) -> Answer:
    if attempt == 1 and uid % 8 == 1:
        return server_error()
    if attempt == 1 and uid % 8 == 5:
        return Answer(503, b"<html><body>503 Service Unavailable</body></html>")
    return Answer()


async def test_a_transient_5xx_is_retried_once_and_ends_as_the_relationship() -> None:
    ids = list(range(1, 301))
    servers = await on_both(transient_5xx, ids, all_relationships, concurrency=32)
    for server in servers.values():
        assert server.asked == {u: 2 if u % 8 in (1, 5) else 1 for u in ids}
        assert server.answered == server.asked


# -- 4. a 429 mid-batch --------------------------------------------------------------------

RATE_LIMITED = frozenset({150, 151, 152})


def limited_mid_batch(uid: int, attempt: int) -> Answer:
    if attempt == 1 and uid in RATE_LIMITED:
        return rate_limited(1)
    return Answer()


async def test_a_429_mid_batch_pauses_and_loses_or_duplicates_nothing() -> None:
    ids = list(range(1, 301))
    servers = await on_both(
        limited_mid_batch, ids, all_relationships, concurrency=16, pipelined=True
    )
    for server in servers.values():
        assert set(server.answered) == set(ids)
        assert all(server.answered[u] == 2 for u in RATE_LIMITED)  # the 429, then the answer
        assert max(server.asked.values()) <= 2


# -- 5, 6. connections that end under pipelined requests ------------------------------------


@pytest.mark.parametrize("every", [1, 4])
@pytest.mark.parametrize("header", [True, False], ids=["connection-close", "silent-close"])
async def test_a_server_that_closes_after_every_kth_answer(every: int, header: bool) -> None:
    ids = list(range(1, 201))
    options = {"close_every": every, "close_header": header}
    servers = await on_both(
        ok,
        ids,
        all_relationships,
        server_options=options,
        max_retries=5,
        concurrency=16,
        pipelined=True,  # requests were waiting behind the answer the server closed after
    )
    for server in servers.values():
        assert server.accepted >= len(ids) // every  # it did close them
        answered_once(server, ids)


async def test_a_server_that_does_not_pipeline_drops_and_closes() -> None:
    ids = list(range(1, 201))
    servers = await on_both(
        ok,
        ids,
        all_relationships,
        server_options={"one_per_read": True},
        max_retries=5,
        pipelined=True,  # so the server dropped some
    )
    asked_once(servers["httpx"], ids)  # never pipelined: nothing dropped
    answered_once(servers["fast"], ids)


# -- 7. a slow answer at the head of a pipeline ----------------------------------------------

SLOW = frozenset({7, 19})


def slow_first(uid: int, attempt: int) -> Answer:
    # 5 s, cut short when the client closes the connection at its attempt_timeout (0.2 s)
    return Answer(delay=5.0) if attempt == 1 and uid in SLOW else Answer()


async def test_a_slow_answer_times_out_and_is_retried_the_ids_behind_it_end_well() -> None:
    ids = list(range(1, 41))
    servers = await on_both(
        slow_first, ids, all_relationships, concurrency=4, attempt_timeout=0.2, max_retries=5
    )
    for server in servers.values():
        assert all(server.asked[u] >= 2 for u in SLOW)  # the first attempt was never answered
        assert set(server.answered) == set(ids)


# -- 8. a 200 whose body is not JSON ---------------------------------------------------------

ALWAYS_BAD = 7  # uid % 10: never JSON
ONCE_BAD = 3  # uid % 10: not JSON on the first attempt


def not_json(uid: int, attempt: int) -> Answer:
    bad = uid > 20 and (uid % 10 == ALWAYS_BAD or (uid % 10 == ONCE_BAD and attempt == 1))
    return Answer(body=NOT_JSON, headers=(("Content-Type", "text/html"),)) if bad else Answer()


def not_json_expected(uid: int) -> type[InstagramError] | None:
    return DecodeError if uid > 20 and uid % 10 == ALWAYS_BAD else None


async def test_a_body_that_is_not_json_is_retried_then_a_decode_error_for_that_id() -> None:
    # The bad ids come after the first twenty: a DecodeError before any id got an answer would
    # rightly abort the whole call (BulkAbortedError: probably a wrong base_url).
    ids = list(range(1, 121))
    servers = await on_both(not_json, ids, not_json_expected, concurrency=8, max_retries=2)
    for server in servers.values():
        assert server.asked == {u: _attempts(u) for u in ids}
        assert server.answered == server.asked


def _attempts(uid: int) -> int:
    """Requests for ``uid`` in the not-JSON script, with ``max_retries=2``."""
    if uid <= 20:
        return 1
    return {ALWAYS_BAD: 3, ONCE_BAD: 2}.get(uid % 10, 1)


# -- 9. an interim 100 Continue ---------------------------------------------------------------


async def test_an_interim_100_continue_before_each_answer_is_skipped() -> None:
    ids = list(range(1, 201))

    def script(uid: int, attempt: int) -> Answer:
        answer = mixed_errors(uid, attempt)  # a 100 before errors too, some answers chunked
        return dataclasses.replace(answer, interim=uid % 2 == 0, chunked=uid % 3 == 0)

    servers = await on_both(script, ids, mixed_expected, concurrency=16)
    asked_once(servers["httpx"], ids)
    # The bulk lane skips interim answers on a pipelined connection too (PipelinedParser):
    # nothing is asked twice.
    asked_once(servers["fast"], ids)


# -- 10. cancellation -----------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["fast", "httpx"])
async def test_cancelled_part_way_then_the_client_still_works(
    transport: Transport, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    first = list(range(1, 2001))
    second = list(range(5001, 5301))  # other ids: what the first call left is told apart
    async with serving(slow_tail, transport, {}, {}) as (server, client):
        task = asyncio.ensure_future(client.relationships.get_many(first, concurrency=64))
        # Cancel once the slow ids are in flight (the first 300 are answered at once).
        while sum(server.asked.values()) < 340 and not task.done():  # noqa: ASYNC110
            await asyncio.sleep(0.001)
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # At once, on the connections the cancelled call used (or their replacements): an
        # answer meant for the cancelled call must not be taken for one of these.
        results = await client.relationships.get_many(second, concurrency=64)
        check(second, results, all_relationships)
        assert {u: server.asked[u] for u in second} == dict.fromkeys(second, 1)
        assert {u: server.answered[u] for u in second} == dict.fromkeys(second, 1)
        # The cancelled call was cut short and sends nothing more.
        late = sum(server.asked[u] for u in first)
        assert late < len(first)
        await asyncio.sleep(0.1)
        assert sum(server.asked[u] for u in first) == late
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def slow_tail(uid: int, attempt: int) -> Answer:
    """Ids 301 to 2000 answer after a moment, so a cancellation finds requests in flight."""
    return Answer(delay=0.05) if 300 < uid <= 2000 else Answer()


# -- 11. progress ---------------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["fast", "httpx"])
async def test_progress_counts_each_id_once(transport: Transport) -> None:
    ids = [*range(1, 501), 5, 6, 7]  # duplicates count once
    calls: list[tuple[int, int | None]] = []
    async with serving(_mixed_transient, transport, {}, {}) as (_, client):
        results = await client.relationships.get_many(
            ids, concurrency=64, progress=lambda done, total: calls.append((done, total))
        )
    check(ids, results, mixed_expected)
    assert calls == [(done, 500) for done in range(1, 501)]


def _mixed_transient(uid: int, attempt: int) -> Answer:
    """Per-id errors, some after a transient 5xx."""
    if attempt == 1 and uid % 8 in (1, 5):
        return transient_5xx(uid, attempt)
    return mixed_errors(uid, attempt)


# -- 12. any script, the same outcomes on both transports -----------------------------------

KINDS = ("ok", "not-found", "5xx-then-ok", "close-after", "close-after-saying-so")


def _scripted(kinds: Sequence[str]) -> Script:
    def script(uid: int, attempt: int) -> Answer:
        kind = kinds[uid - 1]
        if kind == "not-found":
            return not_found(404)
        if kind == "5xx-then-ok" and attempt == 1:
            return server_error()
        if kind.startswith("close-after"):  # this answer, then the connection's end
            return Answer(close=True, close_header=kind == "close-after-saying-so")
        return Answer()

    return script


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kinds=st.lists(st.sampled_from(KINDS), min_size=1, max_size=40),
    repeats=st.lists(st.integers(0, 39), max_size=8),
    concurrency=st.integers(1, 12),
)
async def test_property_any_script_same_outcomes_on_both_transports(
    kinds: list[str], repeats: list[int], concurrency: int
) -> None:
    ids = [*range(len(kinds), 0, -1), *(r % len(kinds) + 1 for r in repeats)]

    def expected(uid: int) -> type[InstagramError] | None:
        return NotFoundError if kinds[uid - 1] == "not-found" else None

    servers = await on_both(_scripted(kinds), ids, expected, concurrency=concurrency, max_retries=5)
    for server in servers.values():  # no answer thrown away and asked for again
        assert server.answered == {u: 2 if kinds[u - 1] == "5xx-then-ok" else 1 for u in set(ids)}
