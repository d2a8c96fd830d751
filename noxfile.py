"""Development sessions (``nox -l`` lists them; ``.ci/run`` runs what CI runs).

* ``tests``: the test suite on every Python the package claims (3.10 to 3.13); the run on
  ``COVERAGE_PYTHON`` also measures statement coverage and fails under ``COVERAGE_FLOOR``.
* ``lint``: ruff check and ruff format --check.
* ``typecheck``: mypy --strict over the package, and over the tests (check_untyped_defs).
* ``docs``: the reference site (MkDocs + mkdocstrings), warnings as errors.
* ``package``: build the wheel and the sdist (contents checked by ``.ci/check_dist.py``),
  install the wheel into a clean virtualenv and run a smoke test against the emulator from it
  (``.ci/smoke.py``), and into another without extras (``.ci/smoke_bare.py``).
* ``bench``: the benchmarks against raw baselines (``benchmarks/README.md``); not in CI.

Every session installs the package with its extras and the PEP 735 dependency groups of
``pyproject.toml`` (pip >= 25.1 reads them too: ``pip install --group dev``). ``.ci/run``
installs the tools once and runs ``lint typecheck docs package`` with ``--no-venv
--no-install`` in that environment, and ``tests`` in one virtualenv per Python.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "docs"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False  # .ci/run turns it on: CI needs them all

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")

#: Every Python the classifiers claim; CI fails when one is missing.
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]

#: The interpreter whose test run measures coverage (sys.monitoring makes it cheap from 3.12).
COVERAGE_PYTHON = "3.12"

#: Statement coverage measured when the gate was set (94.2%, rounded down); raise it, never
#: lower it.
COVERAGE_FLOOR = 94

#: The extras the tests exercise (every optional code path is tested).
TEST_EXTRAS = ".[cli,speed,aiohttp,http2,pytest,redis]"


def groups(*names: str) -> list[str]:
    """The requirements of these dependency groups (PEP 735)."""
    return [req for name in names for req in nox.project.dependency_groups(PYPROJECT, name)]


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The test suite; on COVERAGE_PYTHON also the coverage gate."""
    session.install("-e", TEST_EXTRAS, *groups("test"))
    if session.python == COVERAGE_PYTHON and "--no-cov" not in session.posargs:
        session.run("coverage", "erase")
        # sys.monitoring (3.12+): statement coverage at a fraction of the tracer's cost.
        env = {"COVERAGE_CORE": "sysmon"}
        session.run("coverage", "run", "-m", "pytest", "-q", *session.posargs, env=env)
        session.run("coverage", "report", f"--fail-under={COVERAGE_FLOOR}")
    else:
        args = [a for a in session.posargs if a != "--no-cov"]
        session.run("pytest", "-q", *args)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install(*groups("lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy: --strict over the package, check_untyped_defs over the tests (pyproject)."""
    session.install("-e", TEST_EXTRAS, *groups("typecheck"))
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """The reference site into site/, warnings as errors (``-- serve`` to preview it)."""
    session.install("-e", TEST_EXTRAS, *groups("docs"))
    if session.posargs == ["serve"]:
        session.run("mkdocs", "serve")
    else:
        session.run("mkdocs", "build", "--strict", "--site-dir", "site", *session.posargs)


@nox.session
def package(session: nox.Session) -> None:
    """Build the wheel and sdist into dist/, install the wheel into a clean virtualenv (no
    source tree on its path) and run the smoke test against the emulator."""
    session.install(*groups("ci"))
    dist = ROOT / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", str(dist), str(ROOT))
    wheels = sorted(dist.glob("aioinstagram-*.whl"))
    sdists = sorted(dist.glob("aioinstagram-*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        session.error(f"expected one wheel and one sdist in {dist}")
    session.run("python", str(ROOT / ".ci" / "check_dist.py"), str(wheels[0]), str(sdists[0]))
    # With the cli extra: the library, the emulator and the script against it (smoke.py);
    # without extras: the library imports, the programs say what to install (smoke_bare.py).
    for extras, script in (("[cli]", "smoke.py"), ("", "smoke_bare.py")):
        with tempfile.TemporaryDirectory(prefix="aioinstagram-wheel-") as tmp:
            venv = Path(tmp) / "venv"
            session.run("python", "-m", "venv", str(venv))
            bindir = venv / ("Scripts" if sys.platform == "win32" else "bin")
            python = str(bindir / "python")
            session.run(python, "-m", "pip", "install", "-q", f"{wheels[0]}{extras}", external=True)
            # Run from the temporary folder: only the installed wheel can be imported.
            shutil.copy(ROOT / ".ci" / script, Path(tmp) / script)
            env = {"PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}", "PYTHONPATH": ""}
            with session.chdir(tmp):
                session.run(python, "-I", script, external=True, env=env)


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmarks against raw baselines (see benchmarks/README.md)."""
    session.install("-e", ".[cli,emulator,speed,aiohttp,http2,redis]", *groups("bench"))
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session(python=False)
def soak(session: nox.Session) -> None:
    """50,000 lookups and a 100,000-follower walk against the emulator over a real socket,
    with ~10% injected faults and one restart (tests/reliability/soak.py); not in the default
    run. Pass options after --, for example ``nox -s soak -- --lookups 5000``."""
    session.run("python", "-m", "tests.reliability.soak", *session.posargs)
