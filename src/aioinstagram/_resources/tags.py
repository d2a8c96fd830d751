"""The Tags endpoints (api doc section 3, "Tags").

==============================================  ==================================
GET /tags/{tag-name}                            :meth:`TagsResource.get`
GET /tags/{tag-name}/media/recent               :meth:`TagsResource.recent_media`
GET /tags/search?q=...                          :meth:`TagsResource.search`
==============================================  ==================================

Tag media page with ``max_tag_id`` / ``next_max_tag_id`` (api doc section 2); the deprecated
``next_max_id`` the server also sends is not used.
"""

from __future__ import annotations

from .._media_models import Media, Tag
from .._media_validation import validate_tag_name
from .._pagination import CURSOR, MAX_TAG_ID, AsyncPaginator, Checkpoint
from .._protocol import validate_cursor
from ._base import CallOptions, Resource, Unpack
from ._media_common import start_cursor

__all__ = ["TagsResource"]


class TagsResource(Resource):
    """``client.tags``. Tag names are given without ``#`` (a leading one is dropped)."""

    __slots__ = ()

    async def get(self, tag_name: str, **options: Unpack[CallOptions]) -> Tag:
        """A tag and how many media carry it.

        Args:
            tag_name: The tag, with or without its ``#``.
        """
        name = validate_tag_name(tag_name)
        result: Tag = await self._get(f"/tags/{name}", None, Tag, options)
        return result

    def recent_media(
        self,
        tag_name: str,
        *,
        count: int | None = None,
        min_tag_id: str | int | None = None,
        max_tag_id: str | int | None = None,
        cursor: str | Checkpoint | None = None,
        prefetch: bool = True,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[Media]:
        """Media tagged ``tag_name``, most recently tagged first. ``max_tag_id`` (or
        ``cursor``) starts below that point; ``min_tag_id`` stops there.

        Args:
            tag_name: The tag.
            count: Media per page (the server's default when None).
            min_tag_id: Stop at this point.
            max_tag_id: Start below this point.
            cursor: A page cursor or a :class:`Checkpoint` to resume from.
            prefetch: Request the next page while you work through this one.
        """
        name = validate_tag_name(tag_name)
        return self._paginate(
            f"/tags/{name}/media/recent",
            Media,
            MAX_TAG_ID,
            count=count,
            cursor=start_cursor("max_tag_id", max_tag_id, cursor),
            params={"min_tag_id": validate_cursor(min_tag_id, "min_tag_id")},
            prefetch=prefetch,
            options=options,
        )

    def search(
        self, q: str, *, count: int | None = None, **options: Unpack[CallOptions]
    ) -> AsyncPaginator[Tag]:
        """Tags whose name starts with ``q`` (one page).

        Args:
            q: The start of the tag's name.
            count: At most this many tags.
        """
        name = validate_tag_name(q)
        return self._paginate(
            "/tags/search",
            Tag,
            CURSOR,
            count=count,
            cursor=None,
            params={"q": name},
            options=options,
        )
