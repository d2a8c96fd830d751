"""Signed requests (api doc section 6a), X-Insta-Forwarded-For (6b) and X-Hub-Signature (7)."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl

import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from aioinstagram import InstagramClient, sign, verify_hub_signature
from aioinstagram._protocol import (
    Credentials,
    build_request,
    sign_forwarded_for,
    signing_endpoint,
)

from .helpers import SECRET, TOKEN, envelope, fixture_bytes

# endpoint, method, params (besides access_token), sig; all four rows of section 6a.
SIG_EXAMPLES = [
    pytest.param(
        "/users/self",
        "GET",
        {},
        "cbf5a1f41db44412506cb6563a3218b50f45a710c7a8a65a3e9b18315bb338bf",
        id="users-self",
    ),
    pytest.param(
        "/media/657988443280050001_25025320",
        "GET",
        {"count": "10"},
        "260634b241a6cfef5e4644c205fb30246ff637591142781b86e2075faf1b163a",
        id="media-count",
    ),
    pytest.param(
        "/users/1574083/relationship",
        "POST",
        {"action": "follow"},
        "95f15d80f91b3f614f565c47b2e43179827219adeb9b75fb894cf25198737f35",
        id="relationship-post",
    ),
    pytest.param(
        "/users/self/follows",
        "GET",
        {"count": "50", "cursor": "1201686"},
        "21b9d4099030781d715cd3268897707b1438309f4407f988b62e5c078690564e",
        id="follows-cursor",
    ),
]


@pytest.mark.parametrize(("endpoint", "method", "params", "expected"), SIG_EXAMPLES)
def test_sign_worked_examples(
    endpoint: str, method: str, params: dict[str, str], expected: str
) -> None:
    assert sign(endpoint, {"access_token": TOKEN, **params}, SECRET) == expected


@pytest.mark.parametrize(("endpoint", "method", "params", "expected"), SIG_EXAMPLES)
def test_sign_ignores_param_order_and_existing_sig(
    endpoint: str, method: str, params: dict[str, str], expected: str
) -> None:
    pairs = [*reversed(list(params.items())), ("sig", "stale"), ("access_token", TOKEN)]
    assert sign(endpoint, pairs, SECRET) == expected


@pytest.mark.parametrize(("endpoint", "method", "params", "expected"), SIG_EXAMPLES)
def test_build_request_carries_the_worked_example_sig(
    endpoint: str, method: str, params: dict[str, str], expected: str
) -> None:
    spec = build_request(method, endpoint, params, credentials=Credentials(TOKEN, None, SECRET))
    if method == "POST":
        assert spec.query == ()
        assert spec.form is not None
        sent = dict(spec.form)
    else:
        assert spec.form is None
        sent = dict(spec.query)
    assert sent == {"access_token": TOKEN, **params, "sig": expected}


@pytest.mark.parametrize("suffix", ["", ".json", "/"])
def test_signing_endpoint_drops_json_suffix_and_trailing_slash(suffix: str) -> None:
    assert signing_endpoint("/users/self/follows" + suffix) == "/users/self/follows"


def test_build_request_without_secret_has_no_sig() -> None:
    spec = build_request("GET", "/users/self", credentials=Credentials(TOKEN))
    assert spec.query == (("access_token", TOKEN),)


def test_build_request_with_client_id_only() -> None:
    spec = build_request("GET", "/media/popular", credentials=Credentials(None, "CID"))
    assert spec.query == (("client_id", "CID"),)


def test_post_puts_credential_and_params_in_the_form() -> None:
    spec = build_request(
        "post", "/users/1/relationship", {"action": "follow"}, credentials=Credentials(TOKEN)
    )
    assert spec.method == "POST"
    assert spec.query == ()
    assert spec.form == (("access_token", TOKEN), ("action", "follow"))
    assert spec.idempotent is False


@pytest.mark.parametrize(("method", "expected"), [("GET", True), ("DELETE", True), ("POST", False)])
def test_default_idempotency_by_method(method: str, expected: bool) -> None:
    spec = build_request(method, "/media/1/likes", credentials=Credentials(TOKEN))
    assert spec.idempotent is expected


def test_none_params_are_dropped_and_bools_spelled() -> None:
    spec = build_request(
        "GET", "/users/search", {"q": "a", "count": None, "x": True}, credentials=Credentials(TOKEN)
    )
    assert dict(spec.query) == {"access_token": TOKEN, "q": "a", "x": "true"}


@pytest.mark.parametrize("key", ["access_token", "client_id", "client_secret", "sig"])
def test_credential_params_cannot_be_passed_per_call(key: str) -> None:
    from aioinstagram import InvalidArgumentError

    with pytest.raises(InvalidArgumentError):
        build_request("GET", "/users/self", {key: "x"}, credentials=Credentials(TOKEN))


async def test_signed_client_sends_worked_example_sigs(
    api: respx.MockRouter, signed_client: InstagramClient
) -> None:
    get = api.get("/users/self").mock(
        return_value=httpx.Response(200, json=envelope({"id": "1", "username": "a"}))
    )
    post = api.post("/users/1574083/relationship").mock(
        return_value=httpx.Response(200, json=envelope({"outgoing_status": "follows"}))
    )
    await signed_client.users.get("self")
    await signed_client.relationships.follow("1574083")

    get_query = dict(get.calls.last.request.url.params)
    assert get_query == {
        "access_token": TOKEN,
        "sig": "cbf5a1f41db44412506cb6563a3218b50f45a710c7a8a65a3e9b18315bb338bf",
    }
    post_request = post.calls.last.request
    assert post_request.url.query == b""
    assert post_request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert dict(parse_qsl(post_request.content.decode())) == {
        "access_token": TOKEN,
        "action": "follow",
        "sig": "95f15d80f91b3f614f565c47b2e43179827219adeb9b75fb894cf25198737f35",
    }


@given(
    endpoint=st.from_regex(r"\A(/[a-z0-9_]{1,8}){1,4}\Z"),
    params=st.dictionaries(
        st.text("abcdefghij_", min_size=1, max_size=6).filter(lambda k: k != "sig"),
        st.text(max_size=12),
        max_size=5,
    ),
)
def test_sign_matches_the_reference_algorithm(endpoint: str, params: dict[str, str]) -> None:
    message = endpoint + "".join(f"|{k}={params[k]}" for k in sorted(params))
    reference = hmac.new(SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()
    assert sign(endpoint, params, SECRET) == reference


# -- X-Insta-Forwarded-For (section 6b) -------------------------------------------------------


@pytest.mark.parametrize(
    ("ips", "expected"),
    [
        (
            "127.0.0.1",
            "127.0.0.1|efa694d61d03eedf2c0d761c18531455caeba5b50f7d2ba812d68405a045f833",
        ),
        (
            "200.15.1.1,131.51.1.35",
            "200.15.1.1,131.51.1.35|"
            "13cb27eee318a5c88f4456bae149d806437fb37ba9f52fac0b1b7d8c234e6cee",
        ),
    ],
)
def test_sign_forwarded_for_worked_examples(ips: str, expected: str) -> None:
    assert sign_forwarded_for(ips, SECRET) == expected


# -- X-Hub-Signature (section 7) ----------------------------------------------------------------

HUB_BODY = fixture_bytes("realtime_update_payload__ruby-gem.json")
HUB_SIG = "f1dbe2b6184ac2131209c87bba8e0382d089a8a2"


def test_hub_fixture_is_the_documented_bytes() -> None:
    assert len(HUB_BODY) == 263
    assert not HUB_BODY.endswith(b"\n")


@pytest.mark.parametrize("signature", [HUB_SIG, HUB_SIG.upper(), f" {HUB_SIG}\n"])
def test_hub_signature_test_vector(signature: str) -> None:
    assert verify_hub_signature(HUB_BODY, signature, "CS") is True


@pytest.mark.parametrize(
    ("body", "signature", "secret"),
    [
        pytest.param(HUB_BODY, HUB_SIG, "cs", id="wrong-secret"),
        pytest.param(HUB_BODY + b"\n", HUB_SIG, "CS", id="body-changed"),
        pytest.param(HUB_BODY, "sha1=" + HUB_SIG, "CS", id="graph-api-prefix"),
        pytest.param(HUB_BODY, HUB_SIG[:-1], "CS", id="truncated"),
        pytest.param(HUB_BODY, "", "CS", id="empty"),
    ],
)
def test_hub_signature_rejects(body: bytes, signature: str, secret: str) -> None:
    assert verify_hub_signature(body, signature, secret) is False


def test_hub_signature_with_non_ascii_header_is_false() -> None:
    assert verify_hub_signature(HUB_BODY, "é" * 40, "CS") is False


_unreserved = st.from_regex(r"[A-Za-z0-9_.~-]{0,12}", fullmatch=True)


@given(st.lists(st.tuples(st.text(max_size=8) | _unreserved, st.text() | _unreserved), max_size=5))
def test_encode_query_is_urlencode(pairs: list[tuple[str, str]]) -> None:
    from urllib.parse import urlencode

    from aioinstagram._protocol import encode_query

    assert encode_query(pairs) == urlencode(pairs)
