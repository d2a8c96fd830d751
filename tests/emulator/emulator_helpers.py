"""Helpers shared by the emulator tests (imported by module name: tests/emulator is on sys.path)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from aioinstagram.emulator import Emulator, EmulatorConfig

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "instagram-v1"
BASE = "http://emulator.invalid"


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


class FakeClock:
    """A monotonic clock the tests move by hand."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def small_config(**overrides: Any) -> EmulatorConfig:
    base: dict[str, Any] = {
        "users": 300,
        "seed": 7,
        "celebrity_followers": 0,
        "rate_limit": 1_000_000,
        "relationship_limit_unsigned": 1_000_000,
        "relationship_limit_signed": 1_000_000,
    }
    base.update(overrides)
    return EmulatorConfig(**base)


def asgi_client(emulator: Emulator) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app), base_url=BASE)


class Api:
    """Tiny raw-HTTP helper: GET with the token in the query, POST with it in the form."""

    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client = client
        self.token = token

    async def get(self, path: str, **params: Any) -> httpx.Response:
        params.setdefault("access_token", self.token)
        return await self.client.get("/v1" + path, params=params)

    async def post(self, path: str, **form: Any) -> httpx.Response:
        form.setdefault("access_token", self.token)
        return await self.client.post("/v1" + path, data=form)

    async def action(self, target: int | str, action: str) -> httpx.Response:
        return await self.post(f"/users/{target}/relationship", action=action)

    async def rel(self, target: int | str) -> dict[str, Any]:
        r = await self.get(f"/users/{target}/relationship")
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()["data"]
        return data


def as_user(client: httpx.AsyncClient, emulator: Emulator, user_id: int | str) -> Api:
    return Api(client, emulator.token(user_id))


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    """(meta.code, error_type, error_message) of an error envelope; checks its shape too."""
    doc = response.json()
    assert set(doc) == {"meta"}, doc
    meta = doc["meta"]
    assert set(meta) == {"code", "error_type", "error_message"}
    assert meta["code"] == response.status_code
    return meta["code"], meta["error_type"], meta["error_message"]
