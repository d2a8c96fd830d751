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
``sig = hex HMAC-SHA256(secret, endpoint|k=v|...)`` over every other parameter sent (query and
form alike), the endpoint being the path under ``/v1``; computed with
:func:`aioinstagram._protocol.sign` and compared in constant time. What the clients of the time
sent, and what the API answered (settled from the evidence; each case is tested in
``tests/oauth/test_signing_cases.py``):

* **``.json`` form of the path** (python-instagram signs ``/media/1/likes.json``): accepted. Its
  users reported that signed likes worked (python-instagram issue #153) while its paths end in
  ``.json``; so a signature over the path as sent, ``.json`` included, is accepted, as is one
  over the documented path without it.
* **repeated ``sig`` on GETs** (python-instagram appends one ``sig`` over no parameters, then a
  second over all of them): the **last** ``sig`` is checked (the server read one value per key,
  the last, as Django's ``QueryDict`` does); no failure of signed GETs was reported against
  that client. A lone wrong ``sig`` still fails.
* **POSTs signed without their form fields** (python-instagram signs the query only): refused,
  403 ``OAuthForbiddenException`` "Invalid signed-request: Signature does not match", as the real
  API answered (issue #153 for relationship POSTs with ``action`` and comments with ``text``;
  likes, which have no form fields, worked). Values are signed as UTF-8 text (PR #195).

Signed header (api doc §6b): ``X-Insta-Forwarded-For: <ips>|<hex HMAC-SHA256(secret, ips)>``,
checked by :func:`check_forwarded_for` in constant time. A valid header marks a write as signed
(its own higher per-endpoint bucket); with ``EmulatorConfig.enforce_signed_header`` every call
must carry it, else 403 ``OAuthForbiddenException`` "Invalid header: X-Insta-Forwarded-For is
required for this operation" (the real message, cosenary/Instagram-PHP-API PR #128).

Applications (api doc §1): :class:`OAuthApp` rows in ``EmulatorConfig.apps`` (client_id, client
secret, redirect URIs). A ``client_id`` alone authenticates public reads
(:mod:`aioinstagram._access`), with a budget per application.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit

from .._access import SCOPES
from .._protocol import sign, sign_forwarded_for, signing_endpoint

__all__ = [
    "ALL_SCOPES",
    "APP_PRINCIPAL",
    "DEFAULT_APP",
    "MSG_HEADER_REQUIRED",
    "TOKEN_PREFIX",
    "OAuthApp",
    "OAuthState",
    "Principal",
    "check_forwarded_for",
    "check_signature",
    "make_token",
    "parse_token",
    "permission_message",
    "redirect_uri_matches",
]

TOKEN_PREFIX: Final = "emulator-"

#: Every scope the API knew (api doc §1): the table the client uses too.
ALL_SCOPES: Final = SCOPES

#: The answer to an unknown client_id, in the ``/v1`` envelope and the OAuth flat body alike.
MSG_BAD_CLIENT: Final = "The client_id provided is invalid and does not match a valid application."

_TOKEN_RE: Final = re.compile(r"\Aemulator-([1-9][0-9]{0,17})(?:\.([a-z_ +,]+))?\Z")
_SEP_RE: Final = re.compile(r"[+ ,]+")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a token authenticates, and with which scopes."""

    user_id: int
    scopes: frozenset[str]


#: Who a ``client_id``-only call acts as: no user (id 0 exists in no graph), and no scope
#: restriction (the client_id table, :mod:`aioinstagram._access`, decides what it may call).
APP_PRINCIPAL: Final = Principal(0, ALL_SCOPES)


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
    given = sigs[-1].strip().lower().encode()  # the last one counts (see the module docstring)
    others = [(k, v) for k, v in params if k != "sig"]
    endpoints = {signing_endpoint(path), path.rstrip("/") or "/"}  # documented, and as sent
    ok = False
    for endpoint in sorted(endpoints):
        expected = sign(endpoint, others, secret).encode()
        ok |= hmac.compare_digest(expected, given)
    return None if ok else "Invalid signed-request: Signature does not match"


MSG_HEADER_REQUIRED: Final = "Invalid header: X-Insta-Forwarded-For is required for this operation"


def check_forwarded_for(value: str | None, secret: str) -> bool:
    """True when ``value`` is ``<ips>|<hex HMAC-SHA256(secret, ips)>`` (api doc §6b)."""
    if not value or "|" not in value or not value.isascii():
        return False
    ips, _, _digest = value.rpartition("|")
    if not ips:
        return False
    expected = sign_forwarded_for(ips, secret)
    return hmac.compare_digest(expected.encode(), value.strip().encode())


@dataclass(frozen=True)
class OAuthApp:
    """A registered application (api doc §1): its client_id, secret and redirect URIs.

    ``redirect_uris``: a redirect_uri is accepted when its scheme and host equal a registered
    one's, its port too (a registered loopback URI without a port accepts any port, so a CLI can
    listen on a free one), and its path starts with the registered path **[choice]**.
    ``enforce_signed_header`` is the app's "Enforce signed header" setting (api doc §6b).
    ``client_secret`` signs requests and real-time deliveries; ``name`` is shown on the
    consent page.
    """

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uris: tuple[str, ...] = ()
    name: str = "Emulator app"
    enforce_signed_header: bool = False

    def __post_init__(self) -> None:
        if not self.client_id or not self.client_secret:
            raise ValueError("an OAuthApp needs a client_id and a client_secret")
        for uri in self.redirect_uris:
            parts = urlsplit(uri)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"redirect URI must be an absolute http(s) URL: {uri!r}")


#: The app every emulator knows unless configured otherwise (documented, not a secret).
DEFAULT_APP: Final = OAuthApp(
    client_id="emulator-client",
    client_secret="emulator-client-secret",
    redirect_uris=("http://127.0.0.1/", "http://localhost/"),
    name="Emulator app",
)

_LOOPBACK: Final = frozenset({"127.0.0.1", "localhost", "::1"})


def redirect_uri_matches(given: str, registered: Sequence[str]) -> bool:
    """Whether ``given`` may be used as redirect_uri (see :class:`OAuthApp`)."""
    try:
        g = urlsplit(given)
        g_port = g.port
    except ValueError:
        return False
    if g.scheme not in ("http", "https") or not g.hostname or g.fragment:
        return False
    for uri in registered:
        r = urlsplit(uri)
        if (r.scheme, r.hostname) != (g.scheme, g.hostname):
            continue
        if r.port is None and r.hostname in _LOOPBACK:
            pass  # any port on loopback
        elif (r.port or _default_port(r.scheme)) != (g_port or _default_port(g.scheme)):
            continue
        if (g.path or "/").startswith(r.path or "/"):
            return True
    return False


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


@dataclass(frozen=True, slots=True)
class _Code:
    client_id: str
    redirect_uri: str
    user_id: int
    scopes: tuple[str, ...]
    expires_at: float


class OAuthState:
    """Authorization codes in flight, which app obtained which token, and which users
    authorized which app. Shared by the OAuth endpoints, the ``/v1`` pipeline and real-time."""

    def __init__(self, apps: tuple[OAuthApp, ...], ttl: float, clock: Callable[[], float]):
        self.apps = {app.client_id: app for app in apps}
        self._ttl = ttl
        self._clock = clock
        self._codes: dict[str, _Code] = {}
        self.token_apps: dict[str, str] = {}
        self.authorized: dict[str, set[int]] = {app.client_id: set() for app in apps}

    def app(self, client_id: str | None) -> OAuthApp | None:
        return self.apps.get(client_id) if client_id else None

    def app_for_token(self, token: str) -> OAuthApp | None:
        """The app that obtained ``token`` through OAuth, else the first registered app."""
        client_id = self.token_apps.get(token)
        if client_id is not None:
            return self.apps.get(client_id)
        return next(iter(self.apps.values()), None)

    def authorize(self, client_id: str, user_id: int, scopes: tuple[str, ...] = ()) -> str:
        """Record that ``user_id`` authorized ``client_id``; return the token granted."""
        token = make_token(user_id, sorted(set(scopes) | {"basic"}))
        self.token_apps[token] = client_id
        self.authorized.setdefault(client_id, set()).add(user_id)
        return token

    def issue_code(self, code: _Code) -> str:
        now = self._clock()
        for key in [k for k, c in self._codes.items() if c.expires_at <= now]:
            del self._codes[key]
        value = secrets.token_hex(16)
        self._codes[value] = code
        return value

    def take_code(self, value: str, client_id: str) -> _Code | None:
        """The code's grant, once: used, expired or another app's code give None."""
        code = self._codes.get(value)
        if code is None or code.client_id != client_id:
            return None
        del self._codes[value]
        if code.expires_at <= self._clock():
            return None
        return code

    def new_code(
        self, client_id: str, redirect_uri: str, user_id: int, scopes: tuple[str, ...]
    ) -> str:
        return self.issue_code(
            _Code(client_id, redirect_uri, user_id, scopes, self._clock() + self._ttl)
        )
