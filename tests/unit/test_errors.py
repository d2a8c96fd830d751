"""The exception tree (the outline at the top of _errors.py), context and safe reprs."""

from __future__ import annotations

import copy
import pickle

import pytest

from aioinstagram import (
    APIError,
    ClientClosedError,
    DecodeError,
    ForeignURLError,
    InstagramError,
    InvalidArgumentError,
    InvalidParametersError,
    NoAuthenticatedUserError,
    NotAllowedError,
    NotFoundError,
    OAuthAccessTokenError,
    OAuthClientError,
    OAuthError,
    OAuthForbiddenError,
    OAuthParameterError,
    OAuthPermissionsError,
    OutcomeUnknownError,
    PaginationError,
    PaginationLoopError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    SubscriptionError,
    TransportError,
)
from aioinstagram._errors import ERROR_TYPES


@pytest.mark.parametrize(
    ("cls", "parent"),
    [
        (InvalidArgumentError, InstagramError),
        (ClientClosedError, InstagramError),
        (TransportError, InstagramError),
        (RequestTimeoutError, TransportError),
        (OutcomeUnknownError, InstagramError),
        (DecodeError, InstagramError),
        (PaginationError, InstagramError),
        (PaginationLoopError, PaginationError),
        (ForeignURLError, PaginationError),
        (APIError, InstagramError),
        *[
            (c, APIError)
            for c in (
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
        ],
    ],
)
def test_tree(cls: type[Exception], parent: type[Exception]) -> None:
    assert cls.__mro__[1] is parent


def test_dual_inheritance_from_builtins() -> None:
    assert issubclass(InvalidArgumentError, ValueError)
    assert issubclass(ClientClosedError, RuntimeError)
    assert not issubclass(APIError, ValueError)


def test_error_types_table_is_complete() -> None:
    assert ERROR_TYPES["OAuthRateLimitException"] is RateLimitError
    assert ERROR_TYPES["APIError"] is ServerError
    assert len(ERROR_TYPES) == 14


def test_api_error_message_and_attributes() -> None:
    err = NotFoundError(
        400,
        "APINotFoundError",
        "this user does not exist",
        meta={"code": 400, "error_type": "APINotFoundError"},
        request="GET /users/99",
    )
    assert str(err) == "400 APINotFoundError: this user does not exist (GET /users/99)"
    assert err.status_code == 400
    assert err.meta["error_type"] == "APINotFoundError"


@pytest.mark.parametrize(
    "err",
    [
        NotAllowedError(
            400,
            "APINotAllowedError",
            "you cannot view this resource",
            request="GET /users/1/follows",
        ),
        ServerError(503, None, "HTTP 503 (no JSON body)", request="GET /users/self"),
    ],
    ids=["not-allowed", "server"],
)
def test_api_errors_pickle_and_copy(err: APIError) -> None:
    for clone in (pickle.loads(pickle.dumps(err)), copy.copy(err)):
        assert type(clone) is type(err)
        assert str(clone) == str(err)
        assert (clone.code, clone.error_type, clone.error_message, clone.request) == (
            err.code,
            err.error_type,
            err.error_message,
            err.request,
        )


def test_rate_limit_error_context() -> None:
    err = RateLimitError(
        429,
        "OAuthRateLimitException",
        "slow down",
        request="GET /users/self",
        retry_after=30.0,
        limit=5000,
        remaining=0,
    )
    assert (err.retry_after, err.limit, err.remaining) == (30.0, 5000, 0)
    assert err.reset_at is not None
    assert err.reset_at.tzinfo is not None
    assert str(err).endswith("; retry after 30.0s")


def test_rate_limit_error_pickle_keeps_its_context() -> None:
    err = RateLimitError(
        429, "OAuthRateLimitException", "m", retry_after=5.0, limit=10, remaining=0
    )
    clone = pickle.loads(pickle.dumps(err))
    assert (clone.retry_after, clone.limit, clone.remaining, clone.reset_at) == (
        5.0,
        10,
        0,
        err.reset_at,
    )


def test_rate_limit_error_pickle_keeps_its_message() -> None:
    err = RateLimitError(
        429, "OAuthRateLimitException", "m", retry_after=5.0, limit=10, remaining=0
    )
    assert str(pickle.loads(pickle.dumps(err))) == str(err)


def test_decode_error_context() -> None:
    err = DecodeError("GET /x: bad", endpoint="GET /x", path="$.data[3].id", status_code=200)
    assert (err.endpoint, err.path, err.status_code, err.body_not_json) == (
        "GET /x",
        "$.data[3].id",
        200,
        False,
    )
