"""Argument validation, following a server-given next_url safely, and redaction."""

from __future__ import annotations

import pytest

from aioinstagram import ForeignURLError, InvalidArgumentError, PaginationError
from aioinstagram._protocol import (
    Credentials,
    build_request,
    resolve_next_url,
    validate_count,
    validate_cursor,
    validate_user_id,
)
from aioinstagram._redact import redact

from .helpers import BASE, SECRET, TOKEN


@pytest.mark.parametrize(
    ("value", "expected"),
    [("self", "self"), ("1574083", "1574083"), (0, "0"), (4, "4"), ("0042", "0042")],
)
def test_valid_user_ids(value: object, expected: str) -> None:
    assert validate_user_id(value) == expected


BAD_USER_IDS = [
    "../media",
    "1/relationship?x=",
    "1#x",
    "",
    -1,
    True,
    False,
    "1 ",
    " 1",
    "1\n",
    "SELF",
    "self/",
    "1.5",
    1.0,
    None,
    "١٢",  # Arabic-Indic digits: str.isdigit() is True, the path would not be
    "%2e%2e",
    b"1",
    "1" * 41,
]


@pytest.mark.parametrize("value", BAD_USER_IDS, ids=repr)
def test_invalid_user_ids(value: object) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        validate_user_id(value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(("value", "expected"), [(None, None), (1, 1), (50, 50)])
def test_valid_counts(value: object, expected: int | None) -> None:
    assert validate_count(value) == expected


@pytest.mark.parametrize("value", [0, -1, True, "10", 1.5])
def test_invalid_counts(value: object) -> None:
    with pytest.raises(InvalidArgumentError):
        validate_count(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("1201686", "1201686"), (1201686, "1201686"), ("a b", "a b")],
)
def test_valid_cursors(value: object, expected: str | None) -> None:
    assert validate_cursor(value) == expected


@pytest.mark.parametrize("value", ["", "1\r\nHost: evil", "a\x00", True, 1.5, ["1"]])
def test_invalid_cursors(value: object) -> None:
    with pytest.raises(InvalidArgumentError):
        validate_cursor(value)


@pytest.mark.parametrize(
    "path",
    ["users/self", "/users/../media", "/users/./self", "/users/self?x=1", "/users/self#x", "/", ""],
)
def test_build_request_refuses_bad_paths(path: str) -> None:
    with pytest.raises(InvalidArgumentError):
        build_request("GET", path, credentials=Credentials(TOKEN))


# -- next_url ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "next_url",
    [
        pytest.param("https://evil.example/v1/users/self/follows?cursor=1", id="other-host"),
        pytest.param("https://api.instagram.com.evil.example/v1/users/self", id="host-suffix"),
        pytest.param("https://evil.example@x.example/v1/users/self", id="userinfo-trick"),
        pytest.param("http://api.instagram.com/v1/users/self/follows", id="other-scheme"),
        pytest.param("ftp://api.instagram.com/v1/users/self", id="ftp"),
        pytest.param("https://api.instagram.com:8443/v1/users/self", id="other-port"),
        pytest.param("https://api.instagram.com/oauth/access_token", id="outside-v1"),
        pytest.param("https://api.instagram.com/v2/users/self", id="other-version"),
        pytest.param("https://api.instagram.com/v1x/users/self", id="prefix-lookalike"),
        pytest.param("https://api.instagram.com/v1/../oauth/x", id="dotdot-escape"),
        pytest.param("https://api.instagram.com/v1/users/../media/1", id="dotdot-inside"),
        pytest.param("https://api.instagram.com/v1/users/./self", id="dot"),
        pytest.param("https://api.instagram.com/v1/users/self/..", id="trailing-dotdot"),
        pytest.param("//evil.example/v1/users/self", id="scheme-relative"),
        pytest.param("/v1/users/self", id="relative"),
        pytest.param(
            "http://localhost:8000/publicapi/v1/users/4/follows/users?cursor=1201686",
            id="dev-server-fixture",
        ),
    ],
)
def test_foreign_next_url_is_refused(next_url: str) -> None:
    with pytest.raises(ForeignURLError) as info:
        resolve_next_url(next_url, BASE)
    assert isinstance(info.value, PaginationError)


@pytest.mark.parametrize(
    "next_url",
    [
        "https://api.instagram.com/v1/%2e%2e/oauth/access_token",
        "https://api.instagram.com/v1/users/%2E%2E/media/1",
        "https://api.instagram.com/v1/users/.%2e/media/1",
    ],
)
def test_percent_encoded_dot_segments_are_refused(next_url: str) -> None:
    with pytest.raises(ForeignURLError):
        resolve_next_url(next_url, BASE)


def test_next_url_with_invalid_port_is_foreign() -> None:
    with pytest.raises(ForeignURLError):
        resolve_next_url("https://api.instagram.com:99999/v1/users/self", BASE)


def test_same_host_next_url_has_credentials_stripped() -> None:
    url = (
        f"{BASE}/users/self/follows?cursor=1201686&access_token={TOKEN}"
        f"&client_id=CID&sig=deadbeef&client_secret={SECRET}&count=50"
    )
    path, params = resolve_next_url(url, BASE)
    assert path == "/users/self/follows"
    assert params == [("cursor", "1201686"), ("count", "50")]


@pytest.mark.parametrize(
    "next_url",
    [
        "https://API.Instagram.COM/v1/users/self/follows?cursor=5",
        "https://api.instagram.com:443/v1/users/self/follows?cursor=5",
        "HTTPS://api.instagram.com/v1/users/self/follows?cursor=5#frag",
    ],
)
def test_equivalent_origins_are_accepted(next_url: str) -> None:
    assert resolve_next_url(next_url, BASE) == ("/users/self/follows", [("cursor", "5")])


def test_next_url_keeps_echoed_params_and_blank_values() -> None:
    path, params = resolve_next_url(f"{BASE}/tags/puppy/media/recent?max_tag_id=9&q=", BASE)
    assert path == "/tags/puppy/media/recent"
    assert params == [("max_tag_id", "9"), ("q", "")]


def test_next_url_against_a_local_base_with_port() -> None:
    base = "http://127.0.0.1:8765/v1"
    assert resolve_next_url("http://127.0.0.1:8765/v1/users/self/follows?cursor=2", base) == (
        "/users/self/follows",
        [("cursor", "2")],
    )
    with pytest.raises(ForeignURLError):
        resolve_next_url("http://127.0.0.1:8766/v1/users/self/follows", base)


# -- redaction -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"GET {BASE}/users/self?access_token={TOKEN}",
        f"GET {BASE}/users/self?count=5&access_token={TOKEN}&sig=abc123",
        f'HTTP Request: GET {BASE}/users/self?access_token={TOKEN} "HTTP/1.1 200 OK"',
        f"POST body client_id=CID&client_secret={SECRET}&code=XYZ",
        f"ACCESS_TOKEN={TOKEN}",
    ],
)
def test_redact_scrubs_credential_values(text: str) -> None:
    clean = redact(text)
    assert TOKEN not in clean
    assert SECRET not in clean
    assert "abc123" not in clean
    assert "XYZ" not in clean
    assert "[REDACTED]" in clean


def test_redact_scrubs_literal_secrets_anywhere() -> None:
    clean = redact(f"token {TOKEN} in a header, secret {SECRET}", [TOKEN, SECRET])
    assert clean == "token [REDACTED] in a header, secret [REDACTED]"


def test_redact_leaves_other_text_alone() -> None:
    text = f"GET {BASE}/users/self/follows?cursor=1201686&count=50"
    assert redact(text, [TOKEN]) == text
