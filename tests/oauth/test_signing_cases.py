"""What the clients of the era sent when signing, and what the emulator (like the API) answers
(api doc section 6; the evidence is summarised in ``emulator/_auth.py``), and the signed
``X-Insta-Forwarded-For`` header (api doc section 6b)."""

from __future__ import annotations

import pytest

from aioinstagram import InstagramClient, OAuthForbiddenError, RateLimitError
from aioinstagram._protocol import (
    Credentials,
    build_request,
    forwarded_for_headers,
    sign,
    sign_forwarded_for,
)
from aioinstagram.emulator._auth import check_forwarded_for

from .helpers import APP_SECRET, MODES, client_for, small_emulator

SECRET = "s3cret"
V1 = "http://emulator.invalid/v1"
DOC_SECRET = "6dc1787668c64c939929c17683d7cb74"


async def test_python_instagram_style_requests() -> None:
    emu = small_emulator(client_secret=SECRET)
    token = emu.token(emu.demo_user_id)
    async with client_for(emu, "asgi") as (_, http):
        # 1. The .json form of the path, signed as sent: accepted.
        sig = sign("/users/self/follows.json", {"access_token": token, "count": "5"}, SECRET)
        r = await http.get(
            V1 + "/users/self/follows.json",
            params={"access_token": token, "count": "5", "sig": sig},
        )
        assert r.status_code == 200, r.text
        # 2. Two sig parameters on a GET (one over no parameters, then one over all): the last
        #    one is checked, and it is right.
        first = sign("/users/self/follows.json", {"access_token": token}, SECRET)
        r = await http.get(
            V1 + "/users/self/follows.json",
            params=[("access_token", token), ("sig", first), ("count", "5"), ("sig", sig)],
        )
        assert r.status_code == 200, r.text
        #    ... and when the last one is the wrong one, it is refused.
        r = await http.get(
            V1 + "/users/self/follows.json",
            params=[("access_token", token), ("count", "5"), ("sig", sig), ("sig", first)],
        )
        assert r.status_code == 403
        # 3. A POST signed without its form fields (python-instagram issue #153): refused.
        target = emu.sample_user_ids(2)[-1]
        path = f"/users/{target}/relationship"
        bare = sign(path, {"access_token": token}, SECRET)
        r = await http.post(
            V1 + path + f"?access_token={token}&sig={bare}", data={"action": "follow"}
        )
        assert r.status_code == 403
        assert r.json()["meta"]["error_message"] == (
            "Invalid signed-request: Signature does not match"
        )
        #    Signed over every field, the same POST works.
        full = sign(path, {"access_token": token, "action": "follow"}, SECRET)
        r = await http.post(
            V1 + path, data={"access_token": token, "action": "follow", "sig": full}
        )
        assert r.status_code == 200, r.text
        # 4. Non-ASCII values are signed as UTF-8 text (python-instagram PR #195).
        params = {"access_token": token, "q": "café"}
        r = await http.get(
            V1 + "/users/search", params={**params, "sig": sign("/users/search", params, SECRET)}
        )
        assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("ips", "expected"),
    [
        ("127.0.0.1", "127.0.0.1|efa694d61d03eedf2c0d761c18531455caeba5b50f7d2ba812d68405a045f833"),
        (
            "200.15.1.1,131.51.1.35",
            "200.15.1.1,131.51.1.35|"
            "13cb27eee318a5c88f4456bae149d806437fb37ba9f52fac0b1b7d8c234e6cee",
        ),
    ],
)
def test_forwarded_for_documented_vectors(ips: str, expected: str) -> None:
    assert sign_forwarded_for(ips, DOC_SECRET) == expected
    assert check_forwarded_for(expected, DOC_SECRET)
    assert not check_forwarded_for(expected[:-1] + "0", DOC_SECRET)
    assert not check_forwarded_for("10.0.0.1" + expected[len(ips) :], DOC_SECRET)
    assert not check_forwarded_for(expected, "other-secret")
    assert not check_forwarded_for(None, DOC_SECRET)
    assert not check_forwarded_for("|abc", DOC_SECRET)
    assert not check_forwarded_for("é|abc", DOC_SECRET)


def test_header_on_writes_or_on_every_call() -> None:
    creds = Credentials(access_token="T", client_secret=DOC_SECRET, client_ips="127.0.0.1")
    get = build_request("GET", "/users/self", None, credentials=creds)
    post = build_request("POST", "/users/1/relationship", {"action": "follow"}, credentials=creds)
    assert get.headers == ()
    assert post.headers == (("X-Insta-Forwarded-For", sign_forwarded_for("127.0.0.1", DOC_SECRET)),)
    every = Credentials(
        access_token="T", client_secret=DOC_SECRET, client_ips="127.0.0.1", forwarded_for_all=True
    )
    assert build_request("GET", "/users/self", None, credentials=every).headers != ()
    assert forwarded_for_headers("POST", Credentials(access_token="T", client_ips="1.2.3.4")) == ()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"client_ips": "1.2.3.4"},  # no secret
        {"client_ips": "1.2.3.4\r\nX: y", "client_secret": "s"},
        {"client_ips": "", "client_secret": "s"},
        {"client_ips": "1.2.3.4", "client_secret": "s", "forwarded_for": "some"},
    ],
)
def test_client_refuses_bad_forwarded_for_settings(kwargs: dict[str, str]) -> None:
    from aioinstagram import InvalidArgumentError

    with pytest.raises(InvalidArgumentError):
        InstagramClient("T", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", MODES)
async def test_enforced_signed_header(mode: str) -> None:
    emu = small_emulator(enforce_signed_header=True)
    token = emu.token(emu.demo_user_id)
    async with client_for(emu, mode, access_token=token) as (plain, _):
        with pytest.raises(OAuthForbiddenError, match="X-Insta-Forwarded-For is required"):
            await plain.users.get("self")
    async with client_for(
        emu, mode, access_token=token, client_secret=APP_SECRET, client_ips="127.0.0.1"
    ) as (writes_only, _):
        with pytest.raises(OAuthForbiddenError):
            await writes_only.users.get("self")  # GETs carry no header by default
        rel = await writes_only.relationships.follow(emu.sample_user_ids(2)[-1])
        assert rel.outgoing_status is not None
    async with client_for(
        emu,
        mode,
        access_token=token,
        client_secret=APP_SECRET,
        client_ips="127.0.0.1, 10.0.0.2",
        forwarded_for="all",
    ) as (everything, _):
        assert (await everything.users.get("self")).id == emu.demo_user_id
    async with client_for(
        emu, mode, access_token=token, client_secret="wrong", client_ips="127.0.0.1",
        forwarded_for="all",
    ) as (wrong, _):  # fmt: skip
        with pytest.raises(OAuthForbiddenError):
            await wrong.users.get("self")


async def test_signed_writes_get_the_higher_bucket() -> None:
    emu = small_emulator(relationship_limit_unsigned=2, relationship_limit_signed=4)
    targets = emu.sample_user_ids(6)[1:]
    async with client_for(emu, "asgi", access_token=emu.token("11"), rate_limit_mode="raise") as (
        unsigned,
        _,
    ):
        for uid in targets[:2]:
            await unsigned.relationships.follow(uid)
        with pytest.raises(RateLimitError, match="of the 2 allowed"):
            await unsigned.relationships.follow(targets[2])
    async with client_for(
        emu, "asgi", access_token=emu.token("12"), rate_limit_mode="raise",
        client_secret=APP_SECRET, client_ips="127.0.0.1",
    ) as (signed, _):  # fmt: skip
        for uid in targets[:4]:
            await signed.relationships.follow(uid)
        with pytest.raises(RateLimitError, match="of the 4 allowed"):
            await signed.relationships.follow(targets[4])
