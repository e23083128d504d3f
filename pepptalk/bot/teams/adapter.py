"""The Bot Framework CloudAdapter, configured from Pepptalk's settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

from pepptalk.bot.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BotConfig:
    """The configuration object botbuilder reads its settings from, by attribute name."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str
    TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: str | None = None


def bot_config(settings: Settings) -> BotConfig:
    """Botbuilder's view of the MICROSOFT_APP_* settings. An empty app id turns auth off."""
    password = settings.microsoft_app_password
    return BotConfig(
        APP_ID=settings.microsoft_app_id or "",
        APP_PASSWORD=password.get_secret_value() if password else "",
        APP_TYPE=settings.microsoft_app_type,
        APP_TENANTID=settings.microsoft_app_tenant_id or "",
        TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=settings.microsoft_openid_metadata_url,
    )


def create_adapter(settings: Settings) -> CloudAdapter:
    """A CloudAdapter that logs turn errors instead of showing them to people."""
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(bot_config(settings)))

    async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
        log.error("Teams turn failed", exc_info=error)

    adapter.on_turn_error = on_turn_error
    return adapter
