"""Sign in with Slack (OpenID Connect): Slack's authorize page, the Web API's
`openid.connect.token` for the code, and Slack's keys for the identity token.

On Enterprise Grid the token names the organisation too; the visitor then sees every workspace
of it that Pepptalk knows, as a leader of a team there would expect."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlencode

from pepptalk.bot.history.openid import (
    Identity,
    KeySet,
    Problem,
    ProviderHttp,
    Published,
    SignInError,
    claim,
    error_code,
    signing_keys,
    verified_claims,
)
from pepptalk.bot.services import Clock
from pepptalk.core.kinds import Platform
from pepptalk.store.database import Database

ISSUER = "https://slack.com"
USER_CLAIM = "https://slack.com/user_id"
TEAM_CLAIM = "https://slack.com/team_id"
ENTERPRISE_CLAIM = "https://slack.com/enterprise_id"
SCOPE = "openid profile"
# Slack's ids: users U…/W…, workspaces T…, organisations E….
SLACK_ID = re.compile(r"[A-Z0-9]{2,64}")
WORKSPACE_HINT = re.compile(r"T[A-Z0-9]{1,63}")
# Web API errors that say Slack itself is in trouble, not the request.
SLACK_DOWN = frozenset({"fatal_error", "internal_error", "service_unavailable", "request_timeout"})


class SlackSignIn:
    """Slack's half of the sign-in."""

    platform = Platform.SLACK
    pkce = False

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        api_url: str,
        openid_url: str,
        http: ProviderHttp,
        database: Database,
        clock: Clock,
    ) -> None:
        self._client_id, self._client_secret = client_id, client_secret
        self._token_url = f"{api_url}openid.connect.token"
        self._authorize_url = f"{openid_url}authorize"
        self._keys_url = f"{openid_url}keys"
        self._http, self._database, self._clock = http, database, clock
        self.keys = KeySet(self._published)

    async def _published(self) -> Published:
        return Published(ISSUER, signing_keys(await self._http.get_json(self._keys_url)))

    def authorize_url(
        self,
        *,
        redirect_uri: str,
        state: str,
        nonce: str,
        challenge: str | None,
        query: Mapping[str, str],
    ) -> str:
        """Slack's sign-in page; `?team=T…` (from a link in the App Home) goes straight to
        that workspace."""
        params = {
            "response_type": "code",
            "scope": SCOPE,
            "client_id": self._client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "nonce": nonce,
        }
        team = query.get("team", "")
        if WORKSPACE_HINT.fullmatch(team):
            params["team"] = team
        return f"{self._authorize_url}?{urlencode(params)}"

    async def identity(
        self, *, code: str, redirect_uri: str, nonce: str, verifier: str | None
    ) -> Identity:
        """The person Slack signed in: the code redeemed, the identity token checked."""
        _, answer = await self._http.post_form(
            self._token_url,
            {
                "client_id": self._client_id,
                "client_secret": self._client_secret,
                "code": code,
                "redirect_uri": redirect_uri,
            },
        )
        if answer.get("ok") is not True:
            error = error_code(answer.get("error"))
            problem = Problem.UNAVAILABLE if error in SLACK_DOWN else Problem.REFUSED
            raise SignInError(problem, f"openid.connect.token answered {error}")
        token = answer.get("id_token")
        if not isinstance(token, str):
            raise SignInError(Problem.REFUSED, "openid.connect.token gave no identity token")
        claims = await verified_claims(
            token,
            keys=self.keys,
            audience=self._client_id,
            issuer=lambda published, _claims: published.issuer,
            nonce=nonce,
            now=self._clock(),
        )
        user, team = claim(claims, USER_CLAIM, SLACK_ID), claim(claims, TEAM_CLAIM, SLACK_ID)
        if user is None or team is None:
            raise SignInError(Problem.REFUSED, "the identity token names no Slack user or team")
        workspaces = {team}
        enterprise = claim(claims, ENTERPRISE_CLAIM, SLACK_ID)
        if enterprise is not None:
            async with self._database.uow() as uow:
                workspaces.update(await uow.installations.org_workspaces(enterprise))
        name = claims.get("name")
        return Identity(
            platform=Platform.SLACK,
            workspace_ids=frozenset(workspaces),
            user_id=user,
            name=name if isinstance(name, str) and name.strip() else None,
        )
