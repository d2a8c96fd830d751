"""The Geographies endpoint (api doc section 3, "Geographies").

==============================================  ========================================
GET /geographies/{geo-id}/media/recent          :meth:`GeographiesResource.recent_media`
==============================================  ========================================

A geography id comes from your client's geography subscription (real-time, api doc section
7); the endpoint accepts ``client_id`` alone, so a client built with only ``client_id`` works.
"""

from __future__ import annotations

from .._media_models import Media
from .._media_validation import validate_numeric_id
from .._pagination import MAX_ID, AsyncPaginator, Checkpoint
from .._protocol import validate_cursor
from ._base import CallOptions, Resource, Unpack
from ._media_common import start_cursor

__all__ = ["GeographiesResource"]


class GeographiesResource(Resource):
    """``client.geographies``."""

    __slots__ = ()

    def recent_media(
        self,
        geo_id: str | int,
        *,
        count: int | None = None,
        min_id: str | int | None = None,
        max_id: str | int | None = None,
        cursor: str | Checkpoint | None = None,
        prefetch: bool = True,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[Media]:
        """Recent media in a subscribed geography, newest first.

        Args:
            geo_id: The geography's id (from its real-time subscription).
            count: Media per page (the server's default when None).
            min_id: Only media newer than this id.
            max_id: Only media older than this id.
            cursor: A page cursor or a :class:`Checkpoint` to resume from.
            prefetch: Request the next page while you work through this one.
        """
        gid = validate_numeric_id(geo_id, "geography id")
        return self._paginate(
            f"/geographies/{gid}/media/recent",
            Media,
            MAX_ID,
            count=count,
            cursor=start_cursor("max_id", max_id, cursor),
            params={"min_id": validate_cursor(min_id, "min_id")},
            prefetch=prefetch,
            options=options,
        )
