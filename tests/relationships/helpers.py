"""A scriptable in-memory API for the relationships tests (an httpx.MockTransport handler)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from aioinstagram import InstagramClient, RetryPolicy

BASE = "https://api.instagram.com/v1"
HEADERS = {"X-Ratelimit-Limit": "1000000", "X-Ratelimit-Remaining": "999999"}


def envelope(data: Any, pagination: dict[str, Any] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"meta": {"code": 200}, "data": data}
    if pagination is not None:
        doc["pagination"] = pagination
    return doc


def error(code: int, error_type: str, message: str) -> dict[str, Any]:
    return {"meta": {"code": code, "error_type": error_type, "error_message": message}}


def user(uid: int) -> dict[str, Any]:
    return {
        "id": str(uid),
        "username": f"user{uid}",
        "full_name": f"User {uid}",
        "profile_picture": f"https://example.invalid/{uid}.jpg",
    }


def json_response(status: int, doc: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(doc).encode(),
        headers={"Content-Type": "application/json", **HEADERS, **(headers or {})},
    )


def query(request: httpx.Request) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(str(request.url)).query).items()}


class Tracker:
    """Counts requests in flight through an async handler."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.peak = 0
        self.calls = 0

    def wrap(
        self, handler: Callable[[httpx.Request], httpx.Response]
    ) -> Callable[[httpx.Request], Any]:
        async def run(request: httpx.Request) -> httpx.Response:
            self.calls += 1
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            try:
                await asyncio.sleep(0)  # let other tasks start: in-flight overlap is real
                return handler(request)
            finally:
                self.in_flight -= 1

        return run


def make_client(handler: Callable[[httpx.Request], Any], **kwargs: Any) -> InstagramClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    # Tiny backoff: the tests exercise the retry logic, not the clock.
    kwargs.setdefault("retry_policy", RetryPolicy(backoff_base=0.0005, backoff_cap=0.002))
    return InstagramClient(access_token="test.token.0123456789", http_client=http, **kwargs)
