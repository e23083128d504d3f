"""Slack installations, the workspaces of Enterprise Grid organisations, and OAuth states, read
and written in one unit of work."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pepptalk.core.kinds import DeliveryStatus, Platform
from pepptalk.store.installation_models import (
    ORG_WIDE,
    OAuthState,
    SlackInstallation,
    SlackOrgWorkspace,
)
from pepptalk.store.models import Delivery, Team
from pepptalk.store.sql import changed, upsert


@dataclass(frozen=True)
class InstallationRecord:
    """What an install of the app brought, in one workspace or (with no `workspace_id`) org-wide
    in an Enterprise Grid organisation; the tokens as the caller gives them (the runtime hands
    in ciphertext)."""

    workspace_id: str | None
    bot_token: str
    enterprise_id: str | None = None
    enterprise_name: str | None = None
    team_name: str | None = None
    app_id: str | None = None
    bot_id: str | None = None
    bot_user_id: str | None = None
    bot_scopes: str = ""
    bot_refresh_token: str | None = None
    bot_token_expires_at: datetime | None = None
    installer_user_id: str | None = None


class InstallationRepository:
    """Where each install, each organisation's workspaces and the pending OAuth states live."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def save(self, record: InstallationRecord, *, now: datetime) -> None:
        """Store an install; a workspace (or an organisation, org-wide) that installs again has
        its row updated, never a second one."""
        if record.workspace_id is None and not record.enterprise_id:
            raise ValueError("an org-wide install needs its enterprise id")
        values = {
            "workspace_id": record.workspace_id,
            "enterprise_id": record.enterprise_id,
            "enterprise_name": record.enterprise_name,
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
        if record.workspace_id is None:
            conflict = statement.on_conflict_do_update(
                index_elements=[SlackInstallation.enterprise_id],
                index_where=ORG_WIDE,
                set_={k: v for k, v in values.items() if k != "enterprise_id"},
            )
        else:
            conflict = statement.on_conflict_do_update(
                index_elements=[SlackInstallation.workspace_id],
                set_={k: v for k, v in values.items() if k != "workspace_id"},
            )
        await self._session.execute(conflict)

    async def find(self, workspace_id: str) -> SlackInstallation | None:
        """The install in a workspace of its own (not an organisation's), if there is one."""
        return await self._session.scalar(
            select(SlackInstallation).where(SlackInstallation.workspace_id == workspace_id)
        )

    async def find_org(self, enterprise_id: str) -> SlackInstallation | None:
        """An Enterprise Grid organisation's org-wide install, if it has one."""
        return await self._session.scalar(
            select(SlackInstallation).where(
                SlackInstallation.enterprise_id == enterprise_id, ORG_WIDE
            )
        )

    async def stored_tokens(self) -> list[tuple[str, str]]:
        """Each install (named by its workspace, or its organisation when org-wide) with its bot
        token as stored (ciphertext)."""
        rows = await self._session.execute(
            select(
                SlackInstallation.workspace_id,
                SlackInstallation.enterprise_id,
                SlackInstallation.bot_token,
            )
        )
        return [(str(workspace or org), token) for workspace, org, token in rows]

    async def remove(self, workspace_id: str, *, reason: str) -> int:
        """Forget a workspace's install (its tokens with it) and end its pending deliveries as
        failed with `reason`, unless its organisation's org-wide install still reaches it; its
        teams and history stay, so a reinstall finds them again. Returns how many deliveries
        were ended."""
        await self._session.execute(
            delete(SlackInstallation).where(SlackInstallation.workspace_id == workspace_id)
        )
        org = await self.org_of(workspace_id)
        if org is not None and await self.find_org(org) is not None:
            return 0
        return await self.fail_pending(workspace_id, reason=reason)

    async def remove_org(self, enterprise_id: str, *, reason: str) -> int:
        """Forget an organisation's org-wide install and end the pending deliveries of each of
        its workspaces that has no install of its own; returns how many were ended."""
        await self._session.execute(
            delete(SlackInstallation).where(
                SlackInstallation.enterprise_id == enterprise_id, ORG_WIDE
            )
        )
        return await self.fail_pending_in(await self.left_without_install(enterprise_id), reason)

    async def left_without_install(self, enterprise_id: str) -> list[str]:
        """The organisation's workspaces that have no install of their own (they lean on the
        org-wide one)."""
        own = exists().where(SlackInstallation.workspace_id == SlackOrgWorkspace.workspace_id)
        rows = await self._session.scalars(
            select(SlackOrgWorkspace.workspace_id).where(
                SlackOrgWorkspace.enterprise_id == enterprise_id, ~own
            )
        )
        return list(rows)

    async def fail_pending(self, workspace_id: str, *, reason: str) -> int:
        """End a workspace's pending Slack deliveries as failed: nothing can reach it now."""
        return await self.fail_pending_in([workspace_id], reason)

    async def fail_pending_in(self, workspace_ids: Collection[str], reason: str) -> int:
        """End the pending Slack deliveries of these workspaces as failed."""
        if not workspace_ids:
            return 0
        result = await self._session.execute(
            update(Delivery)
            .where(
                Delivery.workspace_id.in_(workspace_ids),
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.team_id.in_(
                    select(Team.id).where(
                        Team.workspace_id.in_(workspace_ids), Team.platform == Platform.SLACK
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

    async def org_of(self, workspace_id: str) -> str | None:
        """The Enterprise Grid organisation a workspace belongs to, when Slack has said so."""
        return await self._session.scalar(
            select(SlackOrgWorkspace.enterprise_id).where(
                SlackOrgWorkspace.workspace_id == workspace_id
            )
        )

    async def org_workspaces(self, enterprise_id: str) -> list[str]:
        """The workspaces known to belong to an organisation."""
        rows = await self._session.scalars(
            select(SlackOrgWorkspace.workspace_id)
            .where(SlackOrgWorkspace.enterprise_id == enterprise_id)
            .order_by(SlackOrgWorkspace.workspace_id)
        )
        return list(rows)

    async def remember_org_workspaces(
        self, enterprise_id: str, workspace_ids: Collection[str], *, now: datetime
    ) -> None:
        """Note that these workspaces belong to the organisation (a workspace that moved to
        another organisation is noted there)."""
        for workspace_id in sorted(set(workspace_ids)):
            statement = upsert(self._session, SlackOrgWorkspace).values(
                workspace_id=workspace_id, enterprise_id=enterprise_id, seen_at=now
            )
            await self._session.execute(
                statement.on_conflict_do_update(
                    index_elements=[SlackOrgWorkspace.workspace_id],
                    set_={"enterprise_id": enterprise_id, "seen_at": now},
                )
            )

    async def forget_org_workspaces(self, workspace_ids: Collection[str]) -> None:
        """Forget that these workspaces belong to an organisation (its app left them)."""
        if workspace_ids:
            await self._session.execute(
                delete(SlackOrgWorkspace).where(SlackOrgWorkspace.workspace_id.in_(workspace_ids))
            )

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
