"""A real loopback server for any ASGI app (the receiver under test): the emulator's own
``serve_app``; and a loopback URL where nothing listens."""

from __future__ import annotations

from aioinstagram.emulator import serve_app
from aioinstagram.emulator._server import bind_socket

__all__ = ["closed_port_url", "serve_app"]


def closed_port_url() -> str:
    """A loopback URL where nothing listens (bound then closed)."""
    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/callback"
