"""oEmbed (``GET https://api.instagram.com/oembed?url=...``; api doc section 8): outside
``/v1``, answered without a token, and not enveloped. Also :func:`shortcode_from_url`.
"""

from __future__ import annotations

import json
from typing import Final
from urllib.parse import urlencode

import attrs

from .._converter import structure
from .._errors import InvalidArgumentError
from .._media_validation import validate_shortcode
from .._protocol import classify_error
from ._base import CallOptions, Resource, Unpack

__all__ = ["OEmbed", "OEmbedResource", "shortcode_from_url"]

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
    (a bare shortcode is returned as is). InvalidArgumentError for anything else. The same
    rule as ``client.media.get_by_shortcode`` (one implementation, ``_media_validation``).

    Args:
        url: A media URL or a bare shortcode.
    """
    return validate_shortcode(url)


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
        **options: Unpack[CallOptions],
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
        opts = self._opts(options)
        params.extend(opts.params)
        base = self._transport.base_url
        root = base[: -len("/v1")] if base.endswith("/v1") else base
        url = root + "/oembed?" + urlencode(params)
        status, headers, body = await self._transport.send_plain(
            "GET", url, _ENDPOINT, options=opts
        )
        doc = _json(body)
        if status != 200:
            raise classify_error(status, headers, doc, request=_ENDPOINT)
        result: OEmbed = structure(doc, OEmbed, endpoint=_ENDPOINT, root="$")
        return result


def _json(body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError:
        return None
