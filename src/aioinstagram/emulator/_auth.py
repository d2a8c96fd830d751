"""Emulator credentials: tokens, scopes and the signed-request check.

Tokens (documented format)
--------------------------
``emulator-<user-id>`` authenticates as that user with every scope. ``emulator-<user-id>.<scope>
+<scope>...`` restricts the token to ``basic`` (always granted, as the real ``basic`` was granted
by default; api doc §1) plus the listed scopes. The separator may be ``+``, a space (what ``+``
becomes once a query string is decoded) or a comma. Scopes: ``basic``, ``public_content``,
``follower_list``, ``comments``, ``relationships``, ``likes`` (api doc §1 "Scopes"). Anything else
-- another shape, an unknown scope, a user id that does not exist -- is an invalid token, answered
with the real ``OAuthAccessTokenException`` (api doc §4).

Scopes required (api doc §1, per-endpoint table; ``scopes="2015"`` by default):

=====================================================  ===================  ==============
endpoint                                               2015 mapping         seed mapping
=====================================================  ===================  ==============
GET /users/{id} (self / other)                         basic / public_content  basic
GET /users/search                                      basic                basic
GET follows, followed-by, requested-by, relationship   follower_list        basic or relationships
POST /users/{id}/relationship                          relationships        relationships
=====================================================  ===================  ==============

Signed requests (api doc §6a): with a client secret configured, every call must carry
``sig = hex HMAC-SHA256(secret, endpoint|k=v|...)`` over every other parameter sent, the endpoint
being the path under ``/v1`` without ``.json``; computed with :func:`aioinstagram._protocol.sign`
and compared in constant time. A repeated ``sig`` is refused as a mismatch **[choice]**.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from .._protocol import sign, signing_endpoint

__all__ = [
    "ALL_SCOPES",
    "TOKEN_PREFIX",
    "Principal",
    "check_signature",
    "make_token",
    "parse_token",
    "permission_message",
]

TOKEN_PREFIX: Final = "emulator-"

ALL_SCOPES: Final = frozenset(
    {"basic", "public_content", "follower_list", "comments", "relationships", "likes"}
)

_TOKEN_RE: Final = re.compile(r"\Aemulator-([1-9][0-9]{0,17})(?:\.([a-z_ +,]+))?\Z")
_SEP_RE: Final = re.compile(r"[+ ,]+")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a token authenticates, and with which scopes."""

    user_id: int
    scopes: frozenset[str]


def parse_token(token: str) -> Principal | None:
    """The principal of an emulator token, or None if the token is malformed.

    Whether the user exists is the caller's check (the graph knows).
    """
    m = _TOKEN_RE.match(token)
    if m is None:
        return None
    uid = int(m.group(1))
    if m.group(2) is None:
        return Principal(uid, ALL_SCOPES)
    names = {s for s in _SEP_RE.split(m.group(2)) if s}
    if not names or not names <= ALL_SCOPES:
        return None
    return Principal(uid, frozenset(names | {"basic"}))


def make_token(user_id: int | str, scopes: Sequence[str] | None = None) -> str:
    """``emulator-<id>`` or, with scopes, ``emulator-<id>.<scope>+<scope>``."""
    token = f"{TOKEN_PREFIX}{user_id}"
    if scopes is not None:
        unknown = set(scopes) - ALL_SCOPES
        if unknown:
            raise ValueError(f"unknown scopes: {sorted(unknown)}")
        token += "." + "+".join(scopes or ["basic"])
    return token


def permission_message(scope: str) -> str:
    """The OAuthPermissionsException message, verbatim form (api doc §1 "Scopes")."""
    return (
        f"This request requires scope={scope}, but this access token is not authorized with "
        f"this scope. The user must re-authorize your application with scope={scope} to be "
        f"granted this permissions."
    )


def check_signature(path: str, params: Sequence[tuple[str, str]], secret: str) -> str | None:
    """None if ``params`` carry a valid ``sig`` for ``path`` (under /v1), else the error message
    (api doc §6a)."""
    sigs = [v for k, v in params if k == "sig"]
    if not sigs:
        return "Invalid signed-request: Missing required parameter 'sig'"
    if len(sigs) > 1:
        return "Invalid signed-request: Signature does not match"
    expected = sign(signing_endpoint(path), [(k, v) for k, v in params if k != "sig"], secret)
    if not hmac.compare_digest(expected.encode(), sigs[0].strip().lower().encode()):
        return "Invalid signed-request: Signature does not match"
    return None
