"""Fixtures for the emulator tests: small emulators and raw httpx clients over ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio

from aioinstagram.emulator import Emulator

from .emulator_helpers import asgi_client, small_config


@pytest.fixture
def make_emu() -> Callable[..., Emulator]:
    def make(**overrides: Any) -> Emulator:
        return Emulator(small_config(**overrides))

    return make


@pytest.fixture
def emu() -> Emulator:
    return Emulator(small_config())


@pytest_asyncio.fixture
async def client(emu: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(emu) as c:
        yield c
