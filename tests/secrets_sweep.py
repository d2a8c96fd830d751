"""The suite-wide secrets sweep (issue 11): a pytest plugin, loaded by ``tests/conftest.py``.

The suite's credentials are distinctive strings (:data:`SWEPT`). The sweep fails any test in
which one of them, or a long piece of one, shows up where a user could see it:

* every log record of the process: a handler on the root logger formats each record with its
  traceback (``exc_info``, chained causes included); and the library's and httpx's records
  are swept at every level, DEBUG included, even where nobody enabled them: their loggers are
  opened one step below (``_MARK``) and a last filter on each checks the record, then lets
  it on only when the logging configuration would have (so no test sees more records, and
  pytest keeps no more of them in memory, than without the sweep);
* every exception a client call raises: ``Requester.send`` is wrapped for the session, and
  each exception leaving it is rendered as ``str``, ``repr``, pickle and formatted traceback;
* every test report: the failure's traceback (``longrepr``) and the captured stdout, stderr
  and log sections, whether the test passed or failed.

A leak turns the test into a failure whose message says where, with the secret scrubbed.
``tests/reliability/test_sweep.py`` plants leaks to prove each channel is watched.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import pickle
import traceback
from collections.abc import Generator, Iterator
from typing import Any

import pytest

#: The credentials the suite uses (tests/unit/helpers.py, tests/relationships/helpers.py,
#: tests/reliability/test_secrets.py).
SWEPT: tuple[str, ...] = (
    "fb2e77d.47a0479900504cb3ab4a1f626d174d2d",
    "6dc1787668c64c939929c17683d7cb74",
    "test.token.0123456789",
    "9931.leak0canary0token0f3b2a7c9d1e5b8a4c6d0e2f",
    "leak0canary0secret0d41d8cd98f00b204e9800998",
)
_PIECE = 16  # a run of this many characters of a swept secret counts as a leak


def _pieces() -> frozenset[str]:
    return frozenset(
        s[i : i + _PIECE] for s in SWEPT if len(s) > _PIECE for i in range(len(s) - _PIECE + 1)
    )


_PIECES = _pieces()


def leaks_in(text: str) -> bool:
    """True when ``text`` shows a swept secret, whole or a long piece of it."""
    if any(secret in text for secret in SWEPT):
        return True
    return any(text[i : i + _PIECE] in _PIECES for i in range(len(text) - _PIECE + 1))


def scrub(text: str) -> str:
    """``text`` with every swept secret, and every long piece of one, replaced."""
    for secret in SWEPT:
        text = text.replace(secret, "[SWEPT]")
    out, i = [], 0
    while i < len(text):
        if text[i : i + _PIECE] in _PIECES:
            out.append("[SWEPT]")
            i += _PIECE
            while i < len(text) and text[i - _PIECE + 1 : i + 1] in _PIECES:
                i += 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def render_exception(exc: BaseException) -> str:
    views = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    with contextlib.suppress(Exception):  # not every foreign exception pickles
        views.append(pickle.dumps(exc).decode("latin-1"))
    return "\n".join(views)


class Sweep:
    """What the sweep saw in the running test: ``leaks`` lists where (never what)."""

    def __init__(self) -> None:
        self.leaks: list[str] = []

    def check(self, text: str, where: str) -> None:
        if leaks_in(text):
            self.leaks.append(where)

    def take(self) -> list[str]:
        leaks, self.leaks = self.leaks, []
        return leaks


SWEEP = Sweep()


#: Our loggers (logger filters do not reach child loggers, so each is listed) and httpx's.
_SWEPT_LOGGERS = ("aioinstagram", "aioinstagram.transport", "httpx")
_MARK = logging.DEBUG - 1  # the level the sweep sets; any other means a test set its own


class _Filter(logging.Filter):
    """Checks every record of a swept logger, then passes it only if the configuration would
    have without the sweep (the level set above it, else the root logger's)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = logging.Formatter("%(message)s").format(record)
        except Exception:
            return True
        SWEEP.check(text, f"a log record of {record.name!r}")
        log: logging.Logger | None = logging.getLogger(record.name)
        while log is not None and log.level == logging.NOTSET:
            log = log.parent
        if log is not None and log.level == _MARK:
            return record.levelno >= logging.getLogger().getEffectiveLevel()
        return True


_FILTER = _Filter()


class _Handler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # a broken record is not our concern here
            return
        SWEEP.check(text, f"a log record of {record.name!r}")


def _wrap_send() -> Any:
    from aioinstagram._transport import Requester as Transport

    original = Transport.send

    @functools.wraps(original)
    async def send(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await original(self, *args, **kwargs)
        except BaseException as exc:
            SWEEP.check(render_exception(exc), f"a {type(exc).__name__} raised by a call")
            raise

    Transport.send = send  # type: ignore[method-assign]
    return original


@pytest.fixture(scope="session", autouse=True)
def _secrets_sweep_session() -> Iterator[None]:
    from aioinstagram._logging import install_redaction
    from aioinstagram._transport import Requester as Transport

    handler = _Handler()
    root = logging.getLogger()
    root.addHandler(handler)
    install_redaction()  # the library's redaction runs first; the sweep checks what follows it
    levels = {}
    for name in _SWEPT_LOGGERS:
        log = logging.getLogger(name)
        log.addFilter(_FILTER)
        if name != "aioinstagram.transport":
            levels[name] = log.level
            log.setLevel(_MARK)
    original = _wrap_send()
    try:
        yield
    finally:
        Transport.send = original  # type: ignore[method-assign]
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        for name in _SWEPT_LOGGERS:
            logging.getLogger(name).removeFilter(_FILTER)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    where = list(SWEEP.take())
    if report.longrepr is not None and leaks_in(str(report.longrepr)):
        where.append("the failure report")
    sections = []
    for name, content in report.sections:
        if leaks_in(content):
            if name.endswith(report.when):  # earlier phases' sections were reported then
                where.append(f"the section {name!r}")
            content = scrub(content)
        sections.append((name, content))
    report.sections = sections
    if where:
        report.outcome = "failed"
        report.longrepr = (
            f"secrets sweep: a credential of the suite was shown in the {report.when} phase, in "
            + "; ".join(dict.fromkeys(where))
            + " (see tests/secrets_sweep.py)"
        )
