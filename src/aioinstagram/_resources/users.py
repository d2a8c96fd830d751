"""The Users endpoints (api doc section 3, "Users").

==============================================  ====================================
GET /users/{user-id}                            :meth:`UsersResource.get`
GET /users/search?q=...&count=...               :meth:`UsersResource.search`
GET /users/{user-id}/media/recent               :meth:`UsersResource.recent_media`
GET /users/self/feed                            :meth:`UsersResource.feed`
GET /users/self/media/liked                     :meth:`UsersResource.liked_media`
==============================================  ====================================

Media lists page with ``max_id`` / ``next_max_id`` (liked media: ``max_like_id`` /
``next_max_like_id``; api doc section 2 "Pagination keys by endpoint family").
"""

from __future__ import annotations

import datetime as dt

from .._errors import InvalidArgumentError
from .._media_models import Media
from .._models import User
from .._pagination import MAX_ID, MAX_LIKE_ID, AsyncPaginator, Checkpoint
from .._protocol import validate_count, validate_cursor, validate_user_id
from ._base import CallOptions, Resource, Unpack
from ._media_common import recent_media, start_cursor

__all__ = ["UsersResource"]


class UsersResource(Resource):
    """``client.users``."""

    __slots__ = ()

    async def get(self, user_id: str | int = "self", **options: Unpack[CallOptions]) -> User:
        """The full profile of ``user_id``, with ``counts`` (``GET /users/{user-id}``).

        Args:
            user_id: A user id, or ``"self"`` for the token's owner.
        """
        uid = validate_user_id(user_id)
        result: User = await self._get(f"/users/{uid}", None, User, options)
        return result

    async def search(
        self, q: str, *, count: int | None = None, **options: Unpack[CallOptions]
    ) -> list[User]:
        """Users whose name matches ``q`` (``GET /users/search``; one page, the endpoint
        has no pagination).

        Args:
            q: The text to search for.
            count: At most this many users (the server's default when None).
        """
        if not isinstance(q, str) or not q.strip():
            raise InvalidArgumentError(f"q must be a non-empty string, not {q!r}")
        result: list[User] = await self._get(
            "/users/search", {"q": q, "count": validate_count(count)}, list[User], options
        )
        return result

    def recent_media(
        self,
        user_id: str | int = "self",
        *,
        count: int | None = None,
        min_id: str | int | None = None,
        max_id: str | int | None = None,
        min_timestamp: int | dt.datetime | None = None,
        max_timestamp: int | dt.datetime | None = None,
        cursor: str | Checkpoint | None = None,
        prefetch: bool = True,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[Media]:
        """The media ``user_id`` posted, newest first. A private user you do not follow raises
        NotAllowedError on the first page. ``max_id`` (or ``cursor``) starts below that media;
        ``min_id`` and the timestamps (Unix seconds or aware datetimes) narrow the list.

        Args:
            user_id: A user id, or ``"self"`` for the token's owner.
            count: Media per page (the server's default when None).
            min_id: Only media newer than this id.
            max_id: Only media older than this id.
            min_timestamp: Only media posted at or after this time.
            max_timestamp: Only media posted at or before this time.
            cursor: A page cursor or a :class:`Checkpoint` to resume from.
            prefetch: Request the next page while you work through this one.
        """
        uid = validate_user_id(user_id)
        return recent_media(
            self,
            f"/users/{uid}/media/recent",
            count=count,
            min_id=min_id,
            max_id=max_id,
            min_timestamp=min_timestamp,
            max_timestamp=max_timestamp,
            cursor=cursor,
            prefetch=prefetch,
            options=options,
        )

    def feed(
        self,
        *,
        count: int | None = None,
        min_id: str | int | None = None,
        max_id: str | int | None = None,
        cursor: str | Checkpoint | None = None,
        prefetch: bool = True,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[Media]:
        """Your feed: media of the users you follow (and yours), newest first.

        Args:
            count: Media per page (the server's default when None).
            min_id: Only media newer than this id.
            max_id: Only media older than this id.
            cursor: A page cursor or a :class:`Checkpoint` to resume from.
            prefetch: Request the next page while you work through this one.
        """
        return self._paginate(
            "/users/self/feed",
            Media,
            MAX_ID,
            count=count,
            cursor=start_cursor("max_id", max_id, cursor),
            params={"min_id": validate_cursor(min_id, "min_id")},
            prefetch=prefetch,
            options=options,
        )

    def liked_media(
        self,
        *,
        count: int | None = None,
        max_like_id: str | int | None = None,
        cursor: str | Checkpoint | None = None,
        prefetch: bool = True,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[Media]:
        """The media you liked, most recently liked first (pages with ``max_like_id``).

        Args:
            count: Media per page (the server's default when None).
            max_like_id: Start below this point.
            cursor: A page cursor or a :class:`Checkpoint` to resume from.
            prefetch: Request the next page while you work through this one.
        """
        return self._paginate(
            "/users/self/media/liked",
            Media,
            MAX_LIKE_ID,
            count=count,
            cursor=start_cursor("max_like_id", max_like_id, cursor),
            prefetch=prefetch,
            options=options,
        )
