"""client.subscriptions against the emulator, and the emulator's deliveries to a receiver
served on a real loopback socket (api doc section 7)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest

from aioinstagram import (
    InstagramClient,
    InvalidArgumentError,
    OAuthClientError,
    RealtimeReceiver,
    Subscription,
    SubscriptionError,
    Update,
)
from aioinstagram.emulator import Emulator

from ..oauth.helpers import APP_ID, APP_SECRET, MODES, client_for, small_emulator
from .servers import closed_port_url, serve_app

VERIFY = "my-verify-token"


class Inbox:
    def __init__(self) -> None:
        self.updates: list[Update] = []
        self.fail_next = 0

    async def __call__(self, updates: list[Update]) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("temporarily broken")
        self.updates.extend(updates)


@contextlib.asynccontextmanager
async def receiver(
    secret: str = APP_SECRET, verify: str = VERIFY
) -> AsyncIterator[tuple[str, Inbox]]:
    inbox = Inbox()
    app = RealtimeReceiver(secret, verify, inbox).asgi("/callback")
    async with serve_app(app) as url:
        yield url + "/callback", inbox


def fast(emu_kw: dict[str, Any] | None = None) -> Emulator:
    return small_emulator(realtime_retry_delay=0.0, **(emu_kw or {}))


@pytest.mark.parametrize("mode", MODES)
async def test_create_list_delete(mode: str) -> None:
    emu = fast()
    async with (
        receiver() as (callback, _),
        client_for(emu, mode, client_id=APP_ID, client_secret=APP_SECRET) as (client, _http),
    ):
        user_sub = await client.subscriptions.create(
            object="user", callback_url=callback, verify_token=VERIFY
        )
        assert user_sub == Subscription(
            id=user_sub.id, object="user", callback_url=callback, type="subscription"
        )
        tag_sub = await client.subscriptions.create(
            object="tag", object_id="#NoFilter".lower(), callback_url=callback,
            verify_token=VERIFY,
        )  # fmt: skip
        assert tag_sub.object_id == "nofilter"
        geo = await client.subscriptions.create(
            object="geography", lat=48.85, lng=2.35, radius=1000, callback_url=callback,
            verify_token=VERIFY,
        )  # fmt: skip
        assert geo.object_id == geo.id
        listed = await client.subscriptions.list()
        assert {s.id for s in listed} == {user_sub.id, tag_sub.id, geo.id}
        await client.subscriptions.delete(id=tag_sub.id)
        assert {s.id for s in await client.subscriptions.list()} == {user_sub.id, geo.id}
        await client.subscriptions.delete(object="all")
        assert await client.subscriptions.list() == []
        with pytest.raises(SubscriptionError):
            await client.subscriptions.delete(id=tag_sub.id)


async def test_the_challenge_must_be_answered() -> None:
    emu = fast()
    async with (
        receiver(verify="the-right-one") as (callback, _),
        client_for(emu, "asgi", client_id=APP_ID, client_secret=APP_SECRET) as (client, _h),
    ):
        with pytest.raises(SubscriptionError, match="Challenge verification failed"):
            await client.subscriptions.create(
                object="user", callback_url=callback, verify_token="wrong"
            )
        with pytest.raises(SubscriptionError, match="Challenge verification failed"):
            await client.subscriptions.create(
                object="user", callback_url=closed_port_url(), verify_token=VERIFY
            )  # a callback that is down
        with pytest.raises(SubscriptionError, match="loopback"):
            await client.subscriptions.create(
                object="user", callback_url="http://example.com/cb", verify_token=VERIFY
            )
        assert emu.realtime.subscriptions == {}


async def test_application_credentials_are_required_and_checked() -> None:
    emu = fast()
    async with client_for(emu, "asgi", client_id=APP_ID, client_secret="wrong") as (client, _):
        with pytest.raises(OAuthClientError):
            await client.subscriptions.list()
    async with client_for(emu, "asgi", access_token=emu.token("3")) as (client, _):
        with pytest.raises(InvalidArgumentError, match="client_id and client_secret"):
            await client.subscriptions.list()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"object": "hashtag"},
        {"object": "tag"},
        {"object": "location", "object_id": "abc"},
        {"object": "user", "object_id": "5"},
        {"object": "geography", "lat": 1.0, "lng": 2.0},
        {"object": "geography", "lat": 100.0, "lng": 2.0, "radius": 10},
        {"object": "user", "lat": 1.0},
        {"object": "user", "callback_url": "ftp://x/"},
    ],
)
async def test_create_refuses_bad_arguments(kwargs: dict[str, Any]) -> None:
    client = InstagramClient(client_id="c", client_secret="s")
    args = {"callback_url": "http://127.0.0.1/cb", **kwargs}
    with pytest.raises(InvalidArgumentError):
        await client.subscriptions.create(**args)
    for bad in ({}, {"id": 1, "object": "all"}, {"object": "everything"}, {"id": "x"}):
        with pytest.raises(InvalidArgumentError):
            await client.subscriptions.delete(**bad)
    await client.aclose()


async def test_deliveries_are_signed_matched_and_retried() -> None:
    emu = fast({"realtime_attempts": 3})
    author = 17
    emu.oauth.authorize(APP_ID, author)
    place = emu.media.places[0]
    async with (
        receiver() as (callback, inbox),
        client_for(emu, "socket", client_id=APP_ID, client_secret=APP_SECRET) as (client, _),
    ):
        user_sub = await client.subscriptions.create(
            object="user", callback_url=callback, verify_token=VERIFY
        )
        tag_sub = await client.subscriptions.create(
            object="tag", object_id="sunset", callback_url=callback, verify_token=VERIFY
        )
        loc_sub = await client.subscriptions.create(
            object="location",
            object_id=str(place.id),
            callback_url=callback,
            verify_token=VERIFY,
        )
        geo_sub = await client.subscriptions.create(
            object="geography", lat=place.latitude, lng=place.longitude + 0.001, radius=1000,
            callback_url=callback, verify_token=VERIFY,
        )  # fmt: skip
        media = await emu.post_media(author, tags=["sunset"], location_id=place.id)
        stranger = await emu.post_media(18, tags=["coffee"])  # matches nothing
        await emu.realtime.drain()
        by_sub = {u.subscription_id: u for u in inbox.updates}
        assert set(by_sub) == {user_sub.id, tag_sub.id, loc_sub.id, geo_sub.id}
        assert by_sub[user_sub.id].object_id == str(author)
        assert by_sub[tag_sub.id].object_id == "sunset"
        assert by_sub[loc_sub.id].object_id == str(place.id)
        assert all(u.media_id == media.id for u in inbox.updates)
        assert stranger.id not in {u.media_id for u in inbox.updates}
        assert {d.status for d in emu.realtime.deliveries} == {"delivered"}

        # A callback failing once is retried and gets the update exactly once.
        inbox.updates.clear()
        inbox.fail_next = 1
        await client.subscriptions.delete(object="tag")
        await client.subscriptions.delete(object="location")
        await client.subscriptions.delete(object="geography")
        again = await emu.post_media(author)
        await emu.realtime.drain()
        assert [u.media_id for u in inbox.updates] == [again.id]
        assert emu.realtime.deliveries[-1].attempts == 2
        assert emu.realtime.deliveries[-1].status == "delivered"


async def test_bad_signatures_and_dead_callbacks_fail_after_bounded_attempts() -> None:
    emu = fast({"realtime_attempts": 2})
    emu.oauth.authorize(APP_ID, 21)
    async with client_for(emu, "socket", client_id=APP_ID, client_secret=APP_SECRET) as (
        client,
        _,
    ):
        # The receiver knows another secret: every delivery is refused with 403, its
        # callback never runs, and the emulator gives up after the attempts allowed.
        async with receiver(secret="not-the-app-secret") as (callback, inbox):
            await client.subscriptions.create(
                object="user", callback_url=callback, verify_token=VERIFY
            )
            await emu.post_media(21)
            await emu.realtime.drain()
            assert inbox.updates == []
            last = emu.realtime.deliveries[-1]
            assert (last.status, last.attempts, last.last_error) == ("failed", 2, "HTTP 403")
        # The callback is now down (its server stopped).
        await emu.post_media(21)
        await emu.realtime.drain()
        down = emu.realtime.deliveries[-1]
        assert (down.status, down.attempts) == ("failed", 2)
        assert down.last_error is not None and "Connect" in down.last_error


async def test_admin_route_posts_media() -> None:
    emu = fast()
    async with client_for(emu, "asgi", access_token=emu.token("3")) as (_, http):
        answer = await http.post(
            "http://emulator.invalid/_emulator/media", data={"user_id": "3", "tags": "a,b"}
        )
        assert answer.status_code == 200
        media_id = answer.json()["id"]
        posted = emu.media.find(media_id)
        assert posted is not None and posted.tags == ("a", "b")
        bad = await http.post("http://emulator.invalid/_emulator/media", data={"user_id": "0"})
        assert bad.status_code == 400
        video = await http.post(
            "http://emulator.invalid/_emulator/media",
            data={"user_id": "3", "type": "video", "location_id": str(emu.media.places[0].id)},
        )
        posted = emu.media.find(video.json()["id"])
        assert posted is not None and (posted.type, posted.location) == (
            "video",
            emu.media.places[0].id,
        )
        for data in ({"location_id": "833"}, {"type": "reel"}, {"lat": "1.5"}):
            refused = await http.post(
                "http://emulator.invalid/_emulator/media", data={"user_id": "3", **data}
            )
            assert refused.status_code == 400, data
            assert refused.json()["error"]


def test_config_checks() -> None:
    from aioinstagram.emulator import EmulatorConfig

    with pytest.raises(ValueError):
        EmulatorConfig(realtime_attempts=0)
    with pytest.raises(ValueError):
        dataclasses.replace(EmulatorConfig(), apps=EmulatorConfig().apps * 2)


async def test_the_client_secret_stays_out_of_logs_and_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging

    from aioinstagram import InstagramError

    emu = fast()
    caplog.set_level(logging.DEBUG)
    async with client_for(
        emu, "socket", client_id=APP_ID, client_secret=APP_SECRET, transport="httpcore"
    ) as (c, _):  # httpx's own transport logs every request URL
        assert await c.subscriptions.list() == []
        assert APP_SECRET not in repr(c)
        with pytest.raises(InstagramError) as info:
            await c.subscriptions.create(
                object="user", callback_url=closed_port_url(), verify_token=VERIFY
            )
        assert APP_SECRET not in str(info.value)
    assert "HTTP Request: GET" in caplog.text  # httpx's request lines were captured ...
    assert APP_SECRET not in caplog.text  # ... and scrubbed


async def test_raw_shapes_json_bodies_and_the_2016_rule() -> None:
    emu = fast()
    async with receiver() as (callback, _), client_for(emu, "asgi") as (_, http):
        url = "http://emulator.invalid/v1/subscriptions/"  # the documented form, with a slash
        form = {
            "client_id": APP_ID,
            "client_secret": APP_SECRET,
            "object": "tag",
            "object_id": "nofilter",
            "aspect": "media",
            "verify_token": VERIFY,
            "callback_url": callback,
        }
        created = await http.post(url, data=form)
        assert created.status_code == 200
        body = created.json()
        assert body["meta"] == {"code": 200}
        assert body["data"] == {
            "object": "tag",
            "object_id": "nofilter",
            "type": "subscription",
            "id": body["data"]["id"],
            "aspect": "media",
            "callback_url": callback,
        }
        # A JSON body is not read: the API answered with the callback_url error.
        as_json = await http.post(
            url, params={"client_id": APP_ID, "client_secret": APP_SECRET}, json=form
        )
        assert as_json.status_code == 400
        assert as_json.json()["meta"] == {
            "code": 400,
            "error_type": "APISubscriptionError",
            "error_message": (
                'Invalid format for "callback_url". URL must start with "http://" or "https://"'
            ),
        }
        deleted = await http.delete(
            url.rstrip("/") + ".json",
            params={"client_id": APP_ID, "client_secret": APP_SECRET, "object": "all"},
        )
        assert deleted.json() == {"meta": {"code": 200}, "data": None}
    emu2016 = fast({"era": "2016"})
    async with (
        receiver() as (callback, _),
        client_for(emu2016, "asgi", client_id=APP_ID, client_secret=APP_SECRET) as (c, _h),
    ):
        with pytest.raises(SubscriptionError, match="Only user subscriptions"):
            await c.subscriptions.create(
                object="tag", object_id="x", callback_url=callback, verify_token=VERIFY
            )
        assert (
            await c.subscriptions.create(object="user", callback_url=callback, verify_token=VERIFY)
        ).object == "user"


async def test_media_posted_by_any_path_reach_subscriptions_once() -> None:
    """One mechanism (the media store's on_media_created hook): media posted through
    ``emu.media.post`` (even from code without a running loop) are delivered like those of
    ``emu.post_media``, each exactly once; bad posts are refused before anything happens."""
    emu = fast()
    emu.oauth.authorize(APP_ID, 17)
    async with (
        receiver() as (callback, inbox),
        client_for(emu, "socket", client_id=APP_ID, client_secret=APP_SECRET) as (client, _),
    ):
        await client.subscriptions.create(object="user", callback_url=callback, verify_token=VERIFY)
        direct = await asyncio.get_running_loop().run_in_executor(
            None, lambda: emu.media.post(17, tags=("x",))
        )  # no running loop in that thread: sent at the next drain()
        via_admin = await emu.post_media(17)
        await emu.realtime.drain()
        assert sorted(str(u.media_id) for u in inbox.updates) == sorted([direct.id, via_admin.id])
        assert len(emu.realtime.deliveries) == 2
        with pytest.raises(ValueError, match="location 833 does not exist"):
            await emu.post_media(17, location_id=833)
        with pytest.raises(ValueError, match="lat and lng"):
            await emu.post_media(17, lat=1.0)
        with pytest.raises(ValueError, match="does not exist"):
            await emu.post_media("nobody")
        await emu.realtime.drain()
        assert len(emu.realtime.deliveries) == 2
