"""The library (aioinstagram) on one of its transports: lookups, the follower walk, rate limits."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator
from typing import Any

from clients import Meter, Spec, lookup_ids


class ProtocolCheck:
    """Checks the HTTP version a client really speaks: a one-shot ``response`` event hook on
    the httpx client records the first response's version and removes itself (so only the
    first request pays for it); ``verify()`` raises when it was not the expected one."""

    def __init__(self, http: Any = None, expected: str = "HTTP/2") -> None:
        self.http = http
        self.expected = expected
        self.seen: str | None = None
        if http is not None:
            http.event_hooks = {"response": [self._record]}

    async def _record(self, response: Any) -> None:
        self.seen = response.http_version
        self.http.event_hooks = {"response": []}

    def verify(self) -> None:
        if self.http is not None and self.seen != self.expected:
            raise RuntimeError(f"expected {self.expected} responses, got {self.seen}")


@contextlib.asynccontextmanager
async def open_client(spec: Spec, **extra: Any) -> AsyncIterator[tuple[Any, ProtocolCheck]]:
    """The InstagramClient of the row, and its protocol check. Transport ``h2c``: a given
    ``httpx.AsyncClient(http1=False, http2=True, limits=...)`` (HTTP/2 with prior knowledge,
    pool of ``concurrency`` connections) against the server's h2c listener (``base_url``);
    any other name: ``transport=<name>, max_connections=<concurrency>``."""
    from aioinstagram import InstagramClient

    c = spec.get("concurrency", 1)
    kwargs: dict[str, Any] = {"access_token": spec["token"], "base_url": spec["base_url"]}
    kwargs.update(extra)
    if spec["transport"] == "aiohttp-own":
        from clients._own_aiohttp_transport import AiohttpTransport

        kwargs.update(transport=AiohttpTransport(max_connections=c), max_connections=c)
        async with InstagramClient(**kwargs) as client:
            yield client, ProtocolCheck()
        return
    if spec["transport"] == "fast-p1":  # the bulk lane, one request at a time per connection
        kwargs.update(transport="fast", max_connections=c, pipelining=1)
        async with InstagramClient(**kwargs) as client:
            yield client, ProtocolCheck()
        return
    if spec["transport"] != "h2c":
        kwargs.update(transport=spec["transport"], max_connections=c)
        async with InstagramClient(**kwargs) as client:
            yield client, ProtocolCheck()
        return
    import httpx

    limits = httpx.Limits(max_connections=c, max_keepalive_connections=c)
    async with httpx.AsyncClient(http1=False, http2=True, limits=limits) as http:
        check = ProtocolCheck(http, "HTTP/2")
        async with InstagramClient(http_client=http, **kwargs) as client:
            yield client, check


def _is_error(outcome: object) -> bool:
    from aioinstagram import InstagramError

    return isinstance(outcome, (InstagramError, BaseException))


async def lookups(spec: Spec, meter: Meter) -> None:
    """Relationship lookups: sequential ``get`` at concurrency 1, else ``get_many``."""
    c = spec["concurrency"]
    warm = lookup_ids(spec["warmup"], offset=10_000_000)
    ids = lookup_ids(spec["requests"])
    async with open_client(spec) as (client, check):
        rels = client.relationships
        if c == 1:
            for uid in warm:
                await rels.get(uid)
            check.verify()
            meter.start()
            errors = 0
            for uid in ids:
                try:
                    await rels.get(uid)
                except Exception:  # counted, reported as errors
                    errors += 1
            meter.stop(requests=len(ids), errors=errors)
            return
        await rels.get_many(warm, concurrency=c)
        check.verify()
        meter.start()
        results = await rels.get_many(ids, concurrency=c)
        errors = sum(1 for r in results if _is_error(r))
        meter.stop(requests=len(ids), errors=errors, results=len(results))


async def walk(spec: Spec, meter: Meter) -> None:
    """Walk all followers with ``followed_by`` (models are built and dropped one by one)."""
    async with open_client(spec) as (client, check):
        meter.start()
        items = 0
        async for _user in client.relationships.followed_by(
            spec["user_id"], count=spec["page_size"]
        ):
            items += 1
        pages = -(-items // spec["page_size"])
        meter.stop(requests=pages, items=items)
        check.verify()  # no warm-up here: the first page paid for the one-shot hook


def accepted_kwargs(names: tuple[str, ...]) -> set[str]:
    from aioinstagram import InstagramClient

    try:
        params = inspect.signature(InstagramClient).parameters
    except (TypeError, ValueError):
        return set()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return set()  # **kwargs: do not guess
    return {n for n in names if n in params}


async def ratelimit(spec: Spec, meter: Meter) -> None:
    """3L lookups against a server allowing L per window, with ``rate_limit_mode="wait"``."""
    window = spec["rate_window"]
    extra: dict[str, Any] = {"rate_limit_mode": "wait"}
    accepted = accepted_kwargs(("rate_limit_window", "rate_limit_budget"))
    if "rate_limit_window" in accepted:
        extra["rate_limit_window"] = window
    if "rate_limit_budget" in accepted:
        extra["rate_limit_budget"] = spec["rate_limit"]
    ids = lookup_ids(3 * spec["rate_limit"])
    async with open_client(spec, **extra) as (client, check):
        meter.start()
        try:
            results = await asyncio.wait_for(
                client.relationships.get_many(ids, concurrency=spec["concurrency"]),
                timeout=spec["timeout"],
            )
        except asyncio.TimeoutError:
            meter.stop(
                requests=len(ids),
                errors=len(ids),
                timed_out=True,
                window_passed="rate_limit_window" in extra,
            )
            return
        errors = sum(1 for r in results if _is_error(r))
        meter.stop(
            requests=len(ids),
            errors=errors,
            timed_out=False,
            window_passed="rate_limit_window" in extra,
        )
        check.verify()
