"""Tokens, scopes (api doc §1) and signed requests (api doc §6a)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from aioinstagram._protocol import sign, signing_endpoint
from aioinstagram.emulator import TOKEN_PREFIX, Emulator
from aioinstagram.emulator._auth import ALL_SCOPES, check_signature, make_token, parse_token

from .emulator_helpers import as_user, asgi_client, error_of, load_fixture

DOC_TOKEN = "fb2e77d.47a0479900504cb3ab4a1f626d174d2d"
DOC_SECRET = "6dc1787668c64c939929c17683d7cb74"

# api doc §6a worked examples: (endpoint, params, sig)
DOC_SIGNATURES = [
    ("/users/self", {"access_token": DOC_TOKEN},
     "cbf5a1f41db44412506cb6563a3218b50f45a710c7a8a65a3e9b18315bb338bf"),
    ("/media/657988443280050001_25025320", {"access_token": DOC_TOKEN, "count": "10"},
     "260634b241a6cfef5e4644c205fb30246ff637591142781b86e2075faf1b163a"),
    ("/users/1574083/relationship", {"access_token": DOC_TOKEN, "action": "follow"},
     "95f15d80f91b3f614f565c47b2e43179827219adeb9b75fb894cf25198737f35"),
    ("/users/self/follows", {"access_token": DOC_TOKEN, "count": "50", "cursor": "1201686"},
     "21b9d4099030781d715cd3268897707b1438309f4407f988b62e5c078690564e"),
]  # fmt: skip


# -- tokens -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "user", "scopes"),
    [
        ("emulator-12", 12, ALL_SCOPES),
        ("emulator-12.likes", 12, {"basic", "likes"}),
        (
            "emulator-12.follower_list+relationships",
            12,
            {"basic", "follower_list", "relationships"},
        ),
        (
            "emulator-12.follower_list relationships",
            12,
            {"basic", "follower_list", "relationships"},
        ),
        ("emulator-12.basic", 12, {"basic"}),
    ],
)
def test_parse_token(token: str, user: int, scopes: set[str]) -> None:
    principal = parse_token(token)
    assert principal is not None
    assert principal.user_id == user
    assert principal.scopes == scopes


@pytest.mark.parametrize(
    "token",
    ["", "emulator-", "emulator-0", "emulator-012", "emulator-12.", "emulator-12.admin",
     "emulator-x", "Emulator-12", "12", DOC_TOKEN, "emulator-12.likes+nope"],
)  # fmt: skip
def test_parse_bad_token(token: str) -> None:
    assert parse_token(token) is None


def test_make_token() -> None:
    assert make_token(5) == f"{TOKEN_PREFIX}5" == "emulator-5"
    assert make_token("5", ["likes", "comments"]) == "emulator-5.likes+comments"
    with pytest.raises(ValueError, match="unknown scopes"):
        make_token(5, ["everything"])


async def test_missing_and_invalid_tokens(client: httpx.AsyncClient, emu: Emulator) -> None:
    r = await client.get("/v1/users/self")
    assert error_of(r) == (
        400,
        "OAuthParameterException",
        "Missing client_id or access_token URL parameter.",
    )
    for token in ("nope", "emulator-999999", "emulator-3.admin"):
        r = await client.get("/v1/users/self", params={"access_token": token})
        assert error_of(r) == (
            400,
            "OAuthAccessTokenException",
            "The access_token provided is invalid.",
        )
    # The POST credential is read from the form body (api doc §1).
    r = await client.post("/v1/users/2/relationship", data={"action": "follow"})
    assert error_of(r)[1] == "OAuthParameterException"
    r = await client.post(
        "/v1/users/2/relationship", data={"action": "follow", "access_token": emu.token(1)}
    )
    assert r.status_code == 200


async def test_token_authenticates_as_its_user(client: httpx.AsyncClient, emu: Emulator) -> None:
    for uid in ("1", "17", emu.demo_user_id):
        r = await client.get("/v1/users/self", params={"access_token": emu.token(uid)})
        assert r.json()["data"]["id"] == uid


# -- scopes -------------------------------------------------------------------------------------

SCOPED_CALLS = [
    # (method, path, scope needed in the 2015 mapping)
    ("GET", "/users/self/follows", "follower_list"),
    ("GET", "/users/self/followed-by", "follower_list"),
    ("GET", "/users/self/requested-by", "follower_list"),
    ("GET", "/users/2/relationship", "follower_list"),
    ("POST", "/users/2/relationship", "relationships"),
    ("GET", "/users/2", "public_content"),
]


@pytest.mark.parametrize(("method", "path", "scope"), SCOPED_CALLS)
async def test_scopes_2015(
    client: httpx.AsyncClient, emu: Emulator, method: str, path: str, scope: str
) -> None:
    others = sorted(ALL_SCOPES - {"basic", scope})
    lacking = emu.token(1, others)
    having = emu.token(1, [scope])
    data = {"action": "follow"} if method == "POST" else {}
    for token, ok in ((lacking, False), (having, True)):
        if method == "GET":
            r = await client.get("/v1" + path, params={"access_token": token})
        else:
            r = await client.post("/v1" + path, data={**data, "access_token": token})
        if ok:
            assert r.status_code == 200, r.text
        else:
            assert error_of(r) == (
                400,
                "OAuthPermissionsException",
                f"This request requires scope={scope}, but this access token is not authorized "
                f"with this scope. The user must re-authorize your application with "
                f"scope={scope} to be granted this permissions.",
            )


async def test_basic_only_reads_own_profile_and_search(
    client: httpx.AsyncClient, emu: Emulator
) -> None:
    api = as_user(client, emu, 1)
    api.token = emu.token(1, ["basic"])
    assert (await api.get("/users/self")).status_code == 200
    assert (await api.get("/users/1")).status_code == 200
    assert (await api.get("/users/search", q="a")).status_code == 200
    assert error_of(await api.get("/users/2"))[1] == "OAuthPermissionsException"


async def test_seed_scope_mapping(make_emu: Callable[..., Emulator]) -> None:
    emu = make_emu(scopes="seed")
    async with asgi_client(emu) as client:
        api = as_user(client, emu, 1)
        api.token = emu.token(1, ["basic"])
        assert (await api.get("/users/self/follows")).status_code == 200
        assert (await api.get("/users/2/relationship")).status_code == 200
        assert (await api.get("/users/2")).status_code == 200
        r = await api.action(2, "follow")
        assert error_of(r)[1] == "OAuthPermissionsException"
        assert "scope=relationships" in error_of(r)[2]


# -- signatures ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("endpoint", "params", "sig"), DOC_SIGNATURES)
def test_check_signature_doc_examples(endpoint: str, params: dict[str, str], sig: str) -> None:
    pairs = [*params.items(), ("sig", sig)]
    assert check_signature("/" + endpoint.lstrip("/"), pairs, DOC_SECRET) is None
    assert check_signature(endpoint + ".json", pairs, DOC_SECRET) is None  # suffix not signed
    wrong = [*params.items(), ("sig", sig[:-1] + ("0" if sig[-1] != "0" else "1"))]
    assert check_signature(endpoint, wrong, DOC_SECRET) == (
        "Invalid signed-request: Signature does not match"
    )
    assert check_signature(endpoint, list(params.items()), DOC_SECRET) == (
        "Invalid signed-request: Missing required parameter 'sig'"
    )
    # A repeated sig: the last one counts (python-instagram's GETs; see emulator/_auth.py).
    assert check_signature(endpoint, [*pairs, ("sig", sig)], DOC_SECRET) is None
    assert check_signature(endpoint, [*wrong, ("sig", sig)], DOC_SECRET) is None
    assert check_signature(endpoint, [*pairs, wrong[-1]], DOC_SECRET) is not None
    # A parameter left out of the signature (the classic lat/lng mistake) is a mismatch.
    assert check_signature(endpoint, [*pairs, ("lat", "1.0")], DOC_SECRET) is not None


def _signed(path: str, params: dict[str, str], secret: str) -> dict[str, str]:
    return {**params, "sig": sign(signing_endpoint(path), params, secret)}


async def test_signed_requests_enforced(make_emu: Callable[..., Emulator]) -> None:
    secret = "s3cret"
    emu = make_emu(client_secret=secret)
    token = emu.token(emu.demo_user_id)
    async with asgi_client(emu) as client:
        params = {"access_token": token, "count": "5"}
        ok = await client.get(
            "/v1/users/self/follows", params=_signed("/users/self/follows", params, secret)
        )
        assert ok.status_code == 200
        # .json suffix and trailing slash: the signed endpoint is the bare path (api doc §6a).
        ok2 = await client.get(
            "/v1/users/self/follows.json", params=_signed("/users/self/follows", params, secret)
        )
        assert ok2.status_code == 200
        missing = await client.get("/v1/users/self/follows", params=params)
        assert error_of(missing) == (
            403,
            "OAuthForbiddenException",
            "Invalid signed-request: Missing required parameter 'sig'",
        )
        assert missing.headers["x-ratelimit-remaining"]  # headers on every answer
        wrong = await client.get(
            "/v1/users/self/follows", params=_signed("/users/self/follows", params, "other")
        )
        assert error_of(wrong) == (
            403,
            "OAuthForbiddenException",
            "Invalid signed-request: Signature does not match",
        )
        # next_url carries no sig: the client must re-sign it (api doc §2).
        nxt = ok.json()["pagination"]["next_url"]
        assert error_of(await client.get(nxt))[0] == 403
        # POST: the form fields are signed.
        form = {"access_token": token, "action": "follow"}
        post = await client.post(
            "/v1/users/2/relationship", data=_signed("/users/2/relationship", form, secret)
        )
        assert post.status_code == 200
        bad = await client.post(
            "/v1/users/2/relationship",
            data={**_signed("/users/2/relationship", form, secret), "action": "unfollow"},
        )
        assert error_of(bad)[0] == 403
        assert emu.graph.relationship(int(emu.demo_user_id), 2).outgoing_status != "none"


async def test_flat_signature_errors_match_the_capture(make_emu: Callable[..., Emulator]) -> None:
    emu = make_emu(client_secret="s3cret", flat_signature_errors=True)
    async with asgi_client(emu) as client:
        r = await client.get(
            "/v1/users/self", params={"access_token": emu.token(1), "sig": "0" * 64}
        )
    assert r.status_code == 403
    assert r.json() == load_fixture("error_signed-request-mismatch__elogram.json")
