"""Driving Pepptalk's Teams bot turn by turn through botbuilder's TestAdapter."""

from __future__ import annotations

import json
from typing import Any

from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity

from pepptalk.bot.chats import PlatformChats
from pepptalk.bot.config import Settings
from pepptalk.bot.services import Services
from pepptalk.bot.teams.adapter import create_adapter
from pepptalk.bot.teams.bot import PepptalkTeamsBot
from pepptalk.bot.teams.chat import TeamsChat
from pepptalk.bot.teams.references import PLATFORM
from pepptalk.core.privacy import DEFAULT_POLICY, Policy
from pepptalk.handlers.registry import REGISTRY
from pepptalk.store.database import Database
from tests.bot.teams.cards import card_problems
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock


class Turns:
    def __init__(
        self,
        database: Database,
        chat: FakeChat,
        clock: FakeClock,
        policy: Policy = DEFAULT_POLICY,
    ) -> None:
        self.database = database
        self.adapter = TestAdapter()
        # The directory is Teams' own (what Pepptalk has seen); sends are not part of these turns.
        settings = Settings(_env_file=None, microsoft_app_id="")
        teams_chat = TeamsChat(create_adapter(settings), database, "", clock)
        chats = PlatformChats({PLATFORM: teams_chat})
        self.bot = PepptalkTeamsBot(
            Services(database=database, chat=chats, registry=REGISTRY, clock=clock, policy=policy)
        )

    async def send(self, activity: Activity) -> list[dict[str, Any]]:
        """Run one turn; the cards Pepptalk sent or updated in it."""
        self.adapter.activity_buffer.clear()
        self.adapter.updated_activities.clear()
        # TestAdapter stamps every activity with its template's people and conversation.
        self.adapter.template = Activity(
            channel_id=activity.channel_id,
            from_property=activity.from_property,
            recipient=activity.recipient,
            conversation=activity.conversation,
            service_url=activity.service_url,
        )
        await self.adapter.process_activity(activity, self.bot.on_turn)
        cards = []
        for sent in [*self.adapter.activity_buffer, *self.adapter.updated_activities]:
            for attachment in sent.attachments or []:
                assert card_problems(attachment.content) == []
                cards.append(attachment.content)
        return cards


def text_of(cards: list[dict[str, Any]]) -> str:
    return json.dumps(cards, ensure_ascii=False).replace("\\\\", "")
