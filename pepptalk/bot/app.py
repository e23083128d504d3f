"""The one place Pepptalk is put together, so tests can build it whole with fakes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from pepptalk.bot.chats import PlatformChats
from pepptalk.bot.config import Settings, async_database_url
from pepptalk.bot.playground.chat import PlaygroundChat
from pepptalk.bot.playground.clock import PlaygroundClock
from pepptalk.bot.playground.inbox import Inbox
from pepptalk.bot.playground.seed import CAST, directory, seed_demo
from pepptalk.bot.playground.web import Playground
from pepptalk.bot.services import Clock, Services, system_clock
from pepptalk.bot.slack.after_ack import AfterAck
from pepptalk.bot.slack.app import create_bolt_app
from pepptalk.bot.slack.chat import SlackChat
from pepptalk.bot.slack.endpoint import SlackEndpoint
from pepptalk.bot.teams.adapter import create_adapter
from pepptalk.bot.teams.bot import PepptalkTeamsBot
from pepptalk.bot.teams.chat import TeamsChat
from pepptalk.bot.teams.endpoint import TeamsEndpoint
from pepptalk.bot.web import create_web_app
from pepptalk.core.calendar import zone
from pepptalk.core.kinds import Platform
from pepptalk.core.ports import Chat
from pepptalk.handlers.registry import REGISTRY
from pepptalk.store.database import Database, open_database

DEMO_ZONE = "Europe/Oslo"


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
        """Release connections."""
        for closer in self.closers:
            await closer()
        await self.database.close()


def slack_client(settings: Settings) -> AsyncWebClient:
    """The Web API client, pointed at SLACK_API_URL."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(token=token, base_url=settings.slack_api_url, timeout=10)


async def create_app(
    settings: Settings, *, clock: Clock = system_clock, chat: Chat | None = None
) -> Pepptalk:
    """Build Pepptalk: database (migrated), services, the Slack app, the web server."""
    database = await open_database(settings.async_database_url)
    bolt: AsyncApp | None = None
    client = slack_client(settings)
    chats: dict[Platform, Chat] = {}
    if settings.slack_enabled:
        chats[Platform.SLACK] = SlackChat(client)
    teams: TeamsEndpoint | None = None
    if settings.teams_enabled:
        adapter = create_adapter(settings)
        chats[Platform.TEAMS] = TeamsChat(adapter, database, settings.microsoft_app_id or "", clock)
    services = Services(
        database=database, chat=chat or PlatformChats(chats), registry=REGISTRY, clock=clock
    )
    if settings.teams_enabled:
        teams = TeamsEndpoint(adapter=adapter, bot=PepptalkTeamsBot(services))
    secret = settings.slack_signing_secret
    later = AfterAck()
    if settings.slack_enabled:
        bolt = create_bolt_app(
            client=client,
            signing_secret=secret.get_secret_value() if secret else None,
            services=services,
            after_ack=later,
        )
    # Without a signing secret nothing could prove a request came from Slack: no HTTP route then.
    slack = (
        SlackEndpoint(bolt, secret.get_secret_value())
        if bolt is not None and secret is not None
        else None
    )
    return Pepptalk(
        settings=settings,
        database=database,
        services=services,
        bolt=bolt,
        web=create_web_app(services=services, slack=slack, teams=teams),
        closers=[later.close],
    )


async def create_playground(settings: Settings, *, real_clock: Clock = system_clock) -> Pepptalk:
    """Build the local playground: its own database (seeded once), an inbox, a movable clock."""
    database = await open_database(async_database_url(settings.playground_database_url))
    clock = PlaygroundClock(zone(DEMO_ZONE), real_clock)
    await seed_demo(database, today=clock.local().date())
    inbox = Inbox()
    chat = PlaygroundChat(inbox, directory(), clock)
    services = Services(database=database, chat=chat, registry=REGISTRY, clock=clock)
    playground = Playground(services=services, inbox=inbox, clock=clock, cast=CAST)
    return Pepptalk(
        settings=settings,
        database=database,
        services=services,
        bolt=None,
        web=create_web_app(services=services, slack=None, playground=playground),
        playground=playground,
    )
