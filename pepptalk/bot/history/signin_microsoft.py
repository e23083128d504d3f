"""Sign in with Microsoft: the Microsoft identity platform's authorization code flow with PKCE,
as the bot's own app (MICROSOFT_APP_ID and its password). The identity token is checked against
the keys the tenant's OpenID metadata points to; its issuer must be the metadata's, with the
token's own tenant in it when the app takes any organisation's people."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

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

LOGIN_DEFAULT = "https://login.microsoftonline.com/"
# Work and school accounts of any tenant: Teams has no others.
ANY_ORGANISATION = "organizations"
SCOPE = "openid profile"
TENANT_PLACEHOLDER = "{tenantid}"
GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def login_base(login_url: str | None) -> str:
    """Microsoft's login host, from MICROSOFT_LOGIN_URL (which names the bot's own tenant in its
    path: only the host is taken) or the public cloud's."""
    if not login_url:
        return LOGIN_DEFAULT
    parts = urlsplit(login_url)
    return f"{parts.scheme}://{parts.netloc}/"


class MicrosoftSignIn:
    """Microsoft's half of the sign-in."""

    platform = Platform.TEAMS
    pkce = True

    def __init__(
        self,
        *,
        app_id: str,
        app_password: str,
        tenant: str | None,
        login_url: str | None,
        http: ProviderHttp,
        clock: Clock,
    ) -> None:
        self._app_id, self._app_password = app_id, app_password
        self._tenant = tenant or ANY_ORGANISATION
        self._authority = f"{login_base(login_url)}{self._tenant}"
        self._http, self._clock = http, clock
        self.keys = KeySet(self._published)

    async def _published(self) -> Published:
        metadata = await self._http.get_json(
            f"{self._authority}/v2.0/.well-known/openid-configuration"
        )
        issuer, jwks_uri = metadata.get("issuer"), metadata.get("jwks_uri")
        if not isinstance(issuer, str) or not isinstance(jwks_uri, str):
            raise SignInError(Problem.UNAVAILABLE, "the OpenID metadata names no issuer or keys")
        if not jwks_uri.startswith("https://"):
            raise SignInError(Problem.UNAVAILABLE, "the OpenID metadata's keys are not https")
        return Published(issuer, signing_keys(await self._http.get_json(jwks_uri)))

    def authorize_url(
        self,
        *,
        redirect_uri: str,
        state: str,
        nonce: str,
        challenge: str | None,
        query: Mapping[str, str],
    ) -> str:
        """Microsoft's sign-in page, for the app's tenant or any organisation's."""
        params = {
            "client_id": self._app_id,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "response_mode": "query",
            "scope": SCOPE,
            "state": state,
            "nonce": nonce,
        }
        if challenge is not None:
            params.update(code_challenge=challenge, code_challenge_method="S256")
        return f"{self._authority}/oauth2/v2.0/authorize?{urlencode(params)}"

    async def identity(
        self, *, code: str, redirect_uri: str, nonce: str, verifier: str | None
    ) -> Identity:
        """The person Microsoft signed in: the code redeemed with the verifier, the identity
        token checked."""
        form = {
            "client_id": self._app_id,
            "client_secret": self._app_password,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "scope": SCOPE,
        }
        if verifier is not None:
            form["code_verifier"] = verifier
        status, answer = await self._http.post_form(f"{self._authority}/oauth2/v2.0/token", form)
        token = answer.get("id_token")
        if status != 200 or not isinstance(token, str):
            error = error_code(answer.get("error"))
            raise SignInError(Problem.REFUSED, f"the token endpoint answered {status} {error}")
        claims = await verified_claims(
            token,
            keys=self.keys,
            audience=self._app_id,
            issuer=self._issuer,
            nonce=nonce,
            now=self._clock(),
        )
        tenant, user = claim(claims, "tid", GUID), claim(claims, "oid", GUID)
        if tenant is None or user is None:
            raise SignInError(Problem.REFUSED, "the identity token names no tenant or user")
        if GUID.fullmatch(self._tenant) and tenant.lower() != self._tenant.lower():
            raise SignInError(Problem.REFUSED, "the identity token is from another tenant")
        name = claims.get("name")
        return Identity(
            platform=Platform.TEAMS,
            workspace_ids=frozenset({tenant}),
            user_id=user,
            name=name if isinstance(name, str) and name.strip() else None,
        )

    @staticmethod
    def _issuer(published: Published, claims: Mapping[str, Any]) -> str:
        # Metadata for many tenants names the issuer with a placeholder for the token's own.
        tenant = claims.get("tid")
        if TENANT_PLACEHOLDER in published.issuer:
            if not isinstance(tenant, str) or not GUID.fullmatch(tenant):
                raise SignInError(Problem.REFUSED, "the identity token names no tenant")
            return published.issuer.replace(TENANT_PLACEHOLDER, tenant)
        return published.issuer
