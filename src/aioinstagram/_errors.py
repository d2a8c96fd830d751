"""The exception tree of aioinstagram.

    InstagramError
    ├── InvalidArgumentError        (also ValueError) bad input, refused before sending
    │   └── TokenRequiredError      a client_id-only client called an endpoint needing a token
    ├── OAuthStateError             an OAuth redirect's ``state`` is not the one sent (CSRF)
    ├── ClientClosedError           (also RuntimeError) the client was used after aclose()
    ├── TransportError              the request did not get an HTTP answer; __cause__ is httpx's
    │   ├── RequestTimeoutError     a connect / read / write / pool timeout
    │   └── ServerUnreachableError  an outage outlasted the call's retry deadline
    ├── OutcomeUnknownError         a non-idempotent write failed ambiguously: it may have happened
    ├── BulkAbortedError            a bulk call stopped on an error that would fail every id
    ├── DecodeError                 not the API's envelope; names the endpoint and field path
    │   └── ResponseTooLargeError   an answer over max_body_size, or over the memory_budget
    ├── PaginationError             the server's pagination cannot be followed safely
    │   ├── PaginationLoopError     a cursor came back twice (a server loop)
    │   └── ForeignURLError         a next_url points away from base_url (the token is not sent)
    └── APIError                    an answer from the API: code, error_type, error_message
        ├── OAuthParameterError     OAuthParameterException (missing token / client_id)
        ├── OAuthAccessTokenError   OAuthAccessTokenException (invalid token)
        ├── OAuthPermissionsError   OAuthPermissionsException (missing scope)
        ├── OAuthForbiddenError     OAuthForbiddenException, HTTP 403 (signed-request failures)
        ├── OAuthClientError        OAuthClientException (client disabled)
        ├── OAuthError              OAuthException (the /oauth endpoints)
        │   └── AccessDeniedError   the user refused (redirect with ``error=access_denied``)
        ├── RateLimitError          OAuthRateLimitException, HTTP 429 (or the old 420 body)
        ├── NotFoundError           APINotFoundError, or HTTP 404
        ├── NotAllowedError         APINotAllowedError (private user, forbidden resource)
        ├── InvalidParametersError  APIInvalidParametersError
        ├── SubscriptionError       APISubscriptionError
        ├── NoAuthenticatedUserError  pre-launch "no authenticated user" ('self', no token)
        └── ServerError             HTTP 5xx, or a generic APIError type

Every message is built from what the server said and a redacted request description
(method and path, never the query string): the access token and client secret never appear.
What a server echoes back is scrubbed too (issue 11): every InstagramError's arguments pass
through ``_redact.redact`` when it is made (query-style credentials, and the token and secret
of every live client, whole or in fragments), as do an APIError's ``error_message`` and
``meta``; the transport scrubs the foreign exceptions it chains as ``__cause__``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ._redact import redact

__all__ = [
    "APIError",
    "AccessDeniedError",
    "BulkAbortedError",
    "ClientClosedError",
    "DecodeError",
    "ForeignURLError",
    "InstagramError",
    "InvalidArgumentError",
    "InvalidParametersError",
    "NoAuthenticatedUserError",
    "NotAllowedError",
    "NotFoundError",
    "OAuthAccessTokenError",
    "OAuthClientError",
    "OAuthError",
    "OAuthForbiddenError",
    "OAuthParameterError",
    "OAuthPermissionsError",
    "OAuthStateError",
    "OutcomeUnknownError",
    "PaginationError",
    "PaginationLoopError",
    "RateLimitError",
    "RequestTimeoutError",
    "ResponseTooLargeError",
    "ServerError",
    "ServerUnreachableError",
    "SubscriptionError",
    "TokenRequiredError",
    "TransportError",
]


class InstagramError(Exception):
    """Base class of every error raised by aioinstagram."""

    def __init__(self, *args: object) -> None:
        super().__init__(*(redact(a) if isinstance(a, str) else a for a in args))


class InvalidArgumentError(InstagramError, ValueError):
    """An argument was refused before any request was sent (for example a user id that is
    neither ``self`` nor digits)."""


class TokenRequiredError(InvalidArgumentError):
    """The client has a ``client_id`` but no access token, and the endpoint never accepted a
    ``client_id`` alone (``self``, feed, liked, requested-by, relationship, every write; api doc
    section 1). Raised before anything is sent."""


class OAuthStateError(InstagramError):
    """An OAuth redirect carried another ``state`` than the one sent with the authorization
    request (or none): it may be forged (CSRF), so its code or token is not used."""


class ClientClosedError(InstagramError, RuntimeError):
    """The client was used after it was closed."""


class TransportError(InstagramError):
    """The request got no HTTP answer (connection refused or dropped, protocol error).

    ``request`` is a redacted description such as ``GET /users/self/follows``; the httpx
    exception is kept as ``__cause__``.
    """

    def __init__(self, message: str, *, request: str | None = None) -> None:
        super().__init__(message)
        self.request = request


class RequestTimeoutError(TransportError):
    """A connect, read, write or pool timeout."""


class ServerUnreachableError(TransportError):
    """The server stopped accepting connections (an outage: the client's circuit breaker is
    open) and did not come back before the call's ``retry_deadline``. Nothing was sent for this
    call after the outage began; it is safe to try again later."""


class OutcomeUnknownError(InstagramError):
    """A non-idempotent write (such as creating a comment) failed after it may have reached
    the server, so it was not retried: it may or may not have taken effect. Check before
    trying again."""

    def __init__(self, message: str, *, request: str | None = None) -> None:
        super().__init__(message)
        self.request = request


class BulkAbortedError(InstagramError):
    """A bulk call (``get_many``, ``iter_many``) stopped early on an error that says nothing
    about one id but about the whole session (a revoked token, a missing scope, the budget
    spent, the server unreachable past the deadline), instead of sending every request to get
    the same answer. ``error`` is that error (also ``__cause__``); ``done`` ids had their
    outcome delivered before it; ``without_outcome`` ids have none (the failing one and those
    cancelled in flight included); ``not_tried`` of them were never sent (None when the input's
    length is unknown)."""

    def __init__(
        self,
        error: InstagramError,
        *,
        done: int,
        without_outcome: int | None,
        not_tried: int | None,
    ) -> None:
        left = "an unknown number of" if without_outcome is None else str(without_outcome)
        never = "" if not_tried is None else f", {not_tried} of them never sent"
        super().__init__(
            f"bulk call stopped: {error} ({done} ids done; {left} ids without an outcome{never})"
        )
        self.error = error
        self.done = done
        self.without_outcome = without_outcome
        self.not_tried = not_tried
        self.__cause__ = error

    def __reduce__(self) -> Any:
        return (
            _rebuild_bulk_aborted,
            (self.error, self.done, self.without_outcome, self.not_tried),
        )


def _rebuild_bulk_aborted(
    error: InstagramError, done: int, without_outcome: int | None, not_tried: int | None
) -> BulkAbortedError:
    return BulkAbortedError(error, done=done, without_outcome=without_outcome, not_tried=not_tried)


class DecodeError(InstagramError):
    """The body could not be read as the API's envelope, or ``data`` has the wrong shape.

    ``endpoint`` names the request (``GET /users/self``) and ``path`` the first bad field
    (``$.data[3].id``) when one is known.
    """

    def __init__(
        self,
        message: str,
        *,
        endpoint: str | None = None,
        path: str | None = None,
        status_code: int | None = None,
        body_not_json: bool = False,
    ) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.path = path
        self.status_code = status_code
        #: True when the body was not JSON at all (truncated or garbled in transit): a
        #: transient fault that idempotent calls retry.
        self.body_not_json = body_not_json


class ResponseTooLargeError(DecodeError):
    """An answer was refused while being read: it was over ``max_body_size`` bytes (after
    decompression; ``limit_name`` ``"max_body_size"``), or the answers being read at once would
    have gone over the client's ``memory_budget`` (``limit_name`` ``"memory_budget"``).
    ``limit`` is the configured number of bytes."""

    def __init__(
        self,
        message: str,
        *,
        endpoint: str | None = None,
        limit: int | None = None,
        limit_name: str = "max_body_size",
    ) -> None:
        super().__init__(message, endpoint=endpoint)
        self.limit = limit
        self.limit_name = limit_name


class PaginationError(InstagramError):
    """The pagination the server returned cannot be followed safely."""


class PaginationLoopError(PaginationError):
    """The server returned a cursor it had returned before: following it would loop for ever."""


class ForeignURLError(PaginationError):
    """A ``next_url`` points to another scheme, host or path than ``base_url``: the client
    never sends its token there."""


class APIError(InstagramError):
    """An error answered by the API (the ``meta`` envelope or one of its flat variants).

    Attributes: ``code`` (the ``meta.code``), ``error_type``, ``error_message``, ``status_code``
    (the HTTP status), ``meta`` (the raw dict as sent) and ``request`` (a redacted
    ``METHOD /path``).
    """

    #: The ``error_type`` values this class stands for (used by the classifier).
    error_types: tuple[str, ...] = ()

    def __init__(
        self,
        code: int,
        error_type: str | None,
        error_message: str | None,
        *,
        status_code: int | None = None,
        meta: Mapping[str, Any] | None = None,
        request: str | None = None,
    ) -> None:
        self.code = code
        self.error_type = error_type
        self.error_message = redact(error_message) if error_message is not None else None
        self.status_code = status_code if status_code is not None else code
        self.meta: Mapping[str, Any] = _redact_meta(meta) if meta is not None else {}
        self.request = request
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f" ({self.request})" if self.request else ""
        kind = self.error_type or "HTTP error"
        text = f": {self.error_message}" if self.error_message else ""
        return f"{self.code} {kind}{text}{where}"

    def __reduce__(self) -> Any:  # keep pickling (and copy) working with keyword arguments
        return (
            _rebuild_api_error,
            (
                type(self),
                self.code,
                self.error_type,
                self.error_message,
                self.status_code,
                dict(self.meta),
                self.request,
                self.__dict__,
            ),
        )


def _redact_meta(meta: Mapping[str, Any]) -> Mapping[str, Any]:
    """``meta`` with its string values scrubbed (the server may echo a secret in any)."""
    clean = {k: redact(v) if isinstance(v, str) else v for k, v in meta.items()}
    return meta if clean == meta else clean


def _rebuild_api_error(
    cls: type[APIError],
    code: int,
    error_type: str | None,
    error_message: str | None,
    status_code: int | None,
    meta: dict[str, Any],
    request: str | None,
    state: dict[str, Any],
) -> APIError:
    err = cls(code, error_type, error_message, status_code=status_code, meta=meta, request=request)
    err.__dict__.update(state)
    err.args = (err._describe(),)  # the message depends on attributes restored just now
    return err


class OAuthParameterError(APIError):
    """No ``access_token``/``client_id``, or a token missing where one is required
    (``OAuthParameterException``; api doc §4)."""

    error_types = ("OAuthParameterException",)


class OAuthAccessTokenError(APIError):
    """The access token is malformed, expired or revoked, or its client disabled
    (``OAuthAccessTokenException``)."""

    error_types = ("OAuthAccessTokenException", "OAuthAccessTokenError")


class OAuthPermissionsError(APIError):
    """The token lacks the scope the endpoint needs (``OAuthPermissionsException``)."""

    error_types = ("OAuthPermissionsException",)


class OAuthForbiddenError(APIError):
    """A signed request's ``sig`` is missing or does not match (HTTP 403,
    ``OAuthForbiddenException``)."""

    error_types = ("OAuthForbiddenException",)


class OAuthClientError(APIError):
    """The client id is invalid or disabled (``OAuthClientException``)."""

    error_types = ("OAuthClientException",)


class OAuthError(APIError):
    """An ``/oauth`` endpoint refused the request, such as a bad redirect URI or code
    (``OAuthException``)."""

    error_types = ("OAuthException",)


class AccessDeniedError(OAuthError):
    """The user (or the server) refused the authorization: the redirect carried
    ``error=access_denied`` (api doc section 1). ``error_reason`` is the server's reason
    (``user_denied``) and ``error_message`` its description."""

    error_types = ("access_denied",)

    def __init__(
        self,
        code: int,
        error_type: str | None,
        error_message: str | None,
        *,
        status_code: int | None = None,
        meta: Mapping[str, Any] | None = None,
        request: str | None = None,
        error_reason: str | None = None,
    ) -> None:
        self.error_reason = error_reason
        super().__init__(
            code, error_type, error_message, status_code=status_code, meta=meta, request=request
        )


class RateLimitError(APIError):
    """The rate limit was reached (HTTP 429, or the pre-2014 flat body with code 420).

    ``retry_after`` is the number of seconds to wait when known (from ``Retry-After`` or the
    client's own accounting), ``reset_at`` the matching aware datetime; ``limit`` and
    ``remaining`` are the last budget the server reported; ``bucket`` names the rate-limit
    bucket when known (``"token"``, ``"app"``, ``"relationship.signed"``, ...).
    """

    error_types = ("OAuthRateLimitException",)

    def __init__(
        self,
        code: int,
        error_type: str | None,
        error_message: str | None,
        *,
        status_code: int | None = None,
        meta: Mapping[str, Any] | None = None,
        request: str | None = None,
        retry_after: float | None = None,
        limit: int | None = None,
        remaining: int | None = None,
        bucket: str | None = None,
    ) -> None:
        self.retry_after = retry_after
        self.bucket = bucket  # the rate-limit bucket ("token", "relationship.signed", ...)
        self.limit = limit
        self.remaining = remaining
        self.reset_at: dt.datetime | None = (
            dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=retry_after)
            if retry_after is not None
            else None
        )
        super().__init__(
            code, error_type, error_message, status_code=status_code, meta=meta, request=request
        )

    def _describe(self) -> str:
        text = super()._describe()
        if self.retry_after is not None:
            text += f"; retry after {self.retry_after:.1f}s"
        return text


class NotFoundError(APIError):
    """Unknown user (or other object) id (``APINotFoundError``)."""

    error_types = ("APINotFoundError",)


class NotAllowedError(APIError):
    """A private user's lists or media, or another resource you may not see
    (``APINotAllowedError``)."""

    error_types = ("APINotAllowedError",)


class InvalidParametersError(APIError):
    """The server refused a parameter's value (``APIInvalidParametersError``)."""

    error_types = ("APIInvalidParametersError",)


class SubscriptionError(APIError):
    """A real-time subscription could not be created or deleted (``APISubscriptionError``)."""

    error_types = ("APISubscriptionError",)


class NoAuthenticatedUserError(APIError):
    """``self`` used without a user's access token (``no authenticated user``)."""

    error_types = ("no authenticated user",)


class ServerError(APIError):
    """The server failed: a 5xx answer (often an nginx HTML body) or an ``APIError`` envelope."""

    error_types = ("APIError",)


#: error_type -> class, for the classifier in ``_protocol``.
ERROR_TYPES: dict[str, type[APIError]] = {
    error_type: cls
    for cls in (
        OAuthParameterError,
        OAuthAccessTokenError,
        OAuthPermissionsError,
        OAuthForbiddenError,
        OAuthClientError,
        OAuthError,
        RateLimitError,
        NotFoundError,
        NotAllowedError,
        InvalidParametersError,
        SubscriptionError,
        NoAuthenticatedUserError,
        ServerError,
    )
    for error_type in cls.error_types
}
