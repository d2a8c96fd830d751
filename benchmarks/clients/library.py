"""The library (aioinstagram) on one of its transports: lookups, the follower walk, rate limits."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from clients import Meter, Spec, lookup_ids


def make_client(spec: Spec, **extra: Any) -> Any:
    from aioinstagram import InstagramClient

    kwargs: dict[str, Any] = {
        "access_token": spec["token"],
        "base_url": spec["base_url"],
        "transport": spec["transport"],
        "max_connections": spec.get("concurrency", 1),
    }
    kwargs.update(extra)
    return InstagramClient(**kwargs)


def _is_error(outcome: object) -> bool:
    from aioinstagram import InstagramError

    return isinstance(outcome, (InstagramError, BaseException))


async def lookups(spec: Spec, meter: Meter) -> None:
    """Relationship lookups: sequential ``get`` at concurrency 1, else ``get_many``."""
    c = spec["concurrency"]
    warm = lookup_ids(spec["warmup"], offset=10_000_000)
    ids = lookup_ids(spec["requests"])
    async with make_client(spec) as client:
        rels = client.relationships
        if c == 1:
            for uid in warm:
                await rels.get(uid)
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
        meter.start()
        results = await rels.get_many(ids, concurrency=c)
        errors = sum(1 for r in results if _is_error(r))
        meter.stop(requests=len(ids), errors=errors, results=len(results))


async def walk(spec: Spec, meter: Meter) -> None:
    """Walk all followers with ``followed_by`` (models are built and dropped one by one)."""
    async with make_client(spec) as client:
        meter.start()
        items = 0
        async for _user in client.relationships.followed_by(
            spec["user_id"], count=spec["page_size"]
        ):
            items += 1
        pages = -(-items // spec["page_size"])
        meter.stop(requests=pages, items=items)


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
    """3L lookups against a server allowing L per window, with ``rate_limit="wait"``."""
    window = spec["rate_window"]
    extra: dict[str, Any] = {"rate_limit": "wait"}
    accepted = accepted_kwargs(("rate_limit_window", "rate_limit_budget"))
    if "rate_limit_window" in accepted:
        extra["rate_limit_window"] = window
    if "rate_limit_budget" in accepted:
        extra["rate_limit_budget"] = spec["rate_limit"]
    ids = lookup_ids(3 * spec["rate_limit"])
    async with make_client(spec, **extra) as client:
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
