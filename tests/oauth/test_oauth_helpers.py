"""The pure OAuth helpers (api doc section 1) and the code exchange against mocked answers."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from aioinstagram import (
    AccessDeniedError,
    Authorization,
    DecodeError,
    InvalidArgumentError,
    OAuthError,
    OAuthStateError,
    OAuthToken,
    OutcomeUnknownError,
    TransportError,
    authorize_url,
    exchange_code,
    new_state,
    parse_redirect,
)
from aioinstagram._oauth import exchange_form, oauth_base_url

from .helpers import fixture, fixture_bytes

CB = "https://bot.example.com/oauth/callback"


def test_authorize_url_explicit_flow_is_exact() -> None:
    url = authorize_url(client_id="CID", redirect_uri=CB, scopes=["likes", "comments"], state="xyz")
    assert url == (
        "https://api.instagram.com/oauth/authorize/?client_id=CID"
        "&redirect_uri=https%3A%2F%2Fbot.example.com%2Foauth%2Fcallback"
        "&response_type=code&scope=likes+comments&state=xyz"
    )


def test_authorize_url_implicit_flow_no_scope_and_other_base() -> None:
    url = authorize_url(
        client_id="CID",
        redirect_uri=CB,
        state="s",
        response_type="token",
        base_url="http://127.0.0.1:9/v1",
    )
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "127.0.0.1:9", "/oauth/authorize/")
    query = dict(parse_qsl(parts.query))
    assert query == {"client_id": "CID", "redirect_uri": CB, "response_type": "token", "state": "s"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"state": ""},
        {"state": None},
        {"client_id": ""},
        {"redirect_uri": "/relative"},
        {"redirect_uri": "ftp://x/"},
        {"redirect_uri": "https://x/#frag"},
        {"scopes": ["likes", "admin"]},
        {"response_type": "id_token"},
        {"state": "a\r\nb"},
    ],
)
def test_authorize_url_refuses_bad_arguments(kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {"client_id": "CID", "redirect_uri": CB, "state": "s"}
    args.update(kwargs)
    with pytest.raises(InvalidArgumentError):
        authorize_url(**args)  # type: ignore[arg-type]


def test_new_state_is_unguessable() -> None:
    states = {new_state() for _ in range(200)}
    assert len(states) == 200
    assert all(len(s) >= 43 for s in states)
    with pytest.raises(InvalidArgumentError):
        new_state(8)


def test_oauth_base_url() -> None:
    assert oauth_base_url("https://api.instagram.com/v1") == "https://api.instagram.com"
    assert oauth_base_url("http://h:1/v1/") == "http://h:1"
    assert oauth_base_url("http://h:1") == "http://h:1"


def test_parse_redirect_code_and_token() -> None:
    auth = parse_redirect(CB + "?code=abc123&state=S1", "S1")
    assert auth == Authorization(state="S1", code="abc123")
    assert "abc123" not in repr(auth)
    implicit = parse_redirect(CB + "#access_token=tok.en&state=S1", "S1")
    assert implicit.access_token == "tok.en" and implicit.code is None
    assert "tok.en" not in repr(implicit)


@pytest.mark.parametrize(
    "url",
    [
        CB + "?code=abc&state=WRONG",
        CB + "?code=abc",
        CB + "?code=abc&state=",
        CB + "?error=access_denied&error_reason=user_denied&state=other",
    ],
)
def test_parse_redirect_refuses_a_wrong_or_missing_state(url: str) -> None:
    with pytest.raises(OAuthStateError) as info:
        parse_redirect(url, "RIGHT")
    assert "abc" not in str(info.value)


def test_parse_redirect_access_denied() -> None:
    url = (
        CB + "?error=access_denied&error_reason=user_denied"
        "&error_description=The+user+denied+your+request.&state=S"
    )
    with pytest.raises(AccessDeniedError) as info:
        parse_redirect(url, "S")
    err = info.value
    assert isinstance(err, OAuthError)
    assert err.error_reason == "user_denied"
    assert err.error_message == "The user denied your request."
    assert err.error_type == "access_denied"


def test_parse_redirect_other_error_and_empty() -> None:
    with pytest.raises(OAuthError) as info:
        parse_redirect(CB + "?error=server_error&state=S", "S")
    assert not isinstance(info.value, AccessDeniedError)
    with pytest.raises(OAuthError):
        parse_redirect(CB + "?state=S", "S")


@given(st.text(min_size=1).filter(lambda s: s.strip() and not set(s) & set("\r\n\x00")))
def test_parse_redirect_roundtrips_any_state(state: str) -> None:
    from urllib.parse import urlencode

    url = CB + "?" + urlencode({"code": "c", "state": state})
    assert parse_redirect(url, state).code == "c"
    with pytest.raises(OAuthStateError):
        parse_redirect(url, state + "x")


def test_exchange_form() -> None:
    form = exchange_form("CODE", client_id="CID", client_secret="CS", redirect_uri=CB)
    assert form == [
        ("client_id", "CID"),
        ("client_secret", "CS"),
        ("grant_type", "authorization_code"),
        ("redirect_uri", CB),
        ("code", "CODE"),
    ]


@respx.mock
async def test_exchange_code_reads_the_unenveloped_answer() -> None:
    route = respx.post("https://api.instagram.com/oauth/access_token").mock(
        return_value=httpx.Response(200, content=fixture_bytes("oauth_access_token__ruby-gem.json"))
    )
    token = await exchange_code("CODE", client_id="CID", client_secret="CS", redirect_uri=CB)
    assert isinstance(token, OAuthToken)
    assert token.access_token == "at"
    assert token.user.username == "mikeyk" and token.user.id == "4"
    assert "'at'" not in repr(token)
    sent = dict(parse_qsl(route.calls.last.request.content.decode()))
    assert sent == {
        "client_id": "CID",
        "client_secret": "CS",
        "grant_type": "authorization_code",
        "redirect_uri": CB,
        "code": "CODE",
    }


@respx.mock
async def test_exchange_code_flat_error_is_typed_and_has_no_secret() -> None:
    respx.post("https://api.instagram.com/oauth/access_token").mock(
        return_value=httpx.Response(
            400, json=fixture("oauth_error_redirect-uri-mismatch__elogram.json")
        )
    )
    with pytest.raises(OAuthError) as info:
        await exchange_code("CODE", client_id="CID", client_secret="VERYSECRET", redirect_uri=CB)
    assert info.value.error_message == "Redirect URI does not match registered redirect URI"
    assert "VERYSECRET" not in str(info.value) and "CODE" not in str(info.value)


@respx.mock
async def test_exchange_code_transport_failures() -> None:
    route = respx.post("https://api.instagram.com/oauth/access_token")
    route.mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(TransportError):
        await exchange_code("C", client_id="CID", client_secret="CS", redirect_uri=CB)
    route.mock(side_effect=httpx.ReadError("reset"))
    with pytest.raises(OutcomeUnknownError):  # the code may be spent: never retried
        await exchange_code("C", client_id="CID", client_secret="CS", redirect_uri=CB)
    assert route.call_count == 2
    route.mock(return_value=httpx.Response(200, content=b"<html>"))
    with pytest.raises(DecodeError):
        await exchange_code("C", client_id="CID", client_secret="CS", redirect_uri=CB)
    route.mock(return_value=httpx.Response(200, json={"access_token": 5, "user": {}}))
    with pytest.raises(DecodeError):
        await exchange_code("C", client_id="CID", client_secret="CS", redirect_uri=CB)
