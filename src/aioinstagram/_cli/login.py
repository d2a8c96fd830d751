"""``aioinstagram login``: get a user's token through OAuth (api doc section 1) and keep it.

Two ways, by the group's options:

* the embedded emulator (the default, or ``--emulator``): the whole flow runs in process. The
  consent page of the emulator is answered as ``--user-id`` (its demo user by default; the
  emulator has no passwords), then the code is exchanged with the emulator's registered app
  (``emulator-client``) unless ``--client-id`` / ``--client-secret`` say otherwise;
* a real base (``--base-url``, e.g. a served emulator or the real API): a one-shot listener on
  ``http://127.0.0.1:PORT/callback`` receives the redirect, the authorization URL is printed on
  stderr and opened in a browser (``--no-browser`` to only print it), and the code is exchanged.
  The ``state`` is checked (:func:`aioinstagram.parse_redirect`).

The token is then stored in the user's config file (``$AIOINSTAGRAM_CONFIG``, else
``$XDG_CONFIG_HOME/aioinstagram/credentials.json``, else ``~/.config/aioinstagram/...``),
created with mode 0600 in a 0700 directory, where the other commands read it when no token is
given; or, with ``--print-token``, printed on stdout as ``INSTAGRAM_ACCESS_TOKEN=...`` for the
environment variable the CLI reads. The client secret is never printed, and the token only with
``--print-token``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import webbrowser
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, urlsplit

import attrs
import click
import httpx

from .. import _runner
from .._errors import InstagramError, InvalidArgumentError, OAuthError
from .._oauth import OAuthToken, authorize_url, exchange_code, new_state, parse_redirect

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = [
    "StoredCredentials",
    "config_path",
    "load_stored",
    "login",
    "login_embedded",
    "login_remote",
    "store",
]

CONFIG_ENV: Final = "AIOINSTAGRAM_CONFIG"
EMBEDDED: Final = "embedded-emulator"
_ROOT: Final = "http://emulator.invalid"
_EMULATOR_REDIRECT: Final = "http://127.0.0.1/aioinstagram-login"


@attrs.frozen
class StoredCredentials:
    """What ``login`` keeps: the token, and the base URL it is for (None: the embedded
    emulator)."""

    access_token: str = attrs.field(repr=False)
    base_url: str | None = None
    username: str | None = None


def config_path() -> Path:
    """Where the token is stored (see the module docstring)."""
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CONFIG_HOME")
    root = Path(xdg) if xdg else Path.home() / ".config"
    return root / "aioinstagram" / "credentials.json"


def store(path: Path, token: OAuthToken, base_url: str | None) -> None:
    """Write the credentials file with mode 0600 (its directory 0700 when created)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    doc = {
        "access_token": token.access_token,
        "base_url": base_url or EMBEDDED,
        "user": {"id": token.user.id, "username": token.user.username},
    }
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # also when the file already existed with looser bits
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh)
            fh.write("\n")
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    os.replace(tmp, path)


def load_stored(path: Path | None = None) -> StoredCredentials | None:
    """The stored credentials, or None when there are none (or the file is unreadable)."""
    path = path or config_path()
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("access_token"), str):
        return None
    base = doc.get("base_url")
    raw_user = doc.get("user")
    user: dict[str, Any] = raw_user if isinstance(raw_user, dict) else {}
    return StoredCredentials(
        access_token=doc["access_token"],
        base_url=base if isinstance(base, str) and base != EMBEDDED else None,
        username=user.get("username") if isinstance(user.get("username"), str) else None,
    )


# -- the flows --------------------------------------------------------------------------------


async def login_embedded(
    emulator: Emulator,
    *,
    client_id: str,
    client_secret: str,
    scopes: list[str],
    user_id: str | None = None,
) -> OAuthToken:
    """The flow against an in-process emulator, consenting as ``user_id``."""
    state = new_state()
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url=_ROOT) as http:
        url = authorize_url(
            client_id=client_id,
            redirect_uri=_EMULATOR_REDIRECT,
            scopes=scopes,
            state=state,
            base_url=_ROOT,
        )
        page = await http.get(url)
        if page.status_code != 200:
            raise _oauth_answer_error(page)
        form = dict(parse_qsl(urlsplit(url).query))
        form["decision"] = "allow"
        if user_id is not None:
            form["user_id"] = user_id
        answer = await http.post("/oauth/authorize/", data=form)
        if answer.status_code != 302:
            raise _oauth_answer_error(answer)
        return await _redeem(
            answer.headers["location"],
            state,
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=_EMULATOR_REDIRECT,
            base_url=_ROOT,
            http_client=http,
        )


async def _redeem(
    location: str,
    state: str,
    *,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    base_url: str,
    http_client: httpx.AsyncClient | None = None,
) -> OAuthToken:
    """The redirect back (checked against ``state``) traded for a token."""
    auth = parse_redirect(location, state)
    if auth.code is None:
        raise OAuthError(400, None, "the redirect carried no code", request="OAuth redirect")
    return await exchange_code(
        auth.code,
        client_id=client_id,
        client_secret=client_secret,
        redirect_uri=redirect_uri,
        base_url=base_url,
        http_client=http_client,
    )


def _oauth_answer_error(response: httpx.Response) -> InstagramError:
    try:
        doc = response.json()
        message = doc.get("error_message") if isinstance(doc, dict) else None
    except ValueError:
        message = None
    return OAuthError(
        response.status_code,
        "OAuthException",
        message or f"HTTP {response.status_code}",
        request="GET /oauth/authorize/",
    )


@contextlib.asynccontextmanager
async def _listener(port: int) -> AsyncIterator[tuple[str, asyncio.Future[str]]]:
    """A one-shot loopback HTTP listener for the redirect (uvicorn + Starlette); yields its
    redirect URI and a future of the full URL it received."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    from ..emulator._server import bind_socket

    got: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def callback(request: Request) -> Response:
        if not got.done():
            got.set_result(str(request.url))
        return PlainTextResponse("aioinstagram: you can close this window.")

    class _Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    sock = bind_socket("127.0.0.1", port)
    app = Starlette(routes=[Route("/callback", callback)])
    server = _Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.005)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/callback", got
    finally:
        server.should_exit = True
        await task
        sock.close()


OpenURL = Callable[[str], Awaitable[None]]


async def login_remote(
    base_url: str,
    *,
    client_id: str,
    client_secret: str,
    scopes: list[str],
    open_url: OpenURL,
    port: int = 0,
    wait: float = 300.0,
) -> OAuthToken:
    """The flow against a real base: listen, send the user to the authorization URL
    (``open_url``), wait for the redirect, check the state, exchange the code."""
    state = new_state()
    async with _listener(port) as (redirect_uri, got):
        url = authorize_url(
            client_id=client_id,
            redirect_uri=redirect_uri,
            scopes=scopes,
            state=state,
            base_url=base_url,
        )
        await open_url(url)
        try:
            location = await asyncio.wait_for(got, timeout=wait)
        except asyncio.TimeoutError:
            raise OAuthError(
                408, None, f"no redirect came back within {wait:g} s", request="OAuth redirect"
            ) from None
    return await _redeem(
        location,
        state,
        client_id=client_id,
        client_secret=client_secret,
        redirect_uri=redirect_uri,
        base_url=base_url,
    )


# -- the command ------------------------------------------------------------------------------


@click.command()
@click.option(
    "--client-id",
    envvar="INSTAGRAM_CLIENT_ID",
    show_envvar=True,
    metavar="ID",
    help="Your application's client_id [embedded emulator: emulator-client].",
)
@click.option(
    "--client-secret",
    "app_secret",
    envvar="INSTAGRAM_CLIENT_SECRET",
    show_envvar=True,
    metavar="SECRET",
    help="Your application's client secret (asked for when missing; never printed).",
)
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    metavar="SCOPE",
    help="A scope to ask for (repeat): likes, comments, relationships, follower_list, "
    "public_content (basic is always granted).",
)
@click.option("--user-id", metavar="ID", help="Embedded emulator: who consents [its demo user].")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port of the loopback listener for the redirect (0: any free port).",
)
@click.option("--no-browser", is_flag=True, help="Only print the authorization URL.")
@click.option(
    "--wait",
    type=click.FloatRange(min=1),
    default=300.0,
    show_default=True,
    help="Seconds to wait for the redirect.",
)
@click.option(
    "--print-token",
    is_flag=True,
    help="Print INSTAGRAM_ACCESS_TOKEN=... on stdout instead of storing the token.",
)
@click.pass_context
def login(
    ctx: click.Context,
    client_id: str | None,
    app_secret: str | None,
    scopes: tuple[str, ...],
    user_id: str | None,
    port: int,
    no_browser: bool,
    wait: float,
    print_token: bool,
) -> None:
    """Get a user's access token through OAuth and store it for the other commands.

    On the embedded emulator (the default) the flow runs in process; with --base-url the
    authorization URL is opened in a browser and the redirect is received on 127.0.0.1.
    """
    app: Any = ctx.obj
    settings = app.settings
    emulator = app.emulator()
    if emulator is None and settings.base_url is None:
        raise click.UsageError("login needs --base-url or the embedded emulator (--emulator)")
    if emulator is not None:
        from ..emulator._auth import DEFAULT_APP

        # Credentials from the environment are meant for the real API, as for the group.
        environment = click.core.ParameterSource.ENVIRONMENT
        if ctx.get_parameter_source("client_id") is environment:
            client_id = None
        if ctx.get_parameter_source("app_secret") is environment:
            app_secret = None

        client_id = client_id or DEFAULT_APP.client_id
        app_secret = app_secret or DEFAULT_APP.client_secret
    else:
        if not client_id:
            raise click.UsageError("--client-id (or INSTAGRAM_CLIENT_ID) is required")
        if not app_secret:
            app_secret = click.prompt("client secret", hide_input=True, err=True)
    assert client_id is not None
    assert app_secret is not None
    secrets = [app_secret]

    async def open_url(url: str) -> None:
        click.echo(f"open this URL to authorize the application:\n  {url}", err=True)
        if not no_browser:
            with contextlib.suppress(Exception):
                webbrowser.open(url)

    async def run() -> OAuthToken:
        if emulator is not None:
            return await login_embedded(
                emulator,
                client_id=client_id,
                client_secret=app_secret,
                scopes=list(scopes),
                user_id=user_id,
            )
        return await login_remote(
            settings.base_url,
            client_id=client_id,
            client_secret=app_secret,
            scopes=list(scopes),
            open_url=open_url,
            port=port,
            wait=wait,
        )

    try:
        token = _runner.run(run())  # Ctrl-C cancels cleanly on every Python; uvloop if installed
    except (InstagramError, OSError) as exc:
        text = str(exc)
        for secret in secrets:
            text = text.replace(secret, "***")
        click.echo(f"error: login failed: {' '.join(text.split())}", err=True)
        code = 2 if isinstance(exc, InvalidArgumentError) else 1
        raise click.exceptions.Exit(code) from None
    who = f"{token.user.username} (id {token.user.id})"
    if print_token:
        click.echo(f"INSTAGRAM_ACCESS_TOKEN={token.access_token}")
        click.echo(f"logged in as {who}; the token is on stdout", err=True)
        return
    path = config_path()
    store(path, token, None if emulator is not None else settings.base_url)
    click.echo(f"logged in as {who}; token stored in {path} (mode 0600)", err=True)
