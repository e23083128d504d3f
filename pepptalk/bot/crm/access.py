"""The CRMs the operator's settings reach, put together once for the habits: a source per CRM
and the sealer that keeps their secrets encrypted with PEPPTALK_ENCRYPTION_KEY."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from pepptalk.bot.cipher import TokenCipher, UnreadableSecretError
from pepptalk.bot.config import Settings
from pepptalk.bot.crm.http import Sleep
from pepptalk.bot.crm.hubspot import HubSpotSource
from pepptalk.bot.crm.pipedrive import PipedriveSource
from pepptalk.bot.crm.salesforce import SalesforceSource
from pepptalk.core.crm import CrmAccess, CrmKind, CrmSource

START_ROUTE = "/crm/salesforce/start"
CALLBACK_ROUTE = "/crm/salesforce/callback"


class CipherSealer:
    """Seals CRM secrets with the same keys, and the same rotation, as Slack's tokens."""

    def __init__(self, cipher: TokenCipher) -> None:
        self._cipher = cipher

    def seal(self, plaintext: str) -> str:
        """Ciphertext under the newest key."""
        return self._cipher.encrypt(plaintext)

    def open(self, ciphertext: str) -> str:
        """The plaintext; a ValueError when no key opens it."""
        try:
            return self._cipher.decrypt(ciphertext).plaintext
        except UnreadableSecretError as error:
            raise ValueError(str(error)) from None


@dataclass
class CrmParts:
    """The CRM access the habits get, the Salesforce source the sign-in routes use, and what
    to close at the end."""

    access: CrmAccess
    salesforce: SalesforceSource | None = None
    sources: list[HubSpotSource | PipedriveSource | SalesforceSource] = field(default_factory=list)

    async def close(self) -> None:
        """Release every source's connections."""
        for source in self.sources:
            await source.close()


def crm_parts(settings: Settings, *, sleep: Sleep = asyncio.sleep) -> CrmParts:
    """Sources for HubSpot and Pipedrive always; Salesforce with its connected app's
    credentials; a sealer when PEPPTALK_ENCRYPTION_KEY is set."""
    hubspot = HubSpotSource(base_url=settings.hubspot_api_url, sleep=sleep)
    pipedrive = PipedriveSource(base_url=settings.pipedrive_api_url, sleep=sleep)
    sources: dict[CrmKind, CrmSource] = {CrmKind.HUBSPOT: hubspot, CrmKind.PIPEDRIVE: pipedrive}
    opened: list[HubSpotSource | PipedriveSource | SalesforceSource] = [hubspot, pipedrive]
    salesforce = None
    secret = settings.salesforce_client_secret
    if settings.salesforce_client_id and secret is not None:
        salesforce = SalesforceSource(
            login_url=settings.salesforce_login_url,
            client_id=settings.salesforce_client_id,
            client_secret=secret.get_secret_value(),
            sleep=sleep,
        )
        sources[CrmKind.SALESFORCE] = salesforce
        opened.append(salesforce)
    keys = settings.encryption_keys
    sealer = CipherSealer(TokenCipher(keys)) if keys else None
    start = (
        f"{settings.public_url}{START_ROUTE}"
        if salesforce is not None and settings.public_url
        else None
    )
    access = CrmAccess(sources=sources, sealer=sealer, salesforce_start_url=start)
    return CrmParts(access=access, salesforce=salesforce, sources=opened)
