"""End to end over real sockets: a bot gets its token through OAuth, subscribes to the users
who authorized its app, receives an update when one of them posts, fetches the media and likes
it with ``client.media.get`` and ``client.likes.like`` (api doc sections 1, 3 and 7)."""

from __future__ import annotations

import httpx

from aioinstagram import (
    InstagramClient,
    Media,
    RealtimeReceiver,
    Update,
    exchange_code,
    new_state,
    parse_redirect,
)
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
            liked: list[Media] = []

            async def on_updates(updates: list[Update]) -> None:
                for update in updates:
                    seen.append(update)
                    assert update.media_id is not None
                    media = await bot.media.get(update.media_id)
                    await bot.likes.like(media.id)
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
            assert [m.id for m in liked] == [posted.id]
            assert liked[0].owner_id == author and liked[0].tags == ("nofilter",)
            assert liked[0].user_has_liked is False
            after = await bot.media.get(posted.id)
            assert after.user_has_liked is True
            assert after.like_count == 1
            likers = await bot.likes.list(posted.id).collect()
            assert [u.id for u in likers] == [bot_user]
