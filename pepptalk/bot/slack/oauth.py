"""Installing Pepptalk in a Slack workspace, or org-wide in an Enterprise Grid organisation: "Add
to Slack" at GET /slack/install, Slack's OAuth v2 redirect at GET /slack/oauth_redirect, through
Bolt's OAuth flow on Pepptalk's own stores. Every outcome is a short page in the installer's
language; no failure is a server error."""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence

import aiohttp
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from pepptalk.bot.slack.clients import InstalledWorkspaceAuthorize
from pepptalk.bot.slack.installs import PepptalkInstallationStore, PepptalkStateStore
from pepptalk.core.i18n import LANGUAGES, Copy, copy_for

log = logging.getLogger(__name__)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# What the app asks for: the bot scopes of manifest.yml (tests check the two agree).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "im:write",
    "im:history",
    "users:read",
    "users:read.email",
    "files:read",
    "files:write",
)
STATE_SECONDS = 600
# Why an install failed, as Bolt names it: the words to show, and the status to answer.
FAILURES = {
    "access_denied": ("install.cancelled", 400),
    "invalid_browser": ("install.wrong_browser", 400),
    "invalid_state": ("install.bad_state", 400),
    "missing_code": ("install.no_code", 400),
    "invalid_code": ("install.refused", 400),
    "storage_error": ("install.not_saved", 503),
    "slack_unreachable": ("install.unreachable", 503),
}
# Other languages a browser may ask for, read as the nearest one Pepptalk speaks.
LANGUAGE_ALIASES = {"no": "nb", "nn": "nb", "se": "sv"}


def language_of(request: AsyncBoltRequest) -> str:
    """The installer's language, from the browser's Accept-Language (English when none fits)."""
    header = (request.headers.get("accept-language") or [""])[0]
    for part in header.split(","):
        tag = part.split(";")[0].strip().lower().split("-")[0]
        tag = LANGUAGE_ALIASES.get(tag, tag)
        if tag in LANGUAGES:
            return tag
    return "en"


def page(
    copy: Copy, *, title: str, body: str, link: tuple[str, str] | None, status: int
) -> BoltResponse:
    """A small self-contained HTML page (no script, nothing fetched from elsewhere)."""
    button = (
        f'<p><a class="button" href="{html.escape(link[0])}">{html.escape(link[1])}</a></p>'
        if link
        else ""
    )
    document = f"""<!doctype html>
<html lang="{copy.language}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;
line-height:1.5;color:#1d1c1d}}.button{{display:inline-block;padding:.6rem 1.2rem;border-radius:6px;
background:#2f4858;color:#fff;text-decoration:none;font-weight:600}}</style></head>
<body><h1>{html.escape(title)}</h1><p>{html.escape(body)}</p>{button}</body></html>"""
    return BoltResponse(
        status=status,
        body=document,
        headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"},
    )


class PepptalkOAuthFlow(AsyncOAuthFlow):
    """Bolt's flow with Pepptalk's own install page, and a page rather than a server error when
    Slack cannot be reached to finish an install."""

    async def handle_callback(self, request: AsyncBoltRequest) -> BoltResponse:
        try:
            return await super().handle_callback(request)
        except (TimeoutError, aiohttp.ClientError) as error:
            log.warning("Slack could not be reached to finish an install: %r", error)
            return await self.failure_handler(
                AsyncFailureArgs(
                    request=request,
                    reason="slack_unreachable",
                    suggested_status_code=503,
                    settings=self.settings,
                    default=self.default_callback_options,
                )
            )

    async def build_install_page_html(self, url: str, request: AsyncBoltRequest) -> str:
        copy = copy_for(language_of(request))
        return page(
            copy,
            title=copy("install.title"),
            body=copy("install.intro"),
            link=(url, copy("install.add")),
            status=200,
        ).body


# Where an organisation's admins add an org-wide app to its workspaces (until they do, it is in
# none of them).
ADD_TO_WORKSPACES = (
    "https://app.slack.com/manage/{enterprise}/integrations/profile/{app}/workspaces/add"
)


async def installed(args: AsyncSuccessArgs) -> BoltResponse:
    """The install went through: say where Pepptalk now is (org-wide: what is left to do)."""
    installation = args.installation
    copy = copy_for(language_of(args.request))
    if installation.is_enterprise_install:
        log.info("Slack: installed org-wide in organisation %s", installation.enterprise_id)
        organisation = installation.enterprise_name or installation.enterprise_id or "Slack"
        link = ADD_TO_WORKSPACES.format(
            enterprise=installation.enterprise_id, app=installation.app_id
        )
        return page(
            copy,
            title=copy("install.done_title"),
            body=copy("install.done_org", organisation=organisation),
            link=(link, copy("install.add_workspaces")) if installation.app_id else None,
            status=200,
        )
    log.info("Slack: installed in workspace %s", installation.team_id)
    workspace = installation.team_name or installation.team_id or "Slack"
    return page(
        copy,
        title=copy("install.done_title"),
        body=copy("install.done", workspace=workspace),
        link=None,
        status=200,
    )


async def not_installed(args: AsyncFailureArgs) -> BoltResponse:
    """The install did not go through: say why in a sentence, and offer to start again."""
    key, status = FAILURES.get(args.reason, ("install.refused", 400))
    log.info("Slack: an install did not go through (%s)", args.reason)
    copy = copy_for(language_of(args.request))
    return page(
        copy,
        title=copy("install.failed_title"),
        body=copy(key),
        link=(INSTALL_PATH, copy("install.again")),
        status=status,
    )


def oauth_settings(
    *,
    client_id: str,
    client_secret: str,
    authorization_url: str,
    installation_store: PepptalkInstallationStore,
    state_store: PepptalkStateStore,
    authorize: InstalledWorkspaceAuthorize,
    scopes: Sequence[str] = BOT_SCOPES,
) -> AsyncOAuthSettings:
    """Bolt's OAuth settings on Pepptalk's stores, pages and authorize."""
    settings = AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(scopes),
        user_scopes=[],
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=authorization_url,
        installation_store=installation_store,
        state_store=state_store,
        state_expiration_seconds=STATE_SECONDS,
        callback_options=AsyncCallbackOptions(success=installed, failure=not_installed),
        logger=log,
    )
    # Bolt's default authorize rotates tokens through slack.com whatever SLACK_API_URL says, and
    # apart from the sender's clients; this one shares the sender's, so a token rotates once.
    settings.authorize = authorize
    return settings
