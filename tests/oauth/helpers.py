"""Shared by the OAuth / real-time tests: small emulators, clients over ASGI or a socket."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from aioinstagram import InstagramClient
from aioinstagram.emulator import Emulator, EmulatorConfig, serve

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "instagram-v1"
ASGI_ROOT = "http://emulator.invalid"
APP_ID = "emulator-client"
APP_SECRET = "emulator-client-secret"
REDIRECT = "http://127.0.0.1:8123/callback"
MODES = ["asgi", "socket"]


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture(name: str) -> Any:
    return json.loads(fixture_bytes(name))


class FakeClock:
    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def small_emulator(**overrides: Any) -> Emulator:
    base = EmulatorConfig(users=300, seed=7, celebrity_followers=0, rate_limit=1_000_000)
    return Emulator(dataclasses.replace(base, **overrides))


@contextlib.asynccontextmanager
async def root(emu: Emulator, mode: str) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    """(API root URL without /v1, a raw httpx client that reaches it) in either mode."""
    if mode == "asgi":
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app)) as http:
            yield ASGI_ROOT, http
    else:
        async with serve(emu) as base_url, httpx.AsyncClient() as http:
            yield base_url.removesuffix("/v1"), http


@contextlib.asynccontextmanager
async def client_for(
    emu: Emulator, mode: str, **kw: Any
) -> AsyncIterator[tuple[InstagramClient, httpx.AsyncClient]]:
    async with root(emu, mode) as (url, http):
        if mode == "asgi":
            async with InstagramClient(base_url=url + "/v1", http_client=http, **kw) as client:
                yield client, http
        else:
            async with InstagramClient(base_url=url + "/v1", **kw) as client:
                yield client, http
