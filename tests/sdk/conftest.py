from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import respx

from aioinstagram import InstagramClient

from ..unit.helpers import BASE, SECRET, make_client


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    """respx scoped to the API's base_url; an unmatched request fails the test."""
    with respx.mock(base_url=BASE, assert_all_called=False, assert_all_mocked=True) as mock:
        yield mock


@pytest.fixture
async def client(api: respx.MockRouter) -> AsyncIterator[InstagramClient]:
    async with make_client() as c:
        yield c


@pytest.fixture
async def signed_client(api: respx.MockRouter) -> AsyncIterator[InstagramClient]:
    async with make_client(client_secret=SECRET) as c:
        yield c
