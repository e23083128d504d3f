"""The install side of the fake Slack Web API: which workspace or organisation each bot token
works in, Slack's authorize page, oauth.v2.access (install codes and token refreshes) and who the
bot is (auth.test).

Many workspaces: each token belongs to one workspace (`tokens`). oauth.v2.access turns an install
code into a workspace's tokens (with a refresh token and an expiry when `token_expires_in` is set,
as when the app turns on token rotation) and takes `grant_type=refresh_token`; GET
/oauth/v2/authorize stands in for the person approving the install in their browser and sends
them back with a code.

Enterprise Grid: an organisation (`orgs`, its enterprise id and name) has workspaces (`org_of`).
An org admin may install the app org-wide: its token then belongs to the organisation and works
in each of its workspaces, and oauth.v2.access answers it the way Slack does, with `team: null`,
the `enterprise` and `is_enterprise_install: true`. A workspace of an organisation may also have
an install of its own (its answer names both its `team` and its `enterprise`).
"""

from __future__ import annotations

import base64
import itertools
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

TOKEN = "xoxb-test-token"
WORKSPACE = "T0PEPP"
CLIENT_ID = "1234.5678"
CLIENT_SECRET = "test-client-secret"
APP_ID = "A0PEPP"
SCOPES = "commands,chat:write,chat:write.public,im:write,im:history,users:read"


@dataclass
class Grant:
    """An install code Slack handed to the installer's browser: for one workspace, or for a
    whole organisation (`org_wide`, `owner` then being its enterprise id)."""

    owner: str
    name: str
    installer: str
    org_wide: bool = False
    used: bool = False


@dataclass
class FakeSlackInstalls:
    """Tokens, installs and organisations; the fake Web API server is built on it."""

    # Which workspace (or, for an org-wide install, organisation) each bot token works in; a
    # token not here is refused (invalid_auth).
    tokens: dict[str, str] = field(default_factory=lambda: {TOKEN: WORKSPACE})
    # Install codes waiting for oauth.v2.access, and the browser approvals waiting to be given.
    grants: dict[str, Grant] = field(default_factory=dict)
    approvals: deque[Grant] = field(default_factory=deque)
    # Where /oauth/v2/authorize sends the browser back (the app's /slack/oauth_redirect).
    redirect_url: str = ""
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    # With token rotation on: how long a bot token lives (None: forever, no refresh token).
    token_expires_in: int | None = None
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    # Enterprise Grid organisations by enterprise id (their names), and each of their
    # workspaces' organisation.
    orgs: dict[str, str] = field(default_factory=dict)
    org_of: dict[str, str] = field(default_factory=dict)
    _issued: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    port: int = 0

    def add_org(self, enterprise: str, name: str, workspaces: list[str]) -> None:
        """An Enterprise Grid organisation and its workspaces."""
        self.orgs[enterprise] = name
        self.org_of.update(dict.fromkeys(workspaces, enterprise))

    def in_reach(self, owner: str, workspace: str) -> bool:
        """Whether a token of `owner` (a workspace, or an organisation org-wide) works in
        `workspace`."""
        return owner == workspace or (owner in self.orgs and self.org_of.get(workspace) == owner)

    def approve_next_install(
        self, workspace: str, team_name: str, installer: str = "UINSTALLER"
    ) -> None:
        """The next browser sent to /oauth/v2/authorize approves installing in `workspace`."""
        self.approvals.append(Grant(workspace, team_name, installer))

    def approve_next_org_install(self, enterprise: str, installer: str = "UINSTALLER") -> None:
        """The next browser sent to /oauth/v2/authorize is an org admin installing the app
        org-wide in `enterprise` (added with add_org)."""
        self.approvals.append(Grant(enterprise, self.orgs[enterprise], installer, org_wide=True))

    def add_install_code(
        self, code: str, workspace: str, team_name: str, installer: str = "UINSTALLER"
    ) -> None:
        """An install code as Slack would hand it to the installer's browser."""
        self.grants[code] = Grant(workspace, team_name, installer)

    def revoke(self, owner: str) -> None:
        """Every token of a workspace (or an organisation's org-wide ones) stops working (the
        app was uninstalled there)."""
        self.tokens = {t: w for t, w in self.tokens.items() if w != owner}
        self.refresh_tokens = {t: w for t, w in self.refresh_tokens.items() if w != owner}

    def tokens_of(self, owner: str) -> list[str]:
        """The bot tokens issued for a workspace (or an organisation), oldest first."""
        return [t for t, w in self.tokens.items() if w == owner]

    @property
    def authorize_url(self) -> str:
        """Where "Add to Slack" sends the browser (SLACK_AUTHORIZE_URL)."""
        return f"http://127.0.0.1:{self.port}/oauth/v2/authorize"

    async def _authorize(self, request: web.Request) -> web.Response:
        """The person approves (or, with nothing to approve, cancels) the install; the browser
        goes back to the app with a code and the state it came with."""
        query = dict(request.query)
        self.authorize_requests.append(query)
        back = {"state": query.get("state", "")}
        if query.get("client_id") != CLIENT_ID:
            return web.Response(status=400, text="invalid client_id")
        if self.approvals:
            grant = self.approvals.popleft()
            code = f"code-{grant.owner}-{next(self._issued)}"
            self.grants[code] = grant
            back["code"] = code
        else:
            back["error"] = "access_denied"
        raise web.HTTPFound(f"{self.redirect_url}?{urlencode(back)}")

    def _client_auth(self, request: web.Request, args: dict[str, Any]) -> str | None:
        """Why the app's own credentials are refused (None: they are good); Slack takes them as
        HTTP Basic or in the body."""
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        else:
            client_id, secret = str(args.get("client_id")), str(args.get("client_secret"))
        if client_id != CLIENT_ID:
            return "invalid_client_id"
        return None if secret == CLIENT_SECRET else "bad_client_secret"

    def _issue_tokens(self, owner: str) -> dict[str, Any]:
        """A new bot token for a workspace (or an organisation), with a refresh token when
        rotation is on."""
        n = next(self._issued)
        token = f"xoxb-{owner}-{n:04d}-secret"
        self.tokens[token] = owner
        issued: dict[str, Any] = {"access_token": token, "token_type": "bot"}
        if self.token_expires_in is not None:
            refresh = f"xoxe-1-{owner}-{n:04d}-refresh"
            self.refresh_tokens[refresh] = owner
            issued.update(refresh_token=refresh, expires_in=self.token_expires_in)
        return issued

    def _where(self, owner: str, name: str | None = None) -> dict[str, Any]:
        """The `team`, `enterprise` and `is_enterprise_install` of an answer about `owner`."""
        if owner in self.orgs:
            return {
                "team": None,
                "enterprise": {"id": owner, "name": self.orgs[owner]},
                "is_enterprise_install": True,
            }
        org = self.org_of.get(owner)
        return {
            "team": {"id": owner, "name": name} if name else {"id": owner},
            "enterprise": {"id": org, "name": self.orgs[org]} if org else None,
            "is_enterprise_install": False,
        }

    def _oauth_v2_access(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("grant_type") == "refresh_token":
            owner = self.refresh_tokens.pop(str(args.get("refresh_token")), None)
            if owner is None:
                return {"ok": False, "error": "invalid_refresh_token"}
            return {"ok": True, **self._where(owner), **self._issue_tokens(owner)}
        grant = self.grants.get(str(args.get("code")))
        if grant is None or grant.used:
            return {"ok": False, "error": "invalid_code"}
        grant.used = True
        return {
            "ok": True,
            **self._issue_tokens(grant.owner),
            "scope": SCOPES,
            "bot_user_id": f"UBOT{grant.owner}",
            "app_id": APP_ID,
            **self._where(grant.owner, grant.name),
            "authed_user": {"id": grant.installer},
        }

    def whoami(self, owner: str) -> dict[str, Any]:
        """auth.test's answer for a token of `owner`: an org-wide token is the organisation's
        (its team_id is the enterprise id), as Slack answers it."""
        if owner in self.orgs:
            return {
                "ok": True,
                "url": f"https://{owner.lower()}.enterprise.slack.com/",
                "team": self.orgs[owner],
                "team_id": owner,
                "enterprise_id": owner,
                "is_enterprise_install": True,
                "user_id": f"UBOT{owner}",
                "bot_id": f"BBOT{owner}",
            }
        found = {
            "ok": True,
            "team_id": owner,
            "team": "Pepptalk Test" if owner == WORKSPACE else f"Workspace {owner}",
            "user_id": "UBOT" if owner == WORKSPACE else f"UBOT{owner}",
            "bot_id": "BBOT" if owner == WORKSPACE else f"BBOT{owner}",
            "url": f"https://{owner.lower()}.slack.com/",
        }
        if owner in self.org_of:
            found.update(enterprise_id=self.org_of[owner], is_enterprise_install=False)
        return found
