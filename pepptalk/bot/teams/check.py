"""Whether the Teams credentials get a token: what `pepptalk doctor` asks of Microsoft's login."""

from __future__ import annotations

from urllib.parse import urlsplit

from pepptalk.bot.config import Settings
from pepptalk.bot.teams.adapter import bot_config
from pepptalk.bot.teams.auth import ThreadedCredentialsFactory


async def token_check(settings: Settings) -> str:
    """Fetch one token for the bot, as sending a message would; where it came from. Raises
    what the login server (or the way to it) said."""
    config = bot_config(settings)
    if not config.APP_ID:
        return "authentication off (MICROSOFT_APP_ID is empty): for local use only"
    factory = ThreadedCredentialsFactory(config)
    login = config.TO_CHANNEL_FROM_BOT_LOGIN_URL or ""
    credentials = await factory.create_credentials(
        config.APP_ID,
        config.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE or "",
        login,
        config.VALIDATE_AUTHORITY,
    )
    await credentials.token()
    return f"a token from {urlsplit(login).netloc}"
