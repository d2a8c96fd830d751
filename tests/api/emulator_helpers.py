"""Connect a client to an emulator, in process (ASGI) or over a real loopback socket."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx

from aioinstagram import InstagramClient, RetryPolicy
from aioinstagram.emulator import Emulator, EmulatorConfig, serve

MODES = ["asgi", "socket"]


def media_config(**overrides: Any) -> EmulatorConfig:
    base = EmulatorConfig(
        users=600, seed=7, celebrity_followers=0, rate_limit=1_000_000, big_tag_media=2_500
    )
    return dataclasses.replace(base, **overrides)


@contextlib.asynccontextmanager
async def connect(
    emu: Emulator,
    mode: str,
    *,
    user_id: str | None = None,
    token: str | None = None,
    **kw: Any,
) -> AsyncIterator[InstagramClient]:
    if "client_id" not in kw:
        kw["access_token"] = token or emu.token(user_id or emu.demo_user_id)
    kw["retry_policy"] = RetryPolicy(
        max_retries=kw.pop("max_retries", 4), backoff_base=0.001, backoff_cap=0.01
    )
    if mode == "asgi":
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app))
        async with (
            http,
            InstagramClient(
                base_url="http://emulator.invalid/v1", http_client=http, **kw
            ) as client,
        ):
            yield client
    else:
        async with serve(emu) as base_url, InstagramClient(base_url=base_url, **kw) as client:
            yield client


def public_user_with_media(emu: Emulator, *, private: bool = False, exclude: int = 0) -> int:
    """A user (public, or private and not followed by the demo user) with a few media."""
    graph = emu.graph
    demo = int(emu.demo_user_id)
    for uid in range(1, graph.users + 1):
        if uid in (demo, exclude) or graph.is_private(uid) != private:
            continue
        if private and graph.follows(demo, uid):
            continue
        if graph.has_blocked(uid, demo) or not 3 <= emu.media.media_count(uid) <= 60:
            continue
        return uid
    raise AssertionError("no suitable user")


def likeable_media(emu: Emulator, n: int) -> list[str]:
    """``n`` visible media ids the demo user has not liked yet (seeded likes included)."""
    graph, store = emu.graph, emu.media
    demo = int(emu.demo_user_id)
    out: list[str] = []
    for uid in range(1, graph.users + 1):
        if uid == demo or graph.is_private(uid) or graph.has_blocked(uid, demo):
            continue
        out.extend(p.id for p in store.posts_of(uid) if not store.has_liked(demo, p))
        if len(out) >= n:
            return out[:n]
    raise AssertionError("not enough media")
