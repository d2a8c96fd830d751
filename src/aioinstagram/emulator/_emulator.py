"""The :class:`Emulator`: one seeded graph, its limits, faults, counters and ASGI app."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ._auth import OAuthState, make_token
from ._config import EmulatorConfig, EmulatorStats, FaultConfig
from ._faults import FaultState
from ._graph import Graph
from ._mediagraph import Geography, MediaStore, Post
from ._ratelimit import SlidingWindowLimiter
from ._realtime import RealtimeHub

if TYPE_CHECKING:
    from ._app import EmulatorApp

__all__ = ["Emulator"]


class Emulator:
    """A faithful emulator of the Instagram API v1 (users and relationships endpoints).

    ``Emulator(EmulatorConfig(users=10_000, seed=1))`` or ``Emulator(users=2_000, seed=3)``
    (keyword overrides of the config). Building one is cheap (about 0.3 s for the defaults); the
    Starlette app is built on first access to :attr:`app`, so importing and constructing an
    emulator does not need Starlette.
    """

    def __init__(self, config: EmulatorConfig | None = None, **overrides: Any) -> None:
        if config is None:
            config = EmulatorConfig(**overrides)
        elif overrides:
            config = dataclasses.replace(config, **overrides)
        self.config = config
        self.graph = Graph(
            config.users,
            config.seed,
            celebrity_followers=config.celebrity_followers,
            private_fraction=config.private_fraction,
        )
        self.stats = EmulatorStats()
        self.fault_state = FaultState(config.faults, self.stats, config.rate_limit)
        self.limiter = SlidingWindowLimiter(config.rate_limit, config.rate_window, config.clock)
        signed = bool(config.client_secret)
        self.relationship_limiter = SlidingWindowLimiter(
            config.relationship_limit_signed if signed else config.relationship_limit_unsigned,
            config.rate_window,
            config.clock,
        )
        self.media = MediaStore(
            self.graph, big_tag=config.big_tag, big_tag_media=config.big_tag_media
        )
        self.likes_limiter = SlidingWindowLimiter(
            config.like_limit_signed if signed else config.like_limit_unsigned,
            config.rate_window,
            config.clock,
        )
        self.comments_limiter = SlidingWindowLimiter(
            config.comment_limit_signed if signed else config.comment_limit_unsigned,
            config.rate_window,
            config.clock,
        )
        #: Writes carrying a valid X-Insta-Forwarded-For (api doc §5, §6b: higher buckets).
        self.signed_write_limiter = SlidingWindowLimiter(
            config.relationship_limit_signed, config.rate_window, config.clock
        )
        self.signed_likes_limiter = SlidingWindowLimiter(
            config.like_limit_signed, config.rate_window, config.clock
        )
        self.signed_comments_limiter = SlidingWindowLimiter(
            config.comment_limit_signed, config.rate_window, config.clock
        )
        #: OAuth codes, which app obtained which token, who authorized which app (``_oauth``).
        self.oauth = OAuthState(config.apps, config.oauth_code_ttl, config.clock)
        #: Real-time subscriptions, posted media and deliveries (``_realtime``).
        self.realtime = RealtimeHub(self)
        self._app: EmulatorApp | None = None

    def __repr__(self) -> str:
        return f"<Emulator users={self.config.users} seed={self.config.seed}>"

    @property
    def app(self) -> EmulatorApp:
        """The ASGI application (Starlette); routes under ``/v1``."""
        if self._app is None:
            from ._app import build_app

            self._app = build_app(self)
        return self._app

    # -- identities --------------------------------------------------------------------------

    def token(self, user_id: int | str, scopes: Sequence[str] | None = None) -> str:
        """The access token of ``user_id``: every scope, or ``basic`` plus ``scopes``."""
        return make_token(user_id, scopes)

    @property
    def demo_user_id(self) -> str:
        """A private user with many followers, pending follow requests and a few blocks."""
        return str(self.graph.demo_user_id)

    @property
    def demo_token(self) -> str:
        """The access token of the demo user (``emulator-<id>``)."""
        return self.token(self.demo_user_id)

    @property
    def celebrity_user_id(self) -> str | None:
        """The public user with ``celebrity_followers`` (+ some) followers, or None."""
        cid = self.graph.celebrity_id
        return None if cid is None else str(cid)

    def sample_user_ids(self, n: int) -> list[str]:
        """``n`` distinct existing user ids, deterministic for the seed (bulk lookups)."""
        return [str(uid) for uid in self.graph.sample_user_ids(n)]

    # -- faults and limits ---------------------------------------------------------------------

    @property
    def faults(self) -> FaultConfig:
        """The faults injected now; assign a :class:`FaultConfig` to change them at runtime
        (the fault RNG is then re-seeded)."""
        return self.fault_state.config

    @faults.setter
    def faults(self, config: FaultConfig) -> None:
        """Change the injected faults at runtime (the fault RNG is re-seeded)."""
        self.fault_state.configure(config)

    async def post_media(
        self,
        user_id: int | str,
        *,
        tags: Sequence[str] = (),
        location_id: str | int | None = None,
        lat: float | None = None,
        lng: float | None = None,
        caption: str | None = None,
        type: str = "image",
    ) -> Post:
        """Post a new media item as ``user_id``: it is in the media lists and indexes at once,
        and the ``on_media_created`` hook notifies the real-time subscriptions that match it
        (api doc §7). Returns the post (``.id``, ``.shortcode``, ``.tags``, ...); bad
        arguments raise ValueError.

        Args:
            user_id: The author.
            tags: Its hashtags (without ``#``).
            location_id: A place id.
            lat: A bare point's latitude (with ``lng``).
            lng: A bare point's longitude (with ``lat``).
            caption: The caption (default: the tags as hashtags).
            type: ``image`` or ``video``.
        """
        return await self.realtime.post_media(
            user_id,
            tags=tags,
            location_id=location_id,
            lat=lat,
            lng=lng,
            caption=caption,
            type=type,
        )

    def reset_rate_limits(self) -> None:
        """Forget every call counted so far: each token starts a fresh window."""
        self.limiter.reset()
        self.relationship_limiter.reset()
        self.signed_write_limiter.reset()
        self.signed_likes_limiter.reset()
        self.signed_comments_limiter.reset()
        self.likes_limiter.reset()
        self.comments_limiter.reset()

    # -- media (admin API) -------------------------------------------------------------------

    def on_media_created(self, callback: Callable[[Post], object]) -> Callable[[], None]:
        """Call ``callback(post)`` whenever a media is posted (``await post_media(...)``,
        ``POST /_emulator/media`` or ``media.post(...)``), once it is in the media lists and
        indexes. Real-time subscriptions hear of new media through this same hook. ``post.id``,
        ``post.owner``, ``post.tags``, ``post.location`` and ``post.created_time`` say what
        changed. Returns a function that unregisters it."""
        return self.media.on_media_created(callback)

    def add_geography(self, lat: float, lng: float, radius: float) -> str:
        """Register a geography (what a geography subscription creates) and return its id;
        ``GET /geographies/{id}/media/recent`` then lists the media within ``radius`` metres
        of the point ``lat``, ``lng``."""
        geo: Geography = self.media.add_geography(lat, lng, radius)
        return str(geo.id)

    def media_ids(self, user_id: int | str, n: int | None = None) -> list[str]:
        """The ids of the media ``user_id`` posted, newest first (at most ``n``)."""
        posts = self.media.posts_of(int(user_id))
        return [p.id for p in (posts if n is None else posts[:n])]
