"""Teams turns into the same handler calls as Slack: text commands, card buttons and forms."""

from __future__ import annotations

import logging
import re
from http import HTTPStatus

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.schema import Activity

from pepptalk.bot.services import Services
from pepptalk.bot.teams.chat import CHANNEL_PREFIX, card_activity
from pepptalk.bot.teams.references import (
    PLATFORM,
    channel_of,
    known_aad_id,
    person_of,
    remember,
    remember_member,
    workspace_of,
)
from pepptalk.bot.teams.render import BUTTON, form_values, render_form_card, submitted
from pepptalk.core.calendar import parse_timezone
from pepptalk.core.mentions import channel_mention, user_mention
from pepptalk.core.messages import Button, Buttons, Message, Paragraph, Reply, Style, plain
from pepptalk.core.ports import Actor, DeliveryError, Press, Submission, UserProfile
from pepptalk.handlers.grammar import COMMAND_MAX

log = logging.getLogger(__name__)
# The button that runs a command in the 1:1 chat (never a habit's: handled here).
RUN_HERE = "teams_run_here"
_SET_CHANNEL = re.compile(r"^team\s+set\s+channel\s*$", re.IGNORECASE)


class PepptalkTeamsBot(TeamsActivityHandler):  # type: ignore[misc]
    """Pepptalk in Teams: the /pepptalk words as messages to the bot, replies as cards."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def on_turn(self, turn_context: TurnContext) -> None:
        """Every turn: keep how to reach this person and their clock, then handle it."""
        activity = turn_context.activity
        async with self.services.database.uow() as uow:
            await remember(uow.references, activity, now=self.services.clock())
        zone = parse_timezone(activity.local_timezone or "")
        sender = activity.from_property
        if zone and sender is not None:
            person = person_of(activity)
            profile = UserProfile(person, str(sender.name or person)[:120], zone)
            await self.services.habits.update_profile(workspace_of(activity), profile)
        await super().on_turn(turn_context)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        """Pepptalk's cards submit as messages, so no invoke is Pepptalk's to answer: one it
        does not know is acknowledged (200) rather than refused as not implemented (501)."""
        response = await super().on_invoke_activity(turn_context)
        if response is not None and response.status == HTTPStatus.NOT_IMPLEMENTED:
            log.info("Teams invoke %r ignored", str(turn_context.activity.name)[:60])
            return InvokeResponse(status=HTTPStatus.OK)
        return response

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        """A command typed to the bot, or a card's button or form."""
        activity = turn_context.activity
        actor = Actor(workspace_of(activity), person_of(activity), PLATFORM)
        habits = self.services.habits
        data = submitted(activity.value)
        source: str | None = None
        if data is not None and data.get("action") == RUN_HERE:
            # "Open it here", from an answer moved out of a channel: the command, in the 1:1 chat.
            reply = await habits.command(actor, str(data.get("value", "")))
        elif data is None:
            text = await self._command_text(turn_context, actor)
            # In the 1:1 chat, as in a Slack DM, words that are no command are the day's note.
            personal = _prefix(activity) == ""
            read = habits.direct_message if personal else habits.command
            reply = await read(actor, text)
            if reply.private and not personal:
                await self._show_privately(turn_context, actor, text, reply)
                return
        elif data["pepptalk"] == BUTTON:
            press = Press(
                action=str(data.get("action", "")),
                group=str(data.get("group", "")),
                value=str(data.get("value", "")),
            )
            reply = await habits.press(actor, press)
        else:
            submission = Submission(
                action=str(data.get("action", "")),
                context=str(data.get("context", "")),
                values=form_values(data),
            )
            reply = await habits.submit(actor, submission)
            source = str(data.get("source") or "") or None
        await self._show(turn_context, reply, source)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        """Installed personally or in a team: say what Pepptalk does."""
        activity = turn_context.activity
        actor = Actor(workspace_of(activity), person_of(activity), PLATFORM)
        message = await self.services.habits.help(actor)
        await turn_context.send_activity(card_activity(message, prefix=_prefix(activity)))

    async def _command_text(self, turn_context: TurnContext, actor: Actor) -> str:
        """The words after the bot's mention, with people's mentions as <@id|name>. In the 1:1
        chat a leading "/pepptalk" stays: it marks the words as a command, not a note."""
        activity = turn_context.activity
        text, mentions = _merged(activity.text or "", _mentions(activity))
        for teams_id, name, written in mentions:
            if activity.recipient is not None and teams_id == activity.recipient.id:
                # "@Pepptalk team add …" in a channel: the bot's name is not part of the command.
                text = text.replace(written, " ")
                continue
            async with self.services.database.uow() as uow:
                known = await known_aad_id(
                    uow.references, workspace=actor.workspace_id, teams_id=teams_id
                )
            aad_id = known or await self._aad_id(turn_context, teams_id)
            async with self.services.database.uow() as uow:
                await remember_member(
                    uow.references,
                    workspace=actor.workspace_id,
                    aad_id=aad_id,
                    member={
                        "teams_id": teams_id,
                        "name": name,
                        "service_url": activity.service_url,
                    },
                    now=self.services.clock(),
                )
            text = text.replace(written, user_mention(aad_id, name or aad_id))
        text = text.strip()
        channel = channel_of(activity)
        if channel:
            text = text.removeprefix("/pepptalk").strip()
        if channel and _SET_CHANNEL.match(text):
            # Teams has no way to name a channel in a message: "team set channel" means this one.
            data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
            name = str((data.get("channel") or {}).get("name") or "General")
            text = f"team set channel {channel_mention(channel, name)}"
        return text

    async def _aad_id(self, turn_context: TurnContext, teams_id: str) -> str:
        # Mentions carry the Teams id; people are known by their AAD object id, from the roster.
        try:
            member = await TeamsInfo.get_member(turn_context, teams_id)
        except Exception as error:  # noqa: BLE001 - the roster is a nicety; the Teams id still works
            log.info("could not look up %s in the roster: %r", teams_id, error)
            return teams_id
        return str(getattr(member, "aad_object_id", None) or teams_id)

    async def _show_privately(
        self, turn_context: TurnContext, actor: Actor, text: str, reply: Reply
    ) -> None:
        """An answer for one person, asked for in a channel: it goes to their 1:1 chat with
        Pepptalk (a form, as a button that opens it there), and the channel hears only that."""
        copy = await self.services.habits.copy_of(actor)
        if reply.form is not None or reply.message is None:
            said = copy("private.continue_here")
            button = Button(copy("private.open_here"), RUN_HERE, text[:COMMAND_MAX], Style.PRIMARY)
            message = Message(said, (Paragraph(said), Buttons("private", (button,))))
        else:
            message = reply.message
        try:
            await self.services.chat.send_direct(
                platform=PLATFORM,
                workspace_id=actor.workspace_id,
                user_id=actor.user_id,
                message=message,
            )
        except Exception as error:  # noqa: BLE001 - any failure here means: say so in the channel
            reason = error.reason if isinstance(error, DeliveryError) else repr(error)[:200]
            log.info("could not reach %s in a 1:1 chat: %s", actor.user_id, reason)
            notice = copy.text("private.no_one_to_one")
        else:
            notice = copy.text("private.sent")
        await turn_context.send_activity(
            card_activity(Message(plain(notice), (Paragraph(notice),)), prefix=CHANNEL_PREFIX)
        )

    async def _show(
        self, turn_context: TurnContext, reply: Reply, source: str | None = None
    ) -> None:
        """Send a reply as a card: a form, errors, an update in place, or a new message."""
        prefix = _prefix(turn_context.activity)
        if reply.form is not None:
            form_card = card_activity(Message(summary=reply.form.title))
            source = turn_context.activity.reply_to_id
            form_card.attachments[0].content = render_form_card(reply.form, source=source)
            await turn_context.send_activity(form_card)
            return
        if reply.form_errors:
            errors = tuple(Paragraph(text) for text in reply.form_errors.values())
            message = Message(summary=next(iter(reply.form_errors.values())), blocks=errors)
            await turn_context.send_activity(card_activity(message))
            return
        if reply.message is None:
            return
        replied_to = turn_context.activity.reply_to_id
        if reply.replace and replied_to:
            # A saved form leaves no live card behind: the form itself shows the result, and so
            # does the card it was opened from.
            updated = [
                await self._update(turn_context, card_id, reply.message, prefix)
                for card_id in dict.fromkeys(filter(None, (replied_to, source)))
            ]
            if any(updated):
                return
        await turn_context.send_activity(card_activity(reply.message, prefix=prefix))

    async def _update(
        self, turn_context: TurnContext, card_id: str, message: Message, prefix: str
    ) -> bool:
        activity = card_activity(message, prefix=prefix)
        activity.id = card_id
        try:
            await turn_context.update_activity(activity)
        except Exception as error:  # noqa: BLE001 - an old card can't always be updated
            log.info("could not update card %s: %r", card_id, error)
            return False
        return True


def _prefix(activity: Activity) -> str:
    """How commands are typed where this activity came from."""
    kind = getattr(activity.conversation, "conversation_type", None)
    return "" if kind == "personal" else CHANNEL_PREFIX


def _mentions(activity: Activity) -> list[tuple[str, str, str]]:
    """(Teams id, name, the text written for it) of each mention in a message."""
    found = []
    for entity in activity.entities or []:
        if (entity.type or "").lower() != "mention":
            continue
        # Received entities keep their fields here, as botbuilder's own mention helpers read them.
        props = getattr(entity, "additional_properties", None) or {}
        mentioned = props.get("mentioned") or {}
        written = str(props.get("text") or "")
        if isinstance(mentioned, dict) and mentioned.get("id") and written:
            found.append((str(mentioned["id"]), str(mentioned.get("name") or ""), written))
    return found


def _merged(
    text: str, mentions: list[tuple[str, str, str]]
) -> tuple[str, list[tuple[str, str, str]]]:
    """One mention per person: Teams may send "<at>Megan</at> <at>Bowen</at>" as two entities
    with the same id; written side by side, they become one, with the whole name."""
    merged: list[tuple[str, str, str]] = []
    for teams_id, name, written in mentions:
        if merged and merged[-1][0] == teams_id:
            last_id, last_name, last_written = merged[-1]
            together = re.compile(re.escape(last_written) + r"\s*" + re.escape(written))
            found = together.search(text)
            if found is not None:
                whole = f"{last_name} {name}".strip()
                text = text[: found.start()] + f"<at>{whole}</at>" + text[found.end() :]
                merged[-1] = (last_id, whole, f"<at>{whole}</at>")
                continue
        merged.append((teams_id, name, written))
    return text, merged
