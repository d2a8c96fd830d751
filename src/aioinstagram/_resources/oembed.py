"""oEmbed (``GET https://api.instagram.com/oembed?url=...``; api doc section 8): outside
``/v1``, answered without a token, and not enveloped. Also :func:`shortcode_from_url`.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlsplit

import attrs
import httpx

from .._converter import structure
from .._errors import InvalidArgumentError, RequestTimeoutError, TransportError
from .._protocol import classify_error
from ._base import Resource

__all__ = ["OEmbed", "OEmbedResource", "shortcode_from_url"]

_HOSTS: Final = frozenset({"instagram.com", "www.instagram.com", "instagr.am", "www.instagr.am"})
_SHORTCODE_RE: Final = re.compile(r"\A[A-Za-z0-9_-]{1,64}\Z")
_ENDPOINT: Final = "GET /oembed"


@attrs.frozen(slots=True)
class OEmbed:
    """An oEmbed answer: the 2012 capture's fields (``type``, ``url``, ``width``, ``height``)
    and the later rich form's (``html``, ``thumbnail_*``); every field may be absent.

    Attributes:
        version: The oEmbed version (``"1.0"``).
        type: ``"photo"`` (2012) or ``"rich"``.
        title: The media's caption.
        author_name: The author's user name.
        author_url: The author's profile URL.
        author_id: The author's user id.
        media_id: The media id (``<media>_<user>``).
        provider_name: ``"Instagram"``.
        provider_url: The provider's URL.
        url: The image URL (2012 form).
        html: The embed HTML (rich form).
        width: The embed's or image's width in pixels.
        height: The embed's or image's height in pixels.
        thumbnail_url: The thumbnail's URL.
        thumbnail_width: The thumbnail's width in pixels.
        thumbnail_height: The thumbnail's height in pixels.
    """

    version: str | None = None
    type: str | None = None
    title: str | None = None
    author_name: str | None = None
    author_url: str | None = None
    author_id: str | None = None
    media_id: str | None = None
    provider_name: str | None = None
    provider_url: str | None = None
    url: str | None = None
    html: str | None = None
    width: int | None = None
    height: int | None = None
    thumbnail_url: str | None = None
    thumbnail_width: int | None = None
    thumbnail_height: int | None = None


def shortcode_from_url(url: str) -> str:
    """``BXsFz`` from ``http://instagr.am/p/BXsFz/`` or ``https://www.instagram.com/p/BXsFz/``
    (a bare shortcode is returned as is). InvalidArgumentError for anything else.

    Args:
        url: A media URL or a bare shortcode.
    """
    if not isinstance(url, str) or not url.strip():
        raise InvalidArgumentError(f"expected an Instagram media URL or shortcode, not {url!r}")
    url = url.strip()
    if _SHORTCODE_RE.match(url):
        return url
    try:
        parts = urlsplit(url if "://" in url else "https://" + url)
        host = (parts.hostname or "").lower() if parts.port is None else ""
    except ValueError:  # an invalid port
        host = ""
    segments = [s for s in parts.path.split("/") if s] if host else []
    if (
        host in _HOSTS
        and len(segments) == 2
        and segments[0] == "p"
        and _SHORTCODE_RE.match(segments[1])
    ):
        return segments[1]
    raise InvalidArgumentError(f"not an Instagram media URL: {url!r}")


class OEmbedResource(Resource):
    """``client.oembed(url, ...)``: one GET through the client's connection pool, without
    credentials and outside the API's rate budget (oEmbed was not counted against it
    **[unverified]**); not retried."""

    __slots__ = ()

    async def __call__(
        self,
        url: str,
        *,
        maxwidth: int | None = None,
        hidecaption: bool = False,
        omitscript: bool = False,
    ) -> OEmbed:
        code = shortcode_from_url(url)
        if maxwidth is not None and (
            isinstance(maxwidth, bool) or not isinstance(maxwidth, int) or maxwidth < 1
        ):
            raise InvalidArgumentError(f"maxwidth must be a positive integer, not {maxwidth!r}")
        params: list[tuple[str, str | int | float | bool | None]] = [
            ("url", f"http://instagram.com/p/{code}/")
        ]
        if maxwidth is not None:
            params.append(("maxwidth", str(maxwidth)))
        if hidecaption:
            params.append(("hidecaption", "true"))
        if omitscript:
            params.append(("omitscript", "true"))
        base = self._transport.base_url
        root = base[: -len("/v1")] if base.endswith("/v1") else base
        try:
            response = await self._transport.http.get(root + "/oembed", params=params)
        except httpx.TransportError as exc:
            cls = RequestTimeoutError if isinstance(exc, httpx.TimeoutException) else TransportError
            raise cls(f"{_ENDPOINT}: {type(exc).__name__}", request=_ENDPOINT) from exc
        if response.status_code != 200:
            raise _oembed_error(response)
        try:
            doc = response.json()
        except ValueError:
            doc = None
        result: OEmbed = structure(doc, OEmbed, endpoint=_ENDPOINT, root="$")
        return result


def _oembed_error(response: httpx.Response) -> Exception:
    try:
        doc = response.json()
    except ValueError:
        doc = None
    return classify_error(response.status_code, response.headers, doc, request=_ENDPOINT)
