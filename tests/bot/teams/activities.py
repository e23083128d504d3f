"""Activities as Teams sends them, for turns and for HTTP."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

TENANT = "tenant-1"
BOT = ChannelAccount(id="28:pepptalk-bot", name="Pepptalk")
_ids = itertools.count(1)


def person(name: str) -> ChannelAccount:
    """A Teams user: Teams id 29:<name>, AAD object id aad-<name>."""
    key = name.lower().split()[0]
    return ChannelAccount(id=f"29:{key}", name=name, aad_object_id=f"aad-{key}")


def message(
    sender: ChannelAccount,
    text: str | None = None,
    *,
    value: dict[str, Any] | None = None,
    service_url: str = "http://127.0.0.1:9/",
    channel: str | None = None,
    mentions: Sequence[ChannelAccount] = (),
    reply_to_id: str | None = None,
    local_timezone: str | None = "Europe/Oslo",
) -> Activity:
    """A message from `sender`: in their 1:1 chat, or in a team channel when `channel` is set."""
    activity_id = f"act-{next(_ids)}"
    # A message in a channel arrives in its own thread: the id says which message it is.
    conversation = ConversationAccount(
        id=f"19:{channel}@thread;messageid={activity_id}" if channel else f"a:1on1-{sender.id}",
        conversation_type="channel" if channel else "personal",
        tenant_id=TENANT,
    )
    entities = []
    if channel:
        text = f"<at>Pepptalk</at> {text}"
        entities.append(
            {"type": "mention", "mentioned": BOT.serialize(), "text": "<at>Pepptalk</at>"}
        )
    for mentioned in mentions:
        entities.append(
            {
                "type": "mention",
                "mentioned": {"id": mentioned.id, "name": mentioned.name},
                "text": f"<at>{mentioned.name}</at>",
            }
        )
    return Activity(
        type=ActivityTypes.message,
        id=activity_id,
        text=text,
        value=value,
        from_property=sender,
        recipient=BOT,
        conversation=conversation,
        channel_id="msteams",
        service_url=service_url,
        reply_to_id=reply_to_id,
        local_timezone=local_timezone,
        entities=[_entity(e) for e in entities],
        channel_data={
            "tenant": {"id": TENANT},
            **(
                {"channel": {"id": f"19:{channel}@thread"}, "team": {"id": "team-1"}}
                if channel
                else {}
            ),
        },
    )


def installed(sender: ChannelAccount, *, service_url: str = "http://127.0.0.1:9/") -> Activity:
    """The installation update Teams sends when someone adds the app for themselves."""
    activity = message(sender, service_url=service_url)
    activity.type = ActivityTypes.installation_update
    activity.action = "add"
    activity.text = None
    return activity


def _entity(data: dict[str, Any]) -> Any:
    from botbuilder.schema import Entity

    return Entity().deserialize(data)
