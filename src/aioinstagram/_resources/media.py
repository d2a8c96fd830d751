"""The Media endpoints (api doc section 3, "Media"), and bulk lookups.

==============================================  ====================================
GET /media/{media-id}                           :meth:`MediaResource.get`
GET /media/shortcode/{shortcode}                :meth:`MediaResource.get_by_shortcode`
GET /media/search?lat=&lng=&distance=...        :meth:`MediaResource.search`
GET /media/popular                              :meth:`MediaResource.popular`
==============================================  ====================================

Search and popular do not page; they return an :class:`AsyncPaginator` all the same (one
page), so code that walks a media list never branches on the endpoint.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import AsyncGenerator, Iterable

from .._bulk import ProgressCallback, each_outcome, iter_ids
from .._errors import InstagramError
from .._media_models import Media
from .._media_validation import (
    MAX_SEARCH_SPAN,
    validate_distance,
    validate_latitude,
    validate_longitude,
    validate_media_id,
    validate_shortcode,
    validate_time_window,
)
from .._pagination import MAX_ID, AsyncPaginator
from ._base import CallOptions, Resource, Unpack

__all__ = ["MediaResource"]


class MediaResource(Resource):
    """``client.media``: one media, search by place and time, popular, bulk lookups."""

    __slots__ = ()

    async def get(self, media_id: str | int, **options: Unpack[CallOptions]) -> Media:
        """One media (with ``user_has_liked`` when authenticated as a user).

        Args:
            media_id: The media's id.
        """
        mid = validate_media_id(media_id)
        result: Media = await self._get(f"/media/{mid}", None, Media, options)
        return result

    async def get_by_shortcode(self, shortcode: str, **options: Unpack[CallOptions]) -> Media:
        """One media by its shortcode (``"D"``) or post URL (``"https://instagram.com/p/D/"``)."""
        code = validate_shortcode(shortcode)
        result: Media = await self._get(f"/media/shortcode/{code}", None, Media, options)
        return result

    def search(
        self,
        *,
        lat: float,
        lng: float,
        distance: float | None = None,
        min_timestamp: int | dt.datetime | None = None,
        max_timestamp: int | dt.datetime | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[Media]:
        """Media taken within ``distance`` metres (default 1000, at most 5000) of a point,
        in a window of at most 7 days (default: the last 5 days); each carries ``distance``.

        Args:
            lat: The point's latitude.
            lng: The point's longitude.
            distance: The search radius in metres (default 1000, at most 5000).
            min_timestamp: The window's start (a datetime or Unix seconds).
            max_timestamp: The window's end.
        """
        params = {
            "lat": validate_latitude(lat),
            "lng": validate_longitude(lng),
            "distance": validate_distance(distance),
        }
        low, high = validate_time_window(min_timestamp, max_timestamp, max_span=MAX_SEARCH_SPAN)
        params.update({"min_timestamp": low, "max_timestamp": high})
        return self._paginate(
            "/media/search",
            Media,
            MAX_ID,
            count=None,
            cursor=None,
            params=params,
            options=options,
        )

    def popular(self, **options: Unpack[CallOptions]) -> AsyncPaginator[Media]:
        """Popular media right now (one page; deprecated for apps created after 2015-11-17)."""
        return self._paginate(
            "/media/popular", Media, MAX_ID, count=None, cursor=None, options=options
        )

    # -- bulk -------------------------------------------------------------------------------
    # Same guarantees as the relationship lookups (``_bulk``): one outcome per distinct id,
    # per-id errors as results, bounded concurrency, lazy input, cancellation cleans up.

    def iter_many(
        self,
        media_ids: Iterable[str | int],
        *,
        concurrency: int = 64,
        progress: ProgressCallback | None = None,
        dedupe: bool = True,
        **options: Unpack[CallOptions],
    ) -> AsyncGenerator[tuple[str, Media | InstagramError], None]:
        """Look up many media, yielding ``(media_id, Media or InstagramError)`` as each
        completes (an invalid id gets its InvalidArgumentError without a request).

        Args:
            media_ids: The ids, read lazily.
            concurrency: At most this many requests in flight.
            progress: Called as ``progress(done, total)`` after each completion.
            dedupe: Look up each distinct id once; ``False`` for unbounded streams.
        """
        self._opts(options)  # bad options fail here, not once per id
        return iter_ids(
            media_ids,
            functools.partial(self.get, **options),
            concurrency=concurrency,
            progress=progress,
            dedupe=dedupe,
        )

    async def get_many(
        self,
        media_ids: Iterable[str | int],
        *,
        concurrency: int = 64,
        progress: ProgressCallback | None = None,
        **options: Unpack[CallOptions],
    ) -> list[Media | InstagramError]:
        """Look up many media.

        Args:
            media_ids: The ids; duplicates share one lookup.
            concurrency: At most this many requests in flight.
            progress: Called as ``progress(done, total)`` after each completion.

        Returns:
            One entry per input id, in input order: a Media or the InstagramError for that id.
        """
        self._opts(options)
        return await each_outcome(
            media_ids,
            functools.partial(self.get, **options),
            concurrency=concurrency,
            progress=progress,
        )
