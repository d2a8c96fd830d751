"""``aioinstagram login``: the embedded flow, storing (0600) or printing the token, the stored
token used by later commands, and the loopback-listener flow against a served emulator."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from click.testing import CliRunner

from aioinstagram import AccessDeniedError
from aioinstagram._cli import login as login_mod
from aioinstagram._cli.login import load_stored, login_remote
from aioinstagram.cli import cli
from aioinstagram.emulator import serve

from .helpers import APP_ID, APP_SECRET, small_emulator


@pytest.fixture(autouse=True)
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cfg" / "credentials.json"
    monkeypatch.setenv("AIOINSTAGRAM_CONFIG", str(path))
    for name in ("INSTAGRAM_ACCESS_TOKEN", "INSTAGRAM_CLIENT_SECRET", "INSTAGRAM_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--users", "300", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_embedded_login_stores_a_0600_token_and_never_prints_secrets(config_file: Path) -> None:
    code, out, err = run("login", "--scope", "likes")
    assert code == 0, err
    assert out == ""
    assert "logged in as" in err and str(config_file) in err
    stored = load_stored(config_file)
    assert stored is not None and stored.base_url is None
    assert re.fullmatch(r"emulator-[0-9]+\.basic\+likes", stored.access_token)
    assert stat.S_IMODE(os.stat(config_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(config_file.parent).st_mode) == 0o700
    assert stored.access_token not in err and APP_SECRET not in err + out


def test_print_token_prints_for_the_environment_and_stores_nothing(config_file: Path) -> None:
    code, out, err = run("login", "--print-token", "--user-id", "5")
    assert code == 0, err
    assert out.strip() == "INSTAGRAM_ACCESS_TOKEN=emulator-5.basic"
    assert not config_file.exists()
    assert "emulator-5" not in err


def test_the_stored_token_is_what_later_commands_use(config_file: Path) -> None:
    assert run("login")[0] == 0  # basic only
    code, _, err = run("relationship", "5")
    assert code == 1
    assert "scope=follower_list" in err  # the stored, narrow token was used
    assert "emulator-" not in err
    assert run("login", "--scope", "follower_list")[0] == 0
    code, out, err = run("relationship", "5")
    assert code == 0, err
    assert '"outgoing_status"' in out


def test_login_errors_are_one_line_without_secrets() -> None:
    code, _, err = run("login", "--client-id", "nope", "--client-secret", "SUPERSECRET42")
    assert code == 1
    assert "does not match a valid application" in err and "SUPERSECRET42" not in err
    code, _, err = run("login", "--scope", "admin")
    assert code == 2 and "unknown scope" in err
    result = CliRunner().invoke(
        cli, ["--base-url", "http://127.0.0.1:9/v1", "login", "--client-secret", "x"]
    )
    assert result.exit_code == 2 and "--client-id" in result.stderr


def test_existing_file_permissions_are_tightened(config_file: Path) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text("{}")
    os.chmod(config_file, 0o644)
    assert run("login")[0] == 0
    assert stat.S_IMODE(os.stat(config_file).st_mode) == 0o600


class Browser:
    """Acts as the user's browser: consents (or refuses) and follows the redirect."""

    def __init__(self, decision: str = "allow", tamper_state: bool = False) -> None:
        self.decision = decision
        self.tamper_state = tamper_state

    def visit(self, url: str) -> None:
        with httpx.Client() as http:
            assert http.get(url).status_code == 200
            form = dict(parse_qsl(urlsplit(url).query))
            form["decision"] = self.decision
            form["user_id"] = "9"
            if self.tamper_state:
                form["state"] = "forged"
            root = url.split("/oauth/", 1)[0]
            answer = http.post(root + "/oauth/authorize/", data=form)
            assert answer.status_code == 302
            http.get(answer.headers["location"])

    async def __call__(self, url: str) -> None:
        thread = threading.Thread(target=self.visit, args=(url,))
        thread.start()  # the listener runs on this loop: do not block it


async def test_login_remote_against_a_served_emulator() -> None:
    emu = small_emulator()
    async with serve(emu) as base_url:
        token = await login_remote(
            base_url,
            client_id=APP_ID,
            client_secret=APP_SECRET,
            scopes=["comments"],
            open_url=Browser(),
        )
        assert token.user.id == "9"
        assert token.access_token == "emulator-9.basic+comments"
        with pytest.raises(AccessDeniedError):
            await login_remote(
                base_url, client_id=APP_ID, client_secret=APP_SECRET, scopes=[],
                open_url=Browser("deny"),
            )  # fmt: skip
        from aioinstagram import OAuthStateError

        with pytest.raises(OAuthStateError):
            await login_remote(
                base_url, client_id=APP_ID, client_secret=APP_SECRET, scopes=[],
                open_url=Browser(tamper_state=True),
            )  # fmt: skip


@pytest.fixture
def served_emulator() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "aioinstagram.emulator", "--port", "0", "--users", "300"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        base_url = None
        for line in proc.stdout:
            if line.startswith("base URL:"):
                base_url = line.split(":", 1)[1].strip()
            if "press Ctrl-C" in line:
                break
        assert base_url
        yield base_url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_cli_login_with_a_browser_against_a_served_emulator(
    served_emulator: str, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = Browser()
    monkeypatch.setattr(login_mod.webbrowser, "open", lambda url: browser.visit_later(url))  # type: ignore[attr-defined]
    browser.visit_later = lambda url: threading.Thread(  # type: ignore[attr-defined]
        target=browser.visit, args=(url,)
    ).start()
    result = CliRunner().invoke(
        cli,
        ["--base-url", served_emulator, "login", "--client-id", APP_ID, "--scope", "likes"],
        env={"INSTAGRAM_CLIENT_SECRET": APP_SECRET},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    assert "/oauth/authorize/?client_id=emulator-client" in result.stderr
    assert APP_SECRET not in result.stderr + result.stdout
    stored = load_stored(config_file)
    assert stored is not None
    assert (stored.access_token, stored.base_url) == ("emulator-9.basic+likes", served_emulator)
    # Later commands use it against that base.
    follow = CliRunner().invoke(cli, ["follow", "12"], catch_exceptions=False)
    assert follow.exit_code == 1 and "scope=relationships" in follow.stderr


def test_embedded_login_ignores_credentials_from_the_environment(config_file: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["--users", "300", "login"],
        env={"INSTAGRAM_CLIENT_ID": "real-app", "INSTAGRAM_CLIENT_SECRET": "real-secret"},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    assert load_stored(config_file) is not None
    assert "real-secret" not in result.stderr + result.stdout
