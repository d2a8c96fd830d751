"""Sessions: tests, lint, typecheck (what CI runs), and bench."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False

PYTHON = ["3.11", "3.10", "3.12"]


@nox.session(python=False)
def ci(session: nox.Session) -> None:
    """tests + lint + typecheck in the current environment (used by `.ci/run` after a single
    install, so CI installs once instead of three times)."""
    session.run("pytest", "-q", *session.posargs)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("pytest", "-q", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[typecheck]")
    session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmarks against raw baselines (see benchmarks/README.md)."""
    session.install("-e", ".[bench]")
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session(python=False)
def soak(session: nox.Session) -> None:
    """50,000 lookups and a 100,000-follower walk against the emulator over a real socket,
    with ~10% injected faults and one restart (tests/reliability/soak.py); not in the default
    run. Pass options after --, for example ``nox -s soak -- --lookups 5000``."""
    session.run("python", "-m", "tests.reliability.soak", *session.posargs)
