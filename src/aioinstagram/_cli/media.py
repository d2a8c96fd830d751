"""The media walks of the command line: ``media``, ``tag``, ``location``, ``liked``,
``comments`` and ``likes``.

Like ``followers``: one JSON Lines record per item on stdout (media, comments and tags in the
API's own shape, see ``media_records``; likers as user records), a progress display on
stderr, ``--limit`` and ``--cursor`` to stop and resume exactly where a walk stopped (the
resume cursor is printed on stderr). ``cli.py`` registers them with :func:`register`.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
import click

from .._pagination import AsyncPaginator, Checkpoint
from .media_records import api_record
from .records import RecordWriter, format_checkpoint, parse_checkpoint, user_record

if TYPE_CHECKING:
    from ..cli import App
    from .display import ProgressHook
    from .session import Connection

__all__ = ["MediaWalkState", "register", "walk_items"]

Paginate = Callable[["Connection", "int | None", "Checkpoint | None"], AsyncPaginator[Any]]


@attrs.define
class MediaWalkState:
    """How far a walk went: ``written`` records printed; ``complete`` when the list ended."""

    paginator: AsyncPaginator[Any] | None = None
    written: int = 0
    complete: bool = False

    def resume_cursor(self) -> str | None:
        if self.paginator is None or self.complete:
            return None
        return format_checkpoint(self.paginator.checkpoint())


async def walk_items(
    paginator: AsyncPaginator[Any],
    out: RecordWriter,
    record: Callable[[Any], dict[str, Any]],
    *,
    limit: int | None = None,
    state: MediaWalkState | None = None,
    progress: ProgressHook | None = None,
) -> MediaWalkState:
    """Print the items of ``paginator`` (at most ``limit``), one record each."""
    state = state if state is not None else MediaWalkState()
    state.paginator = paginator
    try:
        async for item in paginator:
            out.write(record(item))
            state.written += 1
            if progress is not None:
                progress(state.written, limit)
            if limit is not None and state.written >= limit:
                return state
            await asyncio.sleep(0)  # a Ctrl-C lands between two records
    finally:
        await paginator.aclose()
    state.complete = True
    if progress is not None:
        progress(state.written, state.written)
    return state


def _parse_cursor(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> Checkpoint | None:
    if value is None:
        return None
    try:
        return parse_checkpoint(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def _options(paging: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn = click.option("--no-progress", is_flag=True, help="No progress display on stderr.")(fn)
        if paging:
            fn = click.option(
                "--count",
                type=click.IntRange(min=1),
                help="Media per page (the server's default if unset).",
            )(fn)
        fn = click.option(
            "--cursor",
            metavar="CURSOR",
            callback=_parse_cursor,
            help="Resume a walk: the value printed by an earlier walk that stopped.",
        )(fn)
        return click.option(
            "--limit",
            type=click.IntRange(min=1),
            help="Stop after this many items (the resume cursor is printed on stderr).",
        )(fn)

    return decorate


def _run(
    app: App,
    writer: Callable[[App], RecordWriter],
    paginate: Paginate,
    record: Callable[[Any], dict[str, Any]],
    *,
    limit: int | None,
    cursor: Checkpoint | None,
    count: int | None,
    no_progress: bool,
    label: str,
    noun: str,
) -> None:
    out = writer(app)
    state = MediaWalkState()

    async def job(connection: Connection) -> None:
        paginator = paginate(connection, count, cursor)
        with app.progress(no_progress=no_progress) as display:
            hook = display.hook(label, limit)
            await walk_items(paginator, out, record, limit=limit, state=state, progress=hook)

    def finish(status: str) -> None:
        resume = state.resume_cursor()
        hint = f"; resume with --cursor {shlex.quote(resume)}" if resume else ""
        plural = noun if noun == "media" else noun + "s"
        done = f"{state.written:,} {noun if state.written == 1 else plural}"
        if status == "interrupted":
            app.say(f"interrupted after {done}{hint}")
        elif status == "done":
            app.say(f"{done}; end of list" if state.complete else f"{done}{hint}")
        elif state.written and resume:
            app.say(f"{done} printed before the error{hint}")

    app.execute(job, finish)


def register(group: click.Group, writer: Callable[[App], RecordWriter]) -> None:
    """Add the media walks to the ``aioinstagram`` group."""

    @group.command("media")
    @click.argument("user_id", default="self")
    @_options(paging=True)
    @click.pass_obj
    def media(app: App, /, user_id: str, **kw: Any) -> None:
        """Walk the media USER_ID posted (default: self), newest first."""
        _run(
            app,
            writer,
            lambda c, n, cur: c.client.users.recent_media(user_id, count=n, cursor=cur),
            api_record,
            label=f"media of {user_id}",
            noun="media",
            **kw,
        )

    @group.command("tag")
    @click.argument("tag_name")
    @_options(paging=True)
    @click.pass_obj
    def tag(app: App, /, tag_name: str, **kw: Any) -> None:
        """Walk the media tagged TAG_NAME (without #), most recently tagged first."""
        _run(
            app,
            writer,
            lambda c, n, cur: c.client.tags.recent_media(tag_name, count=n, cursor=cur),
            api_record,
            label=f"#{tag_name.lstrip('#')}",
            noun="media",
            **kw,
        )

    @group.command("location")
    @click.argument("location_id")
    @_options(paging=True)
    @click.pass_obj
    def location(app: App, /, location_id: str, **kw: Any) -> None:
        """Walk the media taken at LOCATION_ID, newest first."""
        _run(
            app,
            writer,
            lambda c, n, cur: c.client.locations.recent_media(location_id, count=n, cursor=cur),
            api_record,
            label=f"media at location {location_id}",
            noun="media",
            **kw,
        )

    @group.command("liked")
    @_options(paging=True)
    @click.pass_obj
    def liked(app: App, /, **kw: Any) -> None:
        """Walk the media you liked, most recently liked first."""
        _run(
            app,
            writer,
            lambda c, n, cur: c.client.users.liked_media(count=n, cursor=cur),
            api_record,
            label="liked media",
            noun="media",
            **kw,
        )

    @group.command("comments")
    @click.argument("media_id")
    @_options(paging=False)
    @click.pass_obj
    def comments(app: App, /, media_id: str, **kw: Any) -> None:
        """Print the comments on MEDIA_ID, oldest first."""
        _run(
            app,
            writer,
            lambda c, n, cur: c.client.comments.list(media_id, cursor=cur),
            api_record,
            count=None,
            label=f"comments on {media_id}",
            noun="comment",
            **kw,
        )

    @group.command("likes")
    @click.argument("media_id")
    @_options(paging=False)
    @click.pass_obj
    def likes(app: App, /, media_id: str, **kw: Any) -> None:
        """Print the users who liked MEDIA_ID."""
        _run(
            app,
            writer,
            lambda c, n, cur: c.client.likes.list(media_id, cursor=cur),
            user_record,
            count=None,
            label=f"likes of {media_id}",
            noun="user",
            **kw,
        )
