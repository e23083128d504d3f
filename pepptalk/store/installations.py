"""Slack installations and OAuth states, read and written in one unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pepptalk.core.kinds import DeliveryStatus, Platform
from pepptalk.store.installation_models import OAuthState, SlackInstallation
from pepptalk.store.models import Delivery, Team
from pepptalk.store.sql import changed, upsert


@dataclass(frozen=True)
class InstallationRecord:
    """What an install of the app in one workspace brought; the tokens as the caller gives them
    (the runtime hands in ciphertext)."""

    workspace_id: str
    bot_token: str
    enterprise_id: str | None = None
    team_name: str | None = None
    app_id: str | None = None
    bot_id: str | None = None
    bot_user_id: str | None = None
    bot_scopes: str = ""
    bot_refresh_token: str | None = None
    bot_token_expires_at: datetime | None = None
    installer_user_id: str | None = None


class InstallationRepository:
    """Where each workspace's install and the pending OAuth states live."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def save(self, record: InstallationRecord, *, now: datetime) -> None:
        """Store an install; a workspace that installs again has its row updated, never a
        second one."""
        values = {
            "workspace_id": record.workspace_id,
            "enterprise_id": record.enterprise_id,
            "team_name": record.team_name,
            "app_id": record.app_id,
            "bot_id": record.bot_id,
            "bot_user_id": record.bot_user_id,
            "bot_scopes": record.bot_scopes,
            "bot_token": record.bot_token,
            "bot_refresh_token": record.bot_refresh_token,
            "bot_token_expires_at": record.bot_token_expires_at,
            "installer_user_id": record.installer_user_id,
            "updated_at": now,
        }
        statement = upsert(self._session, SlackInstallation).values(installed_at=now, **values)
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[SlackInstallation.workspace_id],
                set_={k: v for k, v in values.items() if k != "workspace_id"},
            )
        )

    async def find(self, workspace_id: str) -> SlackInstallation | None:
        """The install in a workspace, if Pepptalk is installed there."""
        return await self._session.scalar(
            select(SlackInstallation).where(SlackInstallation.workspace_id == workspace_id)
        )

    async def stored_tokens(self) -> list[tuple[str, str]]:
        """Each installed workspace with its bot token as stored (ciphertext)."""
        rows = await self._session.execute(
            select(SlackInstallation.workspace_id, SlackInstallation.bot_token)
        )
        return [(workspace, token) for workspace, token in rows]

    async def remove(self, workspace_id: str, *, reason: str) -> int:
        """Forget a workspace's install (its tokens with it) and end its pending deliveries as
        failed with `reason`; its teams and history stay, so a reinstall finds them again.
        Returns how many deliveries were ended."""
        await self._session.execute(
            delete(SlackInstallation).where(SlackInstallation.workspace_id == workspace_id)
        )
        return await self.fail_pending(workspace_id, reason=reason)

    async def fail_pending(self, workspace_id: str, *, reason: str) -> int:
        """End a workspace's pending Slack deliveries as failed: nothing can reach it now."""
        result = await self._session.execute(
            update(Delivery)
            .where(
                Delivery.workspace_id == workspace_id,
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.team_id.in_(
                    select(Team.id).where(
                        Team.workspace_id == workspace_id, Team.platform == Platform.SLACK
                    )
                ),
            )
            .values(
                status=DeliveryStatus.FAILED,
                error=reason[:200],
                lease_owner=None,
                lease_until=None,
            )
        )
        return changed(result)

    async def issue_state(self, state: str, *, expires_at: datetime) -> None:
        """Remember a state handed to a browser."""
        self._session.add(OAuthState(state=state, expires_at=expires_at))

    async def consume_state(self, state: str, *, now: datetime) -> bool:
        """Use a state up: True only for a state issued here, not expired and not used before
        (one DELETE, so two replicas cannot both accept it)."""
        result = await self._session.execute(
            delete(OAuthState).where(OAuthState.state == state, OAuthState.expires_at > now)
        )
        return changed(result) == 1

    async def forget_states_before(self, when: datetime) -> None:
        """Drop expired states."""
        await self._session.execute(delete(OAuthState).where(OAuthState.expires_at <= when))
