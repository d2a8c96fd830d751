"""client.oembed against the emulator's /oembed (outside /v1, no token) and shortcode_from_url."""

from __future__ import annotations

import httpx
import pytest
import respx

from aioinstagram import (
    DecodeError,
    InstagramClient,
    InvalidArgumentError,
    NotFoundError,
    OEmbed,
    shortcode_from_url,
)

from .helpers import MODES, client_for, small_emulator


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://instagr.am/p/BXsFz/", "BXsFz"),
        ("https://www.instagram.com/p/BXsFz", "BXsFz"),
        ("instagram.com/p/a-b_C/?taken-by=x", "a-b_C"),
        ("http://instagram.com/p/D/#comments", "D"),
        ("BXsFz", "BXsFz"),
        ("https://instagram.com/tv/BXsFz/", "BXsFz"),
        ("https://instagram.emulator.invalid/p/BXsFz/", "BXsFz"),  # the emulator's links
    ],
)
def test_shortcode_from_url(url: str, code: str) -> None:
    assert shortcode_from_url(url) == code


@pytest.mark.parametrize(
    "url",
    [
        "",
        "https://evil.example.com/p/BXsFz/",
        "https://instagram.com/BXsFz/",
        "https://instagram.com/p/BXsFz/extra",
        "https://instagram.com/p/bad code/",
        "https://instagram.com:99999/p/x/",
        None,
    ],
)
def test_shortcode_from_url_refuses(url: object) -> None:
    with pytest.raises(InvalidArgumentError):
        shortcode_from_url(url)  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", MODES)
async def test_oembed_of_seeded_media_without_a_token(mode: str) -> None:
    emu = small_emulator()
    owner = next(u for u in range(2, 300) if emu.graph.media_of(u))
    media = emu.graph.media_of(owner)[0]
    async with client_for(emu, mode) as (client, _):  # no credentials at all
        embed = await client.oembed(f"http://instagram.com/p/{media.shortcode}/")
        assert isinstance(embed, OEmbed)
        assert embed.media_id == media.id
        assert embed.author_name == emu.graph.username(owner)
        assert embed.author_id == str(owner)
        assert embed.provider_name == "Instagram" and embed.width == 658
        assert embed.html is not None and "<script" in embed.html
        narrow = await client.oembed(media.shortcode, maxwidth=400, omitscript=True,
                                     hidecaption=True)  # fmt: skip
        assert narrow.width == 400 and narrow.html is not None and "<script" not in narrow.html
        assert "<p>" not in narrow.html
        assert (await client.oembed(media.shortcode, maxwidth=10)).width == 320
        with pytest.raises(NotFoundError):
            await client.oembed("http://instagram.com/p/ZZZZZZZZZZZZ/")


async def test_oembed_of_posted_media() -> None:
    emu = small_emulator()
    async with client_for(emu, "asgi") as (client, _):
        media = await emu.post_media(5, tags=["coffee"])
        embed = await client.oembed(f"https://instagram.com/p/{media.shortcode}/")
        assert embed.media_id == media.id and embed.title == "#coffee"


@pytest.mark.parametrize("mode", MODES)
async def test_oembed_and_shortcode_lookups_take_a_media_link(mode: str) -> None:
    """One rule for post URLs: ``client.oembed(media.link)`` and
    ``media.get_by_shortcode(media.link)`` both work with what the API (or emulator) returned,
    and both refuse another host."""
    emu = small_emulator()
    posted = await emu.post_media(5, tags=["coffee"])
    async with client_for(emu, mode, access_token=emu.token("5")) as (client, _):
        media = await client.media.get(posted.id)
        assert media.link is not None and media.shortcode == posted.shortcode
        embed = await client.oembed(media.link)
        assert embed.media_id == media.id
        assert embed.html is not None and media.link in embed.html
        assert await client.media.get_by_shortcode(media.link) == media
        foreign = media.link.replace("instagram.emulator.invalid", "evil.example.com")
        with pytest.raises(InvalidArgumentError):
            await client.oembed(foreign)
        with pytest.raises(InvalidArgumentError):
            await client.media.get_by_shortcode(foreign)


@respx.mock
async def test_oembed_decodes_the_2012_capture_and_refuses_garbage() -> None:
    capture = {
        "provider_url": "http://instagram.com/",
        "media_id": "123657555223544123_41812344",
        "title": "I like this title #hash",
        "url": "http://distilleryimage4.s3.amazonaws.com/7.jpg",
        "author_name": "my_name",
        "height": 612,
        "width": 612,
        "version": "1.0",
        "author_url": "http://instagram.com/",
        "author_id": 1234,
        "type": "photo",
        "provider_name": "Instagram",
    }  # the ruby gem's spec/fixtures/oembed.json
    route = respx.get("https://api.instagram.com/oembed")
    route.mock(return_value=httpx.Response(200, json=capture))
    async with InstagramClient("TOKEN", transport="httpcore") as client:
        embed = await client.oembed("http://instagr.am/p/BXsFz/")
        assert (embed.type, embed.author_id, embed.height) == ("photo", "1234", 612)
        sent = route.calls.last.request.url
        assert sent.params["url"] == "http://instagram.com/p/BXsFz/"
        assert "access_token" not in sent.params and "TOKEN" not in str(sent)
        route.mock(return_value=httpx.Response(200, content=b"<html>"))
        with pytest.raises(DecodeError):
            await client.oembed("BXsFz")
        with pytest.raises(InvalidArgumentError):
            await client.oembed("BXsFz", maxwidth=0)
