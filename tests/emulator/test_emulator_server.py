"""The three ways to run the emulator: in process, ``serve`` on a socket, and the shell command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

import aioinstagram.emulator as emulator_pkg
from aioinstagram.emulator import Emulator, serve

SRC = Path(emulator_pkg.__file__).resolve().parents[2]


async def test_serve_on_a_free_port(make_emu: Callable[..., Emulator]) -> None:
    emu = make_emu()
    async with serve(emu, host="127.0.0.1", port=0) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/v1")
        port = int(base_url.rsplit(":", 1)[1].split("/")[0])
        assert port > 0
        async with httpx.AsyncClient() as client:
            r = await client.get(f"{base_url}/users/self", params={"access_token": emu.demo_token})
            assert r.status_code == 200
            assert r.json()["data"]["id"] == emu.demo_user_id
            assert r.headers["x-ratelimit-limit"] == str(emu.config.rate_limit)
            nxt = (
                await client.get(
                    f"{base_url}/users/self/followed-by",
                    params={"access_token": emu.demo_token, "count": 1},
                )
            ).json()["pagination"]["next_url"]
            assert nxt.startswith(base_url + "/users/self/followed-by?")
            assert (await client.get(nxt)).status_code == 200
    # Stopped: the port is closed.
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"{base_url}/users/self")


def test_cli_starts_answers_and_stops_on_sigint() -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "aioinstagram.emulator", "--host", "127.0.0.1", "--port", "0",
         "--users", "500", "--seed", "3", "--celebrity-followers", "1000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip
    guard = threading.Timer(60, proc.kill)  # never hang the test run
    guard.start()
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl-C" in line:
                break
        text = "".join(lines)
        base_url = next(ln.split()[-1] for ln in lines if ln.startswith("base URL:"))
        token = next(ln.split()[2] for ln in lines if ln.startswith("demo token:"))
        assert base_url.startswith("http://127.0.0.1:"), text
        assert token.startswith("emulator-"), text
        r = httpx.get(f"{base_url}/users/self", params={"access_token": token}, timeout=10)
        assert r.status_code == 200
        assert token == "emulator-" + r.json()["data"]["id"]
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "emulator stopped" in out
        assert "Traceback" not in err
    finally:
        guard.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_bound_socket_is_tcp_so_asyncio_disables_nagle() -> None:
    # asyncio sets TCP_NODELAY only on sockets whose proto is TCP (accepted sockets inherit it);
    # with proto 0 every answer waited ~40 ms for the client's delayed ACK.
    import socket

    from aioinstagram.emulator._server import bind_socket

    sock = bind_socket("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def _start_emulator_command(*extra: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "aioinstagram.emulator", "--host", "127.0.0.1",
         "--users", "200", "--celebrity-followers", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_cli_stops_on_sigterm_with_status_0() -> None:
    proc = _start_emulator_command("--port", "0")
    guard = threading.Timer(60, proc.kill)  # never hang the test run
    guard.start()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "Ctrl-C" in line:
                break
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "emulator stopped" in out
        assert "Traceback" not in err
    finally:
        guard.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_on_a_busy_port_prints_one_line() -> None:
    from aioinstagram.emulator._server import bind_socket

    busy = bind_socket("127.0.0.1", 0)
    try:
        port = busy.getsockname()[1]
        proc = _start_emulator_command("--port", str(port))
        _, err = proc.communicate(timeout=60)
    finally:
        busy.close()
    assert proc.returncode == 1
    assert err.splitlines() == [
        f"error: cannot listen on 127.0.0.1 port {port}: " + err.split(": ")[-1].strip()
    ]
    assert "Address already in use" in err or "in use" in err.lower()
    assert "Traceback" not in err


def test_cli_without_uvicorn_prints_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from aioinstagram.emulator.__main__ import main

    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn raises ImportError
    assert main(["--port", "0", "--users", "50", "--celebrity-followers", "0"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert (
        err
        == "error: the emulator needs the 'emulator' extra: pip install 'aioinstagram[emulator]'\n"
    )


def test_cli_help_describes_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    from aioinstagram.emulator.__main__ import _parser, main

    undocumented = [a.dest for a in _parser()._actions if not a.help]
    assert undocumented == []
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for text in ("--era", "only the token owner's", "--scopes", "follower_list", "--drop-rate",
                 "without an answer", "Retry-After", "SIGTERM"):  # fmt: skip
        assert text in out, text
