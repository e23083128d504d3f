"""Who is who in Teams, and where to reach them later: conversation references in the store."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ConversationReference

from pepptalk.core.kinds import Platform
from pepptalk.store.references import ReferenceRepository

PLATFORM = Platform.TEAMS
USER = "user"  # a 1:1 conversation with a person, keyed by their AAD object id
CHANNEL = "channel"  # a team channel, keyed by its channel id
MEMBER = "member"  # how to start a 1:1 with a person we have only seen elsewhere
ALIAS = "alias"  # a Teams id (29:…) to the AAD object id Pepptalk knows the person by


def workspace_of(activity: Activity) -> str:
    """The tenant an activity comes from: Pepptalk's workspace on Teams."""
    conversation = activity.conversation
    tenant = getattr(conversation, "tenant_id", None) if conversation else None
    if not tenant and isinstance(activity.channel_data, dict):
        tenant = (activity.channel_data.get("tenant") or {}).get("id")
    return str(tenant or "")


def person_of(activity: Activity) -> str:
    """The acting person's AAD object id (their Teams id when Teams sends none)."""
    sender = activity.from_property
    if sender is None:
        return ""
    return str(getattr(sender, "aad_object_id", None) or sender.id or "")


def channel_of(activity: Activity) -> str | None:
    """The team channel an activity was posted in, if any."""
    if isinstance(activity.channel_data, dict):
        channel = activity.channel_data.get("channel") or {}
        if channel.get("id"):
            return str(channel["id"])
    return None


def channel_post(reference: ConversationReference) -> ConversationReference:
    """Where a new post in the channel goes: the channel itself. A message's conversation id
    carries ";messageid=…", and posting to that id replies in that message's thread."""
    if reference.conversation is not None and reference.conversation.id:
        reference.conversation.id = reference.conversation.id.split(";messageid=")[0]
    return reference


def dump(reference: ConversationReference) -> str:
    """A reference as JSON text for the store."""
    return json.dumps(reference.serialize())


def load(text: str) -> ConversationReference:
    """A reference back from the store."""
    return ConversationReference.deserialize(json.loads(text))


async def remember(refs: ReferenceRepository, activity: Activity, *, now: datetime) -> None:
    """Keep how to reach the sender (and the channel) from this activity, newest wins."""
    workspace, person = workspace_of(activity), person_of(activity)
    if not workspace or not person:
        return
    reference = TurnContext.get_conversation_reference(activity)
    kind = getattr(activity.conversation, "conversation_type", None)
    if kind == "personal":
        await _save(refs, workspace, USER, person, dump(reference), now)
    channel = channel_of(activity)
    if kind == "channel" and channel:
        await _save(refs, workspace, CHANNEL, channel, dump(channel_post(reference)), now)
    sender = activity.from_property
    member = {"teams_id": sender.id, "name": sender.name, "service_url": activity.service_url}
    await _save(refs, workspace, MEMBER, person, json.dumps(member), now)
    if sender.id and sender.id != person:
        await _save(refs, workspace, ALIAS, sender.id, person, now)


async def known_aad_id(refs: ReferenceRepository, *, workspace: str, teams_id: str) -> str | None:
    """The AAD object id of someone seen before under this Teams id."""
    return await refs.get(workspace_id=workspace, platform=PLATFORM, scope=ALIAS, key=teams_id)


async def remember_member(
    refs: ReferenceRepository,
    *,
    workspace: str,
    aad_id: str,
    member: dict[str, Any],
    now: datetime,
) -> None:
    """Keep how to start a 1:1 with someone we learned of through a mention."""
    await _save(refs, workspace, MEMBER, aad_id, json.dumps(member), now)


async def remember_user(
    refs: ReferenceRepository, workspace: str, user_id: str, reference: str, *, now: datetime
) -> None:
    """Keep the 1:1 conversation with a person, once one is started."""
    await _save(refs, workspace, USER, user_id, reference, now)


async def stored(refs: ReferenceRepository, *, workspace: str, scope: str, key: str) -> str | None:
    """A stored reference (or member card) of this tenant."""
    return await refs.get(workspace_id=workspace, platform=PLATFORM, scope=scope, key=key)


async def _save(
    refs: ReferenceRepository, workspace: str, scope: str, key: str, text: str, now: datetime
) -> None:
    await refs.save(
        workspace_id=workspace, platform=PLATFORM, scope=scope, key=key, reference=text, now=now
    )
