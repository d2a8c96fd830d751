"""aioinstagram: an async client for the Instagram API v1, with a faithful emulator.

from aioinstagram import InstagramClient

async with InstagramClient(access_token="...") as client:
    relationship = await client.relationships.get("1574083")
    async for user in client.relationships.followed_by("self"):
        ...
"""

from ._client import InstagramClient
from ._errors import (
    AccessDeniedError,
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
    OAuthStateError,
    OutcomeUnknownError,
    PaginationError,
    PaginationLoopError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    SubscriptionError,
    TokenRequiredError,
    TransportError,
)
from ._models import (
    IncomingStatus,
    OutgoingStatus,
    Page,
    RateLimit,
    Relationship,
    RelationshipAction,
    User,
    UserCounts,
)
from ._oauth import (
    Authorization,
    OAuthToken,
    authorize_url,
    exchange_code,
    new_state,
    parse_redirect,
)
from ._pagination import AsyncPaginator, Checkpoint, PaginatorState
from ._protocol import sign, verify_hub_signature

__version__ = "0.1.0"

__all__ = [
    "APIError",
    "AccessDeniedError",
    "AsyncPaginator",
    "Authorization",
    "Checkpoint",
    "ClientClosedError",
    "DecodeError",
    "ForeignURLError",
    "IncomingStatus",
    "InstagramClient",
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
    "OAuthToken",
    "OutcomeUnknownError",
    "OutgoingStatus",
    "Page",
    "PaginationError",
    "PaginationLoopError",
    "PaginatorState",
    "RateLimit",
    "RateLimitError",
    "Relationship",
    "RelationshipAction",
    "RequestTimeoutError",
    "ServerError",
    "SubscriptionError",
    "TokenRequiredError",
    "TransportError",
    "User",
    "UserCounts",
    "__version__",
    "authorize_url",
    "exchange_code",
    "new_state",
    "parse_redirect",
    "sign",
    "verify_hub_signature",
]
