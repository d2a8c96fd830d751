"""Real-time subscriptions in the emulator (api doc §7), new media, and oEmbed (api doc §8).

Theory of operation
-------------------
* ``POST /v1/subscriptions`` (form: ``client_id, client_secret, object, aspect=media,
  [object_id | lat, lng, radius], callback_url, verify_token``) first makes the challenge GET
  to the callback (``?hub.mode=subscribe&hub.challenge=<random>&hub.verify_token=<token>``),
  which must answer 200 with exactly the challenge; otherwise 400 ``APISubscriptionError``
  "Challenge verification failed". Callbacks must be on loopback (``127.0.0.1``, ``::1``,
  ``localhost``) unless ``EmulatorConfig.realtime_allow_remote``: an emulator never calls out.
  ``GET`` lists the app's subscriptions, ``DELETE`` removes one (``id=``), a type
  (``object=user``) or all (``object=all``); both answer ``data: null`` / the list, enveloped.
  The app authenticates with ``client_id`` + ``client_secret`` (never a user token).
* New media reach subscriptions through ONE mechanism: the media store's
  ``on_media_created`` hook (``Emulator.on_media_created``), which the hub registers when it
  is built. Every media posted, whatever posts it (``await emulator.post_media(...)`` =
  :meth:`RealtimeHub.post_media`; ``POST /_emulator/media``, an admin route outside ``/v1``:
  ``user_id, [tags], [location_id], [lat, lng], [caption], [type]``; or ``emulator.media.post(...)``
  directly), enters the media lists and indexes first, then the hook notifies every matching
  subscription: ``user`` (media by a user who authorized the app through OAuth, or
  :meth:`OAuthState.authorize`), ``tag`` (one of its tags), ``location`` (its place id, one of
  ``emulator.media.places``), ``geography`` (its point, or its place's coordinates, within
  ``radius`` metres). Posted outside a running event loop, the deliveries start at the next
  ``drain()``.
* Each update is POSTed to the callback as a JSON array (``subscription_id, object, object_id,
  changed_aspect, time`` and ``data.media_id``), signed with ``X-Hub-Signature: <hex
  HMAC-SHA1(app secret, body)>``. A callback that fails (not 2xx, or unreachable) is retried
  ``realtime_attempts`` times in all, ``realtime_retry_delay`` seconds apart, doubling; then
  the update is dropped and recorded as failed (:attr:`RealtimeHub.deliveries`), as the API
  dropped updates. ``await emulator.realtime.drain()`` waits for deliveries in flight.
* ``GET /oembed?url=...`` (outside ``/v1``, no token needed): the oEmbed answer for a seeded or
  posted media item's link (``http://instagram.com/p/<shortcode>/``), un-enveloped; an unknown
  URL is HTTP 404 with the body ``No Media Match`` **[choice of wording, as widely reported]**.
  The answer is the union of the 2012 capture (``type: photo``, ``url``, ``width``,
  ``height``: ruby gem ``spec/fixtures/oembed.json``) and the later rich form (``html``,
  ``thumbnail_*``); ``maxwidth`` is clamped to [320, 658] **[choice]**.
* A posted media item is an ordinary media for every ``/v1`` endpoint (``GET /media/{id}``,
  likes, comments, tag and location lists: ``_media_routes``); its link (and any
  ``instagram.com/p/<shortcode>/`` URL) works with ``/oembed``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import html
import ipaddress
import itertools
import json
import math
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from ._graph import PICTURE_HOST
from ._mediagraph import LINK_HOST, Post, haversine

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from ._emulator import Emulator

__all__ = ["Delivery", "RealtimeHub", "Subscription"]

OBJECTS: Final = ("user", "tag", "location", "geography")
MSG_CALLBACK: Final = (
    'Invalid format for "callback_url". URL must start with "http://" or "https://"'
)
MSG_CHALLENGE: Final = "Challenge verification failed"
_LOOPBACK_NAMES: Final = frozenset({"localhost"})
_TAG_RE: Final = re.compile(r"\A[^\s#/?&]{1,100}\Z")
#: A post URL: instagram.com or instagr.am (api doc §8), or the emulator's own media links.
_SHORTCODE_URL_RE: Final = re.compile(
    r"\A(?:https?://(?:www\.)?(?:instagram\.com|instagr\.am)|"
    + re.escape(LINK_HOST)
    + r")/p/([A-Za-z0-9_-]{1,40})/?(?:[?#].*)?\Z"
)


@dataclass(frozen=True)
class Subscription:
    id: str
    client_id: str
    object: str
    object_id: str | None
    callback_url: str
    lat: float | None = None
    lng: float | None = None
    radius: float | None = None

    def as_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "object": self.object,
            "type": "subscription",
            "id": self.id,
            "aspect": "media",
            "callback_url": self.callback_url,
        }
        if self.object_id is not None:
            doc["object_id"] = self.object_id
        return doc


@dataclass
class Delivery:
    """One update's fate: ``status`` is ``"pending"``, ``"delivered"`` or ``"failed"``."""

    subscription_id: str
    callback_url: str
    body: bytes
    attempts: int = 0
    status: str = "pending"
    last_error: str | None = None


class SubscriptionFailure(Exception):
    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message


def _sub_error(message: str) -> SubscriptionFailure:
    return SubscriptionFailure(400, "APISubscriptionError", message)


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _float(values: dict[str, str], name: str) -> float:
    try:
        value = float(values.get(name, ""))
    except ValueError:
        raise _sub_error(f"Missing or invalid parameter: {name}") from None
    if not math.isfinite(value):
        raise _sub_error(f"Missing or invalid parameter: {name}")
    return value


class RealtimeHub:
    """Subscriptions, posted media and deliveries of one emulator."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator
        self.config = emulator.config
        self.subscriptions: dict[str, Subscription] = {}
        self.deliveries: list[Delivery] = []
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        self._unstarted: list[tuple[Delivery, str]] = []  # posted with no running loop
        #: The HTTP client used for challenges and deliveries (replace it in tests).
        self.http_factory: Callable[[], httpx.AsyncClient] = lambda: httpx.AsyncClient(
            timeout=self.config.realtime_timeout, follow_redirects=False
        )
        # The one way new media reach subscriptions (see the module's docstring).
        emulator.media.on_media_created(self.media_created)

    # -- subscriptions ---------------------------------------------------------------------

    def app_of(self, values: dict[str, str]) -> str:
        """The client_id of an app authenticated with client_id + client_secret."""
        client_id = values.get("client_id")
        secret = values.get("client_secret")
        if not client_id or not secret:
            raise SubscriptionFailure(
                400, "OAuthParameterException", "Missing client_id or client_secret parameter."
            )
        app = self.emu.oauth.app(client_id)
        if app is None or not hmac.compare_digest(secret.encode(), app.client_secret.encode()):
            raise SubscriptionFailure(
                400,
                "OAuthClientException",
                "The client_id or client_secret provided is invalid.",
            )
        return client_id

    def listing(self, client_id: str) -> list[dict[str, Any]]:
        return [s.as_dict() for s in self.subscriptions.values() if s.client_id == client_id]

    def delete(self, client_id: str, values: dict[str, str]) -> None:
        sub_id, obj = values.get("id"), values.get("object")
        if sub_id:
            found = self.subscriptions.get(sub_id)
            if found is None or found.client_id != client_id:
                raise _sub_error(f"No subscription with id {sub_id}")
            del self.subscriptions[sub_id]
            return
        if obj not in (*OBJECTS, "all"):
            raise _sub_error("Missing or invalid parameter: id or object")
        for key, sub in list(self.subscriptions.items()):
            if sub.client_id == client_id and obj in ("all", sub.object):
                del self.subscriptions[key]

    async def create(self, client_id: str, values: dict[str, str]) -> dict[str, Any]:
        callback_url = values.get("callback_url", "")
        parts = urlsplit(callback_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _sub_error(MSG_CALLBACK)
        obj = values.get("object", "")
        if obj not in OBJECTS:
            raise _sub_error(f"Invalid object: expected one of {', '.join(OBJECTS)}")
        if values.get("aspect", "media") != "media":
            raise _sub_error("Invalid aspect: only 'media' is supported")
        if self.config.era == "2016" and obj != "user":
            raise _sub_error("Only user subscriptions are supported")
        object_id: str | None = None
        lat = lng = radius = None
        if obj == "tag":
            object_id = values.get("object_id", "").lstrip("#")
            if not _TAG_RE.match(object_id):
                raise _sub_error("Missing or invalid parameter: object_id")
        elif obj == "location":
            object_id = values.get("object_id", "")
            if not object_id.isdigit():
                raise _sub_error("Missing or invalid parameter: object_id")
        elif obj == "geography":
            lat, lng, radius = (_float(values, n) for n in ("lat", "lng", "radius"))
            if not (-90 <= lat <= 90 and -180 <= lng <= 180 and 0 < radius <= 5000):
                raise _sub_error("lat, lng or radius out of range (radius: 1 to 5000 m)")
        if not self.config.realtime_allow_remote and not _is_loopback(parts.hostname):
            raise _sub_error(
                f"{MSG_CHALLENGE}: the emulator only calls back to loopback addresses "
                "(EmulatorConfig.realtime_allow_remote)"
            )
        await self._challenge(callback_url, values.get("verify_token", ""))
        sub_id = str(next(self._ids))
        if obj == "geography":
            object_id = sub_id  # the geography id used with /geographies/{id}/media/recent
            if lat is not None and lng is not None and radius is not None:
                self.emu.media.add_geography(lat, lng, radius, geo_id=int(sub_id))
        sub = Subscription(sub_id, client_id, obj, object_id, callback_url, lat, lng, radius)
        self.subscriptions[sub_id] = sub
        return sub.as_dict()

    async def _challenge(self, callback_url: str, verify_token: str) -> None:
        challenge = secrets.token_hex(16)
        query = urlencode(
            {
                "hub.mode": "subscribe",
                "hub.challenge": challenge,
                "hub.verify_token": verify_token,
            }
        )
        url = callback_url + ("&" if "?" in callback_url else "?") + query
        limit = self.config.realtime_max_body
        try:
            async with self.http_factory() as http, http.stream("GET", url) as answer:
                body = b""
                async for chunk in answer.aiter_bytes():
                    body += chunk
                    if len(body) > limit:
                        break
                ok = answer.status_code == 200 and body.strip() == challenge.encode()
        except httpx.HTTPError:
            ok = False
        if not ok:
            raise _sub_error(MSG_CHALLENGE)

    # -- media and deliveries --------------------------------------------------------------

    async def post_media(
        self,
        user_id: int | str,
        *,
        tags: Sequence[str] = (),
        location_id: str | int | None = None,
        lat: float | None = None,
        lng: float | None = None,
        caption: str | None = None,
        type: str = "image",
    ) -> Post:
        """Post a media item by ``user_id`` now: it enters the media lists and indexes, and the
        media store's ``on_media_created`` hook notifies the matching subscriptions (the
        deliveries run in the background: ``await drain()`` to wait for them).
        ``location_id`` must be one of the emulator's places (``emulator.media.places``);
        ``lat``/``lng`` alone make a bare point. Bad arguments raise ValueError."""
        uid = int(user_id) if str(user_id).isdigit() else 0
        if not self.emu.graph.exists(uid):
            raise ValueError(f"user {user_id} does not exist")
        place: int | None = None
        if location_id is not None and str(location_id) != "":
            text = str(location_id)
            place = int(text) if text.isdigit() and len(text) < 12 else None
            if place is None or self.emu.media.place(place) is None:
                raise ValueError(
                    f"location {location_id} does not exist (emulator.media.places lists them)"
                )
        if (lat is None) != (lng is None):
            raise ValueError("give both lat and lng, or neither")
        point = None
        if lat is not None and lng is not None:
            if not (-90 <= lat <= 90 and -180 <= lng <= 180):
                raise ValueError(f"lat {lat}, lng {lng} out of range")
            point = (float(lat), float(lng))
        if type not in ("image", "video"):
            raise ValueError(f"type must be 'image' or 'video', not {type!r}")
        clean = tuple(dict.fromkeys(t.lstrip("#").lower() for t in tags))
        return self.emu.media.post(
            uid,
            caption=caption if caption is not None else " ".join("#" + t for t in clean),
            tags=clean,
            type=type,
            location=place,
            point=point,
        )

    def media_created(self, post: Post) -> None:
        """Notify the subscriptions matching a new media item (the media store's
        ``on_media_created`` listener; registered by the hub, not to be called directly)."""
        authorized = self.emu.oauth.authorized
        point = post.point
        if post.location is not None:
            place = self.emu.media.place(post.location)
            if place is not None:
                point = (place.latitude, place.longitude)
        for sub in list(self.subscriptions.values()):
            object_id: str | None = None
            if sub.object == "user" and post.owner in authorized.get(sub.client_id, ()):
                object_id = str(post.owner)
            elif sub.object == "tag" and sub.object_id in post.tags:
                object_id = sub.object_id
            elif sub.object == "location" and post.location is not None:
                object_id = sub.object_id if sub.object_id == str(post.location) else None
            elif (
                sub.object == "geography"
                and point is not None
                and sub.lat is not None
                and sub.lng is not None
                and sub.radius is not None
                and haversine(sub.lat, sub.lng, *point) <= sub.radius
            ):
                object_id = sub.object_id
            if object_id is None:
                continue
            update = {
                "subscription_id": sub.id,
                "object": sub.object,
                "object_id": object_id,
                "changed_aspect": "media",
                "time": post.created_time,
                "data": {"media_id": post.id},
            }
            body = json.dumps([update], separators=(",", ":")).encode()
            delivery = Delivery(sub.id, sub.callback_url, body)
            self.deliveries.append(delivery)
            app = self.emu.oauth.app(sub.client_id)
            self._start(delivery, app.client_secret if app is not None else "")

    def _start(self, delivery: Delivery, secret: str) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # posted from plain code: sent at the next drain()
            self._unstarted.append((delivery, secret))
            return
        task = loop.create_task(self._deliver(delivery, secret))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, delivery: Delivery, secret: str) -> None:
        signature = hmac.new(secret.encode(), delivery.body, hashlib.sha1).hexdigest()
        headers = {"Content-Type": "application/json", "X-Hub-Signature": signature}
        delay = self.config.realtime_retry_delay
        async with self.http_factory() as http:
            while delivery.attempts < self.config.realtime_attempts:
                if delivery.attempts:
                    await asyncio.sleep(delay * 2 ** (delivery.attempts - 1))
                delivery.attempts += 1
                try:
                    answer = await http.post(
                        delivery.callback_url, content=delivery.body, headers=headers
                    )
                except httpx.HTTPError as exc:
                    delivery.last_error = type(exc).__name__
                    continue
                if 200 <= answer.status_code < 300:
                    delivery.status = "delivered"
                    return
                delivery.last_error = f"HTTP {answer.status_code}"
        delivery.status = "failed"

    async def drain(self) -> None:
        """Wait until every delivery in flight is delivered or has failed."""
        unstarted, self._unstarted = self._unstarted, []
        for delivery, secret in unstarted:
            self._start(delivery, secret)
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        """Cancel deliveries in flight."""
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def _oembed_doc(
    hub: RealtimeHub, media: Post, maxwidth: int | None, hidecaption: bool, omitscript: bool
) -> dict[str, Any]:
    user = hub.emu.graph.short_user(media.owner)
    width = 658 if maxwidth is None else max(320, min(658, maxwidth))
    link = f"{LINK_HOST}/p/{media.shortcode}/"  # as the media endpoints link it
    e = html.escape
    caption = "" if hidecaption else f"<p>{e(media.caption)}</p>"
    script = (
        ""
        if omitscript
        else '<script async src="//platform.instagram.com/en_US/embeds.js"></script>'
    )
    markup = (
        f'<blockquote class="instagram-media" data-instgrm-version="4" '
        f'style="max-width:{width}px"><a href="{e(link)}">{caption}'
        f"A photo posted by {e(user['username'])}</a></blockquote>{script}"
    )
    image = f"{PICTURE_HOST}/media/{media.pk}_n.jpg"  # its standard_resolution image
    return {
        "version": "1.0",
        "title": media.caption,
        "author_name": user["username"],
        "author_url": f"http://instagram.com/{user['username']}",
        "author_id": media.owner,
        "media_id": media.id,
        "provider_name": "Instagram",
        "provider_url": "http://instagram.com/",
        "type": "rich",
        "width": width,
        "height": None,
        "html": markup,
        "url": image,
        "thumbnail_url": image,
        "thumbnail_width": 640,
        "thumbnail_height": 640,
    }


# -- Starlette endpoints ------------------------------------------------------------------------


async def _values(request: Request) -> dict[str, str]:
    pairs = parse_qsl(request.url.query, keep_blank_values=True)
    if request.method in ("POST", "DELETE", "PUT"):
        body = await request.body()
        ctype = request.headers.get("content-type", "")
        if body and "json" not in ctype:
            pairs.extend(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    values: dict[str, str] = {}
    for key, value in pairs:
        values.setdefault(key, value)
    return values


def _json(doc: Any, status: int = 200) -> Response:
    from starlette.responses import JSONResponse

    return JSONResponse(doc, status_code=status)


def _envelope_error(fail: SubscriptionFailure) -> Response:
    meta = {"code": fail.status, "error_type": fail.error_type, "error_message": fail.message}
    return _json({"meta": meta}, fail.status)


def endpoints(hub: RealtimeHub) -> dict[str, Callable[[Request], Any]]:
    """The Starlette endpoints: ``/v1/subscriptions``, ``/oembed``, ``/_emulator/media``."""

    async def subscriptions(request: Request) -> Response:
        values = await _values(request)
        method = request.method
        if method == "POST" and values.get("_method", "").upper() == "DELETE":
            method = "DELETE"  # api doc §2 method override
        hub.emu.stats.requests[f"{method} /subscriptions"] += 1
        try:
            client_id = hub.app_of(values)
            if method == "GET":
                return _json({"meta": {"code": 200}, "data": hub.listing(client_id)})
            if method == "POST":
                data = await hub.create(client_id, values)
                return _json({"meta": {"code": 200}, "data": data})
            if method == "DELETE":
                hub.delete(client_id, values)
                return _json({"meta": {"code": 200}, "data": None})
            raise SubscriptionFailure(404, "APINotFoundError", "invalid endpoint")
        except SubscriptionFailure as fail:
            return _envelope_error(fail)

    async def oembed(request: Request) -> Response:
        from starlette.responses import PlainTextResponse

        values = await _values(request)
        match = _SHORTCODE_URL_RE.match(values.get("url", ""))
        media = hub.emu.media.by_shortcode(match.group(1)) if match else None
        if media is None:
            return PlainTextResponse("No Media Match", status_code=404)
        raw_width = values.get("maxwidth", "")
        maxwidth = int(raw_width) if raw_width.isdigit() and len(raw_width) < 6 else None
        flags = {
            k: values.get(k, "").lower() in ("1", "true") for k in ("hidecaption", "omitscript")
        }
        doc = _oembed_doc(hub, media, maxwidth, flags["hidecaption"], flags["omitscript"])
        if values.get("callback"):  # JSONP, like the API (api doc §2)
            from starlette.responses import Response as Plain

            cb = values["callback"]
            if not re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$.]{0,99}", cb):
                return PlainTextResponse("invalid callback", status_code=400)
            return Plain(f"{cb}({json.dumps(doc)})", media_type="text/javascript")
        return _json(doc)

    async def admin_media(request: Request) -> Response:
        values = await _values(request)
        if request.method != "POST":
            return _json({"error": "POST user_id=...&tags=a,b&location_id=...&type=video"}, 405)
        try:
            lat = float(values["lat"]) if values.get("lat") else None
            lng = float(values["lng"]) if values.get("lng") else None
            media = await hub.post_media(
                values.get("user_id", ""),
                tags=[t for t in values.get("tags", "").split(",") if t],
                location_id=values.get("location_id") or None,
                lat=lat,
                lng=lng,
                caption=values.get("caption"),
                type=values.get("type") or "image",
            )
        except ValueError as exc:
            return _json({"error": str(exc)}, 400)
        return _json({"id": media.id, "shortcode": media.shortcode})

    return {"subscriptions": subscriptions, "oembed": oembed, "admin_media": admin_media}
