"""Signing in to Salesforce: the leader opens the link `team connect salesforce` gave them, signs
in at Salesforce, and comes back here with a code that becomes the team's connection.

OAuth 2.0's web server flow with PKCE. The state Salesforce carries back is sealed with
PEPPTALK_ENCRYPTION_KEY and holds the team, the leader, the PKCE verifier and when it stops
working, so no table of pending sign-ins is needed and nobody can read or forge one.
"""

from __future__ import annotations

import html
import json
import logging
from datetime import datetime

from aiohttp import web

from pepptalk.bot.crm.access import CALLBACK_ROUTE, START_ROUTE, CrmParts
from pepptalk.bot.crm.salesforce import SalesforceSource, challenge, new_verifier
from pepptalk.bot.services import Services
from pepptalk.core.crm import CrmError, CrmKind, Sealer
from pepptalk.core.i18n import Copy, copy_for
from pepptalk.core.messages import Paragraph, plain

log = logging.getLogger(__name__)


def _page(copy: Copy, lines: list[str], *, status: int = 200) -> web.Response:
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    page = (
        f'<!doctype html><html lang="{copy.language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Pepptalk</title></head><body><main><h1>Pepptalk</h1>{body}</main></body></html>"
    )
    return web.Response(text=page, content_type="text/html", status=status)


class SalesforceSignIn:
    """The two routes of a Salesforce sign-in."""

    def __init__(
        self, *, services: Services, salesforce: SalesforceSource, sealer: Sealer, base: str
    ) -> None:
        self.services, self.salesforce, self.sealer = services, salesforce, sealer
        self.redirect_uri = f"{base}{CALLBACK_ROUTE}"

    def _state(self, text: str) -> dict[str, object] | None:
        """A sealed state, opened; None when it is forged, damaged or has run out."""
        try:
            state = json.loads(self.sealer.open(text))
            until = datetime.fromisoformat(str(state["until"]))
        except (ValueError, KeyError, TypeError):
            return None
        if not isinstance(state, dict) or until <= self.services.clock():
            return None
        return state

    async def start(self, request: web.Request) -> web.StreamResponse:
        """From the link in the chat to Salesforce's sign-in page."""
        state = self._state(request.query.get("state", ""))
        if state is None:
            return _page(copy_for("en"), [copy_for("en")("crm.sign_in_expired")], status=400)
        verifier = new_verifier()
        sealed = self.sealer.seal(json.dumps({**state, "verifier": verifier}))
        raise web.HTTPFound(
            self.salesforce.authorize_url(
                redirect_uri=self.redirect_uri, state=sealed, challenge=challenge(verifier)
            )
        )

    async def callback(self, request: web.Request) -> web.Response:
        """Back from Salesforce with a code (or a refusal): keep the connection, say so."""
        english = copy_for("en")
        state = self._state(request.query.get("state", ""))
        if state is None:
            return _page(english, [english("crm.sign_in_expired")], status=400)
        code = request.query.get("code", "")
        if not code:
            return _page(english, [english("crm.sign_in_refused")], status=400)
        try:
            secret = await self.salesforce.exchange(
                code=code, verifier=str(state["verifier"]), redirect_uri=self.redirect_uri
            )
            account = await self.salesforce.check(secret)
            owners = await self.salesforce.owners(secret)
        except CrmError as error:
            log.info("Salesforce sign-in failed: %s", error)
            return _page(english, [english("crm.sign_in_failed", reason=error.detail)], status=400)
        message = await self.services.habits.connect_signed_in(
            team_id=int(str(state["team"])),
            member_id=int(str(state["member"])),
            kind=CrmKind.SALESFORCE,
            secret=secret,
            account=account,
            owners=owners,
        )
        if message is None:
            return _page(english, [english("errors.leaders_only")], status=403)
        return _page(english, [plain(b.text) for b in message.blocks if isinstance(b, Paragraph)])


def register(app: web.Application, services: Services, crm: CrmParts) -> None:
    """Serve the Salesforce sign-in routes when Salesforce and PUBLIC_URL are set."""
    start = crm.access.salesforce_start_url
    if crm.salesforce is None or crm.access.sealer is None or start is None:
        return
    base = start.removesuffix(START_ROUTE)
    sign_in = SalesforceSignIn(
        services=services, salesforce=crm.salesforce, sealer=crm.access.sealer, base=base
    )
    app.router.add_get(START_ROUTE, sign_in.start)
    app.router.add_get(CALLBACK_ROUTE, sign_in.callback)
