"""Which endpoints a ``client_id`` alone may call: one table, shared by client and emulator.

Until the 2015/2016 change, endpoints that read public data accepted ``?client_id=...`` instead
of an access token, with a per-application budget (api doc section 1, "client_id alternative";
section 5). ``self`` endpoints, the feed, liked media, requested-by, relationship GET and POST
and every write always needed a user's token (api doc section 1). After the change no endpoint
accepted a client_id alone (``era="2016"`` in the emulator).

The table is checked top to bottom; the first row whose method and path pattern match decides.
Paths are relative to ``/v1``, without a ``.json`` suffix or trailing slash. Pure: no I/O.

==========  ===========================================  ===============
method      path                                          client_id alone
==========  ===========================================  ===============
any         ``/users/self`` and everything below it       no (token)
GET         ``/users/{id}/relationship``                  no (token)
GET         ``/subscriptions``                            no (client_id + client_secret)
GET         anything else (public reads, oEmbed)          yes
POST, ...   anything (writes)                             no (token)
==========  ===========================================  ===============
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["CLIENT_ID_TABLE", "SCOPES", "accepts_client_id", "token_required_message"]

#: Every scope the API knew (api doc section 1, "Scopes"); ``basic`` is granted by default.
#: Shared by the client (``_oauth``) and the emulator (``emulator/_auth``).
SCOPES: Final = frozenset(
    {"basic", "public_content", "follower_list", "comments", "relationships", "likes"}
)

#: (method or "*", path regex, accepts a client_id alone)
CLIENT_ID_TABLE: Final[tuple[tuple[str, re.Pattern[str], bool], ...]] = (
    ("*", re.compile(r"\A/users/self(?:/.*)?\Z"), False),
    ("GET", re.compile(r"\A/users/[^/]+/relationship\Z"), False),
    ("GET", re.compile(r"\A/subscriptions\Z"), False),
    ("GET", re.compile(r"\A/.*\Z"), True),
    ("*", re.compile(r"\A/.*\Z"), False),
)


def _normalise(path: str) -> str:
    if path.startswith("/v1/"):
        path = path[3:]
    if path.endswith(".json"):
        path = path[: -len(".json")]
    if len(path) > 1:
        path = path.rstrip("/")
    return path or "/"


def accepts_client_id(method: str, path: str) -> bool:
    """True when ``method path`` (relative to ``/v1``) accepted a client_id instead of a token
    before the 2016 change."""
    method = method.upper()
    if method == "HEAD":
        method = "GET"
    path = _normalise(path)
    for row_method, pattern, allowed in CLIENT_ID_TABLE:
        if row_method in ("*", method) and pattern.match(path):
            return allowed
    return False  # pragma: no cover - the last row matches everything


def token_required_message(method: str, path: str) -> str:
    """The message of the error a client_id-only call to a token-only endpoint gets."""
    return (
        f"{method.upper()} {_normalise(path)} needs a user's access token: a client_id alone "
        "was only accepted for public reads (api doc section 1)"
    )
