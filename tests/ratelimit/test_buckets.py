"""Which buckets a request spends from (api doc section 5): pure functions, table-driven."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioinstagram._buckets import (
    APP,
    TOKEN,
    bucket_of_429,
    buckets_for,
    default_limit,
    limit_in_429,
)


@pytest.mark.parametrize(
    ("method", "path", "signed", "authenticated", "expected"),
    [
        ("GET", "/users/self", False, True, (TOKEN,)),
        ("GET", "/users/1/relationship", False, True, (TOKEN,)),
        ("GET", "/media/popular", False, False, (APP,)),
        ("POST", "/users/1/relationship", False, True, (TOKEN, "relationship.unsigned")),
        ("POST", "/users/1/relationship", True, True, (TOKEN, "relationship.signed")),
        ("POST", "/v1/users/1/relationship.json", True, True, (TOKEN, "relationship.signed")),
        ("POST", "/media/9_1/likes", False, True, (TOKEN, "likes.unsigned")),
        ("DELETE", "/media/9_1/likes", True, True, (TOKEN, "likes.signed")),
        ("POST", "/media/9_1/comments", False, True, (TOKEN, "comments.unsigned")),
        ("DELETE", "/media/9_1/comments/77", True, True, (TOKEN, "comments.signed")),
        ("POST", "/subscriptions", True, False, (APP,)),
        ("POST", "/users/1/follows", False, True, (TOKEN,)),
    ],
)
def test_buckets_for(
    method: str, path: str, signed: bool, authenticated: bool, expected: tuple[str, ...]
) -> None:
    assert buckets_for(method, path, signed=signed, authenticated=authenticated) == expected


@pytest.mark.parametrize(
    ("bucket", "limit"),
    [
        ("token", None),
        ("app", None),
        ("relationship.unsigned", 20),
        ("relationship.signed", 60),
        ("likes.unsigned", 30),
        ("likes.signed", 100),
        ("comments.unsigned", 15),
        ("comments.signed", 60),
    ],
)
def test_default_limits_are_the_api_docs(bucket: str, limit: int | None) -> None:
    assert default_limit(bucket) == limit


@pytest.mark.parametrize(
    ("buckets", "budget", "index"),
    [
        ((TOKEN,), None, 0),
        ((TOKEN,), (5000, 12), 0),
        ((TOKEN, "relationship.signed"), (5000, 0), 0),  # Remaining: 0 names the global bucket
        ((TOKEN, "relationship.signed"), (5000, 4000), 1),
        ((TOKEN, "relationship.signed"), None, 1),
    ],
)
def test_bucket_of_429(
    buckets: tuple[str, ...], budget: tuple[int, int] | None, index: int
) -> None:
    assert bucket_of_429(buckets, budget) == index


def test_limit_in_429_reads_the_real_message() -> None:
    body = (
        b'{"meta": {"code": 429, "error_type": "OAuthRateLimitException", "error_message": '
        b'"The maximum number of requests per hour has been exceeded. You have made 38 '
        b'requests of the 30 allowed in the last hour."}}'
    )
    assert limit_in_429(body) == 30
    assert limit_in_429(b'{"meta": {"code": 429}}') is None


@given(st.sampled_from(["GET", "POST", "DELETE", "PUT"]), st.text(max_size=40), st.booleans())
def test_the_global_bucket_always_comes_first(method: str, path: str, signed: bool) -> None:
    for authenticated in (True, False):
        buckets = buckets_for(method, "/" + path, signed=signed, authenticated=authenticated)
        assert buckets[0] == (TOKEN if authenticated else APP)
        assert 1 <= len(buckets) <= 2
