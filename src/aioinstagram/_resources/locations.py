"""The Locations endpoints (api doc section 3, "Locations").

==================================================  ======================================
GET /locations/{location-id}                        :meth:`LocationsResource.get`
GET /locations/{location-id}/media/recent           :meth:`LocationsResource.recent_media`
GET /locations/search                               :meth:`LocationsResource.search`
==================================================  ======================================
"""

from __future__ import annotations

import datetime as dt

from .._errors import InvalidArgumentError
from .._media_models import Location, Media
from .._media_validation import (
    validate_distance,
    validate_latitude,
    validate_longitude,
    validate_numeric_id,
    validate_place_id,
)
from .._pagination import CURSOR, AsyncPaginator, Checkpoint
from .._protocol import validate_count
from ._base import CallOptions, Resource, Unpack
from ._media_common import recent_media

__all__ = ["LocationsResource"]

_WAYS = "lat and lng, facebook_places_id, foursquare_id or foursquare_v2_id"


class LocationsResource(Resource):
    """``client.locations``."""

    __slots__ = ()

    async def get(self, location_id: str | int, **options: Unpack[CallOptions]) -> Location:
        """One location.

        Args:
            location_id: The location's id.
        """
        lid = validate_numeric_id(location_id, "location id")
        result: Location = await self._get(f"/locations/{lid}", None, Location, options)
        return result

    def recent_media(
        self,
        location_id: str | int,
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
        """Media taken at a location, newest first.

        Args:
            location_id: The location's id.
            count: Media per page (the server's default when None).
            min_id: Only media newer than this id.
            max_id: Only media older than this id.
            min_timestamp: Only media posted at or after this time (a datetime or Unix
                seconds).
            max_timestamp: Only media posted at or before this time.
            cursor: A page cursor or a :class:`Checkpoint` to resume from.
            prefetch: Request the next page while you work through this one.
        """
        lid = validate_numeric_id(location_id, "location id")
        return recent_media(
            self,
            f"/locations/{lid}/media/recent",
            count=count,
            min_id=min_id,
            max_id=max_id,
            min_timestamp=min_timestamp,
            max_timestamp=max_timestamp,
            cursor=cursor,
            prefetch=prefetch,
            options=options,
        )

    def search(
        self,
        *,
        lat: float | None = None,
        lng: float | None = None,
        distance: float | None = None,
        facebook_places_id: str | int | None = None,
        foursquare_id: str | None = None,
        foursquare_v2_id: str | None = None,
        count: int | None = None,
        **options: Unpack[CallOptions],
    ) -> AsyncPaginator[Location]:
        """Locations near a point (``lat`` and ``lng``, within ``distance`` metres: default
        1000, at most 5000), or the one matching a Facebook Places or Foursquare id. Exactly
        one way to locate must be given.

        Args:
            lat: The point's latitude (with ``lng``).
            lng: The point's longitude (with ``lat``).
            distance: The search radius in metres (default 1000, at most 5000).
            facebook_places_id: A Facebook Places id.
            foursquare_id: A Foursquare v1 id.
            foursquare_v2_id: A Foursquare v2 id.
            count: At most this many locations.
        """
        ways: dict[str, object] = {}
        if lat is not None or lng is not None:
            if lat is None or lng is None:
                raise InvalidArgumentError("lat and lng go together: give both")
            ways["lat"] = validate_latitude(lat)
            ways["lng"] = validate_longitude(lng)
        for name, value in (
            ("facebook_places_id", facebook_places_id),
            ("foursquare_id", foursquare_id),
            ("foursquare_v2_id", foursquare_v2_id),
        ):
            if value is not None:
                ways[name] = validate_place_id(value, name)
        kinds = {"lat" if k in ("lat", "lng") else k for k in ways}
        if len(kinds) != 1:
            given = ", ".join(sorted(kinds)) or "none"
            raise InvalidArgumentError(f"give exactly one of {_WAYS} (given: {given})")
        if distance is not None and "lat" not in ways:
            raise InvalidArgumentError("distance only applies to a search by lat and lng")
        params = {**ways, "distance": validate_distance(distance), "count": validate_count(count)}
        return self._paginate(
            "/locations/search",
            Location,
            CURSOR,
            count=None,
            cursor=None,
            params=params,
            options=options,
        )
