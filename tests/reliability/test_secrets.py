"""Item 5 of issue 11: no secret is shown, even when a server or a proxy echoes the request.

Every error the client raises is checked in every form a user may see it: ``str``, ``repr``,
pickle, the formatted traceback with its chained causes, and ``logger.exception`` output."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import pickle
import traceback
from collections.abc import AsyncIterator

import httpx
import pytest
import respx

from aioinstagram import APIError, InstagramClient, InstagramError, TransportError
from aioinstagram._protocol import Credentials, build_request
from aioinstagram._redact import redact, register_secrets, scrub_exception
from aioinstagram._transports import TRANSPORT_NAMES

TOKEN = "9931.leak0canary0token0f3b2a7c9d1e5b8a4c6d0e2f"
SECRET = "leak0canary0secret0d41d8cd98f00b204e9800998"
BASE = "https://api.instagram.com/v1"


def every_view(exc: BaseException) -> str:
    """Everything a user may see of ``exc``."""
    log = logging.getLogger("tests.reliability.secrets")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    log.addHandler(handler)
    log.propagate = False
    try:
        try:
            raise exc
        except BaseException:
            log.exception("the call failed")
    finally:
        log.removeHandler(handler)
        log.propagate = True
    views = [
        str(exc),
        repr(exc),
        repr(pickle.loads(pickle.dumps(exc))) if isinstance(exc, InstagramError) else "",
        pickle.dumps(exc).decode("latin-1") if isinstance(exc, InstagramError) else "",
        "".join(traceback.format_exception(exc)),
        stream.getvalue(),
    ]
    return "\n".join(views)


def assert_clean(text: str) -> None:
    assert TOKEN not in text
    assert SECRET not in text
    for secret in (TOKEN, SECRET):  # nor a long piece of one (an echo cut anywhere)
        for i in range(len(secret) - 16):
            assert secret[i : i + 16] not in text, f"a fragment of a secret at {i}"


# -- servers that echo the request --------------------------------------------------------


@contextlib.asynccontextmanager
async def echo_server(shape: str) -> AsyncIterator[str]:
    """A raw server on 127.0.0.1 whose answer quotes the request it read."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            line = head.split(b"\r\n", 1)[0]
            if shape == "status-line":  # a garbled status line made of the request
                writer.write(b"HTTP/1.1 " + line + b"\r\n\r\n")
            elif shape == "cut":  # 100 bytes of it, cut inside the token
                writer.write(b"XTTP/1.1 200 " + line[40:140] + b"\r\n\r\n")
            elif shape == "header":  # a header line that is not a header
                writer.write(b"HTTP/1.1 200 OK\r\n" + line + b"\r\n\r\n")
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize("transport", [n for n in TRANSPORT_NAMES if n != "native"])
@pytest.mark.parametrize("shape", ["status-line", "cut", "header"])
async def test_an_echoed_request_never_shows_the_token(transport: str, shape: str) -> None:
    async with echo_server(shape) as base_url:
        try:
            client = InstagramClient(
                TOKEN,
                client_secret=SECRET,
                base_url=base_url,
                transport=transport,  # type: ignore[arg-type]
                max_retries=0,
            )
        except ImportError:  # an optional extra that is not installed
            pytest.skip(f"the {transport} transport is not installed")
        async with client:
            with pytest.raises(InstagramError) as info:
                await client.users.get(7)
    assert_clean(every_view(info.value))


async def test_api_error_message_echoing_the_token_is_scrubbed() -> None:
    echo = f"invalid token {TOKEN} (secret {SECRET}); the request was ?access_token={TOKEN}"
    with respx.mock(base_url=BASE) as api:
        api.get("/users/self").mock(
            return_value=httpx.Response(
                400,
                json={
                    "meta": {
                        "code": 400,
                        "error_type": "OAuthAccessTokenException",
                        "error_message": echo,
                    }
                },
            )
        )
        async with InstagramClient(
            TOKEN, client_secret=SECRET, http_client=httpx.AsyncClient()
        ) as client:
            with pytest.raises(APIError) as info:
                await client.users.get()
    err = info.value
    assert_clean(every_view(err))
    assert_clean(str(err.error_message))
    assert_clean(repr(dict(err.meta)))
    assert err.error_message is not None and err.error_message.startswith(
        "invalid token [REDACTED]"
    )


async def test_transport_error_chain_holding_a_url_is_scrubbed() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        # A foreign exception with the whole URL, itself caused by another that repeats it.
        try:
            raise OSError(f"proxy said: {request.url}")
        except OSError as inner:
            raise httpx.ConnectError(f"cannot reach {request.url}", request=request) from inner

    with respx.mock(base_url=BASE) as api:
        api.get("/users/self").mock(side_effect=refuse)
        async with InstagramClient(
            TOKEN, client_secret=SECRET, max_retries=0, http_client=httpx.AsyncClient()
        ) as client:
            with pytest.raises(TransportError) as info:
                await client.users.get()
    text = every_view(info.value)
    assert_clean(text)
    assert "ConnectError: cannot reach https://api.instagram.com/v1/users/self" in text


def test_request_spec_repr_shows_no_credential() -> None:
    for method in ("GET", "POST"):
        spec = build_request(
            method, "/users/self", {"q": "x"}, credentials=Credentials(TOKEN, None, SECRET)
        )
        text = repr(spec)
        assert_clean(text)
        assert "'sig', '[REDACTED]'" in text and "'q', 'x'" in text


def test_redact_scrubs_fragments_of_a_registered_secret_only() -> None:
    box = register_secrets([TOKEN])
    cut = TOKEN[7:30]
    assert cut not in redact(f"bad line b'GET /v1/x?q={cut}'")
    assert redact("user 0123456789012345678 ok") == "user 0123456789012345678 ok"
    del box


def test_scrub_exception_walks_cause_and_context() -> None:
    box = register_secrets([TOKEN])
    outer = ValueError(f"outer {TOKEN}")
    outer.__cause__ = KeyError(f"cause {TOKEN}")
    outer.__context__ = RuntimeError(b"context " + TOKEN.encode())
    scrub_exception(outer)
    assert_clean("".join(traceback.format_exception(outer)))
    del box


# -- httpx's log lines: ours scrubbed, another application's untouched ---------------------


async def test_only_our_requests_httpx_log_lines_are_scrubbed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    other_token = "another.apps.own.token.value.42"

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"meta": {"code": 200}, "data": {"id": "1", "username": "a"}}
        )

    with caplog.at_level(logging.INFO, logger="httpx"):
        async with (
            InstagramClient(
                TOKEN,
                client_secret=SECRET,
                http_client=httpx.AsyncClient(transport=httpx.MockTransport(answer)),
            ) as ours,
            httpx.AsyncClient(transport=httpx.MockTransport(answer)) as theirs,
        ):
            # Interleaved in one event loop, as in one process serving both.
            await asyncio.gather(
                ours.users.get(),
                theirs.get(f"https://example.invalid/x?access_token={other_token}&sig=abc"),
                ours.users.get(1),
            )
            await theirs.get(f"https://example.invalid/y?access_token={other_token}")
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert len(lines) == 4
    mine = [line for line in lines if "api.instagram.com" in line]
    foreign = [line for line in lines if "example.invalid" in line]
    assert len(mine) == 2 and len(foreign) == 2
    for line in mine:
        assert_clean(line)
        assert "access_token=[REDACTED]" in line and "sig=[REDACTED]" in line
    assert f"access_token={other_token}&sig=abc" in foreign[0]  # left exactly as it was
    assert f"access_token={other_token}" in foreign[1]
