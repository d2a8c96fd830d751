"""Serving the emulator over a real loopback socket with uvicorn.

``serve`` binds the socket itself (port 0 picks a free port), so the real port is known before
uvicorn starts and the yielded base URL is right even for port 0. uvicorn runs as a task of the
current event loop and does not install signal handlers (the caller owns Ctrl-C); leaving the
context asks it to exit and waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._emulator import Emulator

__all__ = ["base_url_for", "bind_socket", "serve", "serve_app"]


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port); port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose proto
    # says TCP, and accepted sockets inherit it. With proto 0, every answer written in two parts
    # waited for the client's delayed ACK: 40 ms per request.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def base_url_for(sock: socket.socket, host: str) -> str:
    """``http://HOST:PORT/v1`` for a bound socket (a wildcard host is shown as loopback)."""
    port = sock.getsockname()[1]
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/v1"


@contextlib.asynccontextmanager
async def serve_app(
    app: Any, host: str = "127.0.0.1", port: int = 0, *, log_level: str = "warning"
) -> AsyncIterator[str]:
    """Run any ASGI ``app`` (a ``RealtimeReceiver``'s, say) on a real socket in this event
    loop; yields its root URL ``http://127.0.0.1:PORT``. What :func:`serve` runs the emulator
    with.

    Args:
        app: The ASGI application.
        host: The interface to bind.
        port: The port; 0 picks a free one (the yielded URL has the real port).
        log_level: uvicorn's log level.
    """
    import uvicorn

    class _Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:  # the caller owns signals
            yield

    sock = bind_socket(host, port)
    config = uvicorn.Config(
        app, log_level=log_level, access_log=False, lifespan="off", timeout_notify=5
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()  # raises the startup error
                raise RuntimeError("the server stopped during startup")
            await asyncio.sleep(0.005)
        yield base_url_for(sock, host).removesuffix("/v1")
    finally:
        server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=10)
        except asyncio.TimeoutError:  # pragma: no cover - a stuck connection
            server.force_exit = True
            await task
        finally:
            sock.close()


@contextlib.asynccontextmanager
async def serve(
    emulator: Emulator, host: str = "127.0.0.1", port: int = 0, *, log_level: str = "warning"
) -> AsyncIterator[str]:
    """Run ``emulator`` on a real socket; yields the base URL ``http://127.0.0.1:PORT/v1``.

    Leaving the context stops the server and closes the socket.

    Args:
        emulator: The emulator to serve.
        host: The interface to bind.
        port: The port; 0 picks a free one (the yielded URL has the real port).
        log_level: uvicorn's log level.
    """
    async with serve_app(emulator.app, host, port, log_level=log_level) as root:
        yield root + "/v1"
