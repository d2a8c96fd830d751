"""``aioinstagram.__all__`` is sorted and is exactly the public surface (httpx-style)."""

from __future__ import annotations

import types
import typing

import aioinstagram


def test_all_is_sorted() -> None:
    assert aioinstagram.__all__ == sorted(aioinstagram.__all__)


def test_all_has_no_duplicates() -> None:
    assert len(set(aioinstagram.__all__)) == len(aioinstagram.__all__)


def test_every_exported_name_is_importable() -> None:
    for name in aioinstagram.__all__:
        assert hasattr(aioinstagram, name), name
    namespace: dict[str, object] = {}
    exec("from aioinstagram import *", namespace)
    assert set(aioinstagram.__all__) <= set(namespace)


def test_no_private_names_exported() -> None:
    private = [n for n in aioinstagram.__all__ if n.startswith("_") and n != "__version__"]
    assert private == []


def test_all_is_exactly_the_public_members() -> None:
    # Submodules (``emulator``, ``cli``) become attributes once imported elsewhere; they are
    # packages, not members, so they are left out, as httpx's test leaves out nothing else.
    public = {
        name
        for name, value in vars(aioinstagram).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public | {"__version__"} == set(aioinstagram.__all__)


def test_exported_errors_are_instagram_errors() -> None:
    for name in aioinstagram.__all__:
        value = getattr(aioinstagram, name)
        if isinstance(value, type) and issubclass(value, BaseException):
            assert issubclass(value, aioinstagram.InstagramError), name


def test_version_is_a_string() -> None:
    assert isinstance(aioinstagram.__version__, str)
    assert aioinstagram.__version__.count(".") >= 1


def test_rate_budget_names_are_public() -> None:
    for name in (
        "BucketState",
        "BudgetStore",
        "InMemoryBudgetStore",
        "RateLimitEvent",
        "RedisBudgetStore",
    ):
        assert name in aioinstagram.__all__, name


def test_transport_name_is_the_literal_of_the_built_in_names() -> None:
    assert typing.get_args(aioinstagram.TransportName) == (
        "httpx",
        "fast",
        "aiohttp",
        "http2",
        "httpcore",
        "native",
    )


def test_many_workers_names_are_public() -> None:
    for name in ("LookupFailure", "LookupJob", "LookupOutcome", "run_lookup_job"):
        assert name in aioinstagram.__all__, name
