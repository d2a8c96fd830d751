"""The Relationships endpoints (api doc section 3, "Relationships"), and bulk lookups.

=============================================  ==========================================
GET  /users/{user-id}/follows                   :meth:`RelationshipsResource.follows`
GET  /users/{user-id}/followed-by               :meth:`RelationshipsResource.followed_by`
GET  /users/self/requested-by                   :meth:`RelationshipsResource.requested_by`
GET  /users/{user-id}/relationship              :meth:`RelationshipsResource.get`
POST /users/{user-id}/relationship  action=...  :meth:`RelationshipsResource.modify`
=============================================  ==========================================
"""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, Awaitable, Iterable

from .._bulk import ProgressCallback, each_outcome, iter_ids
from .._converter import structure
from .._errors import InstagramError, InvalidArgumentError
from .._lane import lane_for
from .._models import Relationship, RelationshipAction, User
from .._options import RequestOptions
from .._pagination import CURSOR, AsyncPaginator, Checkpoint
from .._protocol import validate_user_id
from ._base import CallOptions, Resource, Unpack

__all__ = ["RelationshipsResource"]

#: Actions that set a state, so repeating them is harmless and they may be retried after an
#: ambiguous failure. approve / ignore / deny act on a pending request that the first attempt
#: may have consumed: after an ambiguous failure they raise OutcomeUnknownError instead.
_IDEMPOTENT_ACTIONS = frozenset(
    {
        RelationshipAction.FOLLOW,
        RelationshipAction.UNFOLLOW,
        RelationshipAction.BLOCK,
        RelationshipAction.UNBLOCK,
    }
)

_KNOWN_ACTIONS = ", ".join(a.value for a in RelationshipAction)


def _action(action: RelationshipAction | str) -> RelationshipAction:
    try:
        value = RelationshipAction(action)
    except ValueError:
        value = None
    if value is None or not value.is_known:
        raise InvalidArgumentError(
            f"unknown relationship action {action!r}; expected one of {_KNOWN_ACTIONS}"
        )
    return value


def _relationship_path(user_id: str) -> str:
    """The path of ``GET /users/{user-id}/relationship`` (InvalidArgumentError for a bad id)."""
    return f"/users/{validate_user_id(user_id)}/relationship"


class RelationshipsResource(Resource):
    """``client.relationships``: lists, the relationship with one user, and bulk lookups."""

    __slots__ = ()

    # -- lists ------------------------------------------------------------------------------

    def follows(
        self,
        user_id: str | int = "self",
        *,
        count: int | None = None,
        cursor: str | Checkpoint | None = None,
        prefetch: bool = True,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[User]:
        """The users ``user_id`` follows, newest first. Nothing is fetched until iterated.

        ``GET /users/{user-id}/follows`` (api doc §3).

        Args:
            user_id: A user id, or ``"self"`` for the token's owner.
            count: Users per page (the server's default when None).
            cursor: A page cursor or a :class:`Checkpoint` to resume from (from
                :meth:`AsyncPaginator.checkpoint`, or a page's ``next_cursor``).
            prefetch: Request the next page while you work through this one (at most one
                page ahead; a walk abandoned part-way costs at most one extra request).

        Returns:
            A paginator: iterate it for users, or use its ``pages()`` and ``collect()``.
        """
        uid = validate_user_id(user_id)
        return self._paginate(
            f"/users/{uid}/follows",
            User,
            CURSOR,
            count=count,
            cursor=cursor,
            prefetch=prefetch,
            options=options,
        )

    def followed_by(
        self,
        user_id: str | int = "self",
        *,
        count: int | None = None,
        cursor: str | Checkpoint | None = None,
        prefetch: bool = True,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[User]:
        """The users who follow ``user_id``, newest first. Nothing is fetched until iterated.

        ``GET /users/{user-id}/followed-by`` (api doc §3).

        Args:
            user_id: A user id, or ``"self"`` for the token's owner.
            count: Users per page (the server's default when None).
            cursor: A page cursor or a :class:`Checkpoint` to resume from.
            prefetch: Request the next page while you work through this one.

        Returns:
            A paginator of the followers.
        """
        uid = validate_user_id(user_id)
        return self._paginate(
            f"/users/{uid}/followed-by",
            User,
            CURSOR,
            count=count,
            cursor=cursor,
            prefetch=prefetch,
            options=options,
        )

    def requested_by(
        self,
        *,
        count: int | None = None,
        cursor: str | Checkpoint | None = None,
        prefetch: bool = True,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[User]:
        """The users who asked to follow you: your pending incoming requests.

        ``GET /users/self/requested-by`` (api doc §3).

        Args:
            count: Users per page (the server's default when None).
            cursor: A page cursor or a :class:`Checkpoint` to resume from.
            prefetch: Request the next page while you work through this one.

        Returns:
            A paginator of the requesting users.
        """
        return self._paginate(
            "/users/self/requested-by",
            User,
            CURSOR,
            count=count,
            cursor=cursor,
            prefetch=prefetch,
            options=options,
        )

    # -- one relationship -------------------------------------------------------------------

    async def get(self, user_id: str | int, **options: Unpack[CallOptions]) -> Relationship:
        """Your relationship with ``user_id`` (``GET /users/{user-id}/relationship``).

        Args:
            user_id: The other user's id.
        """
        uid = validate_user_id(user_id)
        rel: Relationship = await self._get(
            f"/users/{uid}/relationship", None, Relationship, options
        )
        return rel

    def _lookup(self, opts: RequestOptions, user_id: str) -> Awaitable[Relationship]:
        """:meth:`get` for the bulk calls, which validate the options once: the request's
        coroutine, awaited by the bulk worker (a coroutine frame less per id). A bad id raises
        here, when called: inside the worker's ``try``, as when awaited."""
        return self._fetch(opts, _relationship_path(user_id), None, Relationship)

    async def modify(
        self,
        user_id: str | int,
        action: RelationshipAction | str,
        **options: Unpack[CallOptions],
    ) -> Relationship:
        """Change your relationship with ``user_id`` (``POST /users/{user-id}/relationship``).

        The answer often carries only ``outgoing_status``; the other fields are then None.
        ``follow``, ``unfollow``, ``block`` and ``unblock`` set a state and are retried like
        reads; any other action that fails ambiguously raises :class:`OutcomeUnknownError`.

        Args:
            user_id: The other user's id.
            action: A :class:`RelationshipAction` or its value (``"follow"``, ``"unfollow"``,
                ``"block"``, ``"unblock"``, ``"approve"``, ``"ignore"``, ``"deny"``).
        """
        uid = validate_user_id(user_id)
        act = _action(action)
        path = f"/users/{uid}/relationship"
        envelope = await self._request(
            "POST", path, {"action": act.value}, options, idempotent=act in _IDEMPOTENT_ACTIONS
        )
        return structure(envelope.data, Relationship, endpoint=f"POST {path}")

    async def follow(self, user_id: str | int, **options: Unpack[CallOptions]) -> Relationship:
        """Follow (or, for a private user, request to follow) ``user_id``."""
        return await self.modify(user_id, RelationshipAction.FOLLOW, **options)

    async def unfollow(self, user_id: str | int, **options: Unpack[CallOptions]) -> Relationship:
        """Stop following ``user_id`` (also cancels a pending request)."""
        return await self.modify(user_id, RelationshipAction.UNFOLLOW, **options)

    async def block(self, user_id: str | int, **options: Unpack[CallOptions]) -> Relationship:
        """Block ``user_id``."""
        return await self.modify(user_id, RelationshipAction.BLOCK, **options)

    async def unblock(self, user_id: str | int, **options: Unpack[CallOptions]) -> Relationship:
        """Unblock ``user_id``."""
        return await self.modify(user_id, RelationshipAction.UNBLOCK, **options)

    async def approve(self, user_id: str | int, **options: Unpack[CallOptions]) -> Relationship:
        """Approve ``user_id``'s pending follow request."""
        return await self.modify(user_id, RelationshipAction.APPROVE, **options)

    async def ignore(self, user_id: str | int, **options: Unpack[CallOptions]) -> Relationship:
        """Ignore (deny) ``user_id``'s pending follow request."""
        return await self.modify(user_id, RelationshipAction.IGNORE, **options)

    async def deny(self, user_id: str | int, **options: Unpack[CallOptions]) -> Relationship:
        """Deny ``user_id``'s pending follow request: the official clients' name for
        :meth:`ignore`; sends ``action=deny``."""
        return await self.modify(user_id, RelationshipAction.DENY, **options)

    # -- bulk -------------------------------------------------------------------------------
    # Ids are keyed by ``str(user_id)`` (so 123 and "123" are one id); a key that is not a
    # valid user id gets its InvalidArgumentError as its outcome, without a request.

    def iter_many(
        self,
        user_ids: Iterable[str | int],
        *,
        concurrency: int = 64,
        progress: ProgressCallback | None = None,
        dedupe: bool = True,
        **options: Unpack[CallOptions],
    ) -> AsyncGenerator[tuple[str, Relationship | InstagramError], None]:
        """Look up many relationships, yielding ``(user_id, Relationship or InstagramError)``
        as each completes.

        Close it early with ``contextlib.aclosing`` (or let it be collected): in-flight
        requests are cancelled.

        Args:
            user_ids: The ids, read lazily (an iterator of a million ids is fine).
            concurrency: At most this many requests in flight.
            progress: Called as ``progress(done, total)`` after each completion; ``total`` is
                the input's length when it has one (an upper bound when it holds
                duplicates), else None.
            dedupe: Look up each distinct id once; ``False`` drops the set of seen ids, for
                unbounded streams.
        """
        opts = self._opts(options)  # bad options fail here, not once per id
        return iter_ids(
            user_ids,
            functools.partial(self._lookup, opts),
            concurrency=concurrency,
            progress=progress,
            dedupe=dedupe,
            lane=lane_for(self._transport, opts, Relationship, path_of=_relationship_path),
        )

    async def get_many(
        self,
        user_ids: Iterable[str | int],
        *,
        concurrency: int = 64,
        progress: ProgressCallback | None = None,
        **options: Unpack[CallOptions],
    ) -> list[Relationship | InstagramError]:
        """Look up many relationships.

        Per-id errors do not stop the others; a 429 pauses the whole batch ("wait" mode).

        Args:
            user_ids: The ids; duplicates share one lookup.
            concurrency: At most this many requests in flight.
            progress: Called as ``progress(done, total)`` after each completion.

        Returns:
            One entry per input id, in input order: a Relationship or the InstagramError
            for that id.
        """
        opts = self._opts(options)  # bad options fail here, not once per id
        return await each_outcome(
            user_ids,
            functools.partial(self._lookup, opts),
            concurrency=concurrency,
            progress=progress,
            lane=lane_for(self._transport, opts, Relationship, path_of=_relationship_path),
        )
