"""The emulator's routes: a Starlette app serving the users and relationships endpoints (and,
outside this pipeline, OAuth, oEmbed and subscriptions: ``_oauth``, ``_realtime``).

Theory of operation
-------------------
The ASGI stack, outside in:

1. :class:`~._faults.FaultLayer` (injected faults, before anything else; see ``_faults``);
2. path normalisation: an optional ``.json`` suffix and a trailing slash are accepted
   (api doc §1); the path as sent is kept for ``next_url``;
3. Starlette's router. Every route accepts every method and dispatches itself, so that a wrong
   method gets the JSON 404 envelope like an unknown path (api doc §4 **[choice]**).

Every ``/v1`` request then goes through the same steps (:meth:`_Handlers.run`), in this order:

a. parameters: the query string, plus the form body of a POST (api doc §1: the credential is in
   the query for GET/DELETE and in the form body for POST); a POST with ``_method=DELETE`` /
   ``PUT`` is treated as that method (api doc §2);
b. the per-token sliding-hour rate limit (api doc §5). Every answer, errors included, carries
   ``X-Ratelimit-Limit`` / ``X-Ratelimit-Remaining``; past the limit: 429
   ``OAuthRateLimitException``;
c. the credential: none -> 400 ``OAuthParameterException``; not a valid emulator token ->
   400 ``OAuthAccessTokenException`` (api doc §4); a ``client_id`` alone: a registered app
   (else 400 ``OAuthClientException``) calling a public read (``aioinstagram._access``; else, and
   always in ``era="2016"``, 400 ``OAuthParameterException``); then ``X-Insta-Forwarded-For``
   (api doc §6b): a valid one marks the call signed, and when enforced a missing or bad one is
   403 ``OAuthForbiddenException``;
d. the signature, when a client secret is configured (api doc §6a): 403
   ``OAuthForbiddenException``;
e. the user id in the path (``self`` or digits; unknown -> 400 ``APINotFoundError`` "this user
   does not exist", api doc §3 "Users"), then the scope (api doc §1) -> 400
   ``OAuthPermissionsException``;
f. the endpoint itself. JSONP: with ``callback=fn`` the body is ``fn(<json>)`` (api doc §2).

Answers are the real envelope: ``{"meta": {"code": 200}, "data": ..., "pagination": ...}``, with
``pagination`` only on list endpoints and ``{}`` on their last page (api doc §2, §9.5, §9.6);
errors are ``{"meta": {"code", "error_type", "error_message"}}`` with no ``data`` and the HTTP
status equal to ``meta.code`` (api doc §9.7).

Hot routes (relationship GET, list pages) do O(page) work and serialise with msgspec (or orjson)
when it is installed.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .._access import accepts_client_id
from ._auth import (
    APP_PRINCIPAL,
    MSG_BAD_CLIENT,
    MSG_HEADER_REQUIRED,
    Principal,
    check_forwarded_for,
    check_signature,
    parse_token,
    permission_message,
)
from ._faults import ASGIApp, FaultLayer, FaultState, Receive, Scope, Send
from ._graph import ActionError, ListKind, decode_cursor, encode_cursor
from ._ratelimit import Verdict

if TYPE_CHECKING:
    from ._emulator import Emulator

try:  # msgspec (the ``speed`` extra), else orjson, else json
    import msgspec

    _dumps: Callable[[object], bytes] = msgspec.json.encode
except ImportError:  # pragma: no cover - exercised only without the extra
    try:
        import orjson

        _dumps = orjson.dumps
    except ImportError:
        import json

        def _dumps(doc: object) -> bytes:
            return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


__all__ = ["build_app"]

_JSON: Final = "application/json; charset=utf-8"
_JS: Final = "text/javascript; charset=utf-8"
_ORIGINAL_PATH: Final = "aioinstagram.original_path"

#: User lists: 50 by default, at most 100 (api doc §2 "count" **[choice]**).
DEFAULT_COUNT: Final = 50
MAX_COUNT: Final = 100

_CALLBACK_RE: Final = re.compile(r"\A[A-Za-z_$][A-Za-z0-9_$.]{0,99}\Z")
_COUNT_RE: Final = re.compile(r"\A[+-]?[0-9]{1,9}\Z")
_USER_ID_RE: Final = re.compile(r"\A[1-9][0-9]{0,17}\Z")

_MSG_RATE: Final = "The maximum number of requests per hour has been exceeded."
_MSG_NO_TOKEN: Final = "Missing client_id or access_token URL parameter."
_MSG_BAD_TOKEN: Final = "The access_token provided is invalid."
_MSG_BAD_CLIENT: Final = MSG_BAD_CLIENT
_MSG_NEED_TOKEN: Final = "Missing access_token URL parameter."
_MSG_NO_USER: Final = "this user does not exist"
_MSG_NOT_ALLOWED: Final = "you cannot view this resource"


class _Fail(Exception):
    """An API error answer (api doc §4)."""

    def __init__(
        self,
        status: int,
        error_type: str,
        message: str,
        *,
        flat: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.flat = flat
        self.headers = headers


def _invalid(message: str) -> _Fail:
    return _Fail(400, "APIInvalidParametersError", message)


class _Call:
    """One request as the handlers see it."""

    __slots__ = (
        "callback",
        "method",
        "params",
        "path",
        "principal",
        "rate",
        "request",
        "signed_header",
        "signed_path",
        "values",
    )

    def __init__(self, request: Request, method: str, params: list[tuple[str, str]]) -> None:
        self.request = request
        self.method = method
        self.params = params
        self.values: dict[str, str] = {}
        for key, value in params:
            self.values.setdefault(key, value)
        self.path: str = request.scope.get(_ORIGINAL_PATH) or request.scope["path"]
        self.signed_path = self.path[3:] if self.path.startswith("/v1") else self.path
        self.principal: Principal | None = None
        self.rate: Verdict | None = None
        self.callback: str | None = None
        self.signed_header = False  # a valid X-Insta-Forwarded-For (api doc §6b)

    @property
    def viewer(self) -> int:
        assert self.principal is not None
        return self.principal.user_id


Handler = Callable[["_Call", dict[str, str]], Awaitable[tuple[dict[str, Any], int]]]


class _Handlers:
    """The endpoint implementations over one Emulator's graph and limits."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator
        self.graph = emulator.graph
        self.config = emulator.config
        self.seed = emulator.config.seed

    # -- the pipeline ----------------------------------------------------------------------

    async def run(self, request: Request, routes: dict[str, tuple[str, Handler]]) -> Response:
        method = request.method
        query = request.scope["query_string"].decode("latin-1")
        params = parse_qsl(query, keep_blank_values=True) if query else []
        if method == "POST":
            body = await request.body()
            if body:
                params.extend(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            override = next((v for k, v in params if k == "_method"), "").upper()
            if override in ("DELETE", "PUT"):
                method = override
        call = _Call(request, method, params)
        found = routes.get(method)
        stats = self.emu.stats
        try:
            self._rate_limit(call)
            callback = call.values.get("callback")
            if callback is not None:
                if not _CALLBACK_RE.match(callback):
                    raise _invalid("invalid callback")
                call.callback = callback
            if found is None:
                stats.requests["404"] += 1
                raise _Fail(404, "APINotFoundError", "invalid endpoint")
            route_name, handler = found
            stats.requests[route_name] += 1
            self._authenticate(call)
            doc, status = await handler(call, request.path_params)
        except _Fail as fail:
            meta = {
                "code": fail.status,
                "error_type": fail.error_type,
                "error_message": fail.message,
            }
            return self._respond(
                call, fail.status, meta if fail.flat else {"meta": meta}, fail.headers
            )
        return self._respond(call, status, doc, None)

    def _respond(
        self, call: _Call, status: int, doc: dict[str, Any], extra: dict[str, str] | None
    ) -> Response:
        body = _dumps(doc)
        media_type = _JSON
        if call.callback is not None:
            body = call.callback.encode() + b"(" + body + b")"
            media_type = _JS
        headers: dict[str, str] = {}
        if call.rate is not None:
            headers["X-Ratelimit-Limit"] = str(call.rate.limit)
            headers["X-Ratelimit-Remaining"] = str(call.rate.remaining)
        if extra:
            headers.update(extra)
        return Response(body, status_code=status, headers=headers, media_type=media_type)

    def _rate_limit(self, call: _Call) -> None:
        token = call.values.get("access_token")
        client_id = call.values.get("client_id")
        if token:
            key = "t:" + token
        elif client_id:  # the per-application budget, apart from tokens' (api doc §5)
            key = "c:" + client_id
        else:
            client = call.request.client
            key = "anon:" + (client.host if client else "")
        verdict = self.emu.limiter.hit(key)
        call.rate = verdict
        if not verdict.allowed:
            self.emu.stats.rate_limited += 1
            raise _Fail(429, "OAuthRateLimitException", _MSG_RATE, headers=self._retry(verdict))

    def _retry(self, verdict: Verdict) -> dict[str, str] | None:
        if self.config.rate_limit_retry_after:
            return {"Retry-After": str(verdict.retry_after)}
        return None

    def _authenticate(self, call: _Call) -> None:
        token = call.values.get("access_token")
        client_id = call.values.get("client_id")
        principal: Principal | None
        if token:
            principal = parse_token(token)
            if principal is None or not self.graph.exists(principal.user_id):
                raise _Fail(400, "OAuthAccessTokenException", _MSG_BAD_TOKEN)
            app = self.emu.oauth.app_for_token(token)
        elif client_id:  # client_id alone: public reads only, before 2016 (api doc §1)
            app = self.emu.oauth.app(client_id)
            if app is None:
                raise _Fail(400, "OAuthClientException", _MSG_BAD_CLIENT)
            if self.config.era == "2016" or not accepts_client_id(call.method, call.path):
                raise _Fail(400, "OAuthParameterException", _MSG_NEED_TOKEN)
            principal = APP_PRINCIPAL
        else:
            raise _Fail(400, "OAuthParameterException", _MSG_NO_TOKEN)
        header = call.request.headers.get("x-insta-forwarded-for")
        if header is not None:  # api doc §6b: valid under the app's secret or the enforced one
            call.signed_header = any(
                check_forwarded_for(header, s)
                for s in (self.config.client_secret, app.client_secret if app else None)
                if s
            )
        if not call.signed_header and (
            self.config.enforce_signed_header or (app is not None and app.enforce_signed_header)
        ):
            raise _Fail(
                403,
                "OAuthForbiddenException",
                MSG_HEADER_REQUIRED,
                flat=self.config.flat_signature_errors,
            )
        secret = self.config.client_secret
        if secret:
            problem = check_signature(call.signed_path, call.params, secret)
            if problem is not None:
                raise _Fail(
                    403, "OAuthForbiddenException", problem, flat=self.config.flat_signature_errors
                )
        call.principal = principal

    def _need(self, call: _Call, *scopes: str) -> None:
        """The token must hold one of ``scopes`` (api doc §1)."""
        assert call.principal is not None
        if not call.principal.scopes.intersection(scopes):
            raise _Fail(400, "OAuthPermissionsException", permission_message(scopes[0]))

    def _list_scope(self, call: _Call) -> None:
        if self.config.scopes == "2015":
            self._need(call, "follower_list")
        else:
            self._need(call, "basic", "relationships")

    def _user(self, call: _Call, raw: str) -> int:
        """A path user id: ``self`` or an existing id (api doc §9.10, §3 "Users")."""
        if raw == "self":
            return call.viewer
        if _USER_ID_RE.match(raw):
            uid = int(raw)
            if self.graph.exists(uid):
                return uid
        raise _Fail(400, "APINotFoundError", _MSG_NO_USER)

    def _count(self, call: _Call) -> int:
        raw = call.values.get("count")
        if raw is None:
            return DEFAULT_COUNT
        if not _COUNT_RE.match(raw.strip()):
            raise _invalid("count must be a positive integer")
        count = int(raw)
        if count <= 0:
            raise _invalid("count must be a positive integer")
        return min(count, MAX_COUNT)

    def _cursor(self, call: _Call, kind: int, owner: int) -> int | None:
        raw = call.values.get("cursor")
        if raw is None or raw == "":
            return None
        seq = decode_cursor(self.seed, kind, owner, raw)
        if seq is None:
            raise _invalid("invalid cursor")
        return seq

    def _next_url(self, call: _Call, cursor: str) -> str:
        """``next_url``: this request's URL with the new cursor, the credential and every other
        parameter echoed, and no ``sig`` (api doc §2, §9.5)."""
        url = call.request.url
        pairs = [
            (k, v)
            for k, v in parse_qsl(url.query, keep_blank_values=True)
            if k not in ("cursor", "sig")
        ]
        pairs.append(("cursor", cursor))
        return f"{url.scheme}://{url.netloc}{call.path}?{urlencode(pairs)}"

    def _user_list(
        self,
        call: _Call,
        kind: int,
        owner: int,
        page_fn: Callable[[int, int | None, int], list[tuple[int, int]]],
    ) -> dict[str, Any]:
        count = self._count(call)
        before = self._cursor(call, kind, owner)
        page = page_fn(owner, before, count + 1)
        short = self.graph.short_user
        data = [short(uid) for _, uid in page[:count]]
        pagination: dict[str, str] = {}
        if len(page) > count:
            cursor = encode_cursor(self.seed, kind, owner, page[count - 1][0])
            pagination = {"next_url": self._next_url(call, cursor), "next_cursor": cursor}
        return {"meta": {"code": 200}, "data": data, "pagination": pagination}

    # -- endpoints -------------------------------------------------------------------------

    async def get_user(self, call: _Call, path: dict[str, str]) -> tuple[dict[str, Any], int]:
        """GET /users/{user-id}: the full user with counts, private or not (api doc §3, §9.9)."""
        uid = self._user(call, path["user_id"])
        if self.config.scopes == "2015" and uid != call.viewer:
            self._need(call, "public_content")
        return {"meta": {"code": 200}, "data": self.graph.full_user(uid)}, 200

    async def search(self, call: _Call, path: dict[str, str]) -> tuple[dict[str, Any], int]:
        """GET /users/search?q=&count=: short users, no pagination (api doc §3 "Users")."""
        q = call.values.get("q", "").strip()
        if not q:
            raise _invalid("Missing required parameter: q")
        count = self._count(call)
        data = [self.graph.short_user(uid) for uid in self.graph.search(q, count)]
        return {"meta": {"code": 200}, "data": data}, 200

    def _list_target(self, call: _Call, raw: str) -> int:
        uid = self._user(call, raw)
        self._list_scope(call)
        if self.config.era == "2016" and uid != call.viewer:
            # 2016 docs: only /users/self/follows and /followed-by (api doc §3 "Seed-era vs later")
            raise _Fail(400, "APINotAllowedError", _MSG_NOT_ALLOWED)
        if not self.graph.can_view_lists(call.viewer, uid):
            raise _Fail(400, "APINotAllowedError", _MSG_NOT_ALLOWED)  # api doc §9.9
        return uid

    async def follows(self, call: _Call, path: dict[str, str]) -> tuple[dict[str, Any], int]:
        """GET /users/{user-id}/follows, newest first, cursor pagination (api doc §3, §9)."""
        uid = self._list_target(call, path["user_id"])
        return self._user_list(call, ListKind.FOLLOWS, uid, self.graph.follows_page), 200

    async def followed_by(self, call: _Call, path: dict[str, str]) -> tuple[dict[str, Any], int]:
        """GET /users/{user-id}/followed-by (api doc §3, §9)."""
        uid = self._list_target(call, path["user_id"])
        return self._user_list(call, ListKind.FOLLOWED_BY, uid, self.graph.followers_page), 200

    async def requested_by(self, call: _Call, path: dict[str, str]) -> tuple[dict[str, Any], int]:
        """GET /users/self/requested-by: pending requests to the token owner (api doc §3)."""
        uid = self._user(call, path["user_id"])
        self._list_scope(call)
        if uid != call.viewer:
            raise _Fail(400, "APINotAllowedError", _MSG_NOT_ALLOWED)
        return self._user_list(call, ListKind.REQUESTED_BY, uid, self.graph.requests_page), 200

    async def get_relationship(
        self, call: _Call, path: dict[str, str]
    ) -> tuple[dict[str, Any], int]:
        """GET /users/{user-id}/relationship: the three keys (api doc §3 "Relationship object")."""
        uid = self._user(call, path["user_id"])
        self._list_scope(call)
        rel = self.graph.relationship(call.viewer, uid)
        return {"meta": {"code": 200}, "data": rel.as_dict()}, 200

    async def post_relationship(
        self, call: _Call, path: dict[str, str]
    ) -> tuple[dict[str, Any], int]:
        """POST /users/{user-id}/relationship action=... (api doc §3 "Transitions").

        The answer carries outgoing_status, incoming_status and target_user_is_private (a
        superset of the captures, api doc §3 "POST" **[choice]**).
        """
        uid = self._user(call, path["user_id"])
        self._need(call, "relationships")
        self._relationship_bucket(call)
        action = call.values.get("action", "").strip().lower()
        if not action:
            raise _invalid("Missing required parameter: action")
        if self.config.era == "2016" and action in ("block", "unblock"):
            raise _invalid("please supply a valid action: follow, unfollow, approve, ignore")
        try:
            rel = self.graph.apply_action(call.viewer, uid, action)
        except ActionError as exc:
            raise _Fail(400, exc.error_type, exc.message) from None
        return {"meta": {"code": 200}, "data": rel.as_dict()}, 200

    def _relationship_bucket(self, call: _Call) -> None:
        """The relationship POST bucket: 20/h unsigned, 60/h signed (api doc §5)."""
        limiter = self.emu.relationship_limiter
        if call.signed_header:  # signed writes have the higher bucket (api doc §5, §6b)
            limiter = self.emu.signed_write_limiter
        verdict = limiter.hit("t:" + call.values.get("access_token", ""))
        if not verdict.allowed:
            self.emu.stats.rate_limited += 1
            message = (
                f"{_MSG_RATE} You have made {verdict.used + 1} requests of the "
                f"{verdict.limit} allowed in the last hour."
            )
            raise _Fail(429, "OAuthRateLimitException", message, headers=self._retry(verdict))


def _normalise(app: ASGIApp) -> ASGIApp:
    """Accept ``/v1/users/4/follows.json`` and ``/v1/users/4/`` (api doc §1)."""

    async def normalise(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path.startswith("/v1/"):
                scope[_ORIGINAL_PATH] = path
                if path.endswith(".json"):
                    path = path[:-5]
                if len(path) > 4 and path.endswith("/"):
                    path = path.rstrip("/")
                scope["path"] = path
        await app(scope, receive, send)

    return normalise


class EmulatorApp(Starlette):
    """Starlette app with the fault layer and path normalisation outside its middleware."""

    def __init__(self, *, routes: list[Route], fault_state: FaultState) -> None:
        self.fault_state = fault_state
        super().__init__(routes=routes)

    def build_middleware_stack(self) -> ASGIApp:
        stack: ASGIApp = super().build_middleware_stack()
        return FaultLayer(_normalise(stack), self.fault_state)


def build_app(emulator: Emulator) -> EmulatorApp:
    """The Starlette application for ``emulator``: every route lives under ``/v1``."""
    from ._media_routes import MediaHandlers

    h = _Handlers(emulator)
    m = MediaHandlers(h)

    def endpoint(
        routes: dict[str, tuple[str, Handler]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            return await h.run(request, routes)

        return run

    def route(path: str, **methods: Handler) -> Route:
        table = {m: (f"{m} {path}", fn) for m, fn in methods.items()}
        return Route(
            "/v1" + path,
            endpoint(table),
            methods=["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"],
        )

    from . import _realtime as rt  # subscriptions, oEmbed, posted media (api doc §7)
    from ._oauth import OAuthEndpoints  # OAuth lives outside /v1 (api doc §1)

    oauth = OAuthEndpoints(emulator)
    realtime = rt.endpoints(emulator.realtime)
    any_method = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
    routes = [
        Route("/oauth/authorize/", oauth.authorize, methods=any_method),
        Route("/oauth/authorize", oauth.authorize, methods=any_method),
        Route("/oauth/access_token", oauth.access_token, methods=any_method),
        Route("/oauth/access_token/", oauth.access_token, methods=any_method),
        Route("/oembed", realtime["oembed"], methods=any_method),
        Route("/oembed/", realtime["oembed"], methods=any_method),
        Route("/_emulator/media", realtime["admin_media"], methods=any_method),
        Route("/v1/subscriptions", realtime["subscriptions"], methods=any_method),
        route("/users/search", GET=h.search),
        route("/users/{user_id}/media/recent", GET=m.user_recent),
        route("/users/{user_id}/media/liked", GET=m.liked),
        route("/users/{user_id}/feed", GET=m.feed),
        route("/media/search", GET=m.search),
        route("/media/popular", GET=m.popular),
        route("/media/shortcode/{shortcode}", GET=m.shortcode),
        route("/media/{media_id}", GET=m.get_media),
        route("/media/{media_id}/comments", GET=m.list_comments, POST=m.create_comment),
        route("/media/{media_id}/comments/{comment_id}", DELETE=m.delete_comment),
        route("/media/{media_id}/likes", GET=m.list_likes, POST=m.like, DELETE=m.unlike),
        route("/tags/search", GET=m.search_tags),
        route("/tags/{tag_name}", GET=m.get_tag),
        route("/tags/{tag_name}/media/recent", GET=m.tag_recent),
        route("/locations/search", GET=m.search_locations),
        route("/locations/{location_id}", GET=m.get_location),
        route("/locations/{location_id}/media/recent", GET=m.location_recent),
        route("/geographies/{geo_id}/media/recent", GET=m.geo_recent),
        route("/users/{user_id}", GET=h.get_user),
        route("/users/{user_id}/follows", GET=h.follows),
        route("/users/{user_id}/followed-by", GET=h.followed_by),
        route("/users/{user_id}/requested-by", GET=h.requested_by),
        route("/users/{user_id}/relationship", GET=h.get_relationship, POST=h.post_relationship),
        route("/{rest:path}"),
    ]
    return EmulatorApp(routes=routes, fault_state=emulator.fault_state)
