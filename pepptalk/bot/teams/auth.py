"""Bot Framework's signing keys and the bot's access tokens, fetched off the event loop.

botbuilder 4.x fetches both with blocking HTTP inside its async code: the OpenID metadata and the
signing keys with `requests.get` and no timeout (`_OpenIdMetadata` in
botframework/connector/auth/jwt_token_extractor.py, once a day and on an unknown key), and the
bot's token with MSAL (`MicrosoftAppCredentials.get_access_token`, which msrest calls from the
synchronous `signed_session` before every connector call). A slow Microsoft endpoint would then
freeze Slack, the schedule and the playground with Teams. Here both run in a worker thread, with
a bounded wait, and callers who arrive while a fetch runs share it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import requests
from botbuilder.integration.aiohttp import ConfigurationServiceClientCredentialFactory
from botframework.connector.auth import (
    JwtTokenExtractor,
    MicrosoftAppCredentials,
    ServiceClientCredentialsFactory,
)
from jwt.algorithms import RSAAlgorithm
from msal import ConfidentialClientApplication  # type: ignore[import-untyped]
from msrest.pipeline.async_abc import AsyncHTTPPolicy

log = logging.getLogger(__name__)
T = TypeVar("T")

# Teams gives up on a bot that takes about 15 s to answer; the keys must come well within that.
KEYS_TIMEOUT = 10.0
TOKEN_TIMEOUT = 10.0
# As botbuilder does: keys are fetched again after a day, and at most hourly for an unknown key id.
KEYS_FRESH_FOR = 24 * 3600.0
UNKNOWN_KEY_LOOK_AGAIN = 3600.0
# After a failed refresh, the keys in hand serve this long before the next try.
RETRY_REFRESH_AFTER = 60.0


class KeysUnavailableError(PermissionError):
    """The signing keys could not be fetched, so no token can be checked: the request is refused."""


class _OneFetch(Generic[T]):
    """A blocking fetch run in a worker thread, one at a time: who asks while it runs shares it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._task: asyncio.Task[T] | None = None

    def start(
        self,
        fetch: Callable[[], T],
        *,
        when_done: Callable[[asyncio.Task[T]], object] | None = None,
    ) -> asyncio.Task[T]:
        """The running fetch, or a new one (`when_done` is called once it ends)."""
        loop = asyncio.get_running_loop()
        task = self._task
        if task is None or task.done() or task.get_loop() is not loop:
            task = loop.create_task(asyncio.wait_for(asyncio.to_thread(fetch), self.seconds))
            if when_done is not None:
                task.add_done_callback(when_done)
            self._task = task
        return task

    async def run(self, fetch: Callable[[], T]) -> T:
        """Wait for the fetch; a caller that gives up does not cancel it for the others."""
        return await asyncio.shield(self.start(fetch))


@dataclass(frozen=True)
class SigningKey:
    """What botbuilder's token check reads of a key: the key and the channels it is for."""

    public_key: Any
    endorsements: list[str]


def _fetch_keys(metadata_url: str) -> list[dict[str, Any]]:
    """The JSON Web Keys the OpenID metadata at `metadata_url` points to (blocking)."""
    metadata = requests.get(metadata_url, timeout=KEYS_TIMEOUT)
    metadata.raise_for_status()
    keys = requests.get(metadata.json()["jwks_uri"], timeout=KEYS_TIMEOUT)
    keys.raise_for_status()
    return list(keys.json()["keys"])


class SigningKeys:
    """Stands in for botbuilder's `_OpenIdMetadata` in its key cache (the same `get`), fetching
    in a thread. Keys past their day keep serving while fresh ones are fetched in the background;
    only the first fetch, and one for a key id not seen yet, hold a request up."""

    def __init__(self, url: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self._clock = clock
        self._keys: list[dict[str, Any]] = []
        self._fetched_at = -math.inf
        self._tried_at = -math.inf
        self._fetch: _OneFetch[list[dict[str, Any]]] = _OneFetch(KEYS_TIMEOUT)

    @property
    def age(self) -> float:
        """Seconds since the keys in hand were fetched (infinite before the first time)."""
        return self._clock() - self._fetched_at

    async def get(self, key_id: str | None) -> SigningKey:
        """The key a token names, fetching the keys when they are missing, old or lack it."""
        now = self._clock()
        if not self._keys:
            await self._refresh()
        elif now - self._fetched_at > KEYS_FRESH_FOR and now - self._tried_at > RETRY_REFRESH_AFTER:
            self._refresh_in_background()
        key = self._find(key_id)
        if key is None and self._clock() - self._tried_at > UNKNOWN_KEY_LOOK_AGAIN:
            await self._refresh()
            key = self._find(key_id)
        if key is None:
            raise PermissionError(f"no signing key {key_id!r} at {self.url}")
        return key

    def _find(self, key_id: str | None) -> SigningKey | None:
        for jwk in self._keys:
            if jwk.get("kid") == key_id:
                public_key = RSAAlgorithm.from_jwk(jwk)
                return SigningKey(public_key, list(jwk.get("endorsements") or []))
        return None

    def _begin(self) -> asyncio.Task[list[dict[str, Any]]]:
        self._tried_at = self._clock()
        return self._fetch.start(lambda: _fetch_keys(self.url), when_done=self._keep)

    def _keep(self, task: asyncio.Task[list[dict[str, Any]]]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.warning("Bot Framework's signing keys did not come from %s: %r", self.url, error)
            return
        self._keys, self._fetched_at = task.result(), self._clock()

    async def _refresh(self) -> None:
        try:
            await asyncio.shield(self._begin())
        except (TimeoutError, OSError, ValueError, KeyError, requests.RequestException) as error:
            raise KeysUnavailableError(
                f"no signing keys from {self.url} within {KEYS_TIMEOUT:g} s: {error!r}"
            ) from error

    def _refresh_in_background(self) -> None:
        self._begin()


def use_threaded_keys(*metadata_urls: str) -> None:
    """Put `SigningKeys` in botbuilder's key cache for these OpenID metadata URLs, so its token
    check takes them instead of building blocking ones. Kept across adapters, as botbuilder's."""
    cache = JwtTokenExtractor.metadataCache
    for url in metadata_urls:
        if not isinstance(cache.get(url), SigningKeys):
            cache[url] = SigningKeys(url)


class _TokenSource:
    """One app's credentials as botbuilder builds them (MSAL and its token cache inside), with
    their one token fetch."""

    def __init__(self, credentials: Any, *, validate_authority: bool) -> None:
        self.credentials = credentials
        self.validate_authority = validate_authority
        self._fetch: _OneFetch[str] = _OneFetch(TOKEN_TIMEOUT)

    async def token(self) -> str:
        """A token for the connector: MSAL's cached one, or a new one, fetched in a thread."""
        try:
            return await self._fetch.run(self._get)
        except TimeoutError as error:
            endpoint = getattr(self.credentials, "oauth_endpoint", "")
            raise TimeoutError(f"no token from {endpoint} within {TOKEN_TIMEOUT:g} s") from error

    def _get(self) -> str:
        credentials = self.credentials
        if isinstance(credentials, MicrosoftAppCredentials) and credentials.app is None:
            # Built here, as botbuilder would, but with a timeout on each HTTP call (so the thread
            # ends too) and honouring validate_authority, which botbuilder does not pass on.
            credentials.app = ConfidentialClientApplication(
                client_id=credentials.microsoft_app_id,
                client_credential=credentials.microsoft_app_password,
                authority=credentials.oauth_endpoint,
                validate_authority=self.validate_authority,
                timeout=TOKEN_TIMEOUT,
            )
        return str(credentials.get_access_token())


class _ThreadedCredentials(AsyncHTTPPolicy[Any, Any]):
    """Credentials for one connector client. Being an AsyncHTTPPolicy, msrest puts it in the
    pipeline as it is, instead of wrapping it in a policy that calls the blocking
    `signed_session` on the loop."""

    def __init__(self, source: _TokenSource) -> None:
        super().__init__()
        self._source = source

    def __getattr__(self, name: str) -> Any:
        # botbuilder reads the app id and scope off a connector client's credentials.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._source.credentials, name)

    async def token(self) -> str:
        """A token for the connector (fetched off the loop)."""
        return await self._source.token()

    async def send(self, request: Any, **kwargs: Any) -> Any:
        """Add the bearer token and pass the request on."""
        token = await self._source.token()
        request.http_request.headers["Authorization"] = f"Bearer {token}"
        if self.next is None:
            raise RuntimeError("credentials used outside a pipeline")
        return await self.next.send(request, **kwargs)

    def signed_session(self, session: Any = None) -> Any:
        """For a synchronous client (botbuilder's TeamsConnectorClient): it blocks on its own
        HTTP anyway, so the token is fetched the way botbuilder does."""
        return self._source.credentials.signed_session(session)


class ThreadedCredentialsFactory(ServiceClientCredentialsFactory):  # type: ignore[misc]
    """botbuilder's credentials for the configured app, with every token fetched in a thread.

    One token source per app, scope and login endpoint: botbuilder builds new credentials (and a
    new MSAL app, with an empty token cache) for every connector client, so without this every
    message would fetch a new token.
    """

    def __init__(self, configuration: Any) -> None:
        self._inner = ConfigurationServiceClientCredentialFactory(configuration)
        self._sources: dict[tuple[Any, ...], _TokenSource] = {}

    async def is_valid_app_id(self, app_id: str) -> bool:
        """Whether `app_id` is this bot's."""
        return bool(await self._inner.is_valid_app_id(app_id))

    async def is_authentication_disabled(self) -> bool:
        """Whether authentication is off (an empty app id)."""
        return bool(await self._inner.is_authentication_disabled())

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> Any:
        """Credentials whose token is fetched off the loop (as they are when auth is off)."""
        key = (app_id, oauth_scope, login_endpoint, validate_authority)
        source = self._sources.get(key)
        if source is None:
            credentials = await self._inner.create_credentials(
                app_id, oauth_scope, login_endpoint, validate_authority
            )
            if not getattr(credentials, "microsoft_app_id", None):
                return credentials  # authentication off: no token to fetch
            source = _TokenSource(credentials, validate_authority=validate_authority)
            self._sources[key] = source
        return _ThreadedCredentials(source)
