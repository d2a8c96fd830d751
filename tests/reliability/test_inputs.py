"""Item 7 of issue 11 and the small defects of issue 10: inputs that must be refused, each
with a clear InvalidArgumentError (also a ValueError) before anything is sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from aioinstagram import APIError, InstagramClient, InvalidArgumentError
from aioinstagram._protocol import (
    MAX_PARAM_LENGTH,
    Credentials,
    build_request,
    validate_base_url,
    validate_cursor,
)

TOKEN = "fb2e77d.47a0479900504cb3ab4a1f626d174d2d"
BASE = "https://api.instagram.com/v1"
MEGA = "a" * 1_000_000


@pytest.mark.parametrize(
    ("base_url", "says"),
    [
        ("http://[::1", "not a valid URL"),  # was an UnboundLocalError
        ("http://[::1]:99999/v1", "not a valid URL"),
        ("https://api.instagram.com/v1 ", "position 28"),
        ("https://api.instagram.com/v1\r\nX: y", "'\\r'"),
        ("https://api.instagram.com/v 1", "' '"),
        ("https://api.instagram.com/v1\t", "'\\t'"),
        ("https://api.instagram.com/vé/v1", "non-ASCII"),
        ("https://bücher.example/v1", "punycode"),
        ("https://user:pw@api.instagram.com/v1", "user name or password"),
        ("https://api.instagram.com", "Did you mean 'https://api.instagram.com/v1'?"),
        ("http://127.0.0.1:8000/", "Did you mean 'http://127.0.0.1:8000/v1'?"),
        ("https://api.instagram.com/v2", "must end with the API version /v1"),
        ("https://api.instagram.com/a/../v1", "unusual path"),
        ("https://api.instagram.com:0/v1", "port 0"),
        ("https://" + "a" * 3000 + ".com/v1", "characters long"),
    ],
)
def test_bad_base_url_is_refused_with_a_reason(base_url: str, says: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        InstagramClient(TOKEN, base_url=base_url)
    assert says in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "base_url",
    [
        "https://api.instagram.com/v1",
        "https://api.instagram.com/v1/",
        "http://127.0.0.1:8080/v1",
        "http://[::1]:8080/v1",
        "https://proxy.example/instagram/v1",
        "https://xn--bcher-kva.example/v1",
    ],
)
def test_good_base_url_is_kept(base_url: str) -> None:
    assert validate_base_url(base_url) == base_url.rstrip("/")


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"access_token": MEGA}, "1000000 characters long"),
        ({"client_secret": MEGA}, "1000000 characters long"),
        ({"client_id": MEGA}, "1000000 characters long"),
        ({"access_token": TOKEN + "\n"}, "printable ASCII"),
        ({"access_token": "tök" + TOKEN}, "printable ASCII"),
        ({"access_token": "\ud800" + TOKEN}, "printable ASCII"),
    ],
)
def test_bad_credentials_are_refused_without_quoting_them(
    kwargs: dict[str, Any], says: str
) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        InstagramClient(**{"access_token": TOKEN, **kwargs})
    assert says in str(info.value)
    assert len(str(info.value)) < 200
    assert TOKEN not in str(info.value)


@pytest.mark.parametrize(
    ("cursor", "says"),
    [
        (MEGA, "1000000 characters long"),
        ("abc\ud800", "not valid text"),
        ("", "non-empty string"),
        ("a\r\nb", "non-empty string"),
    ],
)
def test_bad_cursor_is_refused_with_a_short_message(cursor: str, says: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        validate_cursor(cursor)
    assert says in str(info.value)
    assert len(str(info.value)) < 200


async def test_no_megabyte_request_is_sent() -> None:
    with respx.mock(base_url=BASE, assert_all_called=False) as api:
        route = api.route()
        async with InstagramClient(TOKEN, http_client=httpx.AsyncClient()) as client:
            calls: tuple[Callable[[], Awaitable[object]], ...] = (
                lambda: client.users.search(MEGA),
                lambda: client.users.search("x" * (MAX_PARAM_LENGTH + 1)),
                lambda: client.users.search("lone \udfff surrogate"),
                lambda: client.relationships.followed_by(cursor=MEGA).collect(),
            )
            for call in calls:
                with pytest.raises(InvalidArgumentError) as info:
                    await call()
                assert len(str(info.value)) < 200
        assert route.call_count == 0


def test_all_parameters_together_are_bounded() -> None:
    params = {f"p{i}": "v" * 2000 for i in range(5)}
    with pytest.raises(InvalidArgumentError, match="add up to"):
        build_request("GET", "/users/search", params, credentials=Credentials(TOKEN))


@given(st.text(max_size=300))
def test_property_any_text_argument_is_sent_or_refused_cleanly(text: str) -> None:
    try:
        spec = build_request("GET", "/users/search", {"q": text}, credentials=Credentials(TOKEN))
    except InvalidArgumentError:
        assert any(0xD800 <= ord(c) <= 0xDFFF for c in text)
        return
    assert dict(spec.query)["q"] == text
    httpx.URL(BASE + spec.path, params=spec.query)  # httpx can encode it


@pytest.mark.parametrize("status", [301, 302, 303, 304, 307, 308])
async def test_a_redirect_is_never_a_success_even_with_an_envelope(status: int) -> None:
    body = {"meta": {"code": 200}, "data": {"id": "1", "username": "a"}}
    location = f"https://elsewhere.example/v1/users/self?access_token={TOKEN}"
    with respx.mock(base_url=BASE) as api:
        api.get("/users/self").mock(
            return_value=httpx.Response(status, json=body, headers={"Location": location})
        )
        async with InstagramClient(TOKEN, http_client=httpx.AsyncClient()) as client:
            with pytest.raises(APIError) as info:
                await client.users.get()
    err = info.value
    assert err.status_code == status
    assert f"HTTP {status} redirect to 'https://elsewhere.example/v1/users/self'" in str(err)
    assert TOKEN not in str(err) and "access_token" not in str(err)
