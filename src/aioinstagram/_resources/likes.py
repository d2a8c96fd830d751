"""The Likes endpoints (api doc section 3, "Likes").

==================================  ==========================
GET    /media/{media-id}/likes      :meth:`LikesResource.list`
POST   /media/{media-id}/likes      :meth:`LikesResource.like`
DELETE /media/{media-id}/likes      :meth:`LikesResource.unlike`
==================================  ==========================

Liking and unliking set a state: both are idempotent and retried after an ambiguous failure.
"""

from __future__ import annotations

from .._media_validation import validate_media_id
from .._models import User
from .._pagination import CURSOR, AsyncPaginator, Checkpoint
from ._base import CallOptions, Resource, Unpack

__all__ = ["LikesResource"]


class LikesResource(Resource):
    """``client.likes``."""

    __slots__ = ()

    def list(
        self,
        media_id: str | int,
        *,
        cursor: Checkpoint | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[User]:
        """The users who liked a media (one page: the endpoint does not page).

        Args:
            media_id: The media's id.
            cursor: A :class:`Checkpoint` of an earlier walk (skips what it already yielded).
        """
        mid = validate_media_id(media_id)
        return self._paginate(
            f"/media/{mid}/likes",
            User,
            CURSOR,
            count=None,
            cursor=cursor,
            prefetch=False,
            options=options,
        )

    async def like(self, media_id: str | int, **options: Unpack[CallOptions]) -> None:
        """Like a media (liking it again changes nothing).

        Args:
            media_id: The media's id.
        """
        mid = validate_media_id(media_id)
        await self._request("POST", f"/media/{mid}/likes", None, options, idempotent=True)

    async def unlike(self, media_id: str | int, **options: Unpack[CallOptions]) -> None:
        """Remove your like (unliking a media you do not like changes nothing).

        Args:
            media_id: The media's id.
        """
        mid = validate_media_id(media_id)
        await self._request("DELETE", f"/media/{mid}/likes", None, options)
