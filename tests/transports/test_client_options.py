"""InstagramClient's network options: passed through to the built-in transports, refused with
a clear InvalidArgumentError where they make no sense."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import httpx
import pytest

from aioinstagram import InstagramClient, InvalidArgumentError
from aioinstagram._transports import HttpxBackend

BASE = "http://127.0.0.1:9/v1"


@pytest.mark.parametrize(
    "option", [{"proxy": "http://proxy:3128"}, {"verify": False}, {"trust_env": False}]
)
@pytest.mark.parametrize("where", ["http_client", "transport"])
async def test_network_options_refused_with_a_configured_client(
    option: dict[str, Any], where: str
) -> None:
    kwargs: dict[str, Any] = dict(option)
    if where == "http_client":
        kwargs["http_client"] = httpx.AsyncClient()
        message = "cannot be combined with http_client"
    else:
        kwargs["transport"] = httpx.MockTransport(lambda r: httpx.Response(200))
        message = "cannot be combined with a transport object"
    try:
        with pytest.raises(InvalidArgumentError, match=message) as info:
            InstagramClient("t0k3n", base_url=BASE, **kwargs)
        assert next(iter(option)) in str(info.value)
    finally:
        if "http_client" in kwargs:
            await kwargs["http_client"].aclose()


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"verify": 3}, "verify must be True, False, a CA bundle path or an ssl.SSLContext"),
        ({"verify": "/no/such/ca.pem"}, "no CA bundle file or directory"),
        ({"trust_env": "yes"}, "trust_env must be True or False"),
        ({"proxy": 3128}, "proxy must be a URL"),
        ({"proxy": "ftp://proxy:21"}, "proxy"),
    ],
)
def test_bad_network_options(option: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        InstagramClient("t0k3n", base_url=BASE, **option)


async def test_options_reach_httpx(tmp_path: Path) -> None:
    client = InstagramClient(
        "t0k3n", base_url=BASE, proxy="http://127.0.0.1:3128", trust_env=False, verify=False
    )
    try:
        backend = client._requester.backend
        assert isinstance(backend, HttpxBackend)
        assert backend.client.trust_env is False
        # the proxy is mounted for every URL (httpx's public mounts are not exposed otherwise)
        assert any(
            pattern.matches(httpx.URL("http://api.example/v1"))
            for pattern in backend.client._mounts
        )
    finally:
        await client.aclose()


def test_verify_may_be_a_path_or_a_context(tmp_path: Path) -> None:
    import trustme

    path = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    InstagramClient("t0k3n", base_url=BASE, verify=str(path))
    InstagramClient("t0k3n", base_url=BASE, verify=tmp_path)  # a directory of CA files
    InstagramClient("t0k3n", base_url=BASE, verify=ssl.create_default_context())
