"""Settings, from the environment and a .env file."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pepptalk.core.privacy import Policy

SLACK_API_DEFAULT = "https://slack.com/api/"
SLACK_AUTHORIZE_DEFAULT = "https://slack.com/oauth/v2/authorize"
SLACK_OPENID_DEFAULT = "https://slack.com/openid/connect/"
HUBSPOT_API_DEFAULT = "https://api.hubapi.com"
PIPEDRIVE_API_DEFAULT = "https://{domain}.pipedrive.com"
SALESFORCE_LOGIN_DEFAULT = "https://login.salesforce.com"
CRM_DEFAULTS = {
    "HUBSPOT_API_URL": HUBSPOT_API_DEFAULT,
    "PIPEDRIVE_API_URL": PIPEDRIVE_API_DEFAULT,
    "SALESFORCE_LOGIN_URL": SALESFORCE_LOGIN_DEFAULT,
}
NEW_KEY = (
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


def encryption_keys(value: str) -> list[str]:
    """The comma-separated Fernet keys of PEPPTALK_ENCRYPTION_KEY, newest first."""
    keys = [key.strip() for key in value.split(",") if key.strip()]
    if not keys:
        raise ValueError(f"PEPPTALK_ENCRYPTION_KEY is empty; make a key with {NEW_KEY}")
    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            # The key itself is a secret: say which one, never what it is.
            raise ValueError(
                f"PEPPTALK_ENCRYPTION_KEY: key {number} is not a Fernet key (32 url-safe "
                f"base64-encoded bytes); make one with {NEW_KEY}"
            ) from None
    return keys


def async_database_url(url: str) -> str:
    """The URL operators write, with the async driver SQLAlchemy needs filled in."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(
            "DATABASE_URL must look like sqlite:///pepptalk.db or postgresql://host/db"
        )
    base = scheme.split("+")[0].lower()
    if base == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    if base in ("postgres", "postgresql"):
        return f"postgresql+asyncpg://{rest}"
    raise ValueError(f"DATABASE_URL scheme {scheme!r} is not supported: use sqlite or postgresql")


class Settings(BaseSettings):
    """Everything an operator can set."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = "sqlite:///pepptalk.db"
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = SLACK_API_DEFAULT
    # Many workspaces: the app's OAuth credentials, and the keys that encrypt stored tokens.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    pepptalk_encryption_key: SecretStr | None = None
    # Where "Add to Slack" sends the browser; tests point it at a local fake.
    slack_authorize_url: str = SLACK_AUTHORIZE_DEFAULT
    # Where "Sign in with Slack" sends the browser (`authorize`) and finds Slack's keys (`keys`);
    # tests point it at a local fake.
    slack_openid_url: str = SLACK_OPENID_DEFAULT
    microsoft_app_id: str | None = None
    microsoft_app_password: SecretStr | None = None
    microsoft_app_tenant_id: str | None = None
    microsoft_app_type: str = "MultiTenant"
    # Where Bot Framework publishes its token keys; tests point it at a local server.
    microsoft_openid_metadata_url: str | None = None
    # Where the bot gets its tokens to call Teams, tenant included; tests point it at a local
    # server (it must be https: MSAL takes nothing else).
    microsoft_login_url: str | None = None
    # The CRMs' addresses (tests point them at local fakes; only https:// outside this machine)
    # and the Salesforce connected app that leaders sign in through.
    hubspot_api_url: str = HUBSPOT_API_DEFAULT
    pipedrive_api_url: str = PIPEDRIVE_API_DEFAULT
    salesforce_login_url: str = SALESFORCE_LOGIN_DEFAULT
    salesforce_client_id: str | None = None
    salesforce_client_secret: SecretStr | None = None
    port: int = 3000
    host: str = "0.0.0.0"  # noqa: S104 - a server is meant to be reachable; set HOST to narrow it
    pepptalk_playground: bool = False
    playground_database_url: str = "sqlite:///pepptalk-demo.db"
    playground_port: int = 3001
    # How long notes are kept, in days; and Pepptalk's public address, for links people open
    # outside the chat (an export's one-time download in Teams).
    retention_days: int = Field(default=365, ge=1)
    public_url: str | None = None
    # `debug` also lets the libraries underneath speak below WARNING.
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["text", "json"] = "text"

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("database_url", "playground_database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        async_database_url(value)
        return value

    @field_validator("microsoft_login_url")
    @classmethod
    def _login_url_is_https(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError("MICROSOFT_LOGIN_URL must be an https:// URL")
        return value

    @field_validator("hubspot_api_url", "pipedrive_api_url", "salesforce_login_url")
    @classmethod
    def _crm_url_is_https(cls, value: str, info: ValidationInfo) -> str:
        # A CRM key must never cross a network in the clear; plain http only to this machine.
        host = urlsplit(value.replace("{domain}", "x")).hostname or ""
        local = value.startswith("http://") and host in ("127.0.0.1", "localhost", "::1")
        if not (value.startswith("https://") or local):
            name = (info.field_name or "").upper()
            raise ValueError(f"{name} must be an https:// URL, like {CRM_DEFAULTS[name]}")
        if info.field_name == "pipedrive_api_url" and "{domain}" not in value:
            raise ValueError(
                f"PIPEDRIVE_API_URL must hold {{domain}} where the company domain goes, like "
                f"{PIPEDRIVE_API_DEFAULT}"
            )
        return value.rstrip("/")

    @field_validator("slack_openid_url")
    @classmethod
    def _openid_url_is_https(cls, value: str) -> str:
        # The keys that prove who signed in must not come over a network in the clear.
        host = urlsplit(value).hostname or ""
        local = value.startswith("http://") and host in ("127.0.0.1", "localhost", "::1")
        if not (value.startswith("https://") or local):
            raise ValueError(
                f"SLACK_OPENID_URL must be an https:// URL, like {SLACK_OPENID_DEFAULT}"
            )
        return value if value.endswith("/") else f"{value}/"

    @field_validator("public_url")
    @classmethod
    def _public_url_is_http(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("https://", "http://")):
            raise ValueError(
                "PUBLIC_URL must be the address people reach Pepptalk at, like https://pepptalk.example.com"
            )
        return value.rstrip("/")

    @property
    def policy(self) -> Policy:
        """The privacy settings the habits follow."""
        return Policy(retention_days=self.retention_days, public_url=self.public_url)

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_ends_with_slash(cls, value: str) -> str:
        return value if value.endswith("/") else f"{value}/"

    @field_validator("pepptalk_encryption_key")
    @classmethod
    def _keys_are_fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            encryption_keys(value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _oauth_is_complete(self) -> Settings:
        if (self.slack_client_id is None) != (self.slack_client_secret is None):
            missing = (
                "SLACK_CLIENT_SECRET" if self.slack_client_secret is None else "SLACK_CLIENT_ID"
            )
            raise ValueError(
                f"{missing} is missing: many workspaces need both SLACK_CLIENT_ID and "
                "SLACK_CLIENT_SECRET (Basic Information in the Slack app's settings)"
            )
        if (self.salesforce_client_id is None) != (self.salesforce_client_secret is None):
            missing = (
                "SALESFORCE_CLIENT_SECRET"
                if self.salesforce_client_secret is None
                else "SALESFORCE_CLIENT_ID"
            )
            raise ValueError(
                f"{missing} is missing: Salesforce needs both SALESFORCE_CLIENT_ID and "
                "SALESFORCE_CLIENT_SECRET (the connected app's consumer key and secret)"
            )
        if self.slack_oauth_enabled and self.pepptalk_encryption_key is None:
            raise ValueError(
                "PEPPTALK_ENCRYPTION_KEY is required with SLACK_CLIENT_ID and "
                f"SLACK_CLIENT_SECRET: it encrypts each workspace's tokens; make one with {NEW_KEY}"
            )
        return self

    @property
    def slack_oauth_enabled(self) -> bool:
        """Whether Slack runs as a multi-workspace app (installs through OAuth)."""
        return self.slack_client_id is not None and self.slack_client_secret is not None

    @property
    def encryption_keys(self) -> list[str]:
        """PEPPTALK_ENCRYPTION_KEY's keys, newest first (none when unset)."""
        key = self.pepptalk_encryption_key
        return encryption_keys(key.get_secret_value()) if key is not None else []

    @property
    def async_database_url(self) -> str:
        """DATABASE_URL with its async driver."""
        return async_database_url(self.database_url)

    @property
    def has_credentials(self) -> bool:
        """Whether any chat platform's credentials are set."""
        return self.slack_enabled or self.teams_enabled

    @property
    def teams_enabled(self) -> bool:
        """Whether Teams is configured (an empty MICROSOFT_APP_ID: local use without auth)."""
        return self.microsoft_app_id is not None

    @property
    def slack_enabled(self) -> bool:
        """Whether Slack credentials are set: a bot token, or the app's OAuth credentials."""
        has_tokens = self.slack_bot_token is not None or self.slack_oauth_enabled
        return has_tokens and (
            self.slack_signing_secret is not None or self.slack_app_token is not None
        )
