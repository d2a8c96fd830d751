"""Hostile servers (issue 11): each misbehaviour ends in a typed InstagramError, within the
attempt's deadline and under the body cap, on every transport, with the token nowhere in the
error's str, repr, pickle or traceback.

No wall-clock assertion: a test that finishes proves the deadline (the servers never stop on
their own while the client keeps reading).
"""

from __future__ import annotations

import pickle
import traceback
from typing import Any

import attrs
import pytest

from aioinstagram import (
    InstagramClient,
    InstagramError,
    InvalidArgumentError,
    RequestTimeoutError,
    ResponseTooLargeError,
    TransportError,
)

from . import hostile
from .rawserver import wait_until

TOKEN = "HOSTILE-TOKEN-3f9a1c77e2"
SECRET = "HOSTILE-SECRET-b81d4e09aa"
TRANSPORTS = ["httpx", "fast", "aiohttp", "http2"]
MAX_BODY = 4 << 20

# behaviour -> (the error class every transport ends in, words its message carries)
CASES: dict[str, tuple[type[InstagramError], tuple[str, ...]]] = {
    "drip": (RequestTimeoutError, ("attempt_timeout of 1s",)),
    "interim_flood": (TransportError, ()),
    "interim_drip": (RequestTimeoutError, ("attempt_timeout of 1s",)),
    "endless_body": (ResponseTooLargeError, ("max_body_size", str(MAX_BODY))),
    "endless_chunked": (ResponseTooLargeError, ("max_body_size", str(MAX_BODY))),
    "gzip_bomb": (ResponseTooLargeError, ("max_body_size", str(MAX_BODY))),
    "invalid_gzip": (TransportError, ("GET /users/1",)),
    "endless_headers": (TransportError, ("GET /users/1",)),
    "silent": (RequestTimeoutError, ("attempt_timeout of 1s",)),
    "reflect": (TransportError, ("GET /users/1",)),
    "huge_content_length": (TransportError, ("GET /users/1",)),
}


def _client(url: str, transport: str, **kwargs: Any) -> InstagramClient:
    kwargs.setdefault("attempt_timeout", 1.0)
    return InstagramClient(
        TOKEN,
        client_secret=SECRET,
        base_url=url + "/v1",
        transport=transport,  # type: ignore[arg-type]
        timeout=30.0,  # per phase: longer than the attempt, so only the attempt can end it
        max_retries=0,
        max_body_size=MAX_BODY,
        memory_budget=4 * MAX_BODY,
        trust_env=False,
        **kwargs,
    )


def assert_no_secret(error: BaseException) -> None:
    views = [
        str(error),
        repr(error),
        "".join(traceback.format_exception(error)),
        pickle.dumps(error).decode("latin-1"),
    ]
    for view in views:
        assert TOKEN not in view
        assert SECRET not in view
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("case", sorted(CASES))
async def test_hostile_server_ends_in_a_typed_error(case: str, transport: str) -> None:
    expected, words = CASES[case]
    hostile.bomb()  # built before any deadline runs
    async with (
        hostile.hostile(getattr(hostile, case)) as server,
        _client(server.url, transport) as client,
    ):
        with pytest.raises(InstagramError) as info:
            await client.users.get("1")
    error = info.value
    assert isinstance(error, expected), (type(error), str(error))
    for word in words:
        assert word in str(error)
    if isinstance(error, ResponseTooLargeError):
        assert error.limit == MAX_BODY and error.limit_name == "max_body_size"
    assert_no_secret(error)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_query_over_64_kb_is_a_typed_error(transport: str) -> None:
    async with (
        hostile.hostile(hostile.silent) as server,
        _client(server.url, transport) as client,
    ):
        with pytest.raises(InvalidArgumentError) as info:
            await client._requester.request("GET", "/users/search", {"q": "x" * 70_000})
    # Refused before sending (parameter length limits), so no transport sees the huge line.
    assert "'q' is 70000 characters long" in str(info.value)
    assert server.connections == 0
    assert_no_secret(info.value)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_the_phase_timeout_alone_does_not_stop_a_drip(transport: str) -> None:
    # The control: the read timeout restarts with every byte, so without attempt_timeout the
    # drip is ended by call_timeout (here), never by timeout=0.5.
    async with hostile.hostile(hostile.drip) as server:
        client = InstagramClient(
            TOKEN,
            base_url=server.url + "/v1",
            transport=transport,  # type: ignore[arg-type]
            timeout=0.5,
            attempt_timeout=None,
            call_timeout=1.5,
            max_retries=0,
            trust_env=False,
        )
        async with client:
            with pytest.raises(RequestTimeoutError) as info:
                await client.users.get("1")
    assert "call_timeout of 1.5s" in str(info.value)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_timed_out_attempts_leave_no_connection_open(transport: str) -> None:
    # Each attempt that ran out of time closed its connection (the server sees it go), and
    # the retries did not pile up connections.
    async with hostile.hostile(hostile.silent) as server:
        client = _client(server.url, transport, attempt_timeout=0.3)
        client._requester.policy = attrs.evolve(
            client._requester.policy, max_retries=2, backoff_base=0.01
        )
        async with client:
            with pytest.raises(RequestTimeoutError):
                await client.users.get("1")
            assert server.connections == 3
            await wait_until(lambda: server.open_now == 0)
