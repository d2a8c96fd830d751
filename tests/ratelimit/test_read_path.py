"""The in-memory store's read path (``ReadLane``: what ``acquire_now`` / ``release_now`` of a GET
take) and ``parse_rate_limit``'s quick lookups are shortcuts: they must leave exactly the state
the general rules leave (``reserve_now``, the general settle, ``_header``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from hypothesis import example, given, settings
from hypothesis import strategies as st

from aioinstagram._budget import InMemoryBudgetStore, _Bucket
from aioinstagram._protocol import (
    RATELIMIT_LIMIT_HEADER,
    RATELIMIT_REMAINING_HEADER,
    _header,
    parse_rate_limit,
)
from aioinstagram._ratelimit import RateLimiter

SCOPE = "scope"
BUCKET = "token"
WINDOW = 10.0


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def snapshot(store: InMemoryBudgetStore) -> tuple[Any, ...]:
    """Everything the store keeps about the bucket, and its tickets in flight."""
    b: _Bucket | None = store._buckets.get((SCOPE, BUCKET))
    bucket = (
        None
        if b is None
        else (
            list(b.log),
            [list(e) for e in b.extra],
            b.extra_total,
            b.purged,
            b.inflight,
            b.limit,
            b.needs_probe,
            b.probe_ticket,
            b.paused_until,
            b.reason,
            b.server_remaining,
        )
    )
    return bucket, dict(store._sent)


budgets = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=6).flatmap(
        lambda limit: st.tuples(st.just(limit), st.integers(min_value=0, max_value=limit))
    ),
)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("acquire")),
        # settle a ticket: index into every ticket ever given (a settled one too: a double
        # settle must be as harmless on both paths), the answer's budget, reached_server
        st.tuples(st.just("settle"), st.integers(0, 40), budgets, st.booleans()),
        # a 429 (general path on both sides): pauses and probes for the read path to meet
        st.tuples(
            st.just("429"),
            st.integers(0, 40),
            budgets,
            st.one_of(st.none(), st.floats(0.0, 2 * WINDOW)),
        ),
        st.tuples(st.just("tick"), st.sampled_from([0.0, 0.001, 0.5, 3.0, WINDOW / 60, WINDOW])),
        st.tuples(st.just("tick"), st.just(WINDOW)),  # more often: whole windows leave
        st.tuples(st.just("acquire")),  # more often: full windows
    ),
    max_size=60,
)


@settings(max_examples=600, deadline=None)
@given(ops=ops)
# Calls that left the window between a request's send and its answer are still in the server's
# count (rule 3): the probe and the first call leave before the fourth call's answer.
@example(
    ops=[
        ("acquire",),
        ("settle", 0, (12, 11), True),
        ("acquire",),
        ("acquire",),
        ("settle", 1, (12, 10), True),
        ("tick", 3.0),
        ("acquire",),
        ("tick", WINDOW),
        ("settle", 3, (12, 8), True),
    ]
)
def test_property_the_read_path_leaves_the_state_the_general_rules_leave(
    ops: list[tuple[Any, ...]],
) -> None:
    clock = FakeClock()
    quick = InMemoryBudgetStore(clock=clock)
    general = InMemoryBudgetStore(clock=clock)
    lane = quick.read_lane(SCOPE, BUCKET)  # made before the bucket exists, as a limiter's is
    tickets: list[str] = []
    for op in ops:
        kind = op[0]
        if kind == "acquire":
            before = general._buckets.get((SCOPE, BUCKET))
            probe = before is None or before.limit is None or before.needs_probe
            ticket = lane.take(WINDOW)
            expected = general.reserve_now(SCOPE, (BUCKET,), window=WINDOW)
            if ticket is not None:
                assert (expected.wait, expected.ticket) == (0, ticket)
            else:  # a rule has a say: the general reservation decides, as acquire_now does
                assert quick.reserve_now(SCOPE, (BUCKET,), window=WINDOW) == expected
                assert expected.wait != 0 or probe  # no free slot is left to the slow path
                ticket = expected.ticket
            if ticket is not None:
                tickets.append(ticket)
        elif kind == "settle" and tickets:
            _, index, budget, reached = op
            ticket = tickets[index % len(tickets)]
            lane.give(ticket, WINDOW, budget, reached)
            general._settle(
                SCOPE, (BUCKET,), ticket, window=WINDOW, reached_server=reached, budget=budget
            )
        elif kind == "429" and tickets:
            _, index, budget, retry_after = op
            ticket = tickets[index % len(tickets)]
            answer: dict[str, Any] = {
                "window": WINDOW,
                "reached_server": True,
                "budget": budget,
                "limited": 0,
                "retry_after": retry_after,
            }
            assert quick.settle_now(SCOPE, (BUCKET,), ticket, **answer) == general.settle_now(
                SCOPE, (BUCKET,), ticket, **answer
            )
        elif kind == "tick":
            clock.now += op[1]
        assert snapshot(quick) == snapshot(general)


def test_the_read_path_stops_at_every_rule_and_takes_a_free_slot() -> None:
    """The property above compares; this pins that each rule on the read path is met at all."""
    clock = FakeClock()
    store = InMemoryBudgetStore(clock=clock)
    lane = store.read_lane(SCOPE, BUCKET)
    assert lane.take(WINDOW) is None  # never used: the probe goes through reserve_now
    probe = store.reserve_now(SCOPE, (BUCKET,), window=WINDOW).ticket
    assert probe is not None
    assert lane.take(WINDOW) is None  # waiting for the probe's answer
    lane.give(probe, WINDOW, (2, 1))  # the probe's answer: the limit is 2
    clock.now += 1.0
    first = lane.take(WINDOW)
    assert first is not None and first != probe
    assert lane.take(WINDOW) is None  # the window is full (one logged, one in flight)
    lane.give(first, WINDOW, (2, 0))
    clock.now += WINDOW - 1.0  # the probe's entry leaves the window, the second's stays
    assert lane.take(WINDOW) is not None
    state = store.state(SCOPE, BUCKET)
    assert state is not None and (state.used, state.in_flight, state.limit) == (2, 1, 2)


def test_a_limiter_reads_through_its_lane_and_writes_the_general_way() -> None:
    clock = FakeClock()
    limiter = RateLimiter(window=WINDOW, clock=clock)
    slot = limiter.acquire_now("GET", "/users/self")  # the probe, by the general rules
    assert slot is not None
    limiter.release_now(slot, reached_server=True, budget=(100, 40))  # 59 calls elsewhere
    state = limiter.state("token")
    assert state is not None and state.used == 60 and state.server_remaining == 40
    slot = limiter.acquire_now("GET", "/users/self")
    assert slot is not None
    # The server counts 55, fewer than our 61: top-ups are dropped to match.
    limiter.release_now(slot, reached_server=True, budget=(100, 45))
    state = limiter.state("token")
    assert state is not None and (state.used, state.in_flight) == (55, 0)
    write = limiter.acquire_now("POST", "/users/1/relationship")  # two buckets: no lane
    assert write is not None and len(write.buckets) == 2
    assert limiter.release_now(write, reached_server=True, budget=(100, 44)) is None
    other = limiter.acquire_now("POST", "/subscriptions")  # one bucket, not a GET: same lane
    assert other is not None and other.buckets == ("token",)
    assert limiter.in_flight == 1
    limiter.release_now(other, reached_server=True, budget=(100, 43))
    state = limiter.state("token")
    assert state is not None and (state.in_flight, state.server_remaining) == (0, 43)


def _reference_parse(headers: Mapping[str, str]) -> tuple[int, int] | None:
    """``parse_rate_limit`` as it was, every name through ``_header``."""
    raw_limit = _header(headers, RATELIMIT_LIMIT_HEADER)
    raw_remaining = _header(headers, RATELIMIT_REMAINING_HEADER)
    if raw_limit is None or raw_remaining is None:
        return None
    try:
        limit = int(raw_limit)
        remaining = int(raw_remaining)
    except ValueError:
        return None
    if limit < 0:
        return None
    return limit, max(0, min(remaining, limit))


def _spellings(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from([name, name.title(), name.upper(), "X-RateLimit-" + name[12:].title()])


values = st.one_of(
    st.integers(-10, 10_000).map(str),
    st.sampled_from(["", " 12 ", "abc", "1e3", "5000\t", "+7", "-0", "0x10", "١٢"]),
)


@settings(max_examples=300, deadline=None)
@given(
    limit=st.one_of(st.none(), st.tuples(_spellings(RATELIMIT_LIMIT_HEADER), values)),
    remaining=st.one_of(st.none(), st.tuples(_spellings(RATELIMIT_REMAINING_HEADER), values)),
    others=st.dictionaries(st.sampled_from(["content-type", "Connection", "x-other"]), values),
)
def test_property_parse_rate_limit_reads_what_header_lookups_read(
    limit: tuple[str, str] | None,
    remaining: tuple[str, str] | None,
    others: dict[str, str],
) -> None:
    headers = dict(others)
    for pair in (limit, remaining):
        if pair is not None:
            headers[pair[0]] = pair[1]
    assert parse_rate_limit(headers) == _reference_parse(headers)
    if all(value.isascii() for value in headers.values()):  # httpx refuses the others
        as_httpx = httpx.Headers(headers)
        assert parse_rate_limit(as_httpx) == _reference_parse(as_httpx)
