"""The ``aioinstagram`` command line (click; rich for progress bars and tables).

Results go to stdout as JSON Lines (one object per line); progress bars, summaries, resume
hints and errors go to stderr. With no access token configured the commands run on an embedded,
in-process emulator of the API (said on stderr), so everything works on a fresh machine::

    aioinstagram demo                              # the main job, on the embedded emulator
    aioinstagram followers --limit 100             # JSON Lines; prints the resume cursor
    aioinstagram followers --cursor CURSOR         # continue where it stopped
    aioinstagram lookup ids.txt > relationships.jsonl
    INSTAGRAM_ACCESS_TOKEN=... aioinstagram relationship 1574083

Exit codes: 0 success, 1 error (one line on stderr, never a traceback nor a credential),
2 bad usage or input, 130 interrupted (Ctrl-C; every result obtained was printed first).

The work itself is in ``aioinstagram._cli.jobs`` (plain async functions taking a client and a
record writer); the commands here only parse options and report.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import IO, TYPE_CHECKING, Any, Literal

import attrs
import click
from click.core import ParameterSource
from rich.console import Console

from . import __version__, _runner
from ._cli import jobs
from ._cli.display import ProgressDisplay, demo_summary, lookup_summary, make_console
from ._cli.login import load_stored, login
from ._cli.records import (
    JsonLinesWriter,
    NullWriter,
    RecordWriter,
    parse_checkpoint,
    read_id_lines,
)
from ._cli.session import Connection, Settings, build_emulator, connect
from ._errors import InstagramError, InvalidArgumentError
from ._models import RelationshipAction, User
from ._pagination import AsyncPaginator, Checkpoint

if TYPE_CHECKING:
    from .emulator import Emulator

__all__ = ["cli", "main"]

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

_MISSING_EXTRA = "the embedded emulator needs the 'cli' extra (pip install 'aioinstagram[cli]')"

Status = Literal["done", "interrupted", "failed"]
Job = Callable[[Connection], Awaitable[object]]


# -- plumbing ---------------------------------------------------------------------------------


@attrs.define
class App:
    """The group's state, shared by the commands (``ctx.obj``)."""

    settings: Settings
    debug: bool = False
    console: Console = attrs.Factory(make_console)
    _emulator: Emulator | None = None

    def emulator(self) -> Emulator | None:
        """The embedded emulator in emulator mode (built once), else None."""
        if not self.settings.emulator:
            return None
        if self._emulator is None:
            try:
                self._emulator = build_emulator(self.settings)
            except ImportError as exc:
                _fail(f"{_MISSING_EXTRA}: {exc}", EXIT_ERROR)
        return self._emulator

    def stdout(self) -> IO[str]:
        return sys.stdout  # looked up now: test runners replace it

    def progress(self, *, no_progress: bool, results_on_stdout: bool = True) -> ProgressDisplay:
        """The progress display on stderr: off with ``--no-progress``, and off when results are
        printed to a terminal (they would tear the bars; the results show progress anyway)."""
        enabled = not no_progress and not (results_on_stdout and _isatty(self.stdout()))
        return ProgressDisplay(self.console, enabled=enabled)

    def say(self, message: str) -> None:
        """One plain line on stderr."""
        click.echo(message, err=True)

    def describe(self, exc: BaseException) -> str:
        """``exc`` as one line, without any credential (the library's messages never carry
        them; this also covers errors that did not come from the library)."""
        text = str(exc) if isinstance(exc, InstagramError) else f"{type(exc).__name__}: {exc}"
        for secret in self.settings.secrets():
            if len(secret) >= 6:  # a shorter "secret" would garble the message, not hide much
                text = text.replace(secret, "***")
        return " ".join(text.split()) or type(exc).__name__

    def execute(
        self, job: Job, finish: Callable[[Status], None] | None = None, *, bulk: bool = False
    ) -> None:
        """Run ``job`` with a connected client; report errors in one line and Ctrl-C.

        ``finish(status)`` prints the command's closing lines (summary, resume cursor) for
        "done", "interrupted" and "failed" alike, before the error line; then the exit code
        says what happened.
        """
        settings = self.settings
        if settings.implicit:
            self.say(
                "aioinstagram: no access token configured (--token or INSTAGRAM_ACCESS_TOKEN); "
                f"using the embedded emulator ({settings.users:,} simulated users, "
                f"seed {settings.seed})"
            )
        emulator = self.emulator()

        async def run() -> None:
            async with connect(settings, emulator, bulk=bulk) as connection:
                await job(connection)

        status: Status = "done"
        error: BaseException | None = None
        try:
            _runner.run(run())  # Ctrl-C cancels the job cleanly on every Python
        except KeyboardInterrupt:
            status = "interrupted"
        except BrokenPipeError:
            raise  # click's own handling: exit 1 quietly
        except (InstagramError, OSError) as exc:
            status, error = "failed", exc
        except ImportError as exc:  # the emulator's web stack is imported on first use
            if self.debug:
                raise
            status, error = "failed", exc
        except Exception as exc:
            if self.debug:
                raise
            status, error = "failed", exc
        if finish is not None:
            finish(status)
        if isinstance(error, ImportError):
            self.say(f"error: {_MISSING_EXTRA}: {self.describe(error)}")
            _exit(EXIT_ERROR)
        if error is not None:
            prefix = "" if isinstance(error, (InstagramError, OSError)) else "unexpected "
            self.say(f"error: {prefix}{self.describe(error)}")
            _exit(EXIT_USAGE if isinstance(error, InvalidArgumentError) else EXIT_ERROR)
        if status == "interrupted":
            _exit(EXIT_INTERRUPTED)


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _exit(code: int) -> None:
    raise click.exceptions.Exit(code)


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    _exit(code)


def _writer(app: App) -> JsonLinesWriter:
    return JsonLinesWriter(app.stdout())


def _parse_cursor(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> Checkpoint | None:
    """``--cursor``: a value printed by a walk, ``CURSOR`` or ``CURSOR+OFFSET``."""
    if value is None:
        return None
    try:
        return parse_checkpoint(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


#: click >= 8.2 raises this for a bare ``aioinstagram`` (older versions print the help).
_NO_ARGS_IS_HELP: Any = getattr(click.exceptions, "NoArgsIsHelpError", ())


class _Group(click.Group):
    """Usage errors as one line too: ``error: <what> (see 'aioinstagram CMD --help')``."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as exc:
            if isinstance(exc, _NO_ARGS_IS_HELP):  # plain "aioinstagram": the help, as usual
                exc.show()
                sys.exit(exc.exit_code)
            message = " ".join(exc.format_message().split())
            ctx = getattr(exc, "ctx", None)
            hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            click.echo(f"error: {message}{hint}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort as exc:
            if isinstance(exc.__cause__, KeyboardInterrupt):
                click.echo("interrupted", err=True)
                sys.exit(EXIT_INTERRUPTED)
            click.echo("error: aborted", err=True)
            sys.exit(EXIT_ERROR)
        sys.exit(rv if isinstance(rv, int) else 0)


# -- the group --------------------------------------------------------------------------------

_CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(cls=_Group, context_settings=_CONTEXT)
@click.option(
    "--base-url",
    metavar="URL",
    help="API base URL, such as http://127.0.0.1:8765/v1 for a served emulator "
    "[default: https://api.instagram.com/v1].",
)
@click.option(
    "--token",
    envvar="INSTAGRAM_ACCESS_TOKEN",
    show_envvar=True,
    metavar="TOKEN",
    help="Access token. Without one (and without --base-url) the embedded emulator is used.",
)
@click.option(
    "--client-secret",
    envvar="INSTAGRAM_CLIENT_SECRET",
    show_envvar=True,
    metavar="SECRET",
    help="Sign every request (enforced by the embedded emulator too when given).",
)
@click.option(
    "--emulator",
    "use_emulator",
    is_flag=True,
    help="Run against an embedded in-process emulator (acting as its demo user unless --token "
    "emulator-ID is given; token and secret from the environment are ignored).",
)
@click.option(
    "--users",
    type=click.IntRange(min=1, max=10_000_000),
    default=10_000,
    show_default=True,
    help="Embedded emulator: number of simulated users.",
)
@click.option(
    "--seed", type=int, default=1, show_default=True, help="Embedded emulator: graph seed."
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds to wait for each answer.",
)
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error.")
@click.version_option(__version__, prog_name="aioinstagram")
@click.pass_context
def cli(
    ctx: click.Context,
    base_url: str | None,
    token: str | None,
    client_secret: str | None,
    use_emulator: bool,
    users: int,
    seed: int,
    timeout: float,
    debug: bool,
) -> None:
    """An async client for the (retired) Instagram API v1, with an embedded emulator.

    Results are JSON Lines on stdout; progress, summaries and errors go to stderr.
    """

    def from_cli(name: str) -> bool:
        return ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE

    demo_command = ctx.invoked_subcommand == "demo"
    if (use_emulator or demo_command) and base_url is not None:
        flag = "--emulator" if use_emulator else "demo (always on the embedded emulator)"
        raise click.UsageError(f"{flag} and --base-url cannot be used together", ctx)
    explicit = use_emulator or demo_command
    # A token stored by `aioinstagram login` is used when none is given (issue 13).
    stored = None
    if token is None and base_url is None and not explicit and ctx.invoked_subcommand != "login":
        stored = load_stored()
        if stored is not None and stored.base_url is not None:
            token, base_url = stored.access_token, stored.base_url
    emulator = explicit or (token is None and base_url is None)
    if emulator:
        # A token or secret from the environment is meant for the real API.
        token = token if from_cli("token") else (stored.access_token if stored else None)
        client_secret = client_secret if from_cli("client_secret") else None
    elif from_cli("users") or from_cli("seed"):
        raise click.UsageError(
            "--users and --seed configure the embedded emulator: add --emulator", ctx
        )
    ctx.obj = App(
        Settings(
            base_url=base_url,
            token=token,
            client_secret=client_secret,
            emulator=emulator,
            implicit=emulator and not explicit and stored is None,
            users=users,
            seed=seed,
            timeout=timeout,
        ),
        debug=debug,
    )


# -- walks ------------------------------------------------------------------------------------

_limit_option = click.option(
    "--limit",
    type=click.IntRange(min=1),
    help="Stop after this many users (the resume cursor is printed on stderr).",
)
_cursor_option = click.option(
    "--cursor",
    metavar="CURSOR",
    callback=_parse_cursor,
    help="Resume a walk: the value printed by an earlier walk that stopped "
    "(use the same USER_ID and --count).",
)
_count_option = click.option(
    "--count", type=click.IntRange(min=1), help="Users per page (the server's default if unset)."
)
_no_progress_option = click.option(
    "--no-progress", is_flag=True, help="No progress display on stderr."
)

Paginate = Callable[[Connection, "int | None", "Checkpoint | None"], AsyncPaginator[User]]


def _walk(
    app: App,
    paginate: Paginate,
    *,
    limit: int | None,
    cursor: Checkpoint | None,
    count: int | None,
    no_progress: bool,
    label: str,
) -> None:
    out = _writer(app)
    state = jobs.WalkState()

    async def job(connection: Connection) -> None:
        paginator = paginate(connection, count, cursor)
        with app.progress(no_progress=no_progress) as display:
            hook = display.hook(label, limit)
            await jobs.walk(paginator, out, limit=limit, state=state, progress=hook, total=limit)

    def finish(status: Status) -> None:
        resume = state.resume_cursor()
        hint = f"; resume with --cursor {shlex.quote(resume)}" if resume else ""
        users = f"{state.written:,} user{'' if state.written == 1 else 's'}"
        if status == "interrupted":
            app.say(f"interrupted after {users}{hint}")
        elif status == "done":
            app.say(f"{users}; end of list" if state.complete else f"{users}{hint}")
        elif state.written and resume:
            app.say(f"{users} printed before the error{hint}")

    app.execute(job, finish)


@cli.command()
@click.argument("user_id", default="self")
@_limit_option
@_cursor_option
@_count_option
@_no_progress_option
@click.pass_obj
def follows(
    app: App,
    user_id: str,
    limit: int | None,
    cursor: Checkpoint | None,
    count: int | None,
    no_progress: bool,
) -> None:
    """Walk the users USER_ID follows (default: self), newest first."""
    _walk(
        app,
        lambda c, n, cur: c.client.relationships.follows(user_id, count=n, cursor=cur),
        limit=limit,
        cursor=cursor,
        count=count,
        no_progress=no_progress,
        label=f"follows of {user_id}",
    )


@cli.command()
@click.argument("user_id", default="self")
@_limit_option
@_cursor_option
@_count_option
@_no_progress_option
@click.pass_obj
def followers(
    app: App,
    user_id: str,
    limit: int | None,
    cursor: Checkpoint | None,
    count: int | None,
    no_progress: bool,
) -> None:
    """Walk the followers of USER_ID (default: self), newest first."""
    _walk(
        app,
        lambda c, n, cur: c.client.relationships.followed_by(user_id, count=n, cursor=cur),
        limit=limit,
        cursor=cursor,
        count=count,
        no_progress=no_progress,
        label=f"followers of {user_id}",
    )


@cli.command()
@_limit_option
@_cursor_option
@_count_option
@_no_progress_option
@click.pass_obj
def requests(
    app: App,
    limit: int | None,
    cursor: Checkpoint | None,
    count: int | None,
    no_progress: bool,
) -> None:
    """Walk the users who asked to follow you (pending requests)."""
    _walk(
        app,
        lambda c, n, cur: c.client.relationships.requested_by(count=n, cursor=cur),
        limit=limit,
        cursor=cursor,
        count=count,
        no_progress=no_progress,
        label="follow requests",
    )


# -- relationships ----------------------------------------------------------------------------

_concurrency_option = click.option(
    "--concurrency",
    type=click.IntRange(min=1, max=1000),
    default=64,
    show_default=True,
    help="Lookups in flight at once.",
)


@cli.command()
@click.argument("user_ids", nargs=-1, required=True, metavar="USER_ID...")
@_concurrency_option
@click.pass_obj
def relationship(app: App, user_ids: tuple[str, ...], concurrency: int) -> None:
    """Your relationship with each USER_ID, in input order."""
    out = _writer(app)
    failures: list[tuple[str, InstagramError]] = []

    async def job(connection: Connection) -> None:
        failures.extend(
            await jobs.show_relationships(connection.client, user_ids, out, concurrency=concurrency)
        )

    app.execute(job, bulk=True)
    for user_id, error in failures:
        app.say(f"error: {user_id}: {app.describe(error)}")
    if failures:
        _exit(EXIT_ERROR)


@cli.command()
@click.argument("file", type=click.File("rb"), default="-")
@_concurrency_option
@_no_progress_option
@click.option("--no-summary", is_flag=True, help="No summary table on stderr at the end.")
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=256),
    default=None,
    help="Spread the lookup over N processes sharing one rate budget and one queue in Redis "
    "(needs --redis; rerun the same command to resume).",
)
@click.option("--redis", "redis_url", metavar="URL", default=None, help="Redis URL for --workers.")
@click.option(
    "--job", "job_name", default=None, help="Name of a --workers job (default: from the ids)."
)
@click.pass_obj
def lookup(
    app: App,
    file: IO[bytes],
    concurrency: int,
    no_progress: bool,
    no_summary: bool,
    workers: int | None = None,
    redis_url: str | None = None,
    job_name: str | None = None,
) -> None:
    """Bulk relationship lookup of the ids in FILE (or stdin).

    FILE defaults to "-", stdin. One id per line; blank lines and # comments are ignored,
    duplicates looked up once. Each result is printed as it arrives (a relationship, or an
    error record for that id: exit code 0 all the same); a credential or connection failure
    stops everything (exit 1). A summary table goes to stderr at the end, or when interrupted.
    A line that is not an id (not UTF-8, over 1,024 bytes) is reported as a record with its
    line number (never echoed), the other ids are looked up, and the exit code is 2.
    """
    if file.isatty():
        app.say("reading ids from the terminal, one per line; end with Ctrl-D")
    ids, duplicates, bad_lines = read_id_lines(file)
    if workers is not None or redis_url is not None:
        if bad_lines:
            out = _writer(app)
            for record in bad_lines:
                out.write(record)
        _lookup_with_workers(app, ids, workers or 1, redis_url, job_name, concurrency)
        if bad_lines:
            app.say(f"error: {len(bad_lines):,} input lines were not ids (see their records)")
            _exit(EXIT_USAGE)
        return
    out = _writer(app)
    for record in bad_lines:
        out.write(record)
    stats = jobs.LookupStats(duplicates=duplicates)

    async def job(connection: Connection) -> None:
        with app.progress(no_progress=no_progress) as display:
            hook = display.hook("relationships", len(ids))
            await jobs.lookup(
                connection.client, ids, out, concurrency=concurrency, stats=stats, progress=hook
            )

    def finish(status: Status) -> None:
        if status == "failed":
            return
        if not no_summary:
            app.console.print(lookup_summary(stats))
        if status == "interrupted":
            app.say(f"interrupted after {stats.done:,} of {len(ids):,} lookups")

    app.execute(job, finish, bulk=True)
    if bad_lines:
        app.say(f"error: {len(bad_lines):,} input lines were not ids (see their records)")
        _exit(EXIT_USAGE)


def _lookup_with_workers(
    app: App, ids: list[str], workers: int, redis_url: str | None, job: str | None, n: int
) -> None:
    """``lookup --workers``: the code is in ``_cli/workers.py``."""
    if redis_url is None:
        raise click.UsageError("--workers needs --redis URL (the shared queue and budget)")
    from ._cli.workers import lookup_with_workers

    settings = app.settings
    lines = _runner.run(
        lookup_with_workers(
            base_url=settings.base_url,
            token=settings.token,
            client_secret=settings.client_secret,
            timeout=settings.timeout,
            emulator=app.emulator(),
            ids=ids,
            workers=workers,
            redis_url=redis_url,
            job=job,
            concurrency=n,
        )
    )
    out = app.stdout()
    for line in lines:
        out.write(line + "\n")
    out.flush()
    app.say(f"{len(lines):,} of {len(ids):,} ids have an outcome ({workers} workers)")


# -- changes ----------------------------------------------------------------------------------

_CHANGES = {
    "follow": "Follow each USER_ID (a request, for a private user).",
    "unfollow": "Stop following each USER_ID (also cancels a pending request).",
    "block": "Block each USER_ID.",
    "unblock": "Unblock each USER_ID.",
    "approve": "Approve the pending follow request of each USER_ID.",
    "deny": "Deny (ignore) the pending follow request of each USER_ID.",
}


def _change_command(action: str, help_text: str) -> click.Command:
    @click.command(
        name=action,
        help=help_text
        + "\n\nPrints the new relationship of each as JSON Lines; stops at the first error.",
    )
    @click.argument("user_ids", nargs=-1, required=True, metavar="USER_ID...")
    @click.pass_obj
    def command(app: App, user_ids: tuple[str, ...]) -> None:
        out = _writer(app)

        async def job(connection: Connection) -> None:
            await jobs.change(connection.client, RelationshipAction(action), user_ids, out)

        app.execute(job)

    return command


for _action, _help in _CHANGES.items():
    cli.add_command(_change_command(_action, _help))


# -- the demo ---------------------------------------------------------------------------------


@cli.command()
@click.option(
    "--lookups",
    type=click.IntRange(min=1),
    default=3000,
    show_default=True,
    help="How many relationships to look up.",
)
@_concurrency_option
@click.option("--jsonl", is_flag=True, help="Also print every result as JSON Lines on stdout.")
@_no_progress_option
@click.pass_obj
def demo(app: App, lookups: int, concurrency: int, jsonl: bool, no_progress: bool) -> None:
    """Run the main job on the embedded emulator, with a summary.

    A bulk relationship lookup of a few thousand ids, then a walk of the demo user's
    followers, with progress bars and a summary table on stderr (stdout stays empty unless
    --jsonl).

    Combine with the group's --users / --seed to change the simulated graph, e.g.
    ``aioinstagram --users 5000 demo``.
    """
    settings = app.settings
    emulator = app.emulator()
    assert emulator is not None  # the group puts demo in emulator mode
    ids = emulator.sample_user_ids(min(lookups, settings.users))
    report = jobs.DemoReport(user_id=emulator.demo_user_id)
    out: RecordWriter = _writer(app) if jsonl else NullWriter()
    app.say(
        f"demo: embedded emulator with {settings.users:,} simulated users (seed {settings.seed}); "
        f"looking up {len(ids):,} relationships of user {report.user_id}, "
        "then walking their followers"
    )

    async def job(connection: Connection) -> None:
        try:
            with app.progress(no_progress=no_progress, results_on_stdout=jsonl) as display:
                await jobs.demo(
                    connection.client,
                    ids,
                    out,
                    report,
                    concurrency=concurrency,
                    lookup_progress=lambda total: display.hook("relationships", total),
                    walk_progress=lambda total: display.hook(
                        f"followers of {report.user_id}", total
                    ),
                )
        finally:
            report.http_requests = connection.http_requests

    def finish(status: Status) -> None:
        if status == "failed":
            return
        app.console.print(demo_summary(report))
        if status == "interrupted":
            app.say("interrupted")

    app.execute(job, finish)


cli.add_command(login)

from ._cli.media import register as _register_media  # noqa: E402 (needs cli and _writer)

_register_media(cli, _writer)


def main() -> None:
    """The ``aioinstagram`` console script."""
    cli(prog_name="aioinstagram")


if __name__ == "__main__":  # pragma: no cover
    main()
