"""Every subcommand through click's runner, on a small embedded emulator (500 users)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aioinstagram._cli.session import Settings, build_emulator
from aioinstagram.emulator import Emulator

from .helpers import (
    EMU,
    assert_one_line_error,
    ids_of,
    invoke,
    records,
    resume_cursor,
    stderr_lines,
)

REL_KEYS = {"user_id", "outgoing_status", "incoming_status", "target_user_is_private"}


@pytest.fixture(scope="module")
def emulator() -> Emulator:
    """The same graph as ``--users 500`` (read only: each CLI run builds its own)."""
    return build_emulator(Settings(emulator=True, users=500, seed=1))


@pytest.fixture(scope="module")
def all_followers() -> list[str]:
    result = invoke(*EMU, "followers", "--count", "10", "--no-progress")
    assert result.exit_code == 0, result.stderr
    assert "end of list" in result.stderr
    assert resume_cursor(result.stderr) is None
    return ids_of(records(result))


# -- the group --------------------------------------------------------------------------------


def test_no_token_means_the_embedded_emulator_said_on_stderr() -> None:
    result = invoke("--users", "500", "relationship", "1")
    assert result.exit_code == 0, result.stderr
    notice = [line for line in stderr_lines(result) if "embedded emulator" in line]
    assert len(notice) == 1
    assert "no access token" in notice[0]
    assert records(result)[0]["user_id"] == "1"


def test_explicit_emulator_adds_no_notice() -> None:
    result = invoke(*EMU, "relationship", "1")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""


def test_help_and_version() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for name in ("follows", "followers", "requests", "relationship", "lookup", "demo", "deny"):
        assert name in result.stdout
    assert invoke("--version").stdout.startswith("aioinstagram, version ")


def test_emulator_and_base_url_conflict() -> None:
    result = invoke("--emulator", "--base-url", "http://127.0.0.1:9/v1", "relationship", "1")
    assert_one_line_error(result, 2, "--base-url")


def test_emulator_options_need_the_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSTAGRAM_ACCESS_TOKEN", "real-token-123456")
    result = invoke("--users", "600", "relationship", "1")
    assert_one_line_error(result, 2, "--emulator")


def test_unknown_command_is_a_usage_error() -> None:
    result = invoke(*EMU, "mute", "1")
    assert_one_line_error(result, 2, "No such command", "mute")


# -- walks ------------------------------------------------------------------------------------


def test_follows_with_limit_prints_users_and_the_resume_cursor() -> None:
    result = invoke(*EMU, "follows", "--limit", "5", "--no-progress")
    assert result.exit_code == 0, result.stderr
    users = records(result)
    assert len(users) == 5
    for user in users:
        assert user["id"].isdigit()
        assert user["username"]
        assert None not in user.values()
    assert resume_cursor(result.stderr) is not None


def test_follows_of_another_user_to_the_end(emulator: Emulator) -> None:
    graph = emulator.graph
    uid = next(u for u in range(1, 501) if not graph.is_private(u) and graph.follows_count(u) > 3)
    result = invoke(*EMU, "follows", str(uid), "--no-progress")
    assert result.exit_code == 0, result.stderr
    assert "end of list" in result.stderr
    assert len(records(result)) >= 3


def test_follows_of_a_private_user_is_one_line() -> None:
    private = "1"
    result = invoke(*EMU, "follows", private, "--no-progress")
    assert_one_line_error(result, 1, "APINotAllowedError")


def test_followers_full_walk(all_followers: list[str]) -> None:
    assert len(all_followers) > 50


@pytest.mark.parametrize("limit", [1, 9, 10, 11, 57])
def test_followers_resume_gives_exactly_the_rest(all_followers: list[str], limit: int) -> None:
    first = invoke(*EMU, "followers", "--count", "10", "--limit", str(limit), "--no-progress")
    assert first.exit_code == 0, first.stderr
    head = ids_of(records(first))
    assert head == all_followers[:limit]
    cursor = resume_cursor(first.stderr)
    assert cursor is not None
    rest = invoke(*EMU, "followers", "--count", "10", "--cursor", cursor, "--no-progress")
    assert rest.exit_code == 0, rest.stderr
    assert head + ids_of(records(rest)) == all_followers


def test_followers_walked_in_chunks_equals_the_full_walk(all_followers: list[str]) -> None:
    collected: list[str] = []
    cursor: str | None = None
    for _ in range(100):
        args = [*EMU, "followers", "--count", "10", "--limit", "23", "--no-progress"]
        if cursor is not None:
            args += ["--cursor", cursor]
        result = invoke(*args)
        assert result.exit_code == 0, result.stderr
        collected += ids_of(records(result))
        cursor = resume_cursor(result.stderr)
        if cursor is None:
            break
    assert collected == all_followers


def test_requests_walk_and_resume() -> None:
    full = invoke(*EMU, "requests", "--no-progress")
    assert full.exit_code == 0, full.stderr
    everyone = ids_of(records(full))
    assert len(everyone) >= 2
    first = invoke(*EMU, "requests", "--limit", "1", "--count", "1", "--no-progress")
    cursor = resume_cursor(first.stderr)
    assert cursor is not None
    rest = invoke(*EMU, "requests", "--count", "1", "--cursor", cursor, "--no-progress")
    assert ids_of(records(first)) + ids_of(records(rest)) == everyone


def test_walk_progress_goes_to_stderr_only() -> None:
    result = invoke(*EMU, "followers", "--limit", "3")
    assert result.exit_code == 0, result.stderr
    assert len(records(result)) == 3  # stdout is pure JSON Lines
    assert "followers of self" in result.stderr


@pytest.mark.parametrize("bad", ["", "abc+x", "abc+-2", " 12"])
def test_bad_cursor_is_a_usage_error(bad: str) -> None:
    result = invoke(*EMU, "followers", "--cursor", bad)
    assert_one_line_error(result, 2, "--cursor")
    assert result.stdout == ""


def test_cursor_the_server_rejects_is_one_line() -> None:
    result = invoke(*EMU, "followers", "--cursor", "12345678", "--no-progress")
    assert_one_line_error(result, 1, "APIInvalidParametersError", "cursor")


@pytest.mark.parametrize("bad", ["0", "-1", "x"])
def test_bad_limit_is_a_usage_error(bad: str) -> None:
    assert_one_line_error(invoke(*EMU, "followers", "--limit", bad), 2, "--limit")


def test_bad_user_id_for_a_walk() -> None:
    result = invoke(*EMU, "followers", "../media", "--no-progress")
    assert_one_line_error(result, 2, "user id must be 'self' or digits")


# -- relationship -----------------------------------------------------------------------------


def test_relationship_of_many_ids_in_order(emulator: Emulator) -> None:
    ids = emulator.sample_user_ids(12)[::-1]
    result = invoke(*EMU, "relationship", *ids)
    assert result.exit_code == 0, result.stderr
    rels = records(result)
    assert [r["user_id"] for r in rels] == ids
    for rel in rels:
        assert set(rel) == REL_KEYS
        assert rel["outgoing_status"] in {"follows", "requested", "none"}
        assert rel["incoming_status"] in {"followed_by", "requested_by", "blocked_by_you", "none"}
        assert isinstance(rel["target_user_is_private"], bool)


def test_relationship_bad_id_is_one_line_and_nothing_is_sent() -> None:
    result = invoke(*EMU, "relationship", "1", "abc")
    assert_one_line_error(result, 2, "'abc'", "user id")
    assert result.stdout == ""


def test_relationship_unknown_user() -> None:
    result = invoke(*EMU, "relationship", "1", "99999999")
    assert result.exit_code == 1
    assert [r["user_id"] for r in records(result)] == ["1"]
    lines = stderr_lines(result)
    assert len(lines) == 1
    assert lines[0].startswith("error: 99999999: ")
    assert "APINotFoundError" in lines[0]


def test_relationship_needs_an_id() -> None:
    assert_one_line_error(invoke(*EMU, "relationship"), 2, "USER_ID")


# -- lookup -----------------------------------------------------------------------------------


def _ids_file(tmp_path: Path, emulator: Emulator) -> tuple[Path, list[str]]:
    ids = emulator.sample_user_ids(300)
    body = "# ids to look up\n\n" + "\n".join(ids) + "\n" + ids[0] + "\nabc\n99999999  # gone\n"
    path = tmp_path / "ids.txt"
    path.write_text(body, encoding="utf-8")
    return path, ids


def test_lookup_from_a_file(tmp_path: Path, emulator: Emulator) -> None:
    path, ids = _ids_file(tmp_path, emulator)
    result = invoke(*EMU, "lookup", str(path), "--concurrency", "16", "--no-progress")
    assert result.exit_code == 0, result.stderr  # per-id errors are results
    out = records(result)
    assert sorted(r["user_id"] for r in out) == sorted([*ids, "abc", "99999999"])
    good = [r for r in out if "error" not in r]
    assert len(good) == 300
    assert all(set(r) == REL_KEYS for r in good)
    errors = {r["user_id"]: r["error"] for r in out if "error" in r}
    assert errors["abc"]["type"] == "InvalidArgumentError"
    assert errors["99999999"] == {
        "type": "NotFoundError",
        "code": 400,
        "error_type": "APINotFoundError",
        "message": errors["99999999"]["message"],
    }
    summary = result.stderr
    assert "lookup summary" in summary
    assert "duplicate ids skipped" in summary
    assert "NotFoundError" in summary
    assert "InvalidArgumentError" in summary
    followed_by = sum(1 for r in good if r["incoming_status"] == "followed_by")
    row = next(line for line in summary.splitlines() if "incoming followed_by" in line)
    assert f" {followed_by:,} " in row


def test_lookup_from_stdin_with_progress(emulator: Emulator) -> None:
    ids = emulator.sample_user_ids(50)
    result = invoke(*EMU, "lookup", "-", input="\n".join(ids) + "\n")
    assert result.exit_code == 0, result.stderr
    assert sorted(r["user_id"] for r in records(result)) == sorted(ids)
    assert "relationships" in result.stderr  # the progress bar's final state
    assert "lookup summary" in result.stderr


def test_lookup_reads_stdin_by_default_and_summary_can_be_off() -> None:
    result = invoke(*EMU, "lookup", "--no-progress", "--no-summary", input="1\n2\n")
    assert result.exit_code == 0, result.stderr
    assert [r["user_id"] for r in sorted(records(result), key=lambda r: r["user_id"])] == [
        "1",
        "2",
    ]
    assert result.stderr == ""


def test_lookup_of_nothing() -> None:
    result = invoke(*EMU, "lookup", "--no-progress", input="# nothing\n\n")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""


def test_lookup_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    assert_one_line_error(invoke(*EMU, "lookup", str(missing)), 2, "nope.txt")


@pytest.mark.parametrize("bad", ["0", "-3", "many", "100000"])
def test_lookup_bad_concurrency(bad: str) -> None:
    result = invoke(*EMU, "lookup", "--concurrency", bad, input="1\n")
    assert_one_line_error(result, 2, "--concurrency")
    assert result.stdout == ""


def test_lookup_with_a_rejected_token_stops_with_one_line(emulator: Emulator) -> None:
    token = "emulator-not-a-user-5f3a9"
    result = invoke(
        "--emulator", "--users", "500", "--token", token, "lookup", "--no-progress",
        input="\n".join(emulator.sample_user_ids(100)),
    )  # fmt: skip
    line = assert_one_line_error(result, 1, "OAuthAccessTokenException")
    assert token not in line
    assert token not in result.stdout
    assert result.stdout == ""


# -- changes ----------------------------------------------------------------------------------


def _none_outgoing(emulator: Emulator, *, private: bool) -> str:
    """A user the demo user has no relationship with (asked through the CLI itself)."""
    result = invoke(*EMU, "relationship", *emulator.sample_user_ids(100))
    assert result.exit_code == 0, result.stderr
    for rel in records(result):
        unrelated = rel["outgoing_status"] == "none" and rel["incoming_status"] == "none"
        if unrelated and rel["target_user_is_private"] is private:
            return str(rel["user_id"])
    raise AssertionError("no such user in the sample")


def test_follow_public_and_private_users(emulator: Emulator) -> None:
    public, private = (
        _none_outgoing(emulator, private=False),
        _none_outgoing(emulator, private=True),
    )
    result = invoke(*EMU, "follow", public, private)
    assert result.exit_code == 0, result.stderr
    out = records(result)
    assert [(r["user_id"], r["action"], r["outgoing_status"]) for r in out] == [
        (public, "follow", "follows"),
        (private, "follow", "requested"),
    ]


def test_unfollow_block_unblock(emulator: Emulator) -> None:
    uid = _none_outgoing(emulator, private=False)
    for action in ("unfollow", "block", "unblock"):
        result = invoke(*EMU, action, uid)
        assert result.exit_code == 0, (action, result.stderr)
        (rec,) = records(result)
        assert rec["user_id"] == uid
        assert rec["action"] == action
        assert set(rec) >= REL_KEYS


def test_approve_and_deny_pending_requests() -> None:
    pending = ids_of(records(invoke(*EMU, "requests", "--limit", "2", "--no-progress")))
    assert len(pending) == 2
    for action, uid in zip(("approve", "deny"), pending, strict=True):
        result = invoke(*EMU, action, uid)
        assert result.exit_code == 0, (action, result.stderr)
        assert records(result)[0]["action"] == action


def test_approve_without_a_request_is_one_line_error(emulator: Emulator) -> None:
    uid = _none_outgoing(emulator, private=False)
    result = invoke(*EMU, "approve", uid)
    assert_one_line_error(result, 1, "APIInvalidParametersError", f"/users/{uid}/")


def test_change_refuses_bad_ids_before_sending_anything() -> None:
    result = invoke(*EMU, "follow", "1", "not-an-id")
    assert_one_line_error(result, 2, "'not-an-id'")
    assert result.stdout == ""


def test_change_needs_an_id() -> None:
    assert_one_line_error(invoke(*EMU, "block"), 2, "USER_ID")


# -- credentials ------------------------------------------------------------------------------


def test_rejected_token_is_one_line_and_not_shown() -> None:
    token = "emulator-bogus-token-77"
    result = invoke("--emulator", "--users", "500", "--token", token, "followers", "--no-progress")
    line = assert_one_line_error(result, 1, "OAuthAccessTokenException")
    assert token not in line
    assert result.stdout == ""


def test_token_as_another_emulator_user(emulator: Emulator) -> None:
    result = invoke(*EMU, "--token", emulator.token("1"), "relationship", emulator.demo_user_id)
    assert result.exit_code == 0, result.stderr
    assert records(result)[0]["user_id"] == emulator.demo_user_id


def test_env_token_is_used_against_the_base_url(served_emulator: str, emulator: Emulator) -> None:
    env = {"INSTAGRAM_ACCESS_TOKEN": emulator.token(emulator.demo_user_id)}
    result = invoke("--base-url", served_emulator, "followers", "--limit", "3", env=env)
    assert result.exit_code == 0, result.stderr
    assert len(records(result)) == 3
    assert "embedded emulator" not in result.stderr


def test_bad_env_token_against_a_server(served_emulator: str) -> None:
    env = {"INSTAGRAM_ACCESS_TOKEN": "not-valid-anywhere-42"}
    result = invoke("--base-url", served_emulator, "relationship", "1", env=env)
    line = assert_one_line_error(result, 1, "OAuthAccessTokenException")
    assert "not-valid-anywhere-42" not in line


def test_env_token_is_ignored_with_the_embedded_emulator() -> None:
    env = {"INSTAGRAM_ACCESS_TOKEN": "a-real-api-token-0000"}
    result = invoke(*EMU, "relationship", "1", env=env)
    assert result.exit_code == 0, result.stderr


def test_token_without_base_url_goes_to_the_real_api(monkeypatch: pytest.MonkeyPatch) -> None:
    # The real API no longer answers; here "the real base URL" is a closed local port.
    monkeypatch.setattr("aioinstagram._cli.session.DEFAULT_BASE_URL", "http://127.0.0.1:9/v1")
    result = invoke("--token", "some-token-123456", "relationship", "1")
    assert_one_line_error(result, 1, "GET /users/1/relationship")
    assert "embedded emulator" not in result.stderr


def test_signed_requests_on_the_embedded_emulator() -> None:
    result = invoke(*EMU, "--client-secret", "s3cret-s3cret", "relationship", "1", "2")
    assert result.exit_code == 0, result.stderr
    assert len(records(result)) == 2


# -- demo -------------------------------------------------------------------------------------


def test_demo_keeps_stdout_clean_and_prints_a_summary() -> None:
    result = invoke(*EMU, "demo", "--lookups", "200", "--no-progress")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    for text in ("demo summary", "followers of user", "requests/s", "elapsed", "errors"):
        assert text in result.stderr, text


def test_demo_jsonl(emulator: Emulator) -> None:
    result = invoke(*EMU, "demo", "--lookups", "150", "--concurrency", "8", "--jsonl")
    assert result.exit_code == 0, result.stderr
    out = records(result)
    rels = [r for r in out if "user_id" in r]
    users = [r for r in out if "id" in r]
    assert len(rels) == 150
    assert len(rels) + len(users) == len(out)
    assert sorted(r["user_id"] for r in rels) == sorted(emulator.sample_user_ids(150))
    assert users
    walked = next(line for line in result.stderr.splitlines() if "followers of user" in line)
    assert f" {len(users):,} " in walked


def test_demo_is_always_on_the_embedded_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSTAGRAM_ACCESS_TOKEN", "a-real-api-token-0000")
    result = invoke("--users", "500", "demo", "--lookups", "20", "--no-progress")
    assert result.exit_code == 0, result.stderr
    assert_one_line_error(invoke("--base-url", "http://127.0.0.1:9/v1", "demo"), 2, "--base-url")


# -- unexpected failures ----------------------------------------------------------------------


def test_missing_emulator_extra_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(settings: Settings) -> Emulator:
        raise ModuleNotFoundError("No module named 'starlette'")

    monkeypatch.setattr("aioinstagram.cli.build_emulator", missing)
    result = invoke(*EMU, "relationship", "1")
    assert_one_line_error(result, 1, "pip install 'aioinstagram[cli]'", "starlette")


def test_a_bug_is_one_line_unless_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("aioinstagram._cli.jobs.walk", broken)
    result = invoke(*EMU, "followers", "--no-progress")
    assert_one_line_error(result, 1, "unexpected RuntimeError: boom")
    debug = invoke(*EMU, "--debug", "followers", "--no-progress")
    assert isinstance(debug.exception, RuntimeError)


def test_no_arguments_shows_the_help() -> None:
    result = invoke()
    assert "Usage: aioinstagram" in result.output
    assert "error:" not in result.output
