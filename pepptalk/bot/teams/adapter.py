"""The Bot Framework CloudAdapter, configured from Pepptalk's settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from azure.core.exceptions import DeserializationError
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botframework.connector.auth import AuthenticationConstants as Public
from botframework.connector.auth import CallerIdConstants
from msrest.exceptions import HttpOperationError

from pepptalk.bot.config import Settings
from pepptalk.bot.teams.auth import ThreadedCredentialsFactory, use_threaded_keys
from pepptalk.bot.teams.chat import NETWORK_ERRORS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BotConfig:
    """The configuration object botbuilder reads its settings from, by attribute name."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str
    # With authentication on, every endpoint is spelled out (the public cloud's unless settings
    # say otherwise): botbuilder then checks tokens against exactly these two key URLs, whose
    # cache entries fetch off the loop, whether in production or against the tests' servers.
    TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: str | None = None
    TO_BOT_FROM_CHANNEL_TOKEN_ISSUER: str | None = None
    TO_CHANNEL_FROM_BOT_LOGIN_URL: str | None = None
    TO_CHANNEL_FROM_BOT_OAUTH_SCOPE: str | None = None
    TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL: str | None = None
    OAUTH_URL: str | None = None
    CALLER_ID: str | None = None
    # Microsoft's login hosts are checked against its list; a login URL set in the settings (a
    # local server in tests) is one the operator vouches for.
    VALIDATE_AUTHORITY: bool = True


def bot_config(settings: Settings) -> BotConfig:
    """Botbuilder's view of the MICROSOFT_* settings. An empty app id turns auth off."""
    password = settings.microsoft_app_password
    tenant = settings.microsoft_app_tenant_id or ""
    config = BotConfig(
        APP_ID=settings.microsoft_app_id or "",
        APP_PASSWORD=password.get_secret_value() if password else "",
        APP_TYPE=settings.microsoft_app_type,
        APP_TENANTID=tenant,
    )
    if not config.APP_ID:
        # Botbuilder's built-in path: its spelled-out one refuses the empty Authorization header
        # the CloudAdapter passes on, even with authentication off.
        return config
    login = Public.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX + (
        tenant or Public.DEFAULT_CHANNEL_AUTH_TENANT
    )
    return replace(
        config,
        TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=settings.microsoft_openid_metadata_url
        or Public.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
        TO_BOT_FROM_CHANNEL_TOKEN_ISSUER=Public.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
        TO_CHANNEL_FROM_BOT_LOGIN_URL=settings.microsoft_login_url or login,
        TO_CHANNEL_FROM_BOT_OAUTH_SCOPE=Public.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
        TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL=Public.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
        OAUTH_URL=Public.OAUTH_URL,
        CALLER_ID=CallerIdConstants.public_azure_channel,
        VALIDATE_AUTHORITY=not settings.microsoft_login_url,
    )


def create_adapter(settings: Settings) -> CloudAdapter:
    """A CloudAdapter that never blocks the loop on Microsoft's endpoints, and logs turn errors
    instead of showing them to people."""
    config = bot_config(settings)
    # The built-in path (authentication off) reads the same public URLs, as constants.
    use_threaded_keys(
        config.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
        or Public.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
        config.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL
        or Public.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
    )
    adapter = CloudAdapter(
        ConfigurationBotFrameworkAuthentication(
            config, credentials_factory=ThreadedCredentialsFactory(config)
        )
    )

    async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
        if isinstance(
            error, (HttpOperationError, DeserializationError, UnicodeError, *NETWORK_ERRORS)
        ):
            # Teams said no (an unknown member or conversation) or could not be reached: the
            # turn's input or the network, not a bug of ours; one line, no traceback.
            log.warning("Teams turn ended: the connector refused or was unreachable: %s", error)
            return
        log.error("Teams turn failed", exc_info=error)

    adapter.on_turn_error = on_turn_error
    return adapter
