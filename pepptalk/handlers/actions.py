"""Button presses and form submissions, routed by action name to the habit that owns them."""

from __future__ import annotations

from datetime import datetime

from pepptalk.handlers import checkin, feedback, recognition
from pepptalk.handlers.i18n import copy_for
from pepptalk.handlers.messages import Reply, text_reply
from pepptalk.handlers.ports import Actor, Chat
from pepptalk.handlers.store import Store

LOG_FEEDBACK = feedback.LOG_ACTION
BUTTON_ACTIONS = frozenset(
    {
        checkin.MOOD_ACTION,
        checkin.NOTE_ACTION,
        LOG_FEEDBACK,
        feedback.SNOOZE,
        feedback.WISH,
        recognition.SHOUT,
    }
)
FORM_ACTIONS = frozenset({checkin.NOTE_FORM, feedback.FORM})


async def press_button(
    *, store: Store, chat: Chat, actor: Actor, action: str, group: str, value: str, now: datetime
) -> Reply:
    """Answer a button press."""
    seat = await store.membership(actor.workspace_id, actor.user_id)
    if seat is None:
        return text_reply(copy_for("en")("errors.no_team"))
    if action == checkin.MOOD_ACTION:
        return await checkin.record_mood(store=store, seat=seat, group=group, value=value, now=now)
    if action == checkin.NOTE_ACTION:
        return await checkin.open_note_form(store=store, seat=seat, value=value, now=now)
    if action == LOG_FEEDBACK:
        return await feedback.open_feedback_form(store=store, seat=seat, value=value, now=now)
    if action == feedback.SNOOZE:
        return await feedback.snooze_seller(store=store, seat=seat, value=value, now=now)
    if action == feedback.WISH:
        return await feedback.record_wish(store=store, seat=seat, value=value)
    if action == recognition.SHOUT:
        return await recognition.shout_out(store=store, chat=chat, seat=seat, value=value, now=now)
    return text_reply(copy_for(seat.team.language)("errors.unknown_action"))


async def submit_form(
    *,
    store: Store,
    actor: Actor,
    action: str,
    context: str,
    values: dict[str, str | bool],
    now: datetime,
) -> Reply:
    """Answer a submitted form."""
    seat = await store.membership(actor.workspace_id, actor.user_id)
    if seat is None:
        return text_reply(copy_for("en")("errors.no_team"))
    if action == checkin.NOTE_FORM:
        return await checkin.submit_note_form(
            store=store, seat=seat, context=context, values=values, now=now
        )
    if action == feedback.FORM:
        return await feedback.submit_feedback_form(
            store=store, seat=seat, context=context, values=values, now=now
        )
    return text_reply(copy_for(seat.team.language)("errors.unknown_action"))
