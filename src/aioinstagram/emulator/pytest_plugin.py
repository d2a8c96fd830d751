"""pytest plugin (entry point ``pytest11: aioinstagram``): test a bot against the emulator.

Fixtures:

* ``instagram_emulator_config``: the :class:`EmulatorConfig` used; override it in your
  ``conftest.py`` to change the graph or limits. Default: 2,000 users, seed 1, no celebrity, a
  rate limit high enough never to get in the way.
* ``instagram_emulator``: a fresh :class:`Emulator` per test.
* ``instagram_client``: an ``aioinstagram.InstagramClient`` authenticated as the emulator's demo
  user, talking to it in process (``httpx.ASGITransport``): no network, no hand mocking. It is
  an async fixture: it needs pytest-asyncio (``pip install 'aioinstagram[pytest]'`` installs
  the emulator and pytest-asyncio); without it, a test using it fails saying so.

Example::

    async def test_my_bot(instagram_client, instagram_emulator):
        rel = await instagram_client.relationships.follow(instagram_emulator.sample_user_ids(1)[0])
        ...

Everything heavy is imported inside the fixtures, so merely having aioinstagram installed
costs pytest nothing (and does not need the ``emulator`` extra until a fixture is used).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from aioinstagram import InstagramClient

    from . import Emulator, EmulatorConfig

__all__ = ["instagram_client", "instagram_emulator", "instagram_emulator_config"]

#: The base URL the in-process client uses (the host is never resolved).
IN_PROCESS_BASE_URL = "http://emulator.invalid/v1"


@pytest.fixture
def instagram_emulator_config() -> EmulatorConfig:
    """The emulator's configuration; override this fixture to change it."""
    from . import EmulatorConfig

    return EmulatorConfig(users=2_000, seed=1, celebrity_followers=0, rate_limit=1_000_000)


@pytest.fixture
def instagram_emulator(instagram_emulator_config: EmulatorConfig) -> Emulator:
    """A fresh emulator built from ``instagram_emulator_config``."""
    from . import Emulator

    return Emulator(instagram_emulator_config)


async def _client(emulator: Emulator) -> AsyncIterator[InstagramClient]:
    import httpx

    from aioinstagram import InstagramClient

    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app),
        base_url=IN_PROCESS_BASE_URL.removesuffix("/v1"),
    )
    try:
        client = InstagramClient(
            access_token=emulator.token(emulator.demo_user_id),
            base_url=IN_PROCESS_BASE_URL,
            http_client=http,
        )
        async with client:
            yield client
    finally:
        await http.aclose()


#: Said when ``instagram_client`` is used without pytest-asyncio.
MISSING_PYTEST_ASYNCIO = (
    "the instagram_client fixture needs pytest-asyncio, which is not installed: "
    "pip install 'aioinstagram[pytest]' (or pytest-asyncio itself)"
)

try:
    import pytest_asyncio

    HAVE_PYTEST_ASYNCIO = True
except ImportError:
    HAVE_PYTEST_ASYNCIO = False

if HAVE_PYTEST_ASYNCIO:

    @pytest_asyncio.fixture
    async def instagram_client(instagram_emulator: Emulator) -> AsyncIterator[InstagramClient]:
        """An InstagramClient bound to ``instagram_emulator`` as its demo user."""
        async for client in _client(instagram_emulator):
            yield client

else:  # async fixtures cannot run at all: fail the test that asks, saying why

    @pytest.fixture
    def instagram_client(instagram_emulator: Emulator) -> InstagramClient:
        """Fails the test: the async fixture needs pytest-asyncio."""
        pytest.fail(MISSING_PYTEST_ASYNCIO, pytrace=False)
