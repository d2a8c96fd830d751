"""The CLI's bulk commands use the fast transport against a real API unless a proxy applies;
single commands and the library default stay on httpx."""

from __future__ import annotations

import pytest

from aioinstagram._cli.session import Settings, connect
from aioinstagram._transports import HttpxBackend, bulk_transport
from aioinstagram._transports.fast import FastBackend

BASE = "http://127.0.0.1:9/v1"


@pytest.fixture(autouse=True)
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUEST_METHOD"):
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.lower(), raising=False)


def test_bulk_transport_is_fast_without_a_proxy() -> None:
    assert bulk_transport(BASE) == "fast"


def test_bulk_transport_is_httpx_behind_a_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:3128")
    assert bulk_transport(BASE) == "httpx"
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert bulk_transport(BASE) == "fast"
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:3128")
    assert bulk_transport("https://api.instagram.com/v1") == "httpx"


@pytest.mark.parametrize(("bulk", "expected"), [(True, FastBackend), (False, HttpxBackend)])
async def test_connect_picks_the_transport(bulk: bool, expected: type) -> None:
    settings = Settings(base_url=BASE, token="t0k3n", emulator=False)
    async with connect(settings, bulk=bulk) as connection:
        assert isinstance(connection.client._requester.backend, expected)
