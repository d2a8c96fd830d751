"""Shared helpers of the media API tests: captures, respx answers, a fast client."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from aioinstagram import InstagramClient, RetryPolicy

BASE = "https://api.instagram.com/v1"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "instagram-v1"
TOKEN = "fb2e77d.47a0479900504cb3ab4a1f626d174d2d"
RATE_HEADERS = {"X-Ratelimit-Limit": "5000", "X-Ratelimit-Remaining": "4999"}
FAST_POLICY = RetryPolicy(max_retries=3, backoff_base=0.001, backoff_cap=0.01, deadline=10)


def capture(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return doc


#: The 2011 captures' next_url points at Instagram's dev server; the paginator rightly refuses
#: a foreign host (ForeignURLError), so tests that follow it move it onto our base URL.
DEV_SERVER = b"http://localhost:8000/publicapi/v1"


def capture_response(name: str, *, rebase: bool = True) -> httpx.Response:
    body = (FIXTURES / name).read_bytes()
    if rebase:
        body = body.replace(DEV_SERVER, BASE.encode())
    return httpx.Response(
        200,
        content=body,
        headers={"Content-Type": "application/json", **RATE_HEADERS},
    )


def envelope(data: Any, pagination: dict[str, Any] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"meta": {"code": 200}, "data": data}
    if pagination is not None:
        doc["pagination"] = pagination
    return doc


def ok(data: Any, pagination: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.Response(200, json=envelope(data, pagination), headers=RATE_HEADERS)


def error(status: int, error_type: str, message: str = "message") -> httpx.Response:
    meta = {"code": status, "error_type": error_type, "error_message": message}
    return httpx.Response(status, json={"meta": meta}, headers=RATE_HEADERS)


def media(pk: int, owner: int = 1) -> dict[str, Any]:
    return {
        "id": f"{pk}_{owner}",
        "type": "image",
        "created_time": str(1_400_000_000 + pk),
        "user": {"id": str(owner), "username": f"user{owner}"},
        "tags": [],
    }


def make_client(**kwargs: Any) -> InstagramClient:
    kwargs.setdefault("access_token", TOKEN)
    kwargs.setdefault("transport", "httpcore")  # the transport respx's default mocker patches
    kwargs.setdefault("retry_policy", FAST_POLICY)
    return InstagramClient(**kwargs)
