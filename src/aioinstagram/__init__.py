"""aioinstagram: an async client for the Instagram API v1, with a faithful emulator.

from aioinstagram import InstagramClient

async with InstagramClient(access_token="...") as client:
    relationship = await client.relationships.get("1574083")
    async for user in client.relationships.followed_by("self"):
        ...
"""

from ._budget import BucketState, BudgetStore, InMemoryBudgetStore
from ._bulk import ProgressCallback
from ._client import InstagramClient
from ._errors import (
    AccessDeniedError,
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
    OAuthStateError,
    OutcomeUnknownError,
    PaginationError,
    PaginationLoopError,
    RateLimitError,
    RequestTimeoutError,
    ResponseTooLargeError,
    ServerError,
    ServerUnreachableError,
    SubscriptionError,
    TokenRequiredError,
    TransportError,
)
from ._media_models import (
    CarouselItem,
    Comment,
    Image,
    Images,
    Location,
    Media,
    MediaComments,
    MediaLikes,
    MediaType,
    Position,
    Tag,
    UserInPhoto,
    Video,
    Videos,
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
from ._options import CallOptions, NotGiven, Timeout
from ._pagination import AsyncPaginator, Checkpoint, PaginatorState
from ._protocol import sign, verify_hub_signature
from ._ratelimit import RateLimitEvent, RateLimitMode
from ._raw import APIResponse
from ._realtime import (
    RealtimeReceiver,
    Update,
    UpdateData,
    answer_challenge,
    handle_notification,
    parse_updates,
    verify_signature,
)
from ._redis_budget import RedisBudgetStore
from ._resources.oembed import OEmbed, shortcode_from_url
from ._resources.subscriptions import Subscription
from ._transport import RetryPolicy
from ._transports import TransportName
from ._workers import LookupFailure, LookupJob, LookupOutcome, run_lookup_job

__version__ = "0.1.0"

__all__ = [
    "APIError",
    "APIResponse",
    "AccessDeniedError",
    "AsyncPaginator",
    "Authorization",
    "BucketState",
    "BudgetStore",
    "BulkAbortedError",
    "CallOptions",
    "CarouselItem",
    "Checkpoint",
    "ClientClosedError",
    "Comment",
    "DecodeError",
    "ForeignURLError",
    "Image",
    "Images",
    "InMemoryBudgetStore",
    "IncomingStatus",
    "InstagramClient",
    "InstagramError",
    "InvalidArgumentError",
    "InvalidParametersError",
    "Location",
    "LookupFailure",
    "LookupJob",
    "LookupOutcome",
    "Media",
    "MediaComments",
    "MediaLikes",
    "MediaType",
    "NoAuthenticatedUserError",
    "NotAllowedError",
    "NotFoundError",
    "NotGiven",
    "OAuthAccessTokenError",
    "OAuthClientError",
    "OAuthError",
    "OAuthForbiddenError",
    "OAuthParameterError",
    "OAuthPermissionsError",
    "OAuthStateError",
    "OAuthToken",
    "OEmbed",
    "OutcomeUnknownError",
    "OutgoingStatus",
    "Page",
    "PaginationError",
    "PaginationLoopError",
    "PaginatorState",
    "Position",
    "ProgressCallback",
    "RateLimit",
    "RateLimitError",
    "RateLimitEvent",
    "RateLimitMode",
    "RealtimeReceiver",
    "RedisBudgetStore",
    "Relationship",
    "RelationshipAction",
    "RequestTimeoutError",
    "ResponseTooLargeError",
    "RetryPolicy",
    "ServerError",
    "ServerUnreachableError",
    "Subscription",
    "SubscriptionError",
    "Tag",
    "Timeout",
    "TokenRequiredError",
    "TransportError",
    "TransportName",
    "Update",
    "UpdateData",
    "User",
    "UserCounts",
    "UserInPhoto",
    "Video",
    "Videos",
    "__version__",
    "answer_challenge",
    "authorize_url",
    "exchange_code",
    "handle_notification",
    "new_state",
    "parse_redirect",
    "parse_updates",
    "run_lookup_job",
    "shortcode_from_url",
    "sign",
    "verify_hub_signature",
    "verify_signature",
]
