"""Building the client the commands use: the real API, or the embedded emulator.

The embedded emulator runs in this process: the client talks to its ASGI app through
``httpx.ASGITransport``, no socket involved. Its rate limits are raised so that a demo of a few
thousand lookups (and a handful of follows) is never throttled; everything else is the
emulator's faithful behaviour.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import attrs
import httpx

from .._client import InstagramClient
from .._protocol import DEFAULT_BASE_URL
from .._transports import bulk_transport

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = ["EMULATOR_BASE_URL", "Connection", "Settings", "build_emulator", "connect"]

#: The base URL the client uses for the in-process emulator (never resolved).
EMULATOR_BASE_URL = "http://emulator.invalid/v1"

#: Limits of the embedded emulator: high enough that the demo never waits.
_EMULATOR_RATE_LIMIT = 10_000_000
_EMULATOR_RELATIONSHIP_LIMIT = 1_000_000


@attrs.frozen
class Settings:
    """The group options, resolved.

    ``emulator``: run on the embedded emulator; ``implicit`` when that was chosen because no
    token was configured. ``token`` is the token to send (in emulator mode only a token given
    on the command line is used; the default authenticates as the emulator's demo user).
    """

    base_url: str | None = None
    token: str | None = None
    client_secret: str | None = attrs.field(default=None, repr=False)
    emulator: bool = True
    implicit: bool = False
    users: int = 10_000
    seed: int = 1
    timeout: float = 10.0

    def secrets(self) -> list[str]:
        return [s for s in (self.token, self.client_secret) if s]


def build_emulator(settings: Settings) -> Emulator:
    """The embedded emulator for ``settings`` (ImportError without the ``emulator`` extra)."""
    from ..emulator import Emulator, EmulatorConfig

    return Emulator(
        EmulatorConfig(
            users=settings.users,
            seed=settings.seed,
            client_secret=settings.client_secret,
            rate_limit=_EMULATOR_RATE_LIMIT,
            relationship_limit_unsigned=_EMULATOR_RELATIONSHIP_LIMIT,
            relationship_limit_signed=_EMULATOR_RELATIONSHIP_LIMIT,
        )
    )


@attrs.define
class Connection:
    """An open client, the embedded emulator behind it (if any), and a count of the HTTP
    requests sent (embedded emulator only; retries included)."""

    client: InstagramClient
    emulator: Emulator | None = None
    http_requests: int = 0


@asynccontextmanager
async def connect(
    settings: Settings, emulator: Emulator | None = None, *, bulk: bool = False
) -> AsyncIterator[Connection]:
    """Open a client for ``settings``; ``emulator`` is the embedded one in emulator mode.
    ``bulk``: a bulk command, which uses the fast transport when no proxy applies."""
    if not settings.emulator:
        base_url = settings.base_url or DEFAULT_BASE_URL
        client = InstagramClient(
            access_token=settings.token,
            client_secret=settings.client_secret,
            base_url=base_url,
            timeout=settings.timeout,
            # A spent budget waits for its window (bounded by max_rate_limit_wait) instead of
            # turning every id of a bulk job into a RateLimitError after 60 s.
            retry_deadline=None,
            transport=bulk_transport(base_url) if bulk else None,
        )
        async with client:
            yield Connection(client)
        return

    emu = emulator if emulator is not None else build_emulator(settings)
    token = settings.token if settings.token is not None else emu.token(emu.demo_user_id)
    connection: Connection | None = None

    async def count(response: httpx.Response) -> None:
        if connection is not None:
            connection.http_requests += 1

    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emu.app),
        base_url=EMULATOR_BASE_URL.removesuffix("/v1"),
        event_hooks={"response": [count]},
    )
    async with http:
        client = InstagramClient(
            access_token=token,
            client_secret=settings.client_secret,
            base_url=EMULATOR_BASE_URL,
            http_client=http,
            timeout=settings.timeout,
        )
        async with client:
            connection = Connection(client, emu)
            yield connection
