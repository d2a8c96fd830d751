"""``aioinstagram lookup --workers N --redis URL``: the command's glue around the library's
:func:`~aioinstagram.run_lookup_job` (``aioinstagram._workers``, where the queue, the leases
and the exactly-one-outcome rules live)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .._protocol import DEFAULT_BASE_URL
from .._workers import run_lookup_job

__all__ = ["lookup_with_workers"]


async def lookup_with_workers(
    *,
    base_url: str | None,
    token: str | None,
    client_secret: str | None,
    timeout: float,
    emulator: Any,
    ids: Sequence[str],
    workers: int,
    redis_url: str,
    job: str | None,
    concurrency: int,
) -> list[str]:
    """The JSON Lines of every id, in input order. With the embedded emulator, it is served on
    a loopback socket for the worker processes. ``concurrency`` is shared by the workers."""

    async def run(url: str, access_token: str | None) -> list[str]:
        outcomes = await run_lookup_job(
            ids,
            redis=redis_url,
            workers=workers,
            access_token=access_token,
            client_secret=client_secret,
            base_url=url,
            job=job,
            concurrency=max(1, concurrency // workers),
            timeout=timeout,
        )
        return [json.dumps(outcome.to_record()) for outcome in outcomes]

    if not ids:
        return []
    if emulator is None:
        return await run(base_url or DEFAULT_BASE_URL, token)
    from ..emulator import serve

    async with serve(emulator) as served:
        return await run(served, token or emulator.token(emulator.demo_user_id))
