"""``aioinstagram._runner``: the event loop and the stop signals of the CLI and the emulator."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest

from aioinstagram import _runner

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def test_returns_the_result_and_closes_the_loop() -> None:
    loops: list[asyncio.AbstractEventLoop] = []

    async def main() -> int:
        loops.append(asyncio.get_running_loop())
        return 42

    assert _runner.run(main()) == 42
    assert loops[0].is_closed()


def test_uses_uvloop_when_installed() -> None:
    uvloop = pytest.importorskip("uvloop")
    loop = _runner.new_event_loop()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


def test_an_error_of_main_propagates() -> None:
    async def main() -> None:
        raise LookupError("boom")

    with pytest.raises(LookupError, match="boom"):
        _runner.run(main())


@posix_only
def test_sigint_cancels_main_at_an_await_then_raises_keyboardinterrupt() -> None:
    events: list[str] = []

    async def main() -> None:
        try:
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):  # bounded: the signal lands at one of these awaits
                await asyncio.sleep(0.01)
            events.append("not interrupted")
        except asyncio.CancelledError:
            events.append("cancelled")
            raise
        finally:
            events.append("cleaned up")

    with pytest.raises(KeyboardInterrupt):
        _runner.run(main())
    assert events == ["cancelled", "cleaned up"]
    # The handler is gone: the interpreter's default is back.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@posix_only
def test_sigterm_calls_on_signal_and_main_ends_normally() -> None:
    stop = asyncio.Event()
    calls: list[str] = []

    async def main() -> str:
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000):
            if stop.is_set():
                return "stopped"
            await asyncio.sleep(0.01)
        return "not stopped"

    def on_signal() -> None:
        calls.append("stop")
        stop.set()

    result = _runner.run(main(), signals=(signal.SIGTERM,), on_signal=on_signal)
    assert result == "stopped"
    assert calls == ["stop"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_tasks_left_behind_are_cancelled() -> None:
    cancelled: list[bool] = []

    async def background() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async def main() -> None:
        asyncio.get_running_loop().create_task(background())
        await asyncio.sleep(0)

    _runner.run(main())
    assert cancelled == [True]
