"""Small builders for the rate-limit tests: an emulator with a given budget, and a client on it
in process (httpx.ASGITransport) or over a real loopback socket (uvicorn)."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx

from aioinstagram import InstagramClient
from aioinstagram.emulator import Emulator, EmulatorConfig, serve

MODES = ["asgi", "socket"]


def emulator(**overrides: Any) -> Emulator:
    base = EmulatorConfig(users=300, seed=11, celebrity_followers=0, rate_limit=1_000_000)
    return Emulator(dataclasses.replace(base, **overrides))


@contextlib.asynccontextmanager
async def connect(emu: Emulator, mode: str, **kw: Any) -> AsyncIterator[InstagramClient]:
    """A client of the emulator's demo user; ``kw`` go to InstagramClient unchanged."""
    token = kw.pop("access_token", None) or emu.token(emu.demo_user_id)
    if mode == "asgi":
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app))
        async with (
            http,
            InstagramClient(
                access_token=token, base_url="http://emulator.invalid/v1", http_client=http, **kw
            ) as client,
        ):
            yield client
    else:
        async with (
            serve(emu) as base_url,
            InstagramClient(access_token=token, base_url=base_url, **kw) as client,
        ):
            yield client


def strangers(emu: Emulator, n: int) -> list[str]:
    """Users the demo user does not follow and has no pending request with."""
    graph = emu.graph
    viewer = int(emu.demo_user_id)
    out: list[str] = []
    for uid in graph.iter_user_ids():
        if uid == viewer or graph.follows(viewer, uid) or graph.has_requested(viewer, uid):
            continue
        if graph.has_blocked(uid, viewer) or graph.has_blocked(viewer, uid):
            continue
        out.append(str(uid))
        if len(out) == n:
            break
    return out
