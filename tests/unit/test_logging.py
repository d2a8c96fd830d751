"""Redaction: tokens, secrets and sig values never reach logs or exception text."""

from __future__ import annotations

import logging

import httpx
import pytest
import respx

from aioinstagram import (
    APIError,
    DecodeError,
    InstagramClient,
    OutcomeUnknownError,
    TransportError,
)
from aioinstagram._logging import IN_OUR_REQUEST, RedactingFilter
from aioinstagram._protocol import Credentials, build_request

from .helpers import SECRET, TOKEN, json_response, meta_error, ok

USER = {"id": "1", "username": "a"}


def _sig_of(method: str, path: str, params: dict[str, str] | None = None) -> str:
    spec = build_request(method, path, params, credentials=Credentials(TOKEN, None, SECRET))
    return dict(spec.form if spec.form is not None else spec.query)["sig"]


def _assert_clean(text: str, *extra: str) -> None:
    assert TOKEN not in text
    assert SECRET not in text
    for value in extra:
        assert value not in text


async def test_httpx_request_line_is_redacted(
    api: respx.MockRouter, signed_client: InstagramClient, caplog: pytest.LogCaptureFixture
) -> None:
    api.get("/users/self/follows").mock(return_value=ok([USER]))
    api.post("/users/5/relationship").mock(return_value=ok({"outgoing_status": "follows"}))
    with caplog.at_level(logging.INFO, logger="httpx"):
        await signed_client._requester.request("GET", "/users/self/follows", {"count": 5})
        await signed_client.relationships.follow(5)
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert len(lines) == 2
    assert all(line.startswith("HTTP Request: ") for line in lines)
    get_sig = _sig_of("GET", "/users/self/follows", {"count": "5"})
    for line in lines:
        _assert_clean(line, get_sig)
    assert "access_token=[REDACTED]" in lines[0]
    assert "sig=[REDACTED]" in lines[0]
    assert "count=5" in lines[0]  # the rest of the line survives
    _assert_clean(caplog.text, get_sig)


async def test_redaction_survives_a_handler_on_the_httpx_logger(
    api: respx.MockRouter, client: InstagramClient
) -> None:
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(self.format(record))

    handler = Collect()
    log = logging.getLogger("httpx")
    old_level = log.level
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        api.get("/users/self").mock(return_value=ok(USER))
        await client.users.get()
    finally:
        log.removeHandler(handler)
        log.setLevel(old_level)
    assert len(seen) == 1
    _assert_clean(seen[0])


def _httpx_record() -> logging.LogRecord:
    return logging.LogRecord(
        "httpx",
        logging.INFO,
        __file__,
        1,
        "HTTP Request: %s %s",
        ("GET", f"u?access_token={TOKEN}"),
        None,
    )


def test_filter_scrubs_args_and_keeps_the_record_of_our_request() -> None:
    record = _httpx_record()
    mark = IN_OUR_REQUEST.set(True)
    try:
        assert RedactingFilter().filter(record) is True
    finally:
        IN_OUR_REQUEST.reset(mark)
    assert record.getMessage() == "HTTP Request: GET u?access_token=[REDACTED]"


def test_filter_leaves_records_of_other_requests_alone() -> None:
    record = _httpx_record()
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == f"HTTP Request: GET u?access_token={TOKEN}"


def test_filter_passes_a_broken_record_through() -> None:
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "%d", ("x",), None)
    assert RedactingFilter().filter(record) is True


async def test_api_error_text_has_no_secrets(
    api: respx.MockRouter, signed_client: InstagramClient
) -> None:
    api.get("/users/self").mock(
        return_value=json_response(400, meta_error(400, "OAuthAccessTokenException", "invalid"))
    )
    with pytest.raises(APIError) as info:
        await signed_client.users.get()
    for text in (str(info.value), repr(info.value)):
        _assert_clean(text, "access_token", "sig=")
    assert info.value.request == "GET /users/self"


async def test_transport_error_from_connect_failure_leaks_no_query(
    api: respx.MockRouter, signed_client: InstagramClient
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        # httpx messages rarely carry the URL; this one does, to prove the query is cut.
        raise httpx.ConnectError(f"cannot connect to {request.url}", request=request)

    api.get("/users/self").mock(side_effect=refuse)
    with pytest.raises(TransportError) as info:
        await signed_client.users.get()
    err = info.value
    for text in (str(err), repr(err)):
        _assert_clean(text, "access_token", "sig=", "?")
    assert err.request == "GET /users/self"
    assert "ConnectError" in str(err)


async def test_decode_error_text_has_no_secrets(
    api: respx.MockRouter, signed_client: InstagramClient
) -> None:
    api.get("/users/self").mock(return_value=ok({"id": [TOKEN], "username": SECRET}))
    with pytest.raises(DecodeError) as info:
        await signed_client.users.get()
    for text in (str(info.value), repr(info.value)):
        _assert_clean(text)


async def test_outcome_unknown_text_has_no_secrets(
    api: respx.MockRouter, signed_client: InstagramClient
) -> None:
    api.post("/media/1/comments").mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(OutcomeUnknownError) as info:
        await signed_client._requester.request(
            "POST", "/media/1/comments", {"text": "hi"}, idempotent=False
        )
    for text in (str(info.value), repr(info.value)):
        _assert_clean(text, "access_token", "sig=")
    assert "POST /media/1/comments" in str(info.value)
