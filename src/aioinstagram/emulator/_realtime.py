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
* New media: :meth:`RealtimeHub.post_media` (Python; also ``POST /_emulator/media``, an admin
  route outside ``/v1``: ``user_id, [tags], [location_id], [lat, lng], [caption]``) creates a
  media item and notifies every matching subscription: ``user`` (media by a user who authorized
  the app through OAuth, or :meth:`OAuthState.authorize`), ``tag`` (one of its tags),
  ``location`` (its location id), ``geography`` (within ``radius`` metres). The hook for media
  created elsewhere (the media endpoints' own hook, when they have one) is
  :meth:`RealtimeHub.media_created`.
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
* Two ``/v1`` routes exist only so a bot can fetch and like a posted media item before the
  media endpoints land: ``GET /v1/media/{id}`` and ``POST /v1/media/{id}/likes``
  (:func:`get_media`, :func:`like_media`). The media endpoints replace them at merge.
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
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from ._graph import PICTURE_HOST, Media, _shortcode

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
_SHORTCODE_URL_RE: Final = re.compile(
    r"\Ahttps?://(?:www\.)?(?:instagram\.com|instagr\.am)/p/([A-Za-z0-9_-]{1,40})/?(?:[?#].*)?\Z"
)
_MEDIA_ID_RE: Final = re.compile(r"\A[0-9]{1,40}_[0-9]{1,20}\Z")
_EMBED_JS: Final = "//platform.instagram.com/en_US/embeds.js"
_B64: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"


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


@dataclass(frozen=True)
class PostedMedia:
    media: Media
    location_id: str | None = None
    lat: float | None = None
    lng: float | None = None


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


def _distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(min(1.0, math.sqrt(a)))


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
        self.posted: dict[str, PostedMedia] = {}
        self.likes: dict[str, set[int]] = {}
        self.deliveries: list[Delivery] = []
        self._ids = itertools.count(1)
        self._media_seq = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        #: The HTTP client used for challenges and deliveries (replace it in tests).
        self.http_factory: Callable[[], httpx.AsyncClient] = lambda: httpx.AsyncClient(
            timeout=self.config.realtime_timeout, follow_redirects=False
        )

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
    ) -> Media:
        """Create a media item by ``user_id`` now and notify matching subscriptions (the
        deliveries run in the background: ``await drain()`` to wait for them)."""
        uid = int(user_id)
        if not self.emu.graph.exists(uid):
            raise ValueError(f"user {user_id} does not exist")
        tags = tuple(t.lstrip("#").lower() for t in tags)
        seq = next(self._media_seq)
        pk = (10**15 + seq) * 1_000_003
        media = Media(
            id=f"{pk}_{uid}",
            owner=uid,
            created_time=int(time.time()),
            type=type,
            shortcode=_shortcode(pk),
            filter="Normal",
            tags=tags,
            caption=caption if caption is not None else " ".join("#" + t for t in tags),
            like_count=0,
            comment_count=0,
        )
        loc = None if location_id is None else str(location_id)
        self.posted[media.id] = PostedMedia(media, loc, lat, lng)
        self.emu.media.adopt(media, location_id=loc, lat=lat, lng=lng)  # into the media lists
        self.media_created(media, location_id=loc, lat=lat, lng=lng)
        return media

    def media_created(
        self,
        media: Media,
        *,
        location_id: str | None = None,
        lat: float | None = None,
        lng: float | None = None,
    ) -> None:
        """Notify the subscriptions matching a new media item (call it from a running loop)."""
        authorized = self.emu.oauth.authorized
        for sub in list(self.subscriptions.values()):
            object_id: str | None = None
            if sub.object == "user" and media.owner in authorized.get(sub.client_id, ()):
                object_id = str(media.owner)
            elif sub.object == "tag" and sub.object_id in media.tags:
                object_id = sub.object_id
            elif sub.object == "location" and location_id is not None:
                object_id = sub.object_id if sub.object_id == location_id else None
            elif (
                sub.object == "geography"
                and lat is not None
                and lng is not None
                and sub.lat is not None
                and sub.lng is not None
                and sub.radius is not None
                and _distance_m(sub.lat, sub.lng, lat, lng) <= sub.radius
            ):
                object_id = sub.object_id
            if object_id is None:
                continue
            update = {
                "subscription_id": sub.id,
                "object": sub.object,
                "object_id": object_id,
                "changed_aspect": "media",
                "time": media.created_time,
                "data": {"media_id": media.id},
            }
            body = json.dumps([update], separators=(",", ":")).encode()
            delivery = Delivery(sub.id, sub.callback_url, body)
            self.deliveries.append(delivery)
            app = self.emu.oauth.app(sub.client_id)
            secret = app.client_secret if app is not None else ""
            task = asyncio.get_running_loop().create_task(self._deliver(delivery, secret))
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
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        """Cancel deliveries in flight."""
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- media lookups and documents -------------------------------------------------------

    def find_media(self, media_id: str) -> Media | None:
        posted = self.posted.get(media_id)
        if posted is not None:
            return posted.media
        head, _, owner = media_id.partition("_")
        if not head.isdigit() or not owner.isdigit():
            return None
        uid = int(owner)
        if not self.emu.graph.exists(uid):
            return None
        return next((m for m in self.emu.graph.media_of(uid) if m.id == media_id), None)

    def find_shortcode(self, code: str) -> Media | None:
        for posted in self.posted.values():
            if posted.media.shortcode == code:
                return posted.media
        pk = 0
        for ch in code:
            index = _B64.find(ch)
            if index < 0:
                return None
            pk = pk * 64 + index
        uid = (pk // 1_000_003) // 7919  # the graph's pk layout (``Graph.media_of``)
        if not 1 <= uid <= self.emu.graph.users:
            return None
        return next((m for m in self.emu.graph.media_of(uid) if m.shortcode == code), None)

    def media_doc(self, media: Media, viewer: int | None) -> dict[str, Any]:
        """A media object (api doc §3 "Media object"), comments and likes as counts."""
        graph = self.emu.graph
        user = graph.short_user(media.owner)
        likers = self.likes.get(media.id, set())
        size = {"low_resolution": 320, "thumbnail": 150, "standard_resolution": 640}
        images = {
            k: {"url": f"{PICTURE_HOST}/media/{media.id}_{v}.jpg", "width": v, "height": v}
            for k, v in size.items()
        }
        return {
            "id": media.id,
            "type": media.type,
            "created_time": str(media.created_time),
            "link": f"http://instagram.com/p/{media.shortcode}/",
            "filter": media.filter,
            "tags": list(media.tags),
            "location": None,
            "comments": {"count": media.comment_count, "data": []},
            "likes": {"count": media.like_count + len(likers), "data": []},
            "images": images,
            "caption": {
                "id": str(17_000_000_000 + media.created_time % 10_000_000),
                "created_time": str(media.created_time),
                "text": media.caption,
                "from": user,
            }
            if media.caption
            else None,
            "user": user,
            "user_has_liked": viewer in likers,
            "users_in_photo": [],
            "attribution": None,
        }


def _oembed_doc(
    hub: RealtimeHub, media: Media, maxwidth: int | None, hidecaption: bool, omitscript: bool
) -> dict[str, Any]:
    user = hub.emu.graph.short_user(media.owner)
    width = 658 if maxwidth is None else max(320, min(658, maxwidth))
    link = f"http://instagram.com/p/{media.shortcode}/"
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
    image = f"{PICTURE_HOST}/media/{media.id}_640.jpg"
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


# -- the two /v1 media routes a bot needs before the media endpoints land ---------------------


async def get_media(handlers: Any, call: Any, path: dict[str, str]) -> tuple[dict[str, Any], int]:
    """GET /v1/media/{media-id} (api doc §3 "Media"), for seeded and posted media."""
    from ._app import _Fail

    hub: RealtimeHub = handlers.emu.realtime
    if not _MEDIA_ID_RE.match(path["media_id"]):  # /media/popular and the like: not here yet
        raise _Fail(404, "APINotFoundError", "invalid endpoint")
    media = hub.find_media(path["media_id"])
    if media is None:
        raise _Fail(400, "APINotFoundError", "invalid media id")
    if media.owner != call.viewer and not handlers.graph.can_view_lists(call.viewer, media.owner):
        raise _Fail(400, "APINotAllowedError", "you cannot view this resource")
    viewer = call.viewer or None
    return {"meta": {"code": 200}, "data": hub.media_doc(media, viewer)}, 200


async def like_media(handlers: Any, call: Any, path: dict[str, str]) -> tuple[dict[str, Any], int]:
    """POST /v1/media/{media-id}/likes: ``data: null`` (api doc §3 "Likes"; scope likes)."""
    from ._app import _Fail

    hub: RealtimeHub = handlers.emu.realtime
    if not _MEDIA_ID_RE.match(path["media_id"]):
        raise _Fail(404, "APINotFoundError", "invalid endpoint")
    handlers._need(call, "likes")
    media = hub.find_media(path["media_id"])
    if media is None:
        raise _Fail(400, "APINotFoundError", "invalid media id")
    hub.likes.setdefault(media.id, set()).add(call.viewer)
    return {"meta": {"code": 200}, "data": None}, 200


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
        media = hub.find_shortcode(match.group(1)) if match else None
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
            return _json({"error": "POST user_id=...&tags=a,b&location_id=..."}, 405)
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
            )
        except ValueError as exc:
            return _json({"error": str(exc)}, 400)
        return _json({"id": media.id, "shortcode": media.shortcode})

    return {"subscriptions": subscriptions, "oembed": oembed, "admin_media": admin_media}
