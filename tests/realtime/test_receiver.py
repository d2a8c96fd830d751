"""The receiver users mount (api doc section 7): challenge, signature, parsing, callback."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioinstagram import (
    DecodeError,
    InvalidArgumentError,
    RealtimeReceiver,
    Update,
    answer_challenge,
    handle_notification,
    parse_updates,
    verify_signature,
)

from ..oauth.helpers import fixture_bytes

PAYLOAD = fixture_bytes("realtime_update_payload__ruby-gem.json")
PAYLOAD_SIG = "f1dbe2b6184ac2131209c87bba8e0382d089a8a2"  # secret "CS" (api doc section 7)


def sig(body: bytes, secret: str = "CS") -> str:
    return hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def test_verify_signature_documented_vector() -> None:
    assert len(PAYLOAD) == 263
    assert verify_signature(PAYLOAD, PAYLOAD_SIG, "CS")
    assert verify_signature(PAYLOAD, PAYLOAD_SIG.upper(), "CS")
    for bad in (None, "", PAYLOAD_SIG[:-1] + "0", "sha1=" + PAYLOAD_SIG, "é" * 40):
        assert not verify_signature(PAYLOAD, bad, "CS")
    assert not verify_signature(PAYLOAD + b" ", PAYLOAD_SIG, "CS")
    assert not verify_signature(PAYLOAD, PAYLOAD_SIG, "other")


@given(st.binary(max_size=300), st.text(min_size=1, max_size=20))
def test_verify_signature_accepts_exactly_its_own_hmac(body: bytes, secret: str) -> None:
    good = sig(body, secret)
    assert verify_signature(body, good, secret)
    assert not verify_signature(body + b"x", good, secret)


def test_parse_updates_fixture() -> None:
    updates = parse_updates(PAYLOAD)
    assert updates == [
        Update("1", "user", "1234", "media", 1297286541),
        Update("2", "tag", "nofilter", "media", 1297286541),
    ]
    assert updates[0].media_id is None
    with_data = parse_updates(
        b'[{"subscription_id":1,"object":"user","object_id":5,"changed_aspect":"media",'
        b'"time":1,"data":{"media_id":"9_5"},"extra":true}]'
    )
    assert with_data[0].media_id == "9_5" and with_data[0].object_id == "5"


@pytest.mark.parametrize("body", [b"", b"<html>", b'{"object":"user"}', b'[{"object":"user"}]'])
def test_parse_updates_refuses_other_bodies(body: bytes) -> None:
    with pytest.raises(DecodeError):
        parse_updates(body)


def test_answer_challenge() -> None:
    q = {"hub.mode": "subscribe", "hub.challenge": "abc", "hub.verify_token": "vt"}
    assert answer_challenge(q, "vt") == (200, "abc")
    assert answer_challenge({**q, "hub.verify_token": "nope"}, "vt")[0] == 403
    assert answer_challenge({**q, "hub.mode": "unsubscribe"}, "vt")[0] == 400
    assert answer_challenge({"hub.mode": "subscribe"}, "vt")[0] == 400


async def test_handle_notification_cases() -> None:
    got: list[list[Update]] = []

    async def callback(updates: list[Update]) -> None:
        got.append(updates)

    run = handle_notification
    assert await run(PAYLOAD, PAYLOAD_SIG, client_secret="CS", callback=callback) == (200, "ok")
    assert len(got) == 1 and len(got[0]) == 2
    assert (await run(PAYLOAD, "0" * 40, client_secret="CS", callback=callback))[0] == 403
    assert (await run(PAYLOAD, None, client_secret="CS", callback=callback))[0] == 403
    big = b"[" + b" " * 2000 + b"]"
    assert (await run(big, sig(big), client_secret="CS", callback=callback, max_body=1000))[
        0
    ] == 413
    assert (await run(b"{}", sig(b"{}"), client_secret="CS", callback=callback))[0] == 400
    assert len(got) == 1  # none of the refused bodies reached the callback

    async def broken(updates: list[Update]) -> None:
        raise RuntimeError("boom")

    assert (await run(PAYLOAD, PAYLOAD_SIG, client_secret="CS", callback=broken))[0] == 500


def test_receiver_settings_are_checked_and_hidden() -> None:
    async def cb(updates: list[Update]) -> None:
        return None

    receiver = RealtimeReceiver("topsecret", "vtoken", cb)
    assert "topsecret" not in repr(receiver) and "vtoken" not in repr(receiver)
    for kwargs in ({"client_secret": ""}, {"verify_token": ""}, {"max_body": 0}):
        args = {"client_secret": "s", "verify_token": "v", "callback": cb, **kwargs}
        with pytest.raises(InvalidArgumentError):
            RealtimeReceiver(**args)  # type: ignore[arg-type]


async def test_asgi_receiver() -> None:
    got: list[Update] = []

    async def callback(updates: list[Update]) -> None:
        got.extend(updates)

    app = RealtimeReceiver("CS", "vt", callback, max_body=1000).asgi("/hook")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bot.invalid"
    ) as http:
        ok = await http.get(
            "/hook",
            params={"hub.mode": "subscribe", "hub.challenge": "c123", "hub.verify_token": "vt"},
        )
        assert (ok.status_code, ok.text) == (200, "c123")
        wrong = await http.get(
            "/hook",
            params={"hub.mode": "subscribe", "hub.challenge": "c", "hub.verify_token": "x"},
        )
        assert wrong.status_code == 403 and wrong.text != "c"
        posted = await http.post("/hook", content=PAYLOAD, headers={"X-Hub-Signature": PAYLOAD_SIG})
        assert posted.status_code == 200 and len(got) == 2
        bad = await http.post("/hook", content=PAYLOAD, headers={"X-Hub-Signature": "00"})
        assert bad.status_code == 403
        missing = await http.post("/hook", content=PAYLOAD)
        assert missing.status_code == 403
        big = b"[" + b" " * 5000 + b"]"
        too_big = await http.post("/hook", content=big, headers={"X-Hub-Signature": sig(big)})
        assert too_big.status_code == 413

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: read with a cap
            for _ in range(10):
                yield b" " * 500

        streamed = await http.post("/hook", content=chunks(), headers={"X-Hub-Signature": "0"})
        assert streamed.status_code == 413
        assert len(got) == 2
