"""The sans-I/O core: everything about the Instagram v1 protocol that does not touch the network.

Theory of operation
-------------------
A call goes through four pure steps, each a function here, each tested without a network:

1. ``build_request`` turns (method, path, params) into a :class:`RequestSpec`: the credential
   (``access_token``, else ``client_id``; api doc section 1) goes in the query for GET/DELETE and
   in the form body for POST, and when a client secret is configured the ``sig`` parameter is
   computed over every other parameter (api doc section 6a).
2. The transport sends it (the only I/O, in ``_transport.py``).
3. ``read_response`` reads (status, headers, body): the ``meta``/``data``/``pagination`` envelope
   on success, or raises the right :class:`~aioinstagram.APIError` subclass. It also understands
   the bodies that are *not* enveloped (api doc section 4): flat OAuth / signature errors,
   the old nginx rate-limit body (HTTP 400, ``code: 420``), and HTML / empty 5xx pages.
4. ``decide_retry`` says whether a failure is retried, raised, or raised as "outcome unknown"
   (a non-idempotent write that may have reached the server is never retried blindly).

Rate-limit headers (``parse_rate_limit``), ``Retry-After`` (``parse_retry_after``), backoff
(``backoff_delay``), following ``next_url`` safely (``resolve_next_url``) and user-id validation
live here too.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import enum
import functools
import hashlib
import hmac
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, NamedTuple
from urllib.parse import SplitResult, parse_qsl, unquote, urlencode, urlsplit

import attrs

from ._access import accepts_client_id, token_required_message
from ._errors import (
    ERROR_TYPES,
    APIError,
    DecodeError,
    ForeignURLError,
    InvalidArgumentError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TokenRequiredError,
)
from ._redact import REDACTED, redact

# JSON decoding: msgspec (the ``speed`` extra), else orjson, else json. msgspec first: it is as
# fast as orjson and keeps integers beyond 64 bits exact, where orjson turns them into floats.
# Every decoder's errors are ValueErrors; deep nesting is a RecursionError in msgspec and json.
try:
    import msgspec

    _loads: Callable[[bytes], Any] = msgspec.json.decode
except ImportError:  # pragma: no cover - exercised only without the extra
    try:
        import orjson

        _loads = orjson.loads
    except ImportError:
        _loads = json.loads

_JSON_ERRORS: Final = (ValueError, RecursionError)


DEFAULT_BASE_URL: Final = "https://api.instagram.com/v1"

#: Rate-limit headers (api doc section 5); read case-insensitively.
RATELIMIT_LIMIT_HEADER: Final = "x-ratelimit-limit"
RATELIMIT_REMAINING_HEADER: Final = "x-ratelimit-remaining"

#: Query / form parameters that carry a secret or a credential; never logged, never kept from a
#: server-provided ``next_url`` (the client puts its own).
CREDENTIAL_PARAMS: Final = frozenset({"access_token", "client_id", "client_secret", "sig"})

_USER_ID_RE: Final = re.compile(r"\A(?:self|[0-9]{1,40})\Z")

#: Length limits on what a caller passes (issue 11): generous for any real value, small
#: enough that no argument turns into a megabyte request line. Servers refuse request lines
#: and headers past about 8 KiB (nginx's default buffers), so nothing is lost by refusing
#: earlier with a clear message.
MAX_CREDENTIAL_LENGTH: Final = 1024
MAX_CURSOR_LENGTH: Final = 1024
MAX_PARAM_LENGTH: Final = 2048
MAX_PARAMS_LENGTH: Final = 8192  # all parameters of one request together (keys and values)
MAX_BASE_URL_LENGTH: Final = 2048
_PATH_RE: Final = re.compile(r"\A(?:/[A-Za-z0-9_.%~\-]+)+/?\Z")


# --------------------------------------------------------------------------------------------
# Validation


def validate_user_id(user_id: object) -> str:
    """Return ``user_id`` as the string to put in a path, or raise InvalidArgumentError.

    A user id in a path is ``self`` or digits (api doc section 3); anything else, such as
    ``../media`` or ``1/relationship?x=``, is refused before a request is built.
    """
    if type(user_id) is str and 0 < len(user_id) <= 40 and user_id.isascii() and user_id.isdigit():
        return user_id  # the usual case, without the regular expression below
    if isinstance(user_id, bool):
        raise InvalidArgumentError(f"user id must be 'self' or digits, not {user_id!r}")
    if isinstance(user_id, int):
        if user_id < 0:
            raise InvalidArgumentError(f"user id must be 'self' or digits, not {user_id!r}")
        return str(user_id)
    if isinstance(user_id, str) and _USER_ID_RE.match(user_id):
        return user_id
    raise InvalidArgumentError(f"user id must be 'self' or digits, not {user_id!r}")


def validate_count(count: object) -> int | None:
    """``count`` must be a positive integer (or None for the server's default)."""
    if count is None:
        return None
    if isinstance(count, bool) or not isinstance(count, int) or count <= 0:
        raise InvalidArgumentError(f"count must be a positive integer, not {count!r}")
    return count


def validate_cursor(cursor: object, name: str = "cursor") -> str | None:
    """Cursors are opaque strings; integers from early captures are accepted."""
    if cursor is None:
        return None
    if isinstance(cursor, bool):
        raise InvalidArgumentError(f"{name} must be a string, not {cursor!r}")
    if isinstance(cursor, int):
        return str(cursor)
    if isinstance(cursor, str) and len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidArgumentError(
            f"{name} is {len(cursor)} characters long; at most {MAX_CURSOR_LENGTH} are accepted"
        )
    if isinstance(cursor, str) and cursor and not any(c in cursor for c in "\r\n\x00"):
        check_encodable(cursor, name)
        return cursor
    raise InvalidArgumentError(f"{name} must be a non-empty string, not {_short(cursor)}")


def _short(value: object, limit: int = 60) -> str:
    """``repr(value)``, cut for an error message (a 1 MB argument is not echoed back)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def check_encodable(value: str, name: str) -> None:
    """Refuse a string that cannot be sent: a lone surrogate has no UTF-8 encoding."""
    if value.isascii():
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidArgumentError(
            f"{name} cannot be sent: it is not valid text: {exc.reason} at position {exc.start}"
        ) from None


def validate_credential(name: str, value: object) -> str | None:
    """An access token, client id or client secret: None, or a non-empty printable ASCII
    string of at most :data:`MAX_CREDENTIAL_LENGTH` characters (the message never quotes it)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError(f"{name} must be a non-empty string or None")
    if len(value) > MAX_CREDENTIAL_LENGTH:
        raise InvalidArgumentError(
            f"{name} is {len(value)} characters long; at most {MAX_CREDENTIAL_LENGTH} are accepted"
        )
    if not value.isascii() or not value.isprintable() or value != value.strip():
        raise InvalidArgumentError(
            f"{name} must be printable ASCII without spaces around it (check what was pasted)"
        )
    return value


def validate_base_url(base_url: object) -> str:
    """``base_url`` checked strictly (api doc section 1): ``http(s)://host[:port]/.../v1``,
    printable ASCII, no user info, query or fragment. Returns it without a trailing slash."""
    if not isinstance(base_url, str):
        raise InvalidArgumentError(f"base_url must be an http(s) URL, not {_short(base_url)}")
    if len(base_url) > MAX_BASE_URL_LENGTH:
        raise InvalidArgumentError(
            f"base_url is {len(base_url)} characters long; at most {MAX_BASE_URL_LENGTH}"
        )
    for index, char in enumerate(base_url):
        if not char.isascii() or not char.isprintable() or char.isspace():
            raise InvalidArgumentError(
                f"base_url has {char!r} at position {index}: spaces, control characters and "
                "non-ASCII are refused (percent-encode a path, punycode a host name)"
            )
    try:
        parts = urlsplit(base_url)
        port = parts.port
    except ValueError as exc:  # "Invalid IPv6 URL", a port out of range or not a number
        raise InvalidArgumentError(f"base_url {base_url!r} is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidArgumentError(f"base_url must be an http(s) URL with a host, not {base_url!r}")
    if port == 0:
        raise InvalidArgumentError(f"base_url has port 0: {base_url!r}")
    if parts.query or parts.fragment or "?" in base_url or "#" in base_url:
        raise InvalidArgumentError("base_url must not carry a query or fragment")
    if "@" in parts.netloc:
        raise InvalidArgumentError(
            "base_url must not carry a user name or password (they would be shown in logs)"
        )
    path = parts.path.rstrip("/")
    if _has_dot_segment(path) or "//" in path:
        raise InvalidArgumentError(f"base_url has an unusual path {parts.path!r}")
    if not path.endswith("/v1"):
        hint = f"{base_url.rstrip('/')}/v1"
        raise InvalidArgumentError(
            f"base_url must end with the API version /v1, as in {DEFAULT_BASE_URL}; every "
            f"request would be a 404 without it. Did you mean {hint!r}?"
        )
    return base_url.rstrip("/")


# --------------------------------------------------------------------------------------------
# Signing (api doc section 6a)


def signing_endpoint(path: str) -> str:
    """The endpoint string that is signed: the path under ``/v1``, without a ``.json`` suffix."""
    if path.endswith(".json"):
        path = path[: -len(".json")]
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/")
    return path


def sign(endpoint: str, params: Mapping[str, str] | Iterable[tuple[str, str]], secret: str) -> str:
    """``sig`` for a request: hex HMAC-SHA256 keyed with the client secret over
    ``endpoint|k1=v1|k2=v2...`` with the parameters sorted by key and ``sig`` left out
    (api doc section 6a).

    Args:
        endpoint: The path under ``/v1``, such as ``/users/self``.
        params: The request's parameters (the access token included).
        secret: The client secret.
    """
    items = params.items() if isinstance(params, Mapping) else params
    pairs = sorted((k, v) for k, v in items if k != "sig")
    message = endpoint + "".join(f"|{k}={v}" for k, v in pairs)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def sign_forwarded_for(ips: str, secret: str) -> str:
    """The ``X-Insta-Forwarded-For`` header value (api doc section 6b): ``ips|hex-hmac``."""
    digest = hmac.new(secret.encode(), ips.encode(), hashlib.sha256).hexdigest()
    return f"{ips}|{digest}"


def verify_hub_signature(body: bytes, signature: str, secret: str) -> bool:
    """Check a real-time update's ``X-Hub-Signature`` (hex HMAC-SHA1 of the raw body, no
    ``sha1=`` prefix; api doc section 7), in constant time.

    Args:
        body: The raw request body, as received.
        signature: The ``X-Hub-Signature`` header's value.
        secret: The client secret.
    """
    expected = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    given = signature.strip().lower()
    if not given.isascii():  # compare_digest refuses non-ASCII str; anyone can send this header
        return False
    return hmac.compare_digest(expected, given)


# --------------------------------------------------------------------------------------------
# Building a request


@attrs.frozen(slots=True)
class Credentials:
    """What authenticates a request. Its repr never shows a secret."""

    access_token: str | None = attrs.field(default=None, repr=False)
    client_id: str | None = attrs.field(default=None, repr=False)
    client_secret: str | None = attrs.field(default=None, repr=False)
    #: ``X-Insta-Forwarded-For`` (api doc section 6b): the IP information to sign, and whether
    #: every call carries the header (else only writes).
    client_ips: str | None = None
    forwarded_for_all: bool = False

    def auth_params(self) -> list[tuple[str, str]]:
        if self.access_token:
            return [("access_token", self.access_token)]
        if self.client_id:
            return [("client_id", self.client_id)]
        return []

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.access_token, self.client_secret) if s)


# Scrubbing lives in ``_redact`` (errors use it too); ``redact`` is re-exported here.


def _redacted_pairs(pairs: tuple[tuple[str, str], ...] | None) -> str:
    """The repr of a RequestSpec's query or form: credential values never shown."""
    if pairs is None:
        return "None"
    return repr(tuple((k, REDACTED if k in CREDENTIAL_PARAMS else redact(v)) for k, v in pairs))


@attrs.frozen(slots=True)
class RequestSpec:
    """A request ready to send: ``path`` is relative to ``base_url`` (``/users/self``)."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = attrs.field(repr=_redacted_pairs)
    form: tuple[tuple[str, str], ...] | None = attrs.field(default=None, repr=_redacted_pairs)
    idempotent: bool = True
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def description(self) -> str:
        """``METHOD /path``: safe to log and to put in an error (no query, no secrets)."""
        return f"{self.method} {self.path}"


#: Characters that ``quote_plus`` never changes (RFC 3986 unreserved).
_UNRESERVED: Final = re.compile(r"[A-Za-z0-9_.~-]*")


def encode_query(pairs: Sequence[tuple[str, str]]) -> str:
    """``urlencode(pairs)``, with a shortcut for the usual case (ids, cursors, counts, tokens):
    when every key and value is unreserved characters, nothing needs quoting."""
    match = _UNRESERVED.fullmatch
    for key, value in pairs:
        if match(key) is None or match(value) is None:
            return urlencode(pairs)
    return "&".join([f"{key}={value}" for key, value in pairs])


def _clean_params(
    params: Mapping[str, object] | Iterable[tuple[str, object]] | None,
) -> list[tuple[str, str]]:
    if params is None:
        return []
    items = params.items() if isinstance(params, Mapping) else params
    out: list[tuple[str, str]] = []
    total = 0
    for key, value in items:
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        text = str(value)
        if len(text) > MAX_PARAM_LENGTH:
            raise InvalidArgumentError(
                f"parameter {key!r} is {len(text)} characters long; at most "
                f"{MAX_PARAM_LENGTH} are accepted"
            )
        if not text.isascii():
            check_encodable(text, f"parameter {key!r}")
        total += len(key) + len(text) + 2
        out.append((key, text))
    if total > MAX_PARAMS_LENGTH:
        raise InvalidArgumentError(
            f"the parameters add up to {total} characters; at most {MAX_PARAMS_LENGTH} "
            "fit in one request"
        )
    return out


def build_request(
    method: str,
    path: str,
    params: Mapping[str, object] | Iterable[tuple[str, object]] | None = None,
    *,
    credentials: Credentials,
    idempotent: bool | None = None,
) -> RequestSpec:
    """Build the request: credential placement by method, and ``sig`` when a secret is set.

    ``idempotent`` defaults to True for GET and DELETE and False for POST; a caller that knows
    a POST is idempotent (setting a relationship) says so.
    """
    method = method.upper()
    if not _PATH_RE.match(path) or _has_dot_segment(path):
        raise InvalidArgumentError(f"refusing to build a request for the path {path!r}")
    token = credentials.access_token
    if not params and token and not credentials.client_secret:  # the usual read: the token only
        return _finish(method, path, [("access_token", token)], credentials, idempotent)
    pairs = _clean_params(params)
    for key, _ in pairs:
        if key in CREDENTIAL_PARAMS:
            raise InvalidArgumentError(f"parameter {key!r} is set by the client, not per call")
    if (
        not credentials.access_token
        and credentials.client_id
        and not accepts_client_id(method, path)
    ):
        raise TokenRequiredError(token_required_message(method, path))
    pairs = credentials.auth_params() + pairs
    if credentials.client_secret:
        pairs.append(("sig", sign(signing_endpoint(path), pairs, credentials.client_secret)))
    return _finish(method, path, pairs, credentials, idempotent)


def _finish(
    method: str,
    path: str,
    pairs: list[tuple[str, str]],
    credentials: Credentials,
    idempotent: bool | None,
) -> RequestSpec:
    if idempotent is None:
        idempotent = method in ("GET", "DELETE", "HEAD", "PUT")
    headers = forwarded_for_headers(method, credentials)
    if method == "POST":
        return RequestSpec(method, path, (), tuple(pairs), idempotent, headers)
    return RequestSpec(method, path, tuple(pairs), None, idempotent, headers)


#: The signed header of api doc section 6b.
FORWARDED_FOR_HEADER: Final = "X-Insta-Forwarded-For"


def forwarded_for_headers(method: str, credentials: Credentials) -> tuple[tuple[str, str], ...]:
    """``X-Insta-Forwarded-For`` when the client has IPs and a secret: on writes (POST, DELETE,
    PUT; the likes, comments and relationship calls the official clients marked signed), or on
    every call with ``forwarded_for_all`` (the "Enforce signed header" setting; api doc 6b)."""
    ips, secret = credentials.client_ips, credentials.client_secret
    if not ips or not secret:
        return ()
    if method in ("GET", "HEAD") and not credentials.forwarded_for_all:
        return ()
    return ((FORWARDED_FOR_HEADER, sign_forwarded_for(ips, secret)),)


def build_app_request(
    method: str,
    path: str,
    params: Mapping[str, object] | Iterable[tuple[str, object]] | None = None,
    *,
    credentials: Credentials,
    idempotent: bool | None = None,
) -> RequestSpec:
    """A request authenticated as the application (``client_id`` + ``client_secret``, never a
    user token): the real-time subscription endpoints (api doc section 7). Form-encoded for a
    POST, in the query otherwise. Not signed with ``sig``: the secret itself is sent."""
    method = method.upper()
    if not credentials.client_id or not credentials.client_secret:
        raise InvalidArgumentError(
            f"{method} {path} needs the client's client_id and client_secret"
        )
    if not _PATH_RE.match(path) or _has_dot_segment(path):
        raise InvalidArgumentError(f"refusing to build a request for the path {path!r}")
    pairs = _clean_params(params)
    for key, _ in pairs:
        if key in CREDENTIAL_PARAMS:
            raise InvalidArgumentError(f"parameter {key!r} is set by the client, not per call")
    pairs = [
        ("client_id", credentials.client_id),
        ("client_secret", credentials.client_secret),
        *pairs,
    ]
    return _finish(method, path, pairs, credentials, idempotent)


def resolve_next_url(next_url: str, base_url: str) -> tuple[str, list[tuple[str, str]]]:
    """Split a server-given ``next_url`` into (path relative to base_url, params).

    The URL must have base_url's scheme, host, port and path prefix, or ForeignURLError is
    raised: the client's token is never sent elsewhere. Credentials embedded in the URL
    (``access_token``, ``client_id``, ``sig``) are dropped: the client adds its own and re-signs,
    since a ``next_url`` carries no valid ``sig`` (api doc section 2).
    """
    base, same_origin = _split_base(base_url)
    if (
        same_origin is not None
        and next_url.startswith(same_origin)
        and "\t" not in next_url
        and "\n" not in next_url
        and "\r" not in next_url
    ):
        # The usual case: base_url's own scheme, netloc and path prefix, letter for letter, so
        # ``urlsplit`` would find exactly base_url's scheme, host and port, and the path below
        # the prefix; what is left to split is the path, query and fragment, split as it does
        # (fragment first). It also removes tabs and newlines anywhere: those take the full path.
        rel, _, query = next_url[len(same_origin) - 1 :].partition("#")[0].partition("?")
    else:
        url = urlsplit(next_url)
        if (url.scheme, (url.hostname or "").lower(), _port(url)) != (
            base.scheme,
            (base.hostname or "").lower(),
            _port(base),
        ):
            raise ForeignURLError(
                f"refusing to follow next_url to {url.scheme}://{url.hostname}"
                f"{':' + str(url.port) if url.port else ''}: it is not base_url's "
                f"{base.scheme}://{base.hostname}{':' + str(base.port) if base.port else ''}"
            )
        prefix = base.path.rstrip("/")
        if not (url.path == prefix or url.path.startswith(prefix + "/")):
            raise ForeignURLError(f"refusing to follow next_url outside base_url's path {prefix!r}")
        rel, query = url.path[len(prefix) :] or "/", url.query
    if _has_dot_segment(rel):
        raise ForeignURLError("refusing to follow a next_url with dot segments")
    params = [
        (k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in CREDENTIAL_PARAMS
    ]
    return rel, params


@functools.lru_cache(maxsize=16)
def _split_base(base_url: str) -> tuple[SplitResult, str | None]:
    """``urlsplit(base_url)``, once per base_url: every page of a walk is checked against it.
    With it, the string a next_url to a path below base_url's starts with when it names
    base_url's scheme, netloc and path prefix exactly as ``urlsplit`` found them
    (``http://host:port/v1/``): such a URL needs no ``urlsplit`` (:func:`resolve_next_url`).
    None (always the full check) for a base_url without an http(s) scheme and a host, or with
    an invalid port."""
    base = urlsplit(base_url)
    if base.scheme not in ("http", "https") or not base.netloc:
        return base, None
    try:
        _port(base)
    except ForeignURLError:
        return base, None
    return base, f"{base.scheme}://{base.netloc}{base.path.rstrip('/')}/"


def _has_dot_segment(path: str) -> bool:
    """``.`` or ``..`` as a path segment, also percent-encoded (``%2e%2E``)."""
    if "." not in path and "%" not in path:
        return False
    return any(unquote(seg) in (".", "..") for seg in path.split("/"))


def _port(parts: SplitResult) -> int:
    try:
        port = parts.port
    except ValueError as exc:  # out of range, or not a number
        raise ForeignURLError("refusing to follow a next_url with an invalid port") from exc
    return port if port is not None else _default_port(parts.scheme)


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


# --------------------------------------------------------------------------------------------
# Reading a response


class Envelope(NamedTuple):
    """A successful answer: ``meta`` (with ``code``), ``data`` and ``pagination`` (``{}`` when
    absent). ``structured`` is True when a fast decoder (``_fastdecode``) already turned
    ``data`` into models; otherwise ``data`` is the decoded JSON."""

    meta: Mapping[str, Any]
    data: Any
    pagination: Mapping[str, Any]
    structured: bool = False


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = headers.get(name.title())
    if value is None and not hasattr(headers, "get_list"):  # plain dicts: scan case-insensitively
        for key, val in headers.items():
            if key.lower() == name:
                return val
    return value


def read_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    request: str,
    now: dt.datetime | None = None,
    fast: Callable[[bytes], Envelope | None] | None = None,
) -> Envelope:
    """Read an answer: return the envelope of a success, or raise the matching error.

    ``request`` is the redacted ``METHOD /path`` used in messages. ``fast``, a decoder from
    ``_fastdecode``, is tried first on a 200 answer; when it declines (None) the body is read
    here as usual.
    """
    if fast is not None and status == 200:
        envelope = fast(body)
        if envelope is not None:
            return envelope
    if 300 <= status < 400:  # never a success, whatever its body says (issue 11)
        raise redirect_error(status, headers, request=request)
    try:
        doc = _loads(body) if body else None
    except _JSON_ERRORS:
        doc = _NOT_JSON
    if status < 400 and isinstance(doc, dict):
        meta = doc.get("meta")
        if isinstance(meta, dict):
            code = meta.get("code", status)
            if code in (200, "200") or (isinstance(code, int) and code < 400):
                pagination = doc.get("pagination")
                if pagination is None:
                    pagination = doc.get("paging")  # pre-launch captures
                if not isinstance(pagination, dict):
                    pagination = {}
                if "data" not in doc:
                    raise DecodeError(
                        f"{request}: the envelope has no 'data'",
                        endpoint=request,
                        path="$.data",
                        status_code=status,
                    )
                return Envelope(meta, doc["data"], pagination)
    raise classify_error(status, headers, doc, request=request, now=now)


def redirect_error(status: int, headers: Mapping[str, str], *, request: str) -> APIError:
    """A 3xx answer: the API does not redirect (api doc section 1), and following one would
    send the token elsewhere, so it is an error naming where it pointed (no query)."""
    location = _header(headers, "location")
    where = ""
    if location:
        parts = urlsplit(location.strip())
        target = f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.netloc else parts.path
        where = f" to {redact(target)[:200]!r}"
    return APIError(
        status,
        None,
        f"HTTP {status} redirect{where}, not followed: the API does not redirect, so "
        "base_url is probably wrong (a proxy, or http:// for https://)",
        status_code=status,
        request=request,
    )


class _NotJSON:
    def __repr__(self) -> str:
        return "<not JSON>"


_NOT_JSON: Final = _NotJSON()


def classify_error(
    status: int,
    headers: Mapping[str, str],
    doc: Any,
    *,
    request: str,
    now: dt.datetime | None = None,
) -> InstagramErrorLike:
    """Map an error answer to an exception (returned, not raised).

    Shapes understood (api doc sections 2, 4, 5): the ``meta`` envelope; flat bodies
    ``{"code", "error_type", "error_message"}`` (OAuth, signature and old nginx rate-limit
    errors, the last with HTTP 400 and code 420); and non-JSON or empty bodies, classified by
    HTTP status. A 2xx body that is not the envelope is a DecodeError.
    """
    meta: Mapping[str, Any] | None = None
    if isinstance(doc, dict):
        if isinstance(doc.get("meta"), dict):
            meta = doc["meta"]
        elif "error_type" in doc or ("code" in doc and "error_message" in doc):
            meta = doc
    if meta is None:
        if status < 400:
            what = "not JSON" if doc is _NOT_JSON else "no 'meta' envelope"
            return DecodeError(
                f"{request}: HTTP {status} body is {what}",
                endpoint=request,
                status_code=status,
                body_not_json=doc is _NOT_JSON,
            )
        return _error_from_status(status, headers, request=request, now=now)

    raw_code = meta.get("code", status)
    try:
        code = int(raw_code)
    except (TypeError, ValueError):
        code = status
    error_type = meta.get("error_type")
    error_type = str(error_type) if error_type is not None else None
    message = meta.get("error_message")
    message = str(message) if message is not None else None
    cls: type[APIError]
    if code in (420, 429) or status == 429:
        cls = RateLimitError
    elif error_type is not None and error_type in ERROR_TYPES:
        cls = ERROR_TYPES[error_type]
    elif status >= 500 or code >= 500:
        cls = ServerError
    elif status == 404 or code == 404:
        cls = NotFoundError
    else:
        cls = APIError
    if cls is RateLimitError:
        limit, remaining = parse_rate_limit(headers) or (None, None)
        return RateLimitError(
            code,
            error_type,
            message,
            status_code=status,
            meta=meta,
            request=request,
            retry_after=parse_retry_after(_header(headers, "retry-after"), now=now),
            limit=limit,
            remaining=remaining,
        )
    return cls(code, error_type, message, status_code=status, meta=meta, request=request)


# A type alias so the classifier can return either kind.
InstagramErrorLike = APIError | DecodeError


def _error_from_status(
    status: int, headers: Mapping[str, str], *, request: str, now: dt.datetime | None
) -> APIError:
    if status == 429:
        limit, remaining = parse_rate_limit(headers) or (None, None)
        return RateLimitError(
            429,
            None,
            "rate limited (no JSON body)",
            status_code=429,
            request=request,
            retry_after=parse_retry_after(_header(headers, "retry-after"), now=now),
            limit=limit,
            remaining=remaining,
        )
    if status >= 500:
        return ServerError(status, None, f"HTTP {status} (no JSON body)", request=request)
    if status == 404:
        return NotFoundError(404, None, "HTTP 404 (no JSON body)", request=request)
    return APIError(status, None, f"HTTP {status} (no JSON body)", request=request)


# --------------------------------------------------------------------------------------------
# Rate limits and Retry-After


def parse_rate_limit(headers: Mapping[str, str]) -> tuple[int, int] | None:
    """``(limit, remaining)`` from ``X-Ratelimit-Limit`` / ``X-Ratelimit-Remaining``, or None."""
    # Every answer pays this: one lookup per header when the names are as the fast and httpx
    # backends give them (lower case); ``_header`` (other spellings, any Mapping) otherwise.
    get = headers.get
    raw_limit = get(RATELIMIT_LIMIT_HEADER)
    if raw_limit is None:
        raw_limit = _header(headers, RATELIMIT_LIMIT_HEADER)
        if raw_limit is None:
            return None
    raw_remaining = get(RATELIMIT_REMAINING_HEADER)
    if raw_remaining is None:
        raw_remaining = _header(headers, RATELIMIT_REMAINING_HEADER)
        if raw_remaining is None:
            return None
    try:  # int() ignores surrounding whitespace
        limit = int(raw_limit)
        remaining = int(raw_remaining)
    except ValueError:
        return None
    if limit < 0:
        return None
    if remaining > limit:
        return limit, limit
    return limit, remaining if remaining > 0 else 0


#: Retry-After values above this are treated as garbage-sized and capped.
MAX_RETRY_AFTER: Final = 3600.0


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds (integer or decimal) or an
    HTTP date. Garbage, negative or NaN gives None; a past date gives 0; huge values are capped
    at an hour."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        current = now or dt.datetime.now(dt.timezone.utc)
        seconds = max(0.0, (when - current).total_seconds())
    if math.isnan(seconds) or seconds < 0:
        return None
    return min(seconds, MAX_RETRY_AFTER)


# --------------------------------------------------------------------------------------------
# The retry decision


class Failure(enum.Enum):
    """What went wrong with one attempt, as far as retrying is concerned."""

    CONNECT = "connect"  # no connection was made: the request surely never reached the server
    POOL_TIMEOUT = "pool_timeout"  # waited for a connection; nothing was sent
    TIMEOUT = "timeout"  # read / write timeout: the server may have acted
    PROTOCOL = "protocol"  # connection dropped mid-exchange: the server may have acted
    SERVER = "server"  # HTTP 5xx: the server may have acted
    RATE_LIMITED = "rate_limited"  # HTTP 429 / 420: refused, nothing was done


class Decision(enum.Enum):
    RETRY = "retry"
    RAISE = "raise"
    OUTCOME_UNKNOWN = "outcome_unknown"


#: Failures after which the request surely had no effect.
_SURELY_NOT_APPLIED: Final = frozenset(
    {Failure.CONNECT, Failure.POOL_TIMEOUT, Failure.RATE_LIMITED}
)


def decide_retry(failure: Failure, *, idempotent: bool, attempts_left: bool) -> Decision:
    """Retry, raise, or raise "outcome unknown".

    Rules:
    1. Idempotent calls (GET, DELETE, setting a relationship) retry every listed failure.
    2. A non-idempotent write (creating a comment) retries only when it surely had no effect:
       no connection was made, no pooled connection was had, or the server refused it with a
       rate-limit answer. Any other failure may have happened after the server acted, so it is
       raised as OutcomeUnknownError, never retried blindly.
    3. With no attempts left, the failure is raised (for a non-idempotent write that may have
       acted, as OutcomeUnknownError).
    """
    maybe_applied = failure not in _SURELY_NOT_APPLIED
    if not idempotent and maybe_applied:
        return Decision.OUTCOME_UNKNOWN
    if not attempts_left:
        return Decision.RAISE
    return Decision.RETRY


def backoff_delay(
    attempt: int,
    *,
    base: float = 0.5,
    cap: float = 30.0,
    retry_after: float | None = None,
    random: float = 1.0,
) -> float:
    """Seconds before retry number ``attempt`` (1 for the first retry).

    Exponential backoff with full jitter: uniform in ``[0, min(cap, base * 2**(attempt-1))]``,
    where ``random`` in [0, 1] is the draw. A server's Retry-After wins when given (it says when
    the server will take the request again), still capped at ``MAX_RETRY_AFTER``.
    """
    if retry_after is not None:
        return min(max(0.0, retry_after), MAX_RETRY_AFTER)
    ceiling = min(cap, base * 2.0 ** max(0, attempt - 1))
    return float(max(0.0, min(1.0, random)) * ceiling)


def failure_for_status(status: int) -> Failure | None:
    """The retryable failure an HTTP status stands for, or None when the status is final."""
    if status in (429, 420):
        return Failure.RATE_LIMITED
    if status >= 500:
        return Failure.SERVER
    return None


# --------------------------------------------------------------------------------------------
# Redaction
