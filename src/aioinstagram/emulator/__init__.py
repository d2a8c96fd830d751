"""A faithful emulator of the retired Instagram API v1 (api doc: ``docs/instagram-v1-api.md``).

Endpoints served now: ``GET /users/{id}``, ``GET /users/search``, ``GET /users/{id}/follows``,
``GET /users/{id}/followed-by``, ``GET /users/self/requested-by``, ``GET`` and ``POST
/users/{id}/relationship``, and the media groups (users' media, feed and liked media, media,
shortcode, search, popular, comments, likes, tags, locations, geographies; see ``_media_routes``),
with the real envelope, field names, pagination and error bodies.

Usage::

    from aioinstagram.emulator import Emulator, EmulatorConfig, FaultConfig, serve

    emu = Emulator(EmulatorConfig(users=10_000, seed=1))
    emu.app                      # Starlette ASGI app, routes under /v1
    emu.token("123")             # "emulator-123": user 123 with every scope
    emu.token("123", ["follower_list"])  # "emulator-123.follower_list": basic + follower_list
    emu.demo_user_id             # private, many followers, pending requests, some blocks
    emu.celebrity_user_id        # >= 100,000 followers (EmulatorConfig.celebrity_followers)
    emu.sample_user_ids(100)     # deterministic existing ids
    await emu.post_media("123", tags=["sunset"])  # admin API: a new media, listeners called
    emu.on_media_created(callback)                # callback(post) for each new media
    # (the one hook: real-time subscriptions hear of new media through it too)
    emu.faults = FaultConfig(error_rate=0.1, seed=3)   # change faults at runtime
    emu.stats.requests["GET /users/{user_id}/relationship"]

    # in process
    httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app), base_url="http://emulator.invalid")
    # over a real socket
    async with serve(emu) as base_url:   # "http://127.0.0.1:PORT/v1"
        ...
    async with serve_app(receiver.asgi("/cb")) as root:  # any ASGI app: "http://127.0.0.1:PORT"
        ...

OAuth (``/oauth/authorize/``, ``/oauth/access_token``), client_id access, the signed header,
``/oembed``, real-time subscriptions (``/v1/subscriptions``) and new media
(``await emu.post_media(user_id, tags=[...])``, deliveries in ``emu.realtime``): see ``_auth``,
``_oauth`` and ``_realtime``. Registered apps: ``EmulatorConfig(apps=(OAuthApp(...),))``.

From the shell: ``python -m aioinstagram.emulator --port 8765 --users 10000 --seed 1``.
In pytest: the ``instagram_emulator`` and ``instagram_client`` fixtures (``pytest_plugin``).

Tokens: ``emulator-<user-id>`` (every scope) or ``emulator-<user-id>.<scope>+<scope>`` (``basic``
plus those); anything else is answered with the real ``OAuthAccessTokenException``. See
``_auth`` for scopes and signatures, ``_graph`` for the data, ``_ratelimit`` and ``_faults``.
"""

from __future__ import annotations

from ._auth import DEFAULT_APP, TOKEN_PREFIX, OAuthApp
from ._config import EmulatorConfig, EmulatorStats, FaultConfig
from ._emulator import Emulator
from ._faults import ConnectionDropped
from ._server import serve, serve_app

__all__ = [
    "DEFAULT_APP",
    "TOKEN_PREFIX",
    "ConnectionDropped",
    "Emulator",
    "EmulatorConfig",
    "EmulatorStats",
    "FaultConfig",
    "OAuthApp",
    "serve",
    "serve_app",
]
