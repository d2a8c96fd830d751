"""Item 4 of issue 11: an outage shorter than ``retry_deadline`` loses nothing.

A bulk lookup of thousands of ids runs against the emulator over a real loopback socket; part
way, the server is stopped for a few seconds and restarted on the same port. With the circuit
breaker the batch pauses (one probe at a time) and resumes: every id ends with exactly the
outcome it gets from an undisturbed run, and no id ends as a TransportError."""

from __future__ import annotations

import asyncio
import dataclasses
import socket

import httpx

from aioinstagram import InstagramClient, InstagramError, Relationship, TransportError
from aioinstagram.emulator import Emulator, EmulatorConfig, serve

IDS = 3000
OUTAGE = 3.0  # seconds the server is away


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _key(outcome: Relationship | InstagramError) -> object:
    if isinstance(outcome, InstagramError):
        return type(outcome).__name__
    return outcome


async def test_bulk_lookup_survives_a_server_restart_with_nothing_lost() -> None:
    config = dataclasses.replace(
        EmulatorConfig(users=800, seed=11, celebrity_followers=0), rate_limit=10_000_000
    )
    emu = Emulator(config)
    token = emu.token(emu.demo_user_id)
    # Existing users, missing ones and private ones: the outcomes are mixed on purpose.
    ids = [str(1 + (i * 7919) % 1200) for i in range(IDS)]

    # The expected outcomes, from an undisturbed in-process run.
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=emu.app))
    async with (
        http,
        InstagramClient(
            token, base_url="http://emulator.invalid/v1", http_client=http
        ) as reference,
    ):
        expected = [_key(o) for o in await reference.relationships.get_many(ids)]

    port = _free_port()
    first_stop = asyncio.Event()
    restarted = asyncio.Event()

    async def run_server() -> None:
        async with serve(emu, port=port):
            await first_stop.wait()
        await asyncio.sleep(OUTAGE)
        async with serve(emu, port=port):
            restarted.set()
            await finished.wait()

    finished = asyncio.Event()
    server = asyncio.create_task(run_server())
    try:
        while True:  # wait until the first server listens
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                await asyncio.sleep(0.01)

        def progress(done: int, total: int | None) -> None:
            if done == IDS // 4:
                first_stop.set()  # the server goes away a quarter of the way in

        async with InstagramClient(
            token, base_url=f"http://127.0.0.1:{port}/v1", retry_deadline=60.0
        ) as client:
            outcomes = await client.relationships.get_many(ids, progress=progress)
            breaker = client._transport.breaker.state
        finished.set()
        await server
    finally:
        first_stop.set()
        finished.set()
        if not server.done():
            server.cancel()

    assert restarted.is_set()
    lost = [o for o in outcomes if isinstance(o, TransportError)]
    assert len(lost) == 0
    assert [_key(o) for o in outcomes] == expected
    assert breaker.opened >= 1  # the outage was seen, and ridden out
