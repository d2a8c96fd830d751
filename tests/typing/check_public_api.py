"""Type-checked by ``test_typing.py`` (mypy --strict), never run: what a user writes, with the
types mypy must infer (``assert_type``). A wrong annotation in the library fails the suite."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import httpx
from typing_extensions import assert_type

from aioinstagram import (
    APIResponse,
    AsyncPaginator,
    CallOptions,
    Checkpoint,
    Comment,
    InstagramClient,
    InstagramError,
    Location,
    Media,
    NotGiven,
    OEmbed,
    Page,
    ProgressCallback,
    RateLimit,
    RateLimitMode,
    Relationship,
    RetryPolicy,
    Subscription,
    Tag,
    Timeout,
    TransportName,
    User,
)


async def calls(client: InstagramClient) -> None:
    assert_type(await client.users.get(), User)
    assert_type(await client.users.get("self", timeout=3), User)
    assert_type(await client.users.search("a", extra_params={"x": 1}), list[User])
    assert_type(await client.relationships.get(1, extra_headers={"X-A": "b"}), Relationship)
    assert_type(await client.relationships.follow(1, timeout=None), Relationship)
    assert_type(await client.media.get(1, timeout=httpx.Timeout(5.0)), Media)
    assert_type(await client.tags.get("cats"), Tag)
    assert_type(await client.locations.get(1), Location)
    assert_type(await client.comments.create(1, "nice"), Comment | None)
    assert_type(await client.likes.like(1), None)
    assert_type(await client.subscriptions.list(), list[Subscription])
    assert_type(await client.oembed("BXsFz", timeout=2), OEmbed)

    # Lists: paginators, typed pages, closable generators.
    followers = client.relationships.followed_by("self", timeout=NotGiven())
    assert_type(followers, AsyncPaginator[User])
    async with followers as paginator:
        async for user in paginator:
            assert_type(user, User)
    pages = client.users.feed().pages()
    assert_type(pages, AsyncGenerator[Page[Media], None])
    await pages.aclose()
    assert_type(client.users.feed().checkpoint(), Checkpoint)
    assert_type(await client.tags.recent_media("cats").collect(3), list[Media])

    # Bulk: closable generators of (id, result or error).
    many = client.relationships.iter_many(["1", "2"], extra_headers={"X-A": "b"})
    assert_type(many, AsyncGenerator[tuple[str, Relationship | InstagramError], None])
    await many.aclose()
    media = client.media.iter_many(["1"])
    assert_type(media, AsyncGenerator[tuple[str, Media | InstagramError], None])
    assert_type(await client.media.get_many(["1"]), list[Media | InstagramError])

    # Raw responses know the parsed type.
    raw = await client.with_raw_response.relationships.get(1, timeout=5)
    assert_type(raw, APIResponse[Relationship])
    assert_type(raw.parsed, Relationship)
    assert_type(raw.status_code, int)
    assert_type(raw.rate_limit, RateLimit | None)
    first = await client.with_raw_response.relationships.followed_by(count=5)
    assert_type(first.parsed, Page[User])
    assert_type((await client.with_raw_response.users.get()).parsed, User)
    assert_type((await client.with_raw_response.oembed("BXsFz")).parsed, OEmbed)

    # Options and configuration.
    patient = client.with_options(timeout=60, max_retries=10, rate_limit_mode="raise")
    assert_type(patient, InstagramClient)
    assert_type(client.retry_policy, RetryPolicy)


def configuration() -> None:
    policy = RetryPolicy(max_retries=0, backoff_base=0)
    mode: RateLimitMode = "raise"
    transport: TransportName = "fast"
    timeout: Timeout = 3.0
    options: CallOptions = {"timeout": timeout, "extra_headers": {"X-A": "b"}}
    progress: ProgressCallback = lambda done, total: None  # noqa: E731
    client = InstagramClient("t", retry_policy=policy, transport=transport)
    assert_type(client.with_options(rate_limit_mode=mode, timeout=timeout), InstagramClient)
    assert_type(options, CallOptions)
    assert_type(progress, ProgressCallback)


async def mistakes(client: InstagramClient) -> None:
    # Each must be an error: mypy --strict warns about an unused "type: ignore", so a mistake
    # that the annotations let through fails the check.
    await client.users.get(timeout="soon")  # type: ignore[arg-type]
    await client.users.get(extra_headers={"X-A": 1})  # type: ignore[dict-item]
    await client.users.get(retries=3)  # type: ignore[call-arg]
    client.with_options(rate_limit_mode="sometimes")  # type: ignore[arg-type]
