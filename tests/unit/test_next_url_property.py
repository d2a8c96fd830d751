"""``resolve_next_url``'s fast path (a next_url that starts with base_url's own scheme, netloc
and path prefix needs no ``urlsplit``) accepts and refuses exactly what the full check does.

The reference below is the full check as it was before the fast path existed; hypothesis
builds next_urls around each base_url's own prefix (case, ports, userinfo, dot segments,
percent escapes, tabs and newlines that ``urlsplit`` removes, fragments, queries) and the two
must agree on every one: the same (path, params), or the same error and message.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from aioinstagram import ForeignURLError
from aioinstagram._protocol import CREDENTIAL_PARAMS, _split_base, resolve_next_url

BASES = [
    "https://api.instagram.com/v1",
    "https://api.instagram.com/v1/",
    "http://127.0.0.1:8765/v1",
    "http://127.0.0.1:8765",
    "HTTP://Api.Instagram.COM:443/v1",
    "https://api.instagram.com:443/v1",
    "http://user@127.0.0.1:80/publicapi/v1",
    "http://[::1]:8080/v1",
    "http://127.0.0.1:99999/v1",  # an invalid port: always the full check
    "ftp://api.instagram.com/v1",
]


def _reference(next_url: str, base_url: str) -> tuple[str, list[tuple[str, str]]]:
    """``resolve_next_url`` before the fast path (every check through ``urlsplit``)."""
    base = urlsplit(base_url)
    url = urlsplit(next_url)

    def port(parts: object) -> int:
        try:
            p = parts.port  # type: ignore[attr-defined]
        except ValueError as exc:
            raise ForeignURLError("refusing to follow a next_url with an invalid port") from exc
        return p if p is not None else (443 if parts.scheme == "https" else 80)  # type: ignore[attr-defined]

    if (url.scheme, (url.hostname or "").lower(), port(url)) != (
        base.scheme,
        (base.hostname or "").lower(),
        port(base),
    ):
        raise ForeignURLError(
            f"refusing to follow next_url to {url.scheme}://{url.hostname}"
            f"{':' + str(url.port) if url.port else ''}: it is not base_url's "
            f"{base.scheme}://{base.hostname}{':' + str(base.port) if base.port else ''}"
        )
    prefix = base.path.rstrip("/")
    if not (url.path == prefix or url.path.startswith(prefix + "/")):
        raise ForeignURLError(f"refusing to follow next_url outside base_url's path {prefix!r}")
    rel = url.path[len(prefix) :] or "/"
    if ("." in rel or "%" in rel) and any(unquote(s) in (".", "..") for s in rel.split("/")):
        raise ForeignURLError("refusing to follow a next_url with dot segments")
    params = [
        (k, v)
        for k, v in parse_qsl(url.query, keep_blank_values=True)
        if k not in CREDENTIAL_PARAMS
    ]
    return rel, params


def _outcome(fn: object, next_url: str, base_url: str) -> tuple[object, ...]:
    try:
        return ("ok", fn(next_url, base_url))  # type: ignore[operator]
    except (ForeignURLError, ValueError) as exc:
        return ("error", type(exc), str(exc))


_PIECES = st.sampled_from(
    [
        "/",
        "//",
        "users",
        "self",
        "follows",
        ".",
        "..",
        "%2e",
        "%2E%2e",
        "%",
        "?",
        "#",
        "&",
        "=",
        "+",
        "%20",
        "cursor=5",
        "access_token=t",
        "sig=x",
        "q=",
        "\t",
        "\n",
        "\r",
        " ",
        "\x00",
        "@",
        ":",
        ":80",
        ":443",
        ":8765",
        ":99999",
        ":x",
        "[",
        "]",
        "é",
        "v1",
        "HTTP",
        "https",
        "evil.example",
        "127.0.0.1",
        "api.instagram.com",
    ]
)


@st.composite
def _next_urls(draw: st.DrawFn) -> tuple[str, str]:
    base = draw(st.sampled_from(BASES))
    parts = urlsplit(base)
    same_origin = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}/"
    origin = draw(
        st.sampled_from(
            [
                same_origin,  # the fast path's own prefix, most of the time
                same_origin,
                same_origin,
                same_origin,
                base.rstrip("/"),
                base.rstrip("/") + "/",
                f"{parts.scheme}://{parts.netloc}",
                f"{parts.scheme.upper()}://{parts.netloc.upper()}",
                f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}extra",
                f"https://{parts.netloc}{parts.path}",
                f"http://{parts.netloc}{parts.path}",
                f"{parts.scheme}://evil.example{parts.path}",
                f"{parts.scheme}://{parts.netloc}@evil.example{parts.path}",
                f"{parts.scheme}://{parts.netloc}:1{parts.path}",
                f" {base}",
                f"\t{base}",
                f"{parts.scheme}:\t//{parts.netloc}{parts.path}",
                "",
            ]
        )
    )
    tail = "".join(draw(st.lists(_PIECES | st.text(max_size=3), max_size=8)))
    return origin + tail, base


@given(_next_urls())
@example(("http://127.0.0.1:8765/v1/users/123/followed-by?count=100&cursor=600", BASES[2]))
@example(("http://127.0.0.1:8765/v1/users/%2e%2e/x?cursor=1", BASES[2]))
@example(("http://127.0.0.1:8765/v1/users\t/../x", BASES[2]))
@example(("http://127.0.0.1:8765/v1/#/../x?cursor=1", BASES[2]))
@example(("http://127.0.0.1:8765/v1/users/.\t./x", BASES[2]))
@example(("http://127.0.0.1:8765/v1/users/.\n./x", BASES[2]))
@example(("http://127.0.0.1:8765/v1/users/%2e\r./x", BASES[2]))
@example(("https://api.instagram.com/v1/?a#b?c", BASES[1]))
@example(("http://127.0.0.1:99999/v1/users/self", BASES[8]))
def test_fast_path_agrees_with_the_full_check(case: tuple[str, str]) -> None:
    next_url, base_url = case
    expected = _outcome(_reference, next_url, base_url)
    same_origin = _split_base(base_url)[1]
    fast = same_origin is not None and next_url.startswith(same_origin)
    event(f"outcome: {expected[0]}, {'fast path' if fast else 'full check'}")
    assert _outcome(resolve_next_url, next_url, base_url) == expected


@pytest.mark.parametrize(
    ("next_url", "path", "params"),
    [
        (
            "http://127.0.0.1:8765/v1/users/1/follows?cursor=2#x",
            "/users/1/follows",
            [("cursor", "2")],
        ),
        ("http://127.0.0.1:8765/v1/?cursor=2", "/", [("cursor", "2")]),
        (
            "http://127.0.0.1:8765/v1/users/1?a&b=&c=%41+B",
            "/users/1",
            [("a", ""), ("b", ""), ("c", "A B")],
        ),
    ],
)
def test_fast_path_splits_like_urlsplit(
    next_url: str, path: str, params: list[tuple[str, str]]
) -> None:
    assert resolve_next_url(next_url, BASES[2]) == (path, params)


@pytest.mark.parametrize(
    "next_url",
    [
        "http://127.0.0.1:8765/v1/../oauth/access_token",
        "http://127.0.0.1:8765/v1/users/%2e%2E/x",
        "http://127.0.0.1:8765/v1/users/.%2e",
    ],
)
def test_fast_path_still_refuses_dot_segments(next_url: str) -> None:
    with pytest.raises(ForeignURLError, match="dot segments"):
        resolve_next_url(next_url, BASES[2])
