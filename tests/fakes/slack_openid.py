"""A local stand-in for Sign in with Slack: the authorize page (which approves at once, as if
the person clicked "Allow", or says `access_denied`), Slack's key set, and the Web API's
`openid.connect.token`, all on one aiohttp server on 127.0.0.1.

Point SLACK_API_URL at `api_url` and SLACK_OPENID_URL at `openid_url`. Who signs in next is
`person`; `trouble` makes the identity tokens wrong in one way; `down` makes the token method
answer 503."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from tests.fakes.id_tokens import Now, Signer, Trouble, real_now
from tests.fakes.serving import start_on_free_port
from tests.fakes.slack_oauth import CLIENT_ID, CLIENT_SECRET, WORKSPACE

ISSUER = "https://slack.com"


@dataclass(frozen=True)
class SlackPerson:
    """Someone who signs in with Slack: in a workspace, on Enterprise Grid in an organisation."""

    user: str = "U0ANNA"
    team: str = WORKSPACE
    enterprise: str | None = None
    name: str | None = "Anna Seller"


@dataclass
class _Grant:
    person: SlackPerson
    nonce: str
    redirect_uri: str
    used: bool = False


@dataclass
class FakeSlackOpenId:
    """The fake server; `await start()` it, `await stop()` it."""

    now: Now = real_now
    person: SlackPerson = field(default_factory=SlackPerson)
    # The next visitor to the authorize page says no.
    deny: bool = False
    trouble: Trouble | None = None
    down: bool = False
    # The key set answers a page that is not JSON (a proxy's error page).
    keys_broken: bool = False
    signer: Signer = field(default_factory=lambda: Signer("slack"))
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    keys_fetched: int = 0
    port: int = 0
    _grants: dict[str, _Grant] = field(default_factory=dict)
    _codes: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL takes."""
        return f"{self.url}/api/"

    @property
    def openid_url(self) -> str:
        """What SLACK_OPENID_URL takes."""
        return f"{self.url}/openid/connect/"

    async def start(self) -> FakeSlackOpenId:
        app = web.Application()
        app.router.add_get("/openid/connect/authorize", self._authorize)
        app.router.add_get("/openid/connect/keys", self._keys)
        app.router.add_post("/api/openid.connect.token", self._token)
        self._runner = web.AppRunner(app, access_log=None)
        self.port = await start_on_free_port(self._runner)
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _authorize(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.authorize_requests.append(query)
        if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
            return web.Response(status=400, text="invalid_client_id")
        if "openid" not in query.get("scope", "").split():
            return web.Response(status=400, text="invalid_scope")
        back: dict[str, str] = {"state": query.get("state", "")}
        if self.deny:
            back["error"] = "access_denied"
        else:
            code = f"slack-code-{next(self._codes)}"
            self._grants[code] = _Grant(self.person, query.get("nonce", ""), query["redirect_uri"])
            back["code"] = code
        raise web.HTTPFound(f"{query['redirect_uri']}?{urlencode(back)}")

    async def _keys(self, _request: web.Request) -> web.Response:
        self.keys_fetched += 1
        if self.keys_broken:
            return web.Response(text="<html>Bad gateway</html>", content_type="text/html")
        return web.json_response(self.signer.jwks())

    async def _token(self, request: web.Request) -> web.Response:
        form = {key: str(value) for key, value in (await request.post()).items()}
        self.token_requests.append(form)
        if self.down:
            return web.Response(status=503, text="down")
        if form.get("client_id") != CLIENT_ID:
            return web.json_response({"ok": False, "error": "invalid_client_id"})
        if form.get("client_secret") != CLIENT_SECRET:
            return web.json_response({"ok": False, "error": "bad_client_secret"})
        grant = self._grants.get(form.get("code", ""))
        if grant is None or grant.used:
            return web.json_response({"ok": False, "error": "invalid_code"})
        if form.get("redirect_uri") != grant.redirect_uri:
            return web.json_response({"ok": False, "error": "bad_redirect_uri"})
        grant.used = True
        return web.json_response(
            {
                "ok": True,
                "access_token": "xoxp-signed-in-secret",
                "token_type": "Bearer",
                "id_token": self._id_token(grant),
            }
        )

    def _id_token(self, grant: _Grant) -> str:
        person = grant.person
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": person.user,
            "auth_time": int(self.now().timestamp()),
            "https://slack.com/user_id": person.user,
            "https://slack.com/team_id": person.team,
        }
        if person.enterprise is not None:
            claims["https://slack.com/enterprise_id"] = person.enterprise
        if person.name is not None:
            claims["name"] = person.name
        return self.signer.sign(
            claims, now=self.now(), audience=CLIENT_ID, nonce=grant.nonce, trouble=self.trouble
        )
