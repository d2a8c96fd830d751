"""Every public function and parameter is documented (the reference site is built from these).

Public: the names in ``aioinstagram.__all__`` and ``aioinstagram.emulator.__all__``, and every
public method of every endpoint-group resource (``aioinstagram._resources.*``, found by
walking the package, so a new group is checked without touching this test). A parameter counts
as documented when its name appears in the docstring (an ``Args:`` section, or the class's
``Attributes:`` for a model's fields).
"""

from __future__ import annotations

import enum
import importlib
import inspect
import pkgutil
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import aioinstagram
import aioinstagram._resources
import aioinstagram.emulator
from aioinstagram._resources._base import Resource


def _resources() -> Iterator[type[Resource]]:
    for info in pkgutil.iter_modules(aioinstagram._resources.__path__):
        module = importlib.import_module(f"aioinstagram._resources.{info.name}")
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, Resource) and value is not Resource:
                yield value


def _public() -> Iterator[tuple[str, Any]]:
    for module in (aioinstagram, aioinstagram.emulator):
        for name in module.__all__:
            if not name.startswith("__"):
                yield f"{module.__name__}.{name}", getattr(module, name)
    for cls in _resources():
        yield f"{cls.__module__}.{cls.__name__}", cls


def _parameters(fn: Callable[..., Any]) -> list[str]:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # pragma: no cover - a builtin without a signature
        return []
    return [
        name
        for name, param in signature.parameters.items()
        if name not in ("self", "cls")
        and not name.startswith("_")
        # ``**options: Unpack[CallOptions]``: the per-call options, documented once on
        # CallOptions (and in the client's docstring), not on each of the ~40 methods.
        and not (param.kind is inspect.Parameter.VAR_KEYWORD and name == "options")
    ]


def _gaps() -> list[str]:
    gaps: list[str] = []

    def check(qualname: str, fn: Callable[..., Any], also: str = "") -> None:
        doc = inspect.getdoc(fn) or ""
        if not doc.strip():
            gaps.append(f"{qualname}: no docstring")
            return
        gaps.extend(
            f"{qualname}: parameter {name!r} undocumented"
            for name in _parameters(fn)
            if name not in doc + also
        )

    for qualname, obj in _public():
        if inspect.isclass(obj):
            class_doc = obj.__doc__ or ""
            if not class_doc.strip():
                gaps.append(f"{qualname}: no docstring")
            if issubclass(obj, (BaseException, enum.Enum)):
                continue  # their constructors are not called by users
            init = vars(obj).get("__init__")
            if init is not None:
                check(f"{qualname}.__init__", init, class_doc)
            for attr, value in vars(obj).items():
                if attr.startswith("_"):
                    continue
                if inspect.isfunction(value):
                    check(f"{qualname}.{attr}", value)
                elif isinstance(value, property) and value.fget is not None:
                    check(f"{qualname}.{attr}", value.fget)
        elif typing.get_origin(obj) is not None:
            continue  # a type alias (Literal[...], ...): documented where it is defined
        elif callable(obj):
            check(qualname, obj)
    return gaps


def test_every_public_function_and_parameter_is_documented() -> None:
    assert _gaps() == []


def test_the_check_sees_every_endpoint_group() -> None:
    names = {cls.__name__ for cls in _resources()}
    assert {"UsersResource", "RelationshipsResource"} <= names


@pytest.mark.parametrize("name", ["get", "follows", "get_many"])
def test_the_check_would_catch_a_gap(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from aioinstagram._resources.relationships import RelationshipsResource

    monkeypatch.setattr(getattr(RelationshipsResource, name), "__doc__", "Undocumented.")
    assert any(gap.startswith(f"aioinstagram._resources.relationships.RelationshipsResource.{name}")
               for gap in _gaps())  # fmt: skip


# -- the reference site covers what exists ------------------------------------------------------

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_error_has_its_entry_on_the_errors_page() -> None:
    page = (DOCS / "errors.md").read_text(encoding="utf-8")
    errors = [
        name
        for name in aioinstagram.__all__
        if inspect.isclass(getattr(aioinstagram, name))
        and issubclass(getattr(aioinstagram, name), BaseException)
    ]
    assert "InstagramError" in errors
    assert [name for name in errors if f"::: aioinstagram.{name}\n" not in page] == []


def test_every_endpoint_group_has_a_page_in_the_site() -> None:
    pages = "".join(p.read_text(encoding="utf-8") for p in (DOCS / "endpoints").glob("*.md"))
    nav = (DOCS.parent / "mkdocs.yml").read_text(encoding="utf-8")
    missing = [
        cls.__name__
        for cls in _resources()
        if f"::: {cls.__module__}.{cls.__name__}\n" not in pages
    ]
    assert missing == []
    for page in (DOCS / "endpoints").glob("*.md"):
        assert f"endpoints/{page.name}" in nav, f"{page.name} is not in mkdocs.yml's nav"
