"""The command line's client waits for a spent budget rather than failing each id after the
default 60-second retry deadline (a bulk lookup is the issue's main case)."""

from __future__ import annotations

from aioinstagram._cli.session import Settings, connect


async def test_the_cli_client_waits_for_the_window_bounded_by_max_rate_limit_wait() -> None:
    settings = Settings(emulator=False, token="t0ken", base_url="http://127.0.0.1:9/v1")
    async with connect(settings) as connection:
        policy = connection.client._transport.policy
    assert policy.deadline is None
    assert policy.rate_limit_max_wait == 3900.0
