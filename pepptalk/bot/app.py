"""The one place Pepptalk is put together, so tests can build it whole with fakes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from pepptalk.bot.chats import PlatformChats
from pepptalk.bot.cipher import TokenCipher
from pepptalk.bot.config import Settings, async_database_url
from pepptalk.bot.crm.access import crm_parts
from pepptalk.bot.history.pages import HistoryPages, SignInWays
from pepptalk.bot.history.signin import history_signin
from pepptalk.bot.playground.history import PlaygroundVisitors
from pepptalk.bot.playground.site import Playground, open_playground
from pepptalk.bot.services import Clock, Services, system_clock
from pepptalk.bot.slack.after_ack import AfterAck
from pepptalk.bot.slack.app import create_bolt_app
from pepptalk.bot.slack.chat import SlackChat
from pepptalk.bot.slack.clients import InstalledWorkspaceAuthorize, SlackInstalls, WorkspaceClients
from pepptalk.bot.slack.endpoint import SlackEndpoint
from pepptalk.bot.slack.installs import WEB_API_LOG, PepptalkInstallationStore, PepptalkStateStore
from pepptalk.bot.slack.oauth import STATE_SECONDS, oauth_settings
from pepptalk.bot.teams.adapter import create_adapter
from pepptalk.bot.teams.bot import PepptalkTeamsBot
from pepptalk.bot.teams.chat import TeamsChat
from pepptalk.bot.teams.endpoint import TeamsEndpoint
from pepptalk.bot.web import create_web_app
from pepptalk.core.kinds import Platform
from pepptalk.core.ports import Chat
from pepptalk.handlers.registry import REGISTRY
from pepptalk.store.database import Database, open_database


@dataclass
class Pepptalk:
    """Everything a running Pepptalk is made of."""

    settings: Settings
    database: Database
    services: Services
    bolt: AsyncApp | None
    web: web.Application
    playground: Playground | None = None
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def close(self) -> None:
        """Stop the work under way beside the tick (a sync resumes from its last page next
        time), then release connections."""
        working = [task for task in self.services.working.values() if not task.done()]
        for task in working:
            task.cancel()
        await asyncio.gather(*working, return_exceptions=True)
        for closer in self.closers:
            await closer()
        await self.database.close()


def slack_client(settings: Settings) -> AsyncWebClient:
    """The Web API client, pointed at SLACK_API_URL: with SLACK_BOT_TOKEN in single-workspace
    mode; with no token for many workspaces (each has its own)."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    if settings.slack_oauth_enabled:
        token = None
    return AsyncWebClient(
        token=token, base_url=settings.slack_api_url, timeout=10, logger=WEB_API_LOG
    )


@dataclass(frozen=True)
class SlackParts:
    """How Slack is reached: the base client, each workspace's client, and, with many
    workspaces, the OAuth settings."""

    client: AsyncWebClient
    installs: SlackInstalls
    oauth: AsyncOAuthSettings | None


def slack_parts(settings: Settings, database: Database, clock: Clock) -> SlackParts:
    """Single workspace (SLACK_BOT_TOKEN) or many (SLACK_CLIENT_ID/SECRET, tokens encrypted)."""
    client = slack_client(settings)
    if not settings.slack_oauth_enabled:
        clients = WorkspaceClients(client)
        return SlackParts(client, SlackInstalls(database, clients), None)
    client_id = settings.slack_client_id or ""
    secret = settings.slack_client_secret.get_secret_value() if settings.slack_client_secret else ""
    store = PepptalkInstallationStore(
        database=database, cipher=TokenCipher(settings.encryption_keys), clock=clock
    )
    rotator = AsyncTokenRotator(client_id=client_id, client_secret=secret, client=client)
    clients = WorkspaceClients(client, store=store, rotator=rotator)
    authorize = InstalledWorkspaceAuthorize(clients)
    oauth = oauth_settings(
        client_id=client_id,
        client_secret=secret,
        authorization_url=settings.slack_authorize_url,
        installation_store=store,
        state_store=PepptalkStateStore(
            database=database, clock=clock, expiration_seconds=STATE_SECONDS
        ),
        authorize=authorize,
    )
    return SlackParts(client, SlackInstalls(database, clients, authorize), oauth)


async def create_app(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    chat: Chat | None = None,
    database: Database | None = None,
) -> Pepptalk:
    """Build Pepptalk: database (migrated; or `database`, migrated already), services, the
    Slack app, the web server."""
    database = database or await open_database(settings.async_database_url)
    bolt: AsyncApp | None = None
    slack = slack_parts(settings, database, clock)
    chats: dict[Platform, Chat] = {}
    if settings.slack_enabled:
        chats[Platform.SLACK] = SlackChat(slack.installs.clients)
    teams: TeamsEndpoint | None = None
    if settings.teams_enabled:
        adapter = create_adapter(settings)
        chats[Platform.TEAMS] = TeamsChat(adapter, database, settings.microsoft_app_id or "", clock)
    crm = crm_parts(settings)
    services = Services(
        database=database,
        chat=chat or PlatformChats(chats),
        registry=REGISTRY,
        clock=clock,
        policy=replace(settings.policy, crm=crm.access),
    )
    if settings.teams_enabled:
        teams = TeamsEndpoint(adapter=adapter, bot=PepptalkTeamsBot(services))
    secret = settings.slack_signing_secret
    later = AfterAck()
    if settings.slack_enabled:
        bolt = create_bolt_app(
            client=slack.client,
            signing_secret=secret.get_secret_value() if secret else None,
            services=services,
            after_ack=later,
            installs=slack.installs,
            oauth=slack.oauth,
        )
    # Without a signing secret nothing could prove a request came from Slack: no HTTP route then.
    endpoint = (
        SlackEndpoint(bolt, secret.get_secret_value())
        if bolt is not None and secret is not None
        else None
    )
    signin = history_signin(settings, services)
    history = HistoryPages(
        services=services,
        visitors=signin.sessions,
        ways=SignInWays(slack=signin.offers("slack"), microsoft=signin.offers("microsoft")),
    )
    return Pepptalk(
        settings=settings,
        database=database,
        services=services,
        bolt=bolt,
        web=create_web_app(
            services=services,
            slack=endpoint,
            teams=teams,
            crm=crm,
            history=history,
            signin=signin,
        ),
        closers=[later.close, slack.installs.clients.close, crm.close],
    )


async def create_playground(settings: Settings, *, real_clock: Clock = system_clock) -> Pepptalk:
    """Build the local playground: its own database (seeded once), an inbox, a movable clock."""
    database = await open_database(async_database_url(settings.playground_database_url))
    playground = await open_playground(
        database, real_clock=real_clock, policy=settings.policy, keys=settings.encryption_keys
    )
    return Pepptalk(
        settings=settings,
        database=database,
        services=playground.services,
        bolt=None,
        web=create_web_app(
            services=playground.services,
            slack=None,
            playground=playground,
            history=HistoryPages(
                services=playground.services,
                visitors=PlaygroundVisitors(playground),
                ways=SignInWays(slack=False, microsoft=False, playground=True),
            ),
        ),
        playground=playground,
        closers=[playground.inbox.flush],
    )
