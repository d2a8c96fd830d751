"""Table-driven tests of Retry-After parsing, backoff growth and cap, the retry decision and
the rate-limit headers (api doc section 5)."""

from __future__ import annotations

import datetime as dt

import pytest

from aioinstagram._protocol import (
    MAX_RETRY_AFTER,
    Decision,
    Failure,
    backoff_delay,
    decide_retry,
    failure_for_status,
    parse_rate_limit,
    parse_retry_after,
)

NOW = dt.datetime(2015, 10, 21, 7, 28, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("0", 0.0, id="zero"),
        pytest.param("5", 5.0, id="seconds"),
        pytest.param("  7 ", 7.0, id="whitespace"),
        pytest.param("0.05", 0.05, id="float"),
        pytest.param("1.5", 1.5, id="float-2"),
        pytest.param("Wed, 21 Oct 2015 07:29:00 GMT", 60.0, id="http-date-future"),
        pytest.param("Wed, 21 Oct 2015 07:28:00 GMT", 0.0, id="http-date-now"),
        pytest.param("Wed, 21 Oct 2015 07:00:00 GMT", 0.0, id="http-date-past"),
        pytest.param("Tue, 20 Oct 2015 07:28:00 GMT", 0.0, id="http-date-yesterday"),
        pytest.param("Thu, 22 Oct 2015 07:28:00 GMT", MAX_RETRY_AFTER, id="http-date-huge"),
        pytest.param("-1", None, id="negative"),
        pytest.param("-0.5", None, id="negative-float"),
        pytest.param("86400", MAX_RETRY_AFTER, id="huge"),
        pytest.param("1e400", MAX_RETRY_AFTER, id="overflow"),
        pytest.param("nan", None, id="nan"),
        pytest.param("garbage", None, id="garbage"),
        pytest.param("5 seconds", None, id="units"),
        pytest.param("0x10", None, id="hex"),
        pytest.param("", None, id="empty"),
        pytest.param("   ", None, id="blank"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    result = parse_retry_after(value, now=NOW)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


def test_parse_retry_after_date_without_now_uses_the_clock() -> None:
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=120)
    value = future.strftime("%a, %d %b %Y %H:%M:%S GMT")
    result = parse_retry_after(value)
    assert result is not None
    assert 100 < result <= 120


def test_max_retry_after_is_an_hour() -> None:
    assert MAX_RETRY_AFTER == 3600.0


@pytest.mark.parametrize(
    ("attempt", "ceiling"),
    [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (6, 16.0), (7, 30.0), (8, 30.0), (50, 30.0)],
)
def test_backoff_grows_exponentially_then_caps(attempt: int, ceiling: float) -> None:
    # random=1.0 is the top of the full-jitter range: the ceiling itself.
    assert backoff_delay(attempt, base=0.5, cap=30.0, random=1.0) == pytest.approx(ceiling)
    assert backoff_delay(attempt, base=0.5, cap=30.0, random=0.5) == pytest.approx(ceiling / 2)
    assert backoff_delay(attempt, base=0.5, cap=30.0, random=0.0) == 0.0


def test_backoff_is_monotonic_until_the_cap() -> None:
    delays = [backoff_delay(n, base=0.1, cap=5.0) for n in range(1, 20)]
    assert delays == sorted(delays)
    assert delays[-1] == 5.0
    assert delays[0] == pytest.approx(0.1)


@pytest.mark.parametrize("draw", [-3.0, 7.0])
def test_backoff_clamps_the_random_draw(draw: float) -> None:
    assert 0.0 <= backoff_delay(3, base=1.0, cap=10.0, random=draw) <= 4.0


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [(0.05, 0.05), (12.0, 12.0), (0.0, 0.0), (-4.0, 0.0), (10_000.0, MAX_RETRY_AFTER)],
)
def test_retry_after_wins_over_backoff(retry_after: float, expected: float) -> None:
    got = backoff_delay(9, base=0.5, cap=1.0, retry_after=retry_after, random=1.0)
    assert got == pytest.approx(expected)


# Failure x idempotent -> decision (attempts left). The whole table, no gaps.
DECISIONS = {
    (Failure.CONNECT, True): Decision.RETRY,
    (Failure.CONNECT, False): Decision.RETRY,
    (Failure.POOL_TIMEOUT, True): Decision.RETRY,
    (Failure.POOL_TIMEOUT, False): Decision.RETRY,
    (Failure.TIMEOUT, True): Decision.RETRY,
    (Failure.TIMEOUT, False): Decision.OUTCOME_UNKNOWN,
    (Failure.PROTOCOL, True): Decision.RETRY,
    (Failure.PROTOCOL, False): Decision.OUTCOME_UNKNOWN,
    (Failure.SERVER, True): Decision.RETRY,
    (Failure.SERVER, False): Decision.OUTCOME_UNKNOWN,
    (Failure.RATE_LIMITED, True): Decision.RETRY,
    (Failure.RATE_LIMITED, False): Decision.RETRY,
}


def test_decision_table_covers_every_failure() -> None:
    assert {f for f, _ in DECISIONS} == set(Failure)


@pytest.mark.parametrize(("failure", "idempotent"), list(DECISIONS))
def test_decide_retry_with_attempts_left(failure: Failure, idempotent: bool) -> None:
    got = decide_retry(failure, idempotent=idempotent, attempts_left=True)
    assert got is DECISIONS[failure, idempotent]


@pytest.mark.parametrize(("failure", "idempotent"), list(DECISIONS))
def test_decide_retry_without_attempts_left(failure: Failure, idempotent: bool) -> None:
    got = decide_retry(failure, idempotent=idempotent, attempts_left=False)
    expected = (
        Decision.OUTCOME_UNKNOWN
        if DECISIONS[failure, idempotent] is Decision.OUTCOME_UNKNOWN
        else Decision.RAISE
    )
    assert got is expected


@pytest.mark.parametrize(
    ("status", "failure"),
    [
        (200, None),
        (400, None),
        (403, None),
        (404, None),
        (420, Failure.RATE_LIMITED),
        (429, Failure.RATE_LIMITED),
        (500, Failure.SERVER),
        (502, Failure.SERVER),
        (503, Failure.SERVER),
        (504, Failure.SERVER),
    ],
)
def test_failure_for_status(status: int, failure: Failure | None) -> None:
    assert failure_for_status(status) is failure


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-Ratelimit-Limit": "5000", "X-Ratelimit-Remaining": "4740"}, (5000, 4740)),
        ({"x-ratelimit-limit": "30", "x-ratelimit-remaining": "0"}, (30, 0)),
        ({"X-RATELIMIT-LIMIT": " 200 ", "X-RATELIMIT-REMAINING": " 3 "}, (200, 3)),
        ({"X-Ratelimit-Limit": "200", "X-Ratelimit-Remaining": "-5"}, (200, 0)),
        ({"X-Ratelimit-Limit": "200", "X-Ratelimit-Remaining": "999"}, (200, 200)),
        ({"X-Ratelimit-Limit": "200"}, None),
        ({"X-Ratelimit-Remaining": "3"}, None),
        ({"X-Ratelimit-Limit": "lots", "X-Ratelimit-Remaining": "3"}, None),
        ({"X-Ratelimit-Limit": "-1", "X-Ratelimit-Remaining": "3"}, None),
        ({}, None),
    ],
)
def test_parse_rate_limit(headers: dict[str, str], expected: tuple[int, int] | None) -> None:
    assert parse_rate_limit(headers) == expected


def test_parse_rate_limit_with_httpx_headers() -> None:
    import httpx

    headers = httpx.Headers({"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "12"})
    assert parse_rate_limit(headers) == (5000, 12)
