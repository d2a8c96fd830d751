"""The real-time subscription endpoints (api doc section 7), as the application.

====================================================  ==================================
GET /subscriptions?client_id&client_secret            :meth:`SubscriptionsResource.list`
POST /subscriptions (form)                            :meth:`SubscriptionsResource.create`
DELETE /subscriptions?client_id&client_secret&id=...  :meth:`SubscriptionsResource.delete`
====================================================  ==================================

These calls authenticate with the client's ``client_id`` and ``client_secret`` (never a user
token; the client needs both), form-encoded for the POST, as the API required (a JSON body
failed with "Invalid format for callback_url"). Receiving the updates is ``_realtime``.
"""

from __future__ import annotations

import math
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import attrs

from .._errors import InvalidArgumentError
from .._fastdecode import structure_data
from .._protocol import Credentials
from ._base import CallOptions, Resource, Unpack

__all__ = ["Subscription", "SubscriptionsResource"]

ObjectType = Literal["user", "tag", "location", "geography"]
_OBJECTS: Final = ("user", "tag", "location", "geography")


@attrs.frozen(slots=True)
class Subscription:
    """A real-time subscription.

    Attributes:
        id: The subscription's id.
        object: ``user``, ``tag``, ``location`` or ``geography``.
        aspect: What is watched: always ``media``.
        callback_url: Where the updates are POSTed.
        object_id: The tag name, location id or geography id (None for ``user``).
        type: The object type, when the answer names it (``"subscription"``).
    """

    id: str
    object: str
    aspect: str = "media"
    callback_url: str | None = None
    object_id: str | None = None
    type: str | None = None


def _number(name: str, value: object, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidArgumentError(f"{name} must be a number, not {value!r}")
    if not low <= value <= high:
        raise InvalidArgumentError(f"{name} must be between {low} and {high}, not {value!r}")
    return float(value)


_Subscriptions = list[Subscription]


class SubscriptionsResource(Resource):
    """``client.subscriptions``."""

    __slots__ = ()

    async def list(self, **options: Unpack[CallOptions]) -> _Subscriptions:
        """Every subscription of the application."""
        envelope = await self._app_request("GET", "/subscriptions", None, options)
        result: _Subscriptions = structure_data(
            envelope, _Subscriptions, endpoint="GET /subscriptions"
        )
        return result

    async def create(
        self,
        *,
        object: ObjectType,
        callback_url: str,
        verify_token: str | None = None,
        object_id: str | int | None = None,
        lat: float | None = None,
        lng: float | None = None,
        radius: float | None = None,
        **options: Unpack[CallOptions],
    ) -> Subscription:
        """Subscribe to new media of ``object``: ``user`` (the users who authorized the app),
        ``tag`` (``object_id`` = tag name), ``location`` (``object_id`` = location id) or
        ``geography`` (``lat``, ``lng``, ``radius`` in metres, up to 5000). The API first
        GETs ``callback_url`` with a challenge that your receiver must answer.

        Args:
            object: ``user``, ``tag``, ``location`` or ``geography``.
            callback_url: Your receiver's absolute http(s) URL.
            verify_token: Echoed in the challenge; your receiver checks it.
            object_id: The tag name or location id (``tag`` and ``location`` only).
            lat: The geography's centre latitude (``geography`` only).
            lng: The geography's centre longitude (``geography`` only).
            radius: The geography's radius in metres, up to 5000 (``geography`` only).
        """
        if object not in _OBJECTS:
            raise InvalidArgumentError(f"object must be one of {', '.join(_OBJECTS)}")
        parts = urlsplit(callback_url) if isinstance(callback_url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidArgumentError("callback_url must be an absolute http(s) URL")
        params: dict[str, Any] = {"object": object, "aspect": "media"}
        if object in ("tag", "location"):
            if object_id is None or isinstance(object_id, bool) or str(object_id).strip() == "":
                raise InvalidArgumentError(f"a {object} subscription needs object_id")
            oid = str(object_id).lstrip("#") if object == "tag" else str(object_id)
            if object == "location" and not oid.isdigit():
                raise InvalidArgumentError(f"location object_id must be digits, not {oid!r}")
            params["object_id"] = oid
        elif object_id is not None:
            raise InvalidArgumentError(f"a {object} subscription takes no object_id")
        if object == "geography":
            if lat is None or lng is None or radius is None:
                raise InvalidArgumentError("a geography subscription needs lat, lng and radius")
            params["lat"] = _number("lat", lat, -90, 90)
            params["lng"] = _number("lng", lng, -180, 180)
            params["radius"] = _number("radius", radius, 1, 5000)
        elif (lat, lng, radius) != (None, None, None):
            raise InvalidArgumentError("lat, lng and radius are for geography subscriptions")
        if verify_token is not None:
            params["verify_token"] = verify_token
        params["callback_url"] = callback_url
        envelope = await self._app_request("POST", "/subscriptions", params, options)
        result: Subscription = structure_data(
            envelope, Subscription, endpoint="POST /subscriptions"
        )
        return result

    async def delete(
        self,
        *,
        id: str | int | None = None,
        object: ObjectType | Literal["all"] | None = None,
        **options: Unpack[CallOptions],
    ) -> None:
        """Delete one subscription (``id=``), those of one type (``object="tag"``) or all
        (``object="all"``)."""
        if (id is None) == (object is None):
            raise InvalidArgumentError("pass exactly one of id= or object=")
        params: dict[str, Any]
        if id is not None:
            if isinstance(id, bool) or not str(id).strip().isdigit():
                raise InvalidArgumentError(f"id must be a subscription id, not {id!r}")
            params = {"id": str(id).strip()}
        else:
            if object not in (*_OBJECTS, "all"):
                raise InvalidArgumentError(f"object must be one of {', '.join(_OBJECTS)} or all")
            params = {"object": object}
        await self._app_request("DELETE", "/subscriptions", params, options)

    @property
    def _credentials(self) -> Credentials:
        return self._transport.credentials
