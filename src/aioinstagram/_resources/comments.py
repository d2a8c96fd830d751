"""The Comments endpoints (api doc section 3, "Comments").

====================================================  ==============================
GET    /media/{media-id}/comments                      :meth:`CommentsResource.list`
POST   /media/{media-id}/comments  text=...            :meth:`CommentsResource.create`
DELETE /media/{media-id}/comments/{comment-id}         :meth:`CommentsResource.delete`
====================================================  ==============================

Creating a comment is not idempotent: after an ambiguous failure (a timeout, a dropped
connection, a 5xx) it is never retried, and OutcomeUnknownError says so; look at the list
before trying again. Deleting is idempotent (retried like a GET).
"""

from __future__ import annotations

from .._converter import structure
from .._media_models import Comment
from .._media_validation import validate_comment_id, validate_comment_text, validate_media_id
from .._pagination import CURSOR, AsyncPaginator, Checkpoint
from ._base import CallOptions, Resource, Unpack

__all__ = ["CommentsResource"]


class CommentsResource(Resource):
    """``client.comments``."""

    __slots__ = ()

    def list(
        self,
        media_id: str | int,
        *,
        cursor: Checkpoint | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[Comment]:
        """The comments on a media, oldest first (one page: the endpoint does not page).

        Args:
            media_id: The media's id.
            cursor: A :class:`Checkpoint` of an earlier walk (skips what it already yielded).
        """
        mid = validate_media_id(media_id)
        return self._paginate(
            f"/media/{mid}/comments",
            Comment,
            CURSOR,
            count=None,
            cursor=cursor,
            prefetch=False,
            options=options,
        )

    async def create(
        self, media_id: str | int, text: str, **options: Unpack[CallOptions]
    ) -> Comment | None:
        """Comment on a media, after checking the API's rules (at most 300 characters, 4
        hashtags and 1 URL, not all capitals). Returns the new comment when the server sends
        it (early API), else None (``data: null`` since 2015).

        Args:
            media_id: The media's id.
            text: The comment.
        """
        mid = validate_media_id(media_id)
        body = validate_comment_text(text)
        path = f"/media/{mid}/comments"
        envelope = await self._request("POST", path, {"text": body}, options, idempotent=False)
        if envelope.data is None:
            return None
        return structure(envelope.data, Comment, endpoint=f"POST {path}")

    async def delete(
        self, media_id: str | int, comment_id: str | int, **options: Unpack[CallOptions]
    ) -> None:
        """Delete a comment you wrote, or any comment on your own media (idempotent).

        Args:
            media_id: The media's id.
            comment_id: The comment's id.
        """
        mid = validate_media_id(media_id)
        cid = validate_comment_id(comment_id)
        await self._request("DELETE", f"/media/{mid}/comments/{cid}", None, options)
