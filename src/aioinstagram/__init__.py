"""aioinstagram: an async client for the Instagram API v1, with a faithful emulator.

from aioinstagram import InstagramClient

async with InstagramClient(access_token="...") as client:
    relationship = await client.relationships.get("1574083")
    async for user in client.relationships.followed_by("self"):
        ...
"""

from ._client import InstagramClient
from ._errors import (
    APIError,
    BulkAbortedError,
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
    ServerUnreachableError,
    SubscriptionError,
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
from ._pagination import AsyncPaginator, Checkpoint, PaginatorState
from ._protocol import sign, verify_hub_signature

__version__ = "0.1.0"

__all__ = [
    "APIError",
    "AsyncPaginator",
    "BulkAbortedError",
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
    "ServerUnreachableError",
    "SubscriptionError",
    "TransportError",
    "User",
    "UserCounts",
    "__version__",
    "sign",
    "verify_hub_signature",
]
