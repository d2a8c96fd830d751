"""The README's "Per-call options, raw responses and retries" example runs, against the
emulator over a real loopback socket (the token and base_url swapped in)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from aioinstagram.emulator import Emulator, EmulatorConfig, serve

README = Path(__file__).resolve().parents[2] / "README.md"


def example() -> str:
    text = README.read_text()
    section = text.split("## Per-call options, raw responses and retries", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


async def test_the_readme_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    code = example()
    assert code.rstrip().endswith("asyncio.run(main())")
    code = code.rstrip().removesuffix("asyncio.run(main())")
    assert code.count('InstagramClient("ACCESS-TOKEN", ') == 1
    config = EmulatorConfig(users=300, seed=11, celebrity_followers=0, rate_limit=1_000_000)
    emu = Emulator(dataclasses.replace(config))
    async with serve(emu) as base_url:
        code = code.replace(
            'InstagramClient("ACCESS-TOKEN", ',
            f"InstagramClient({emu.token(emu.demo_user_id)!r}, base_url={base_url!r}, ",
        )
        namespace: dict[str, Any] = {}
        exec(compile(code, "README.md", "exec"), namespace)
        await namespace["main"]()
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[1] == "200"  # outgoing status, HTTP status, meta
    assert "RateLimit(" in out[1]
