"""OAuth 2 for the Instagram API v1: the authorization URL, the redirect back, the code exchange.

Theory of operation (api doc section 1, "OAuth")
------------------------------------------------
1. Send the user to :func:`authorize_url` (``https://api.instagram.com/oauth/authorize/?
   client_id&redirect_uri&response_type=code&scope=a+b&state=...``). ``state`` is required:
   make one with :func:`new_state` and keep it (session, cookie) until the user comes back.
2. Instagram redirects to ``redirect_uri`` with ``?code=...&state=...`` (explicit flow), with
   ``#access_token=...`` (implicit flow, ``response_type="token"``), or, when the user refused,
   with ``?error=access_denied&error_reason=user_denied&error_description=...``.
   :func:`parse_redirect` checks ``state`` first (in constant time; a mismatch is
   :class:`~aioinstagram.OAuthStateError`), then turns a denial into
   :class:`~aioinstagram.AccessDeniedError`.
3. :func:`exchange_code` POSTs the code with ``client_id``, ``client_secret``,
   ``grant_type=authorization_code`` and the same ``redirect_uri`` to ``/oauth/access_token``
   (outside ``/v1``); the answer is *not* enveloped: ``{"access_token", "user"}``. Errors are
   flat ``{"code", "error_type": "OAuthException", "error_message"}`` bodies, classified like
   every other error (:class:`~aioinstagram.OAuthError`). A code works once, so the exchange is
   never retried: a failure after the request may have arrived is
   :class:`~aioinstagram.OutcomeUnknownError`.

Everything but the exchange's single HTTP call is a pure function. The client secret, codes and
tokens never appear in a repr, a log line or an error message.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Iterable
from typing import Any, Final, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

import attrs
import httpx

from ._access import SCOPES
from ._converter import structure
from ._errors import (
    AccessDeniedError,
    DecodeError,
    InvalidArgumentError,
    OAuthError,
    OAuthStateError,
    OutcomeUnknownError,
    RequestTimeoutError,
    TransportError,
)
from ._models import User
from ._protocol import DEFAULT_BASE_URL, classify_error

__all__ = [
    "OAUTH_BASE_URL",
    "SCOPES",
    "Authorization",
    "OAuthToken",
    "authorize_url",
    "exchange_code",
    "new_state",
    "oauth_base_url",
    "parse_redirect",
]

#: Where ``/oauth/authorize/`` and ``/oauth/access_token`` live (outside ``/v1``).
OAUTH_BASE_URL: Final = "https://api.instagram.com"


ResponseType = Literal["code", "token"]


@attrs.frozen(slots=True)
class OAuthToken:
    """The answer of ``/oauth/access_token``: the token and the user who granted it.

    The token is kept out of the repr.
    """

    access_token: str = attrs.field(repr=False)
    user: User


@attrs.frozen(slots=True)
class Authorization:
    """What the redirect back carried: a ``code`` (explicit flow) or an ``access_token``
    (implicit flow), and the ``state`` that was checked. Neither secret is in the repr."""

    state: str = attrs.field(repr=False)
    code: str | None = attrs.field(default=None, repr=False)
    access_token: str | None = attrs.field(default=None, repr=False)


def new_state(nbytes: int = 32) -> str:
    """An unguessable ``state`` value (URL-safe, ``nbytes`` of randomness)."""
    if isinstance(nbytes, bool) or not isinstance(nbytes, int) or nbytes < 16:
        raise InvalidArgumentError(f"nbytes must be an integer >= 16, not {nbytes!r}")
    return secrets.token_urlsafe(nbytes)


def oauth_base_url(base_url: str = DEFAULT_BASE_URL) -> str:
    """The OAuth root for an API base URL: ``https://host/v1`` -> ``https://host``."""
    base = base_url.rstrip("/")
    return base[: -len("/v1")] if base.endswith("/v1") else base


def _text(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError(f"{name} must be a non-empty string")
    if any(c in value for c in "\r\n\x00"):
        raise InvalidArgumentError(f"{name} must not contain control characters")
    return value


def _redirect_uri(value: object) -> str:
    uri = _text("redirect_uri", value)
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        raise InvalidArgumentError(
            f"redirect_uri must be an absolute http(s) URL without a fragment, not {uri!r}"
        )
    return uri


def _scopes(scopes: Iterable[str]) -> list[str]:
    if isinstance(scopes, str):
        scopes = scopes.replace("+", " ").split()
    out: list[str] = []
    for scope in scopes:
        if scope not in SCOPES:
            raise InvalidArgumentError(
                f"unknown scope {scope!r}: expected some of {', '.join(sorted(SCOPES))}"
            )
        if scope not in out:
            out.append(scope)
    return out


def authorize_url(
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    scopes: Iterable[str] = (),
    response_type: ResponseType = "code",
    base_url: str = OAUTH_BASE_URL,
) -> str:
    """The URL to send the user to (api doc section 1): explicit flow with
    ``response_type="code"``, implicit with ``"token"``. ``scopes`` are joined with spaces
    (``scope=likes+comments``) and left out when empty (``basic`` is the default; an empty
    ``scope=`` was invalid). ``state`` is required: see :func:`new_state`.

    Args:
        client_id: Your application's client id.
        redirect_uri: One of your application's registered redirect URIs.
        state: An unguessable value, checked by :func:`parse_redirect`.
        scopes: The scopes to ask for.
        response_type: ``"code"`` (explicit flow) or ``"token"`` (implicit).
        base_url: The OAuth root (``https://api.instagram.com``, or an emulator's).
    """
    client_id = _text("client_id", client_id)
    redirect_uri = _redirect_uri(redirect_uri)
    state = _text("state", state)
    if response_type not in ("code", "token"):
        raise InvalidArgumentError(
            f"response_type must be 'code' or 'token', not {response_type!r}"
        )
    params = [
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("response_type", response_type),
    ]
    names = _scopes(scopes)
    if names:
        params.append(("scope", " ".join(names)))
    params.append(("state", state))
    return f"{oauth_base_url(base_url).rstrip('/')}/oauth/authorize/?{urlencode(params)}"


def parse_redirect(url: str, expected_state: str) -> Authorization:
    """Read the redirect back to your ``redirect_uri``.

    The ``state`` must equal ``expected_state`` (compared in constant time) or
    :class:`~aioinstagram.OAuthStateError` is raised, whatever else the URL says. Then
    ``error=access_denied`` raises :class:`~aioinstagram.AccessDeniedError` (any other ``error``
    :class:`~aioinstagram.OAuthError`); otherwise the ``code`` (query) or ``access_token``
    (fragment, implicit flow) is returned.

    Args:
        url: The full URL the browser was redirected to.
        expected_state: The ``state`` given to :func:`authorize_url`.
    """
    url = _text("url", url)
    expected_state = _text("expected_state", expected_state)
    parts = urlsplit(url)
    params: dict[str, str] = {}
    for key, value in [
        *parse_qsl(parts.query, keep_blank_values=True),
        *parse_qsl(parts.fragment, keep_blank_values=True),
    ]:
        params.setdefault(key, value)
    state = params.get("state", "")
    if not hmac.compare_digest(state.encode(), expected_state.encode()):
        what = "no state" if not state else "another state"
        raise OAuthStateError(
            f"the OAuth redirect carries {what} than the one sent: refusing it (possible CSRF)"
        )
    error = params.get("error")
    if error is not None:
        description = params.get("error_description") or None
        reason = params.get("error_reason") or None
        if error == "access_denied":
            raise AccessDeniedError(
                400, error, description, request="OAuth redirect", error_reason=reason
            )
        raise OAuthError(400, error, description, request="OAuth redirect")
    code = params.get("code") or None
    token = params.get("access_token") or None
    if code is None and token is None:
        raise OAuthError(
            400, None, "the redirect carries neither a code nor an access_token",
            request="OAuth redirect",
        )  # fmt: skip
    return Authorization(state=state, code=code, access_token=token)


_EXCHANGE: Final = "POST /oauth/access_token"


def exchange_form(
    code: str, *, client_id: str, client_secret: str, redirect_uri: str
) -> list[tuple[str, str]]:
    """The form of the code exchange (api doc section 1). Pure."""
    return [
        ("client_id", _text("client_id", client_id)),
        ("client_secret", _text("client_secret", client_secret)),
        ("grant_type", "authorization_code"),
        ("redirect_uri", _redirect_uri(redirect_uri)),
        ("code", _text("code", code)),
    ]


def read_token_response(status: int, headers: Any, body: bytes) -> OAuthToken:
    """The un-enveloped token answer, or the typed error of a flat OAuth error body. Pure."""
    try:
        doc = json.loads(body) if body else None
    except ValueError:
        doc = None
        if status < 400:
            raise DecodeError(
                f"{_EXCHANGE}: HTTP {status} body is not JSON",
                endpoint=_EXCHANGE,
                status_code=status,
                body_not_json=True,
            ) from None
    if status == 200 and isinstance(doc, dict) and "access_token" in doc:
        token = doc.get("access_token")
        if not isinstance(token, str) or not token:
            raise DecodeError(
                f"{_EXCHANGE}: access_token is not a string",
                endpoint=_EXCHANGE,
                path="$.access_token",
                status_code=status,
            )
        user: User = structure(doc.get("user"), User, endpoint=_EXCHANGE, root="$.user")
        return OAuthToken(access_token=token, user=user)
    raise classify_error(status, headers, doc, request=_EXCHANGE)


async def exchange_code(
    code: str,
    *,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    base_url: str = OAUTH_BASE_URL,
    http_client: httpx.AsyncClient | None = None,
    timeout: float = 10.0,
) -> OAuthToken:
    """Trade an authorization ``code`` for a token (api doc section 1).

    ``redirect_uri`` must be the one used in :func:`authorize_url`. ``base_url`` is the OAuth
    root (``https://api.instagram.com``; an API base ending in ``/v1`` is accepted too).
    ``http_client`` is used when given (and not closed). Not retried: a code works once.

    Args:
        code: The code from :func:`parse_redirect`.
        client_id: Your application's client id.
        client_secret: Your application's client secret.
        redirect_uri: The redirect URI given to :func:`authorize_url`.
        base_url: The OAuth root.
        http_client: An ``httpx.AsyncClient`` to send with.
        timeout: Seconds to wait for the answer (without ``http_client``).
    """
    form = exchange_form(
        code, client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri
    )
    url = f"{oauth_base_url(base_url).rstrip('/')}/oauth/access_token"
    own = http_client is None
    http = http_client if http_client is not None else httpx.AsyncClient(timeout=timeout)
    try:
        try:
            response = await http.post(
                url,
                content=urlencode(form).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            cls = RequestTimeoutError if isinstance(exc, httpx.TimeoutException) else TransportError
            raise cls(
                f"{_EXCHANGE}: {type(exc).__name__} (nothing was sent)", request=_EXCHANGE
            ) from None
        except httpx.TransportError as exc:
            raise OutcomeUnknownError(
                f"{_EXCHANGE} may have reached the server ({type(exc).__name__}); the code may "
                "be spent: start the authorization again",
                request=_EXCHANGE,
            ) from None
        return read_token_response(response.status_code, response.headers, response.content)
    finally:
        if own:
            await http.aclose()
