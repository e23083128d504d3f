"""Signing in to the history pages with Slack or Microsoft, and signing out.

Both are OpenID Connect's authorization code flow: `/history/signin/<provider>` sends the
browser to the provider with a state and a nonce (and, for Microsoft, a PKCE challenge), kept
server-side for ten minutes and good once; the callback takes them back, redeems the code,
checks the identity token and starts a session. The state is also put in a short cookie, so a
callback only signs in the browser that started the sign-in. Whatever goes wrong, the browser is
sent to the sign-in page with a `problem` to explain, and one line is logged.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from pepptalk.bot.config import Settings
from pepptalk.bot.history.openid import (
    Identity,
    Problem,
    Provider,
    ProviderHttp,
    SignInError,
    error_code,
)
from pepptalk.bot.history.sessions import (
    SESSIONS_KEY,
    Sessions,
    is_token,
    new_token,
    same,
    secure_cookies,
    token_hash,
)
from pepptalk.bot.history.signin_microsoft import MicrosoftSignIn
from pepptalk.bot.history.signin_slack import SlackSignIn
from pepptalk.bot.services import Services

log = logging.getLogger(__name__)

SIGNIN_PAGE = "/history/signin"
HISTORY_PAGE = "/history"
SIGNOUT_ROUTE = "/history/signout"
# The browser-bound copy of the state, sent back only to the callbacks.
STATE_COOKIE = "pepptalk_signin"
STATE_LIFETIME = timedelta(minutes=10)


def challenge_of(verifier: str) -> str:
    """PKCE's S256 code challenge for a verifier."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


# Answers that set or clear cookies are for one browser, once: no cache keeps them.
NO_STORE = {"Cache-Control": "no-store"}


def see_other(location: str) -> web.Response:
    """A 303 to `location` (the browser then GETs it)."""
    return web.Response(status=303, headers={"Location": location, **NO_STORE})


@dataclass
class SignIn:
    """The sessions, and the providers the settings configure (None: not configured)."""

    services: Services
    sessions: Sessions
    http: ProviderHttp
    public_url: str | None
    providers: dict[str, Provider | None] = field(default_factory=dict)

    async def close(self) -> None:
        """Release the connections to the providers."""
        await self.http.close()

    def _redirect_uri(self, request: web.Request, route: str) -> str:
        # PUBLIC_URL is the address registered with the provider; without it, the request's.
        base = self.public_url or f"{request.scheme}://{request.host}"
        return f"{base}{SIGNIN_PAGE}/{route}/callback"

    def _failed(self, request: web.Request, route: str, error: SignInError) -> web.Response:
        level = logging.WARNING if error.problem is Problem.UNAVAILABLE else logging.INFO
        log.log(level, "sign-in with %s failed (%s): %s", route, error.problem, error.reason)
        response = see_other(f"{SIGNIN_PAGE}?{urlencode({'problem': error.problem.value})}")
        self._forget_state_cookie(request, response)
        return response

    def _forget_state_cookie(self, request: web.Request, response: web.StreamResponse) -> None:
        if STATE_COOKIE in request.cookies:
            response.del_cookie(
                STATE_COOKIE,
                path=SIGNIN_PAGE,
                httponly=True,
                samesite="Lax",
                secure=secure_cookies(request),
            )

    def _provider(self, route: str) -> Provider:
        provider = self.providers.get(route)
        if provider is None:
            raise SignInError(Problem.NOT_CONFIGURED, "its settings are not set")
        return provider

    async def start(self, request: web.Request, route: str) -> web.Response:
        """From Pepptalk to the provider's sign-in page."""
        try:
            with _unexpected_as_unavailable():
                provider = self._provider(route)
                state, nonce = new_token(), new_token()
                verifier = new_token() + new_token() if provider.pkce else None
                now = self.services.clock()
                async with self.services.database.uow() as uow:
                    await uow.web_sessions.forget_sign_ins_before(now)
                    await uow.web_sessions.issue_sign_in(
                        state_hash=token_hash(state),
                        platform=provider.platform,
                        nonce=nonce,
                        verifier=verifier,
                        expires_at=now + STATE_LIFETIME,
                    )
                location = provider.authorize_url(
                    redirect_uri=self._redirect_uri(request, route),
                    state=state,
                    nonce=nonce,
                    challenge=challenge_of(verifier) if verifier else None,
                    query=request.query,
                )
        except SignInError as error:
            return self._failed(request, route, error)
        response = web.Response(status=302, headers={"Location": location, **NO_STORE})
        response.set_cookie(
            STATE_COOKIE,
            state,
            path=SIGNIN_PAGE,
            max_age=int(STATE_LIFETIME.total_seconds()),
            httponly=True,
            samesite="Lax",
            secure=secure_cookies(request),
        )
        return response

    async def callback(self, request: web.Request, route: str) -> web.Response:
        """Back from the provider: a session and the history page, or the sign-in page with
        the problem."""
        try:
            with _unexpected_as_unavailable():
                identity = await self._identity(request, route)
                response = see_other(HISTORY_PAGE)
                await self.sessions.start(
                    response,
                    request,
                    platform=identity.platform,
                    workspace_ids=identity.workspace_ids,
                    user_id=identity.user_id,
                    name=identity.name,
                )
        except SignInError as error:
            return self._failed(request, route, error)
        self._forget_state_cookie(request, response)
        log.info(
            "signed in with %s: %s in %s",
            route,
            identity.user_id,
            ",".join(sorted(identity.workspace_ids)),
        )
        return response

    async def _identity(self, request: web.Request, route: str) -> Identity:
        provider = self._provider(route)
        query = request.query
        state = query.get("state")
        if not is_token(state):
            raise SignInError(Problem.EXPIRED, "the callback carries no state of ours")
        async with self.services.database.uow() as uow:
            pending = await uow.web_sessions.consume_sign_in(
                token_hash(str(state)), now=self.services.clock()
            )
        if pending is None or pending.platform != provider.platform:
            raise SignInError(Problem.EXPIRED, "the state is unknown, used or expired")
        if not same(request.cookies.get(STATE_COOKIE), state):
            raise SignInError(Problem.REFUSED, "the state is another browser's")
        error = query.get("error")
        if error is not None:
            said = error_code(error)
            problem = Problem.DENIED if said == "access_denied" else Problem.REFUSED
            raise SignInError(problem, f"the provider answered {said}")
        code = query.get("code")
        if not code:
            raise SignInError(Problem.REFUSED, "the callback carries no code")
        return await provider.identity(
            code=code,
            redirect_uri=self._redirect_uri(request, route),
            nonce=pending.nonce,
            verifier=pending.verifier,
        )

    def offers(self, route: str) -> bool:
        """Whether the settings configure this sign-in ("slack" or "microsoft")."""
        return self.providers.get(route) is not None

    async def sign_out(self, request: web.Request) -> web.Response:
        """End the visitor's session (the form must carry its CSRF token)."""
        form = await request.post()
        token = form.get("csrf")
        try:
            visitor = await self.sessions.visitor(request)
            if visitor is not None and not self.sessions.csrf_ok(
                visitor, token if isinstance(token, str) else None
            ):
                log.info("sign-out refused: the form's CSRF token is wrong or missing")
                return web.Response(status=403)
            response = see_other(SIGNIN_PAGE)
            await self.sessions.end(request, response)
        except SQLAlchemyError as error:
            log.warning("sign-out failed: database: %s", type(error).__name__)
            return web.Response(status=503)
        return response


@contextmanager
def _unexpected_as_unavailable() -> Iterator[None]:
    """Anything but a named failure (the database down, a provider answering nonsense) is one
    line in the log and `unavailable` for the person, never a server error."""
    try:
        yield
    except SignInError:
        raise
    except SQLAlchemyError as error:
        raise SignInError(Problem.UNAVAILABLE, f"database: {type(error).__name__}") from None
    except Exception as error:  # noqa: BLE001 - a sign-in must end on the sign-in page
        raise SignInError(Problem.UNAVAILABLE, f"unexpected {type(error).__name__}") from None


def history_signin(settings: Settings, services: Services) -> SignIn:
    """The sessions and the sign-ins the settings allow: Slack with SLACK_CLIENT_ID and
    SLACK_CLIENT_SECRET, Microsoft with MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD."""
    http = ProviderHttp()
    slack: Provider | None = None
    if settings.slack_client_id and settings.slack_client_secret is not None:
        slack = SlackSignIn(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            api_url=settings.slack_api_url,
            openid_url=settings.slack_openid_url,
            http=http,
            database=services.database,
            clock=services.clock,
        )
    microsoft: Provider | None = None
    password = settings.microsoft_app_password
    if settings.microsoft_app_id and password is not None and password.get_secret_value():
        microsoft = MicrosoftSignIn(
            app_id=settings.microsoft_app_id,
            app_password=password.get_secret_value(),
            tenant=settings.microsoft_app_tenant_id,
            login_url=settings.microsoft_login_url,
            http=http,
            clock=services.clock,
        )
    return SignIn(
        services=services,
        sessions=Sessions(services.database, services.clock),
        http=http,
        public_url=settings.public_url,
        providers={"slack": slack, "microsoft": microsoft},
    )


def register(app: web.Application, signin: SignIn) -> None:
    """Serve the sign-in routes of both providers and sign-out; the sessions are then at
    `app[SESSIONS_KEY]`, and the providers' connections close with the app."""
    app[SESSIONS_KEY] = signin.sessions
    for route in signin.providers:

        async def start(request: web.Request, route: str = route) -> web.Response:
            return await signin.start(request, route)

        async def callback(request: web.Request, route: str = route) -> web.Response:
            return await signin.callback(request, route)

        app.router.add_get(f"{SIGNIN_PAGE}/{route}", start)
        app.router.add_get(f"{SIGNIN_PAGE}/{route}/callback", callback)
    app.router.add_post(SIGNOUT_ROUTE, signin.sign_out)

    async def close(_app: web.Application) -> None:
        await signin.close()

    app.on_cleanup.append(close)
