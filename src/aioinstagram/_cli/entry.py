"""The ``aioinstagram`` console script's entry point (and ``python -m aioinstagram``).

It imports nothing of the command line before checking that the ``cli`` extra is installed:
without click or rich the script says what to install, in one line, and exits with status 1
instead of dying with a ``ModuleNotFoundError`` traceback.
"""

from __future__ import annotations

import importlib.util
import sys

__all__ = ["main", "missing_cli_requirements"]

#: The modules the command line needs beyond the library (the ``cli`` extra).
CLI_REQUIREMENTS = ("click", "rich")


def missing_cli_requirements() -> list[str]:
    """The modules of the ``cli`` extra that cannot be imported."""
    missing = []
    for name in CLI_REQUIREMENTS:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a module set to None in sys.modules
            found = False
        if not found:
            missing.append(name)
    return missing


def main() -> None:
    """Run the command line, or say what to install and exit 1."""
    missing = missing_cli_requirements()
    if missing:
        sys.stderr.write(
            f"aioinstagram: the command line needs the 'cli' extra ({', '.join(missing)} "
            "missing): pip install 'aioinstagram[cli]'\n"
        )
        raise SystemExit(1)
    from ..cli import main as cli_main

    cli_main()
