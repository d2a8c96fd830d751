"""The emulator's OAuth endpoints, outside ``/v1`` (api doc §1, "OAuth").

* ``GET /oauth/authorize/?client_id&redirect_uri&response_type=code|token[&scope][&state]``:
  checks the application and the redirect URI (flat 400 ``OAuthException`` bodies otherwise),
  then shows a minimal HTML consent page for a seeded user (the demo user unless ``user_id=``
  names another: the emulator has no passwords).
* ``POST /oauth/authorize/`` (the page's form): ``decision=allow`` redirects (302) to the
  redirect URI with ``?code=...&state=...`` (explicit flow) or ``#access_token=...&state=...``
  (implicit); ``decision=deny`` with ``?error=access_denied&error_reason=user_denied&
  error_description=The+user+denied+your+request.&state=...``.
* ``POST /oauth/access_token`` (form: ``client_id, client_secret, grant_type=authorization_code,
  redirect_uri, code``): the un-enveloped ``{"access_token", "user"}``. A code works once and for
  ``oauth_code_ttl`` seconds ("Matching code was not found or was already used." otherwise
  **[choice]** of wording); the redirect URI must be the one the code was issued for ("Redirect
  URI does not match registered redirect URI", the captured message). Errors are flat
  ``{"code": 400, "error_type": "OAuthException", "error_message": ...}`` bodies (fixture
  ``oauth_error_redirect-uri-mismatch__elogram.json``).

The token issued is ``emulator-<user id>.<scope>+<scope>``: it carries exactly the granted scopes
(``basic`` always), so a call needing another scope gets ``OAuthPermissionsException``. The
application that obtained it is remembered (:class:`OAuthState`): its users are the ones whose
media its ``user`` real-time subscriptions hear about (api doc §7), and its secret verifies the
signed header of calls made with that token.
"""

from __future__ import annotations

import html
import secrets
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ._auth import ALL_SCOPES, MSG_BAD_CLIENT, OAuthApp, OAuthState, redirect_uri_matches

if TYPE_CHECKING:
    from ._emulator import Emulator

__all__ = ["OAuthEndpoints"]

MSG_BAD_SECRET: Final = "Invalid Client Secret"
MSG_REDIRECT: Final = "Redirect URI does not match registered redirect URI"
MSG_CODE: Final = "Matching code was not found or was already used."
MSG_DENIED: Final = "The user denied your request."


class _OAuthFail(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _flat(fail: _OAuthFail) -> Response:
    return JSONResponse(
        {"code": fail.status, "error_type": "OAuthException", "error_message": fail.message},
        status_code=fail.status,
    )


def _scopes(raw: str) -> tuple[str, ...]:
    names = [s for s in raw.replace("+", " ").replace(",", " ").split() if s]
    unknown = [s for s in names if s not in ALL_SCOPES]
    if unknown or (raw and not names):
        raise _OAuthFail(f"Invalid scope field(s): {', '.join(unknown) or raw}")
    return tuple(dict.fromkeys(names))


def _add_params(uri: str, params: list[tuple[str, str]], *, fragment: bool) -> str:
    sep = "#" if fragment else ("&" if "?" in uri else "?")
    return uri + sep + urlencode(params)


class OAuthEndpoints:
    """The Starlette endpoints of ``/oauth/authorize/`` and ``/oauth/access_token``."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator
        self.state: OAuthState = emulator.oauth

    def _check_request(self, values: dict[str, str]) -> tuple[OAuthApp, str, str, tuple[str, ...]]:
        app = self.state.app(values.get("client_id"))
        if app is None:
            raise _OAuthFail(MSG_BAD_CLIENT)
        redirect_uri = values.get("redirect_uri", "")
        if not redirect_uri_matches(redirect_uri, app.redirect_uris):
            raise _OAuthFail(MSG_REDIRECT)
        response_type = values.get("response_type", "")
        if response_type not in ("code", "token"):
            raise _OAuthFail("Invalid response_type: expected 'code' or 'token'")
        return app, redirect_uri, response_type, _scopes(values.get("scope", ""))

    def _user(self, raw: str | None) -> int:
        if not raw:
            return int(self.emu.demo_user_id)
        if not raw.isdigit() or not self.emu.graph.exists(int(raw)):
            raise _OAuthFail("this user does not exist")
        return int(raw)

    async def authorize(self, request: Request) -> Response:
        try:
            if request.method == "POST":
                body = (await request.body()).decode("utf-8", "replace")
                values = dict(parse_qsl(body, keep_blank_values=True))
                return self._decide(values)
            if request.method not in ("GET", "HEAD"):
                raise _OAuthFail("Method not allowed", 405)
            values = dict(parse_qsl(request.url.query, keep_blank_values=True))
            app, _uri, _type, scopes = self._check_request(values)
            return self._consent_page(app, values, scopes, self._user(values.get("user_id")))
        except _OAuthFail as fail:
            return _flat(fail)

    def _consent_page(
        self, app: OAuthApp, values: dict[str, str], scopes: tuple[str, ...], user_id: int
    ) -> Response:
        e = html.escape
        user = self.emu.graph.short_user(user_id)
        hidden = "".join(
            f'<input type="hidden" name="{e(k)}" value="{e(values.get(k, ""))}">'
            for k in ("client_id", "redirect_uri", "response_type", "scope", "state")
        )
        granted = ", ".join(("basic", *[s for s in scopes if s != "basic"]))
        page = (
            "<!doctype html><html><head><meta charset=utf-8><title>Authorization Request"
            "</title></head><body><h1>Authorization Request</h1>"
            f"<p><b>{e(app.name)}</b> would like to access your Instagram account "
            f"(<b>{e(user['username'])}</b>) with these permissions: {e(granted)}.</p>"
            f'<form method="post" action="/oauth/authorize/">{hidden}'
            f'<label>User id <input name="user_id" value="{user_id}"></label> '
            '<button name="decision" value="allow">Authorize</button> '
            '<button name="decision" value="deny">Cancel</button></form></body></html>'
        )
        return HTMLResponse(page)

    def _decide(self, values: dict[str, str]) -> Response:
        app, redirect_uri, response_type, scopes = self._check_request(values)
        user_id = self._user(values.get("user_id"))
        state = values.get("state")
        tail = [("state", state)] if state else []
        decision = values.get("decision", "")
        if decision == "deny":
            params = [
                ("error", "access_denied"),
                ("error_reason", "user_denied"),
                ("error_description", MSG_DENIED),
                *tail,
            ]
            return RedirectResponse(_add_params(redirect_uri, params, fragment=False), 302)
        if decision != "allow":
            raise _OAuthFail("Missing decision: allow or deny")
        if response_type == "token":
            token = self.state.authorize(app.client_id, user_id, scopes)
            params = [("access_token", token), *tail]
            return RedirectResponse(_add_params(redirect_uri, params, fragment=True), 302)
        code = self.state.new_code(app.client_id, redirect_uri, user_id, scopes)
        return RedirectResponse(
            _add_params(redirect_uri, [("code", code), *tail], fragment=False), 302
        )

    async def access_token(self, request: Request) -> Response:
        try:
            if request.method != "POST":
                raise _OAuthFail("Method not allowed", 405)
            body = (await request.body()).decode("utf-8", "replace")
            values = dict(parse_qsl(body, keep_blank_values=True))
            for name in ("client_id", "client_secret", "grant_type", "redirect_uri", "code"):
                if not values.get(name):
                    raise _OAuthFail(f"You must provide a {name}")
            app = self.state.app(values["client_id"])
            if app is None:
                raise _OAuthFail(MSG_BAD_CLIENT)
            if not secrets.compare_digest(
                values["client_secret"].encode(), app.client_secret.encode()
            ):
                raise _OAuthFail(MSG_BAD_SECRET)
            if values["grant_type"] != "authorization_code":
                raise _OAuthFail("Invalid grant_type: expected authorization_code")
            code = self.state.take_code(values["code"], app.client_id)
            if code is None:
                raise _OAuthFail(MSG_CODE)
            if values["redirect_uri"] != code.redirect_uri:
                raise _OAuthFail(MSG_REDIRECT)
            token = self.state.authorize(app.client_id, code.user_id, code.scopes)
            doc: dict[str, Any] = {
                "access_token": token,
                "user": self.emu.graph.short_user(code.user_id),
            }
            return JSONResponse(doc)
        except _OAuthFail as fail:
            return _flat(fail)
