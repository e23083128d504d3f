"""The Bot Framework CloudAdapter, configured from Pepptalk's settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botframework.connector.auth import AuthenticationConstants as Public
from botframework.connector.auth import CallerIdConstants

from pepptalk.bot.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BotConfig:
    """The configuration object botbuilder reads its settings from, by attribute name."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str
    # Set only when the token keys come from elsewhere: botbuilder then wants every endpoint
    # spelled out, so they are filled with the public cloud's own values.
    TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: str | None = None
    TO_BOT_FROM_CHANNEL_TOKEN_ISSUER: str | None = None
    TO_CHANNEL_FROM_BOT_LOGIN_URL: str | None = None
    TO_CHANNEL_FROM_BOT_OAUTH_SCOPE: str | None = None
    TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL: str | None = None
    OAUTH_URL: str | None = None
    CALLER_ID: str | None = None


def bot_config(settings: Settings) -> BotConfig:
    """Botbuilder's view of the MICROSOFT_APP_* settings. An empty app id turns auth off."""
    password = settings.microsoft_app_password
    tenant = settings.microsoft_app_tenant_id or ""
    config = BotConfig(
        APP_ID=settings.microsoft_app_id or "",
        APP_PASSWORD=password.get_secret_value() if password else "",
        APP_TYPE=settings.microsoft_app_type,
        APP_TENANTID=tenant,
    )
    if not settings.microsoft_openid_metadata_url:
        return config
    return replace(
        config,
        TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=settings.microsoft_openid_metadata_url,
        TO_BOT_FROM_CHANNEL_TOKEN_ISSUER=Public.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
        TO_CHANNEL_FROM_BOT_LOGIN_URL=Public.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX
        + (tenant or Public.DEFAULT_CHANNEL_AUTH_TENANT),
        TO_CHANNEL_FROM_BOT_OAUTH_SCOPE=Public.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
        TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL=Public.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
        OAUTH_URL=Public.OAUTH_URL,
        CALLER_ID=CallerIdConstants.public_azure_channel,
    )


def create_adapter(settings: Settings) -> CloudAdapter:
    """A CloudAdapter that logs turn errors instead of showing them to people."""
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(bot_config(settings)))

    async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
        log.error("Teams turn failed", exc_info=error)

    adapter.on_turn_error = on_turn_error
    return adapter
