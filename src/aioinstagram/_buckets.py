"""Which rate-limit buckets a request spends from: pure functions, no I/O (api doc §5).

Theory of operation
-------------------
The service kept one budget per (credential, bucket):

* ``token``: every call made with an access token, 5,000 an hour (500 in the 2016 sandbox);
* ``app``: every call made with only a ``client_id``, an independent budget of the application;
* one hourly bucket per kind of write (``POST``/``DELETE``), different when the request is
  signed: ``relationship`` 20 unsigned / 60 signed, ``likes`` 30 unsigned / 100 signed,
  ``comments`` 15 unsigned / 60 signed (api doc §5, 2014-2015 row; the likes-signed and comment
  figures are marked unverified there). A write also counts toward the global budget ("They count
  toward the global limit too"), so a write spends from two buckets.

The ``X-Ratelimit-*`` headers describe the global bucket of the kind of call made, never a write
bucket (api doc §5), so a 429 is attributed by :func:`bucket_of_429`: a 429 that says
``X-Ratelimit-Remaining: 0`` is the global bucket's; any other 429 on a write is its write
bucket's.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "APP",
    "TOKEN",
    "WRITE_LIMITS",
    "bucket_of_429",
    "buckets_for",
    "default_limit",
    "limit_in_429",
]

#: The access token's general budget.
TOKEN: Final = "token"
#: The application's budget for calls made with only ``client_id``.
APP: Final = "app"

#: Hourly limits of the write buckets, (unsigned, signed): api doc §5.
WRITE_LIMITS: Final[dict[str, tuple[int, int]]] = {
    "relationship": (20, 60),
    "likes": (30, 100),
    "comments": (15, 60),
}

_WRITE_PATHS: Final = (
    (re.compile(r"/users/[^/]+/relationship/?"), "relationship"),
    (re.compile(r"/media/[^/]+/likes/?"), "likes"),
    (re.compile(r"/media/[^/]+/comments(?:/[^/]+)?/?"), "comments"),
)
_WRITE_METHODS: Final = frozenset({"POST", "DELETE"})


def _strip_v1(path: str) -> str:
    path = path.split("?", 1)[0]
    if path.startswith("/v1/"):
        path = path[3:]
    if path.endswith(".json"):
        path = path[:-5]
    return path


def buckets_for(method: str, path: str, *, signed: bool, authenticated: bool) -> tuple[str, ...]:
    """The buckets a request spends from, the global one first: ``("token",)``,
    ``("app",)``, or ``("token", "relationship.signed")`` for a signed relationship change."""
    general = TOKEN if authenticated else APP
    if method.upper() not in _WRITE_METHODS:
        return (general,)
    bare = _strip_v1(path)
    for pattern, kind in _WRITE_PATHS:
        if pattern.fullmatch(bare):
            return (general, f"{kind}.{'signed' if signed else 'unsigned'}")
    return (general,)


def default_limit(bucket: str) -> int | None:
    """The documented limit of a write bucket, or None for a global one (learned from the
    ``X-Ratelimit-Limit`` header instead)."""
    kind, _, signing = bucket.partition(".")
    limits = WRITE_LIMITS.get(kind)
    if limits is None:
        return None
    return limits[1] if signing == "signed" else limits[0]


_ALLOWED = re.compile(rb"requests of the (\d+) allowed")


def limit_in_429(body: bytes) -> int | None:
    """The limit a write bucket's 429 states in its message ("You have made 38 requests of the
    30 allowed in the last hour.", api doc §5), or None."""
    found = _ALLOWED.search(body[:2048])
    return int(found.group(1)) if found else None


def bucket_of_429(buckets: tuple[str, ...], budget: tuple[int, int] | None) -> int:
    """Index in ``buckets`` of the bucket a 429 came from: the global one when the answer said
    ``X-Ratelimit-Remaining: 0`` (or the request spends from no other), else the write bucket."""
    if len(buckets) == 1:
        return 0
    if budget is not None and budget[1] == 0:
        return 0
    return len(buckets) - 1
