"""Running a program's main coroutine: the event loop (uvloop when installed) and its signals.

Used by the ``aioinstagram`` command line and ``python -m aioinstagram.emulator``; the library
itself never starts a loop.

Theory of operation. ``asyncio.run`` turns Ctrl-C into a clean cancellation of the main task
only from Python 3.11; on 3.10 SIGINT raises ``KeyboardInterrupt`` wherever the interpreter
happens to be (between printing a result and counting it, inside a paginator's bookkeeping), so
what was printed and what a resume cursor says could disagree. :func:`run` installs its own
handlers on the loop (``loop.add_signal_handler``) on every version:

1. The first stop signal runs ``on_signal`` if given (a server sets its ``should_exit``), or
   else cancels the main task, which then unwinds at an ``await`` like any cancellation:
   ``finally`` blocks and ``async with`` exits run, state stays consistent.
2. The handlers are removed at once, so a second signal has its default effect
   (``KeyboardInterrupt`` for SIGINT, termination for SIGTERM): an impatient user can always
   get out.
3. A main task that ended cancelled because of a signal raises ``KeyboardInterrupt`` to the
   caller, as ``asyncio.run`` does from 3.11.

Where signal handlers cannot be installed (Windows, a thread other than the main one), the
interpreter's default behaviour is left alone.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

__all__ = ["new_event_loop", "run"]

T = TypeVar("T")


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A new event loop: uvloop's when it is installed (the ``speed`` extra), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def run(
    main: Coroutine[Any, Any, T],
    *,
    signals: Sequence[signal.Signals] = (signal.SIGINT,),
    on_signal: Callable[[], object] | None = None,
) -> T:
    """Run ``main`` to completion on a new event loop and close the loop.

    The first of ``signals`` to arrive calls ``on_signal()``, or cancels ``main`` when it is
    None (then ``KeyboardInterrupt`` is raised here once ``main`` has unwound).
    """
    loop = new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        task = loop.create_task(main)
        received: list[signal.Signals] = []
        installed: list[signal.Signals] = []

        def remove_handlers() -> None:
            while installed:
                loop.remove_signal_handler(installed.pop())

        def handle(signum: signal.Signals) -> None:
            received.append(signum)
            remove_handlers()  # rule 2: a second signal has its default effect
            if on_signal is not None:
                on_signal()
            else:
                task.cancel()

        for signum in signals:
            try:
                loop.add_signal_handler(signum, handle, signum)
            except (NotImplementedError, RuntimeError, ValueError):  # pragma: no cover
                break  # Windows, or not the main thread: the default behaviour stays
            installed.append(signum)
        try:
            return loop.run_until_complete(task)
        except asyncio.CancelledError:
            if received and on_signal is None:
                raise KeyboardInterrupt from None
            raise
        finally:
            remove_handlers()
    finally:
        try:
            _cancel_all_tasks(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            asyncio.set_event_loop(None)
            loop.close()


def _cancel_all_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel the tasks still pending and wait for them (as ``asyncio.run`` does)."""
    pending = asyncio.all_tasks(loop)
    if not pending:
        return
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    for task in pending:
        if task.cancelled():
            continue
        exc = task.exception()
        if exc is not None:
            loop.call_exception_handler(
                {"message": "unhandled exception during shutdown", "exception": exc, "task": task}
            )
