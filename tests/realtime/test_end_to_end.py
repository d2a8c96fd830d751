"""End to end over real sockets: a bot gets its token through OAuth, subscribes to the users
who authorized its app, receives an update when one of them posts, fetches the media and likes
it (api doc sections 1 and 7).

Note: the media endpoints are not in this branch yet, so the bot fetches and likes through the
client's transport (``client._transport.request``) instead of ``client.media.get`` /
``client.likes.like``; the emulator answers them with its interim media routes."""

from __future__ import annotations

from typing import Any

import httpx

from aioinstagram import (
    InstagramClient,
    RealtimeReceiver,
    Update,
    exchange_code,
    new_state,
    parse_redirect,
)
from aioinstagram._fastdecode import structure_data
from aioinstagram.emulator import serve

from ..oauth.helpers import APP_ID, APP_SECRET, REDIRECT, small_emulator
from ..oauth.test_emulator_oauth import consent
from .servers import serve_app


async def test_bot_subscribes_receives_fetches_and_likes() -> None:
    emu = small_emulator(realtime_retry_delay=0.0)
    bot_user = "7"
    author = next(str(u) for u in range(40, 300) if not emu.graph.is_private(u))
    async with serve(emu) as base_url, httpx.AsyncClient() as http:
        root = base_url.removesuffix("/v1")
        # 1. The author authorizes the app (basic), the bot's own user with likes.
        tokens = {}
        for user, scopes in ((author, []), (bot_user, ["likes", "public_content"])):
            state = new_state()
            location = await consent(http, root, scopes=scopes, state=state, user_id=user)
            code = parse_redirect(location, state).code
            assert code is not None
            token = await exchange_code(
                code, client_id=APP_ID, client_secret=APP_SECRET, redirect_uri=REDIRECT,
                base_url=base_url, http_client=http,
            )  # fmt: skip
            tokens[user] = token.access_token

        async with InstagramClient(tokens[bot_user], base_url=base_url) as bot:
            seen: list[Update] = []
            liked: list[dict[str, Any]] = []

            async def on_updates(updates: list[Update]) -> None:
                for update in updates:
                    seen.append(update)
                    assert update.media_id is not None
                    envelope = await bot._transport.request("GET", f"/media/{update.media_id}")
                    media: dict[str, Any] = structure_data(envelope, dict, endpoint="GET /media")
                    await bot._transport.request("POST", f"/media/{update.media_id}/likes")
                    liked.append(media)

            receiver = RealtimeReceiver(APP_SECRET, "vt", on_updates)
            async with serve_app(receiver.asgi("/instagram")) as bot_url:
                async with InstagramClient(
                    client_id=APP_ID, client_secret=APP_SECRET, base_url=base_url
                ) as app:
                    sub = await app.subscriptions.create(
                        object="user", callback_url=bot_url + "/instagram", verify_token="vt"
                    )
                posted = await emu.post_media(author, tags=["nofilter"])
                await emu.post_media("99")  # did not authorize the app: no update
                await emu.realtime.drain()

            assert [(u.subscription_id, u.object, u.object_id) for u in seen] == [
                (sub.id, "user", author)
            ]
            assert [m["id"] for m in liked] == [posted.id]
            assert liked[0]["user"]["id"] == author and liked[0]["tags"] == ["nofilter"]
            after = await bot._transport.request("GET", f"/media/{posted.id}")
            assert after.data["user_has_liked"] is True
            assert after.data["likes"]["count"] == 1
