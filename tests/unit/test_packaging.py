"""Packaging metadata agrees with itself: version, license, the Pythons claimed and tested."""

from __future__ import annotations

import ast
import importlib.metadata
import sys
from pathlib import Path

import aioinstagram

ROOT = Path(__file__).resolve().parents[2]


def _tested_pythons() -> list[str]:
    """``PYTHONS`` of noxfile.py: the interpreters CI runs the suite on."""
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "PYTHONS" for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            assert isinstance(value, list)
            return [str(v) for v in value]
    raise AssertionError("noxfile.py has no PYTHONS")


def test_one_version() -> None:
    assert importlib.metadata.version("aioinstagram") == aioinstagram.__version__


def test_classifiers_claim_exactly_the_tested_pythons() -> None:
    classifiers = importlib.metadata.metadata("aioinstagram").get_all("Classifier") or []
    prefix = "Programming Language :: Python :: 3."
    claimed = sorted(
        (c.removeprefix("Programming Language :: Python :: ") for c in classifiers
         if c.startswith(prefix)),
        key=lambda v: tuple(map(int, v.split("."))),
    )  # fmt: skip
    assert claimed == _tested_pythons()
    major, minor = sys.version_info[:2]
    assert f"{major}.{minor}" in claimed  # this interpreter is one the package claims


def test_license_is_mit_and_shipped() -> None:
    meta = importlib.metadata.metadata("aioinstagram")
    assert meta["License-Expression"] == "MIT"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "Permission is hereby granted, free of charge" in text


def test_project_urls() -> None:
    urls = importlib.metadata.metadata("aioinstagram").get_all("Project-URL") or []
    labels = {u.split(",", 1)[0].strip().lower() for u in urls}
    assert {"homepage", "documentation", "source", "issues", "changelog"} <= labels
