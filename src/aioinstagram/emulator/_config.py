"""Configuration of the emulator: :class:`EmulatorConfig` and :class:`FaultConfig`.

Defaults follow the 2014-2015 production API (api doc §0 "Recommendation"): 5,000 calls per
token per rolling hour, relationship POSTs limited to 20/hour unsigned and 60/hour signed
(api doc §5), the 2015 scope mapping (api doc §1 "Scopes"), all six relationship actions plus
``deny`` (api doc §3).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Literal

from ._auth import DEFAULT_APP, OAuthApp

__all__ = ["EmulatorConfig", "EmulatorStats", "FaultConfig"]


@dataclass(frozen=True)
class FaultConfig:
    """Faults injected into answers, for tests and demos (off by default).

    Each request draws one number from a RNG seeded with ``seed``; the ``*_rate`` fields are
    the fractions of requests that get each fault (their sum must be <= 1):

    * ``error_rate``: HTTP 500, 502 or 503; the 502/503 bodies are nginx-style HTML, the 500
      body a JSON ``APIError`` envelope (api doc §4: "Bodies of 5xx were often HTML").
    * ``rate_limit_rate``: a spurious 429 ``OAuthRateLimitException`` envelope, with a
      ``Retry-After: <retry_after>`` header when ``with_retry_after`` (api doc §5).
    * ``drop_rate``: the connection is closed with no answer. Over a socket (uvicorn) the
      client sees the server disconnect without a response (httpx: ``RemoteProtocolError``);
      in process (``httpx.ASGITransport``) the app raises
      :class:`~aioinstagram.emulator.ConnectionDropped`, a subclass of
      ``httpx.RemoteProtocolError``, so the client sees the same exception type.
    * ``truncate_rate``: HTTP 200 with a JSON body cut in half (Content-Length matches the cut
      body, so it is a valid HTTP answer with invalid JSON).
    * ``garbage_rate``: HTTP 200 with a non-JSON (HTML) body.

    ``latency`` seconds are added to every answer (``asyncio.sleep``).

    Faults are decided before the request reaches the graph, so a faulted POST has no effect.
    With ``faults_after_apply`` the request is handled first (the write happens) and its
    answer is then replaced by the fault: the "outcome unknown" case of a write.
    """

    seed: int = 0
    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    with_retry_after: bool = True
    retry_after: int = 1
    drop_rate: float = 0.0
    truncate_rate: float = 0.0
    garbage_rate: float = 0.0
    latency: float = 0.0
    faults_after_apply: bool = False

    def __post_init__(self) -> None:
        rates = (
            self.error_rate,
            self.rate_limit_rate,
            self.drop_rate,
            self.truncate_rate,
            self.garbage_rate,
        )
        if any(not 0.0 <= r <= 1.0 for r in rates) or sum(rates) > 1.0 + 1e-9:
            raise ValueError("fault rates must be in [0, 1] and sum to at most 1")
        if self.latency < 0 or self.retry_after < 0:
            raise ValueError("latency and retry_after must be >= 0")

    @property
    def active(self) -> bool:
        """True when any fault (or latency) is configured."""
        return any(getattr(self, f.name) for f in fields(self) if f.name.endswith("_rate")) or bool(
            self.latency
        )


@dataclass(frozen=True)
class EmulatorConfig:
    """How to build and run an emulator.

    Graph (see ``_graph``): ``users`` ordinary users, seeded by ``seed``; a celebrity with
    ``celebrity_followers`` synthetic followers (0: no celebrity); ``private_fraction`` of users
    are private.

    API behaviour: ``era`` "2014" (default; any user's lists, all actions) or "2016" (only the
    token owner's follows/followed-by lists; block/unblock refused) (api doc §0, §9);
    ``scopes`` "2015" (follower_list / relationships / public_content) or "seed" (basic covers
    lists; api doc §1 "disagreement"); ``client_secret`` turns on signed-request enforcement
    (api doc §6a), with errors in the ``meta`` envelope unless ``flat_signature_errors``.

    Rate limits (api doc §5): ``rate_limit`` calls per token per rolling ``rate_window``
    seconds; relationship POSTs also have their own bucket of ``relationship_limit_unsigned``
    (or ``relationship_limit_signed`` when a client secret is enforced); ``rate_limit_retry_after``
    adds a ``Retry-After`` header to 429s (absent in the real API). ``clock`` is the monotonic
    clock used for the windows (replace it in tests).

    OAuth, client_id access, signed header, real-time (api doc §1, §6b, §7; see ``_auth``,
    ``_oauth``, ``_realtime``): ``apps`` are the registered applications (client_id, secret,
    redirect URIs; :data:`DEFAULT_APP` by default); ``oauth_code_ttl`` seconds an authorization
    code lives; ``enforce_signed_header`` requires a valid ``X-Insta-Forwarded-For`` on every
    call (also per app: ``OAuthApp.enforce_signed_header``). Real-time deliveries: at most
    ``realtime_attempts`` POSTs per update, ``realtime_retry_delay`` seconds apart (doubling),
    ``realtime_timeout`` seconds each; callbacks must be on loopback unless
    ``realtime_allow_remote``; ``realtime_max_body`` bytes is the challenge answer size cap.

    Faults: ``faults`` (a :class:`FaultConfig`) injects errors, drops and latency (off by
    default).

    Media (api doc §3, §5): likes and comments have their own hourly buckets,
    ``like_limit_unsigned`` / ``like_limit_signed`` and ``comment_limit_unsigned`` /
    ``comment_limit_signed`` (signed: with ``X-Insta-Forwarded-For``); ``big_tag`` is a tag
    carrying ``big_tag_media`` media, for long walks (0 media: none).
    """

    users: int = 10_000
    seed: int = 1
    celebrity_followers: int = 120_000
    private_fraction: float = 0.12
    era: Literal["2014", "2016"] = "2014"
    scopes: Literal["2015", "seed"] = "2015"
    client_secret: str | None = field(default=None, repr=False)
    flat_signature_errors: bool = False
    rate_limit: int = 5_000
    rate_window: float = 3_600.0
    relationship_limit_unsigned: int = 20
    relationship_limit_signed: int = 60
    rate_limit_retry_after: bool = False
    #: Per-endpoint hourly write buckets of likes and comments (POST and DELETE; api doc §5).
    like_limit_unsigned: int = 30
    like_limit_signed: int = 100
    comment_limit_unsigned: int = 15
    comment_limit_signed: int = 60
    #: A tag with ``big_tag_media`` media, stored as one integer (``_mediagraph``); 0: none.
    big_tag: str = "throwback"
    big_tag_media: int = 100_000
    faults: FaultConfig = field(default_factory=FaultConfig)
    apps: tuple[OAuthApp, ...] = (DEFAULT_APP,)
    oauth_code_ttl: float = 600.0
    enforce_signed_header: bool = False
    realtime_attempts: int = 3
    realtime_retry_delay: float = 0.5
    realtime_timeout: float = 5.0
    realtime_allow_remote: bool = False
    realtime_max_body: int = 4096
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.era not in ("2014", "2016"):
            raise ValueError("era must be '2014' or '2016'")
        if self.scopes not in ("2015", "seed"):
            raise ValueError("scopes must be '2015' or 'seed'")
        if self.rate_limit < 1 or self.rate_window <= 0:
            raise ValueError("rate_limit must be >= 1 and rate_window > 0")
        if min(self.relationship_limit_signed, self.relationship_limit_unsigned) < 1:
            raise ValueError("relationship limits must be >= 1")
        if (
            min(
                self.like_limit_signed,
                self.like_limit_unsigned,
                self.comment_limit_signed,
                self.comment_limit_unsigned,
            )
            < 1
        ):
            raise ValueError("like and comment limits must be >= 1")
        if self.big_tag_media < 0 or not self.big_tag.isidentifier():
            raise ValueError("big_tag must be a word and big_tag_media >= 0")
        if not 0.0 <= self.private_fraction <= 1.0:
            raise ValueError("private_fraction must be in [0, 1]")
        if len({app.client_id for app in self.apps}) != len(self.apps):
            raise ValueError("apps must have distinct client_ids")
        if self.realtime_attempts < 1 or self.realtime_retry_delay < 0 or self.oauth_code_ttl <= 0:
            raise ValueError("realtime_attempts >= 1, realtime_retry_delay >= 0, ttl > 0")


@dataclass
class EmulatorStats:
    """Counters for tests.

    Attributes:
        requests: Answers per route (``"GET /users/{user_id}"``; faulted requests are not
            counted here).
        faults: Faults injected per kind (``"error"``, ``"rate_limit"``, ``"drop"``,
            ``"truncate"``, ``"garbage"``).
        rate_limited: Rate-limit refusals (429s).
    """

    requests: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0

    def reset(self) -> None:
        """Zero every counter."""
        self.requests.clear()
        self.faults.clear()
        self.rate_limited = 0
