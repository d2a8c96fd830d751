"""Shared constants and small builders for the unit tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from aioinstagram import InstagramClient, RetryPolicy

BASE = "https://api.instagram.com/v1"
# The captured responses, kept in the repository (provenance: their README.md).
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "instagram-v1"

# The api doc's worked-example credentials (section 6a).
TOKEN = "fb2e77d.47a0479900504cb3ab4a1f626d174d2d"
SECRET = "6dc1787668c64c939929c17683d7cb74"

RATE_HEADERS = {"X-Ratelimit-Limit": "5000", "X-Ratelimit-Remaining": "4999"}


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def envelope(data: Any, pagination: dict[str, Any] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"meta": {"code": 200}, "data": data}
    if pagination is not None:
        doc["pagination"] = pagination
    return doc


def meta_error(code: int, error_type: str, message: str = "message") -> dict[str, Any]:
    return {"meta": {"code": code, "error_type": error_type, "error_message": message}}


def ok(data: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(200, json=envelope(data), headers={**RATE_HEADERS, **(headers or {})})


def json_response(status: int, doc: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(doc).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def user(uid: int | str) -> dict[str, Any]:
    return {"id": str(uid), "username": f"user{uid}"}


FAST_POLICY = RetryPolicy(max_retries=3, backoff_base=0.001, backoff_cap=0.01, deadline=10)


def make_client(**kwargs: Any) -> InstagramClient:
    """A client whose retries wait at most 10 ms (the tests exercise logic, not the clock)."""
    kwargs.setdefault("access_token", TOKEN)
    if "http_client" not in kwargs:
        kwargs.setdefault("transport", "httpcore")  # the transport respx's default mocker patches
    kwargs.setdefault("retry_policy", FAST_POLICY)
    return InstagramClient(**kwargs)
