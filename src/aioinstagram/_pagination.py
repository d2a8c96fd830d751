"""``AsyncPaginator``: walk a paginated list, page by page or item by item, resumably.

Theory of operation
-------------------
A paginated endpoint answers a page of ``data`` plus ``pagination`` with ``next_url`` and a
family-specific cursor key (api doc section 2, "Pagination keys by endpoint family"):
``next_cursor`` (user lists), ``next_max_id`` (media lists), ``next_max_tag_id`` (tags),
``next_max_like_id`` (liked media). One paginator serves them all through a
:class:`CursorStyle` naming the request parameter and the pagination key.

Rules:
1. Nothing is fetched until iteration starts.
2. The next page is fetched from ``next_url`` when the server gives one (validated against
   base_url: a foreign host is refused, the token is never sent there; the client's own
   credentials replace those embedded in it and the request is re-signed), else from the
   cursor key with the first request's parameters.
3. A page is fetched through the transport, so it has the same retries and rate-limit handling
   as any call; a page that still fails raises, and the paginator is left FAILED but
   resumable: iterating again refetches that same page. Nothing is skipped.
4. The walk ends on a missing or empty ``pagination``, or one with neither ``next_url`` nor the
   cursor key (``null`` counts as missing; api doc section 9.6).
5. A cursor (or next_url) that was already fetched raises PaginationLoopError instead of
   being fetched again, so a server loop never yields a page twice nor runs for ever.
6. Pages are not kept once yielded: memory stays flat however long the list. The loop guard
   keeps one short string per page.
7. :meth:`AsyncPaginator.checkpoint` says exactly where an item walk stands (the cursor of the
   page in progress and how many of its items were yielded); passing it back as ``cursor``
   resumes with no item lost or repeated.
8. Read-ahead (``prefetch=True``, the default): as soon as a page arrives, the next one is
   requested in a task while the caller works through this one, so the server's time and the
   caller's overlap. At most one page is ahead (memory stays flat). Its outcome is used only
   when the walk reaches it: a failure then raises exactly as a direct fetch would (rule 3).
   ``collect(limit)`` reads ahead only when the limit needs another page; a walk abandoned
   part-way has spent at most one extra request, and :meth:`AsyncPaginator.aclose` cancels
   it. A cursor already fetched is never read ahead (rule 5 decides there).
9. Nothing taken is lost (issue 11): ``collect()`` moves items from the page in hand into a
   list the paginator owns (``_held``, in segments that remember the page and offset of their
   first item), and hands it over only when it returns. A ``collect()`` cancelled or timed out
   part-way therefore leaves what it took in ``_held``: the next consumer (``async for``,
   ``collect()``, ``pages()``) delivers those items first, and :meth:`checkpoint` points at the
   first of them. Taking and holding is synchronous, so no cancellation lands between them.

States (h11-style table; any other transition is a bug and raises):

    NOT_STARTED --iterate--> FETCHING
    FETCHING    --page, more--> HAS_CURSOR
    FETCHING    --page, last--> EXHAUSTED
    FETCHING    --error-------> FAILED
    HAS_CURSOR  --iterate--> FETCHING
    FAILED      --iterate--> FETCHING      (retries the failed page)
    EXHAUSTED   (terminal: iterating again yields nothing)
"""

from __future__ import annotations

import asyncio
import enum
import types
from collections.abc import AsyncGenerator, Callable, Coroutine, Mapping, Sequence
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl, urlsplit

import attrs

from ._errors import InvalidArgumentError, PaginationError, PaginationLoopError
from ._fastdecode import structure_data
from ._models import Page
from ._protocol import Envelope, validate_cursor

__all__ = ["AsyncPaginator", "Checkpoint", "CursorStyle", "PaginatorState"]

T = TypeVar("T")


@attrs.frozen(slots=True)
class CursorStyle:
    """Which request parameter carries the cursor and which pagination key returns it."""

    param: str
    next_key: str


CURSOR = CursorStyle("cursor", "next_cursor")
MAX_ID = CursorStyle("max_id", "next_max_id")
MAX_TAG_ID = CursorStyle("max_tag_id", "next_max_tag_id")
MAX_LIKE_ID = CursorStyle("max_like_id", "next_max_like_id")


@attrs.define(slots=True)
class _Held:
    """Items taken from one page by an interrupted ``collect()`` and not yet delivered:
    ``items`` start at item ``offset`` of the page fetched with ``cursor`` (rule 9)."""

    cursor: str | None
    offset: int
    items: list[Any]
    next_cursor: str | None
    next_url: str | None


@attrs.frozen(slots=True)
class Checkpoint:
    """Where a walk stands; pass it as ``cursor=`` to resume exactly there.

    Attributes:
        cursor: The page to fetch again (None: the first page).
        offset: How many of that page's first items were already yielded (skipped on resume).
    """

    cursor: str | None
    offset: int = 0

    def __attrs_post_init__(self) -> None:
        if self.offset < 0:
            raise InvalidArgumentError(f"checkpoint offset must be >= 0, not {self.offset}")


class PaginatorState(enum.Enum):
    """Where a paginator is (transitions in the module's rules): not started, fetching a
    page, holding the cursor of the next page, exhausted (the list ended), or failed (the
    last fetch raised; iterating again retries it)."""

    NOT_STARTED = "not_started"
    FETCHING = "fetching"
    HAS_CURSOR = "has_cursor"
    EXHAUSTED = "exhausted"
    FAILED = "failed"


_S = PaginatorState
_TRANSITIONS: Mapping[PaginatorState, frozenset[PaginatorState]] = {
    _S.NOT_STARTED: frozenset({_S.FETCHING}),
    _S.FETCHING: frozenset({_S.HAS_CURSOR, _S.EXHAUSTED, _S.FAILED}),
    _S.HAS_CURSOR: frozenset({_S.FETCHING}),
    _S.FAILED: frozenset({_S.FETCHING}),
    _S.EXHAUSTED: frozenset(),
}


def read_pagination(
    pagination: Mapping[str, Any], style: CursorStyle
) -> tuple[str | None, str | None]:
    """``(next_cursor, next_url)`` from a ``pagination`` object (pure; rule 4).

    Cursors may be integers in early captures; they become strings. Pre-launch ``paging.next``
    is read as ``next_url``.
    """
    raw_cursor = pagination.get(style.next_key)
    cursor: str | None
    if raw_cursor is None or raw_cursor == "" or isinstance(raw_cursor, bool):
        cursor = None
    elif isinstance(raw_cursor, (str, int)):
        cursor = str(raw_cursor)
    else:
        cursor = None
    raw_url = pagination.get("next_url", pagination.get("next"))
    url = raw_url if isinstance(raw_url, str) and raw_url else None
    if cursor is None and url is not None:
        # Only next_url was given: the cursor is inside it (for checkpoints and the loop guard).
        for key, value in parse_qsl(urlsplit(url).query):
            if key == style.param and value:
                cursor = value
    return cursor, url


Fetcher = Callable[[str | None, str | None], Coroutine[Any, Any, Envelope]]


class AsyncPaginator(Generic[T]):
    """Iterate items across pages (``async for item in paginator``), or pages
    (``async for page in paginator.pages()``), or ``await paginator.collect(limit)``.
    ``async with paginator:`` cancels the page read ahead on the way out (:meth:`aclose`).

    The resources build paginators (``client.relationships.followed_by(...)``); nothing is
    fetched until it is iterated.

    Args:
        fetch: Fetches one page: ``fetch(cursor, next_url)`` returns its envelope.
        item_type: The model of the items.
        style: Which request parameter carries the cursor.
        endpoint: The endpoint's name, for errors and the repr.
        cursor: A page cursor or a :class:`Checkpoint` to start from.
        prefetch: Read the next page ahead while the caller works through this one.
    """

    def __init__(
        self,
        fetch: Fetcher,
        *,
        item_type: Any,
        style: CursorStyle,
        endpoint: str,
        cursor: str | Checkpoint | None = None,
        prefetch: bool = True,
    ) -> None:
        self._fetch = fetch
        self._prefetch = prefetch
        self._ahead: asyncio.Future[Envelope] | None = None  # the next page, read ahead
        self._wanted: int | None = None  # items collect() still needs (None: all)
        self._list_type: Any = list[item_type]
        self._style = style
        self._endpoint = endpoint
        if isinstance(cursor, Checkpoint):
            start = cursor
        else:
            start = Checkpoint(validate_cursor(cursor, style.param))
        self._cursor: str | None = start.cursor  # the page to fetch next
        self._next_url: str | None = None  # how to fetch it, when the server said
        self._skip = start.offset  # items of that page already yielded in an earlier walk
        self._page_cursor: str | None = start.cursor  # the page whose items are being yielded
        self._yielded_in_page = start.offset
        self._seen: set[str] = set()
        self._state = PaginatorState.NOT_STARTED
        self._buffer: Sequence[T] = ()
        self._index = 0
        self._held: list[_Held] = []  # taken by collect() and not yet delivered (rule 9)

    # -- state ----------------------------------------------------------------------------

    @property
    def state(self) -> PaginatorState:
        """The paginator's current state."""
        return self._state

    @property
    def next_cursor(self) -> str | None:
        """The cursor of the next page to fetch (None before the first page or at the end)."""
        return None if self._state is PaginatorState.EXHAUSTED else self._cursor

    def checkpoint(self) -> Checkpoint:
        """Where an item walk stands (rules 7 and 9); None cursor and offset 0 means the
        beginning."""
        if self._held:
            first = self._held[0]
            return Checkpoint(first.cursor, first.offset)
        if self._index < len(self._buffer) or self._state is PaginatorState.EXHAUSTED:
            return Checkpoint(self._page_cursor, self._yielded_in_page)
        return Checkpoint(self._cursor, self._skip)

    def _move(self, new: PaginatorState) -> None:
        if new not in _TRANSITIONS[self._state]:
            if self._state is PaginatorState.FETCHING and new is PaginatorState.FETCHING:
                raise PaginationError("this paginator is already being iterated")
            raise PaginationError(f"paginator cannot go from {self._state.value} to {new.value}")
        self._state = new

    # -- fetching -------------------------------------------------------------------------

    async def _next_page(self) -> Page[T] | None:
        if self._state is PaginatorState.EXHAUSTED:
            return None
        cursor, url = self._cursor, self._next_url
        token = cursor if cursor is not None else url
        if token is not None and token in self._seen:
            self._state = PaginatorState.FAILED
            raise PaginationLoopError(
                f"{self._endpoint}: the server returned cursor {cursor!r} a second time; "
                "stopping instead of looping"
            )
        self._move(PaginatorState.FETCHING)
        ahead, self._ahead = self._ahead, None
        try:
            envelope = await (ahead if ahead is not None else self._fetch(cursor, url))
            items: list[T] = structure_data(envelope, self._list_type, endpoint=self._endpoint)
            next_cursor, next_url = read_pagination(envelope.pagination, self._style)
        except BaseException:
            self._state = PaginatorState.FAILED
            raise
        if token is not None:
            self._seen.add(token)
        skip, self._skip = self._skip, 0
        self._page_cursor = cursor
        self._yielded_in_page = skip
        self._cursor, self._next_url = next_cursor, next_url
        self._move(PaginatorState.HAS_CURSOR if next_cursor or next_url else _S.EXHAUSTED)
        page_items = items[skip:] if skip else items
        if self._prefetch and self._state is _S.HAS_CURSOR:
            wanted = self._wanted
            if wanted is None or len(page_items) < wanted:
                self._read_ahead()
        return Page(page_items, cursor, next_cursor, next_url)

    def _read_ahead(self) -> None:
        """Start fetching the next page (rule 8), unless the loop guard will refuse it."""
        cursor, url = self._cursor, self._next_url
        token = cursor if cursor is not None else url
        if token is not None and token in self._seen:
            return
        task = asyncio.get_running_loop().create_task(self._fetch(cursor, url))
        task.add_done_callback(_mark_retrieved)
        self._ahead = task

    async def _start_read_ahead(self) -> None:
        """Give the page read ahead one turn of the event loop, so that its request is on the
        wire before the caller starts on the page in hand: a caller that works through a page
        without awaiting anything would otherwise hold it back until the page is done. Called
        only with that page in ``_buffer``: a cancellation here loses nothing."""
        ahead = self._ahead
        if ahead is not None and not ahead.done():
            await asyncio.sleep(0)

    async def aclose(self) -> None:
        """Cancel the page being read ahead, if any (rule 8). The paginator stays usable: the
        next iteration fetches that page again."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None and not ahead.done():
            ahead.cancel()
            await asyncio.wait((ahead,))  # never raises the page's own outcome

    async def __aenter__(self) -> AsyncPaginator[T]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- iteration ------------------------------------------------------------------------
    # Item iteration keeps only the page in progress (rule 6); breaking out of ``async for``
    # and iterating again continues with the next item, as does resuming from checkpoint().

    def __aiter__(self) -> AsyncPaginator[T]:
        return self

    async def __anext__(self) -> T:
        if self._held:
            return self._pop_held()
        while self._index >= len(self._buffer):
            if not await self._refill():
                raise StopAsyncIteration
        index = self._index
        self._index = index + 1
        self._yielded_in_page += 1
        return self._buffer[index]

    async def _refill(self) -> bool:
        """Fetch the next page into the buffer (and read the one after ahead); False at the
        end of the list."""
        if self._state is PaginatorState.EXHAUSTED:
            self._buffer, self._index = (), 0
            return False
        page = await self._next_page()
        if page is None:  # pragma: no cover - EXHAUSTED is checked above
            return False
        self._buffer, self._index = page.items, 0
        await self._start_read_ahead()
        return True

    def _pop_held(self) -> T:
        first = self._held[0]
        item: T = first.items.pop(0)
        first.offset += 1
        if not first.items:
            del self._held[0]
        return item

    def _take(self, count: int | None) -> None:
        """Move up to ``count`` items (None: all) of the page in hand into ``_held``."""
        index, buffer = self._index, self._buffer
        end = len(buffer) if count is None else min(len(buffer), index + count)
        if end <= index:
            return
        held = self._held
        last = held[-1] if held else None
        if (
            last is not None
            and last.cursor == self._page_cursor
            and last.offset + len(last.items) == self._yielded_in_page
        ):
            last.items.extend(buffer[index:end])
        else:
            held.append(
                _Held(
                    self._page_cursor,
                    self._yielded_in_page,
                    list(buffer[index:end]),
                    self._cursor,
                    self._next_url,
                )
            )
        self._index = end
        self._yielded_in_page += end - index

    def _held_count(self) -> int:
        return sum(len(h.items) for h in self._held)

    def _deliver_held(self, limit: int | None) -> list[T]:
        """Hand over the first ``limit`` held items (None: all) and forget them."""
        out: list[T] = []
        held = self._held
        while held and (limit is None or len(out) < limit):
            first = held[0]
            want = len(first.items) if limit is None else limit - len(out)
            if want >= len(first.items):
                out.extend(first.items)
                del held[0]
            else:
                out.extend(first.items[:want])
                del first.items[:want]
                first.offset += want
        return out

    async def pages(self) -> AsyncGenerator[Page[T], None]:
        """Yield each page (only the items not yet yielded, when an item walk, an interrupted
        ``collect()`` or a checkpoint left a page part-way). An async generator: close it early
        with ``aclose()`` or ``contextlib.aclosing``."""
        while self._held:
            first = self._held.pop(0)
            yield Page(first.items, first.cursor, first.next_cursor, first.next_url)
        if self._index < len(self._buffer):
            rest = self._buffer[self._index :]
            self._buffer, self._index = (), 0
            self._yielded_in_page += len(rest)
            yield Page(rest, self._page_cursor, self._cursor, self._next_url)
        while True:
            page = await self._next_page()
            if page is None:
                return
            self._buffer, self._index = page.items, 0  # held here until it is delivered
            await self._start_read_ahead()
            self._buffer, self._index = (), 0
            self._yielded_in_page += len(page.items)
            yield page

    async def collect(self, limit: int | None = None) -> list[T]:
        """All items, or the first ``limit``, as a list.

        With a limit, the walk can be resumed afterwards from :meth:`checkpoint`.

        Args:
            limit: At most this many items (None: all of them).
        """
        if limit is not None and (isinstance(limit, bool) or limit < 0):
            raise InvalidArgumentError(f"limit must be a non-negative integer, not {limit!r}")
        # Items are taken into ``_held`` and handed over only on return (rule 9): a
        # cancellation at any await below leaves them there for the next consumer.
        have = self._held_count()
        while limit is None or have < limit:
            if self._index < len(self._buffer):
                self._take(None if limit is None else limit - have)
                have = self._held_count()
                continue
            self._wanted = None if limit is None else limit - have
            try:
                more = await self._refill()
            finally:
                self._wanted = None
            if not more:
                break
        return self._deliver_held(limit)

    def __repr__(self) -> str:
        return f"<AsyncPaginator {self._endpoint} state={self._state.value}>"


def _mark_retrieved(task: asyncio.Future[Envelope]) -> None:
    """A page read ahead may never be reached (the walk was abandoned): mark its exception as
    retrieved so asyncio does not log it; a walk that reaches it re-raises it."""
    if not task.cancelled():
        task.exception()
