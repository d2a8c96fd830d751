"""The emulator's OAuth flow for real (api doc section 1), in process and over a socket, driven
by the library's helpers: consent page, redirect with a code or the denial, the code exchange,
tokens carrying exactly the granted scopes, and the failures the API gave."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from aioinstagram import (
    AccessDeniedError,
    InstagramClient,
    OAuthError,
    OAuthPermissionsError,
    OAuthStateError,
    authorize_url,
    exchange_code,
    new_state,
    parse_redirect,
)
from aioinstagram.emulator import Emulator
from aioinstagram.emulator._auth import OAuthApp

from .helpers import APP_ID, APP_SECRET, MODES, REDIRECT, FakeClock, root, small_emulator


async def consent(
    http: httpx.AsyncClient,
    base: str,
    *,
    scopes: list[str],
    state: str,
    decision: str = "allow",
    response_type: str = "code",
    user_id: str | None = None,
    redirect_uri: str = REDIRECT,
) -> str:
    """Open the consent page, submit it; return the redirect Location."""
    url = authorize_url(
        client_id=APP_ID,
        redirect_uri=redirect_uri,
        scopes=scopes,
        state=state,
        response_type=response_type,  # type: ignore[arg-type]
        base_url=base,
    )
    page = await http.get(url)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "Authorization Request" in page.text and 'name="decision"' in page.text
    form = dict(parse_qsl(urlsplit(url).query))
    form["decision"] = decision
    if user_id is not None:
        form["user_id"] = user_id
    answer = await http.post(base + "/oauth/authorize/", data=form)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


@pytest.mark.parametrize("mode", MODES)
async def test_explicit_flow_issues_a_token_with_exactly_the_granted_scopes(mode: str) -> None:
    emu = small_emulator()
    async with root(emu, mode) as (base, http):
        state = new_state()
        location = await consent(http, base, scopes=["follower_list"], state=state)
        assert location.startswith(REDIRECT + "?code=")
        auth = parse_redirect(location, state)
        assert auth.code is not None
        token = await exchange_code(
            auth.code,
            client_id=APP_ID,
            client_secret=APP_SECRET,
            redirect_uri=REDIRECT,
            base_url=base + "/v1",
            http_client=http,
        )
        assert token.user.id == emu.demo_user_id
        kw: dict[str, Any] = {"http_client": http} if mode == "asgi" else {}
        async with InstagramClient(token.access_token, base_url=base + "/v1", **kw) as client:
            assert (await client.users.get("self")).id == emu.demo_user_id
            target = emu.sample_user_ids(3)[-1]
            await client.relationships.get(target)  # follower_list: granted
            with pytest.raises(OAuthPermissionsError, match="scope=relationships"):
                await client.relationships.follow(target)  # not granted
        # The code worked once.
        with pytest.raises(OAuthError, match="already used"):
            await exchange_code(
                auth.code,
                client_id=APP_ID,
                client_secret=APP_SECRET,
                redirect_uri=REDIRECT,
                base_url=base,
                http_client=http,
            )


async def test_a_token_with_the_relationships_scope_may_follow() -> None:
    emu = small_emulator()
    async with root(emu, "asgi") as (base, http):
        location = await consent(http, base, scopes=["relationships"], state="s", user_id="5")
        code = parse_redirect(location, "s").code
        assert code is not None
        token = await exchange_code(
            code, client_id=APP_ID, client_secret=APP_SECRET, redirect_uri=REDIRECT,
            base_url=base, http_client=http,
        )  # fmt: skip
        assert token.user.id == "5"
        async with InstagramClient(
            token.access_token, base_url=base + "/v1", http_client=http
        ) as client:
            rel = await client.relationships.follow("6")
            assert rel.outgoing_status is not None
        assert 5 in emu.oauth.authorized[APP_ID]


@pytest.mark.parametrize("mode", MODES)
async def test_denial_redirects_with_the_denial_parameters(mode: str) -> None:
    emu = small_emulator()
    async with root(emu, mode) as (base, http):
        location = await consent(http, base, scopes=[], state="st", decision="deny")
        query = dict(parse_qsl(urlsplit(location).query))
        assert query == {
            "error": "access_denied",
            "error_reason": "user_denied",
            "error_description": "The user denied your request.",
            "state": "st",
        }
        with pytest.raises(AccessDeniedError) as info:
            parse_redirect(location, "st")
        assert info.value.error_reason == "user_denied"
        with pytest.raises(OAuthStateError):
            parse_redirect(location, "forged")


async def test_implicit_flow_returns_the_token_in_the_fragment() -> None:
    emu = small_emulator()
    async with root(emu, "asgi") as (base, http):
        location = await consent(http, base, scopes=["likes"], state="s", response_type="token")
        assert "#access_token=" in location and "?" not in location
        auth = parse_redirect(location, "s")
        assert auth.access_token == emu.token(emu.demo_user_id, ["basic", "likes"])


async def exchange(http: httpx.AsyncClient, base: str, **form: str) -> httpx.Response:
    full = {
        "client_id": APP_ID,
        "client_secret": APP_SECRET,
        "grant_type": "authorization_code",
        "redirect_uri": REDIRECT,
        "code": "nope",
    }
    full.update(form)
    return await http.post(base + "/oauth/access_token", data=full)


async def test_access_token_failures_are_flat_oauth_errors() -> None:
    clock = FakeClock()
    emu = small_emulator(clock=clock, oauth_code_ttl=60)
    async with root(emu, "asgi") as (base, http):
        code = parse_redirect(await consent(http, base, scopes=[], state="s"), "s").code
        assert code is not None
        cases = {
            "client_secret": ("wrong", "Invalid Client Secret"),
            "client_id": ("other", "does not match a valid application"),
            "grant_type": ("password", "grant_type"),
        }
        for field, (value, message) in cases.items():
            answer = await exchange(http, base, code=code, **{field: value})
            assert answer.status_code == 400
            body = answer.json()
            assert body["error_type"] == "OAuthException" and "meta" not in body
            assert message in body["error_message"]
        missing = await exchange(http, base, code="")
        assert "You must provide a code" in missing.json()["error_message"]
        # A redirect_uri other than the code's (still a registered one) fails as captured.
        other = await exchange(http, base, code=code, redirect_uri="http://127.0.0.1:8123/else")
        assert other.json()["error_message"] == (
            "Redirect URI does not match registered redirect URI"
        )
        # Expired codes fail like used ones.
        code2 = parse_redirect(await consent(http, base, scopes=[], state="s"), "s").code
        assert code2 is not None
        clock.now += 61
        expired = await exchange(http, base, code=code2)
        assert expired.json()["error_message"] == (
            "Matching code was not found or was already used."
        )


async def test_authorize_refuses_unregistered_redirects_clients_and_scopes() -> None:
    app = OAuthApp("bot", "bot-secret", ("https://bot.example.com/cb",))
    emu = small_emulator(apps=(app,))
    async with root(emu, "asgi") as (base, http):

        def url(**kw: str) -> str:
            params = {
                "client_id": "bot",
                "redirect_uri": "https://bot.example.com/cb/x",
                "response_type": "code",
                "state": "s",
            }
            params.update(kw)
            return base + "/oauth/authorize/?" + httpx.QueryParams(params).__str__()

        assert (await http.get(url())).status_code == 200  # a path below the registered one
        for kw, message in [
            ({"redirect_uri": "https://evil.example.com/cb"}, "Redirect URI does not match"),
            ({"redirect_uri": "http://bot.example.com/cb"}, "Redirect URI does not match"),
            ({"redirect_uri": "https://bot.example.com/other"}, "Redirect URI does not match"),
            ({"client_id": "emulator-client"}, "does not match a valid application"),
            ({"scope": "likes admin"}, "Invalid scope"),
            ({"response_type": "magic"}, "response_type"),
        ]:
            answer = await http.get(url(**kw))
            assert answer.status_code == 400
            assert message in answer.json()["error_message"], kw


def test_loopback_redirects_accept_any_port() -> None:
    from aioinstagram.emulator._auth import redirect_uri_matches

    registered = ("http://127.0.0.1/", "https://app.example.com:8443/cb")
    assert redirect_uri_matches("http://127.0.0.1:51234/callback", registered)
    assert redirect_uri_matches("https://app.example.com:8443/cb?x=1", registered)
    assert not redirect_uri_matches("https://app.example.com/cb", registered)
    assert not redirect_uri_matches("http://127.0.0.2:5/", registered)
    assert not redirect_uri_matches("http://127.0.0.1:99999/", registered)


def test_emulator_is_built_without_oauth_traffic() -> None:
    emu = Emulator(users=50, seed=1, celebrity_followers=0)
    assert emu.oauth.authorized == {"emulator-client": set()}
