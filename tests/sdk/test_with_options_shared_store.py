"""A ``with_options`` copy of a client whose budgets live in a real Redis (started by the
suite): the copy spends the same budget, and closing it leaves the store open."""

from __future__ import annotations

import pytest
import respx

from aioinstagram import InstagramClient, RedisBudgetStore

from ..ratelimit.conftest import redis_process, redis_url  # noqa: F401 (fixtures)
from ..unit.helpers import BASE, TOKEN, ok, user


async def test_the_copy_shares_a_redis_budget_and_leaves_it_open(
    redis_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closed: list[RedisBudgetStore] = []
    real_aclose = RedisBudgetStore.aclose

    async def aclose(self: RedisBudgetStore) -> None:
        closed.append(self)
        await real_aclose(self)

    monkeypatch.setattr(RedisBudgetStore, "aclose", aclose)
    with respx.mock(base_url=BASE) as api:
        api.get("/users/self").mock(return_value=ok(user(1)))
        client = InstagramClient(TOKEN, transport="httpcore", budget_store=redis_url)
        async with client:
            copy = client.with_options(timeout=5, max_retries=0)
            await copy.users.get()
            await copy.users.get()
            used_by_copy = client.rate_limits["token"].used
            assert used_by_copy >= 2  # the copy's calls count in the original's budget
            await copy.aclose()
            assert closed == []  # the copy leaves the store to the original
            assert not client.is_closed
            await client.users.get()
            assert client.rate_limits["token"].used == used_by_copy + 1
        assert len(closed) == 1  # closed once, by the client that made it
