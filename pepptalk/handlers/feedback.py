"""Every seller seen: feedback conversations, each seller's cadence, and who is due."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pepptalk.handlers.calendar import local_today
from pepptalk.handlers.i18n import Copy, copy_for
from pepptalk.handlers.leader_messages import claim_for_leaders
from pepptalk.handlers.messages import (
    Block,
    Button,
    Buttons,
    Choice,
    Fields,
    Form,
    Heading,
    Message,
    Note,
    Paragraph,
    Reply,
    Style,
    TextInput,
    text_reply,
)
from pepptalk.handlers.models import SELLER, Feedback, Member, Team
from pepptalk.handlers.store import DeliveryJob, Membership, Store
from pepptalk.handlers.team import Mention

KINDS = ("praise", "coaching", "goal", "one_to_one")
_KIND_WORDS = {
    "praise": "praise",
    "coaching": "coaching",
    "coach": "coaching",
    "goal": "goal",
    "goals": "goal",
    "goal-talk": "goal",
    "1:1": "one_to_one",
    "1on1": "one_to_one",
    "one-to-one": "one_to_one",
    "121": "one_to_one",
}
# Calendar days between conversations; twice a week is every three or four days.
CADENCE_DAYS = {"daily": 1, "twice-weekly": 3, "weekly": 7, "biweekly": 14}
DEFAULT_CADENCE = "weekly"
FORM = "feedback_form"
LOG_ACTION = "feedback_log"
NOTE_MAX = 1000
# The nudge follows the summary by a few minutes, so the two arrive in that order.
NUDGE_AFTER_SUMMARY_MINUTES = 5


def kind_label(copy: Copy, kind: str) -> str:
    """A kind of conversation, as people say it."""
    return copy(f"feedback.kind_{kind}")


def cadence_label(copy: Copy, cadence: str) -> str:
    """A cadence, as people say it."""
    return copy(f"feedback.cadence_{cadence.replace('-', '_')}")


def due_on(member: Member, last: Feedback | None) -> date:
    """When a seller's next feedback conversation is due."""
    if last is None:
        due = member.joined_at.date()
    else:
        due = last.given_on + timedelta(days=CADENCE_DAYS.get(member.cadence, 7))
    pulled = member.feedback_pulled_on
    if pulled is not None and (last is None or pulled > last.given_on):
        # A low morning brings the next talk forward, never pushes it back.
        due = min(due, pulled)
    return due


async def _seller_by_id(store: Store, seat: Membership, value: str) -> Member | Reply:
    """A seller of the leader's own team, by the id a button or form carried; else why not."""
    copy = copy_for(seat.team.language)
    if not seat.is_leader:
        return text_reply(copy("errors.leaders_only"))
    members = await store.members(seat.team.id)
    seller = next((m for m in members if str(m.id) == value and m.role == SELLER), None)
    return seller or text_reply(copy("feedback.seller_gone"))


async def _mentioned_seller(
    store: Store, seat: Membership, mention: Mention | None, usage: str
) -> Member | Reply:
    """The seller a command mentions, or the reply saying what would work instead."""
    copy = copy_for(seat.team.language)
    if mention is None or mention.user_id is None:
        return text_reply(copy("errors.usage", usage=usage))
    members = await store.members(seat.team.id)
    seller = next((m for m in members if m.user_id == mention.user_id and m.role == SELLER), None)
    return seller or text_reply(copy("feedback.not_a_seller", name=mention.raw))


def feedback_form(copy: Copy, seller: Member, *, kind: str = "", note: str = "") -> Form:
    """The form to log a conversation with one seller."""
    return Form(
        action=FORM,
        title=copy("feedback.form_title"),
        submit=copy("feedback.form_submit"),
        cancel=copy("feedback.form_cancel"),
        intro=copy("feedback.form_intro", name=seller.display_name),
        context=str(seller.id),
        inputs=(
            Choice(
                name="kind",
                label=copy("feedback.form_kind"),
                options=tuple((k, kind_label(copy, k)) for k in KINDS),
                initial=kind or "coaching",
            ),
            TextInput(
                name="note",
                label=copy("feedback.form_note"),
                initial=note,
                multiline=True,
                max_length=NOTE_MAX,
                optional=True,
            ),
        ),
    )


async def _save(
    store: Store, seat: Membership, seller: Member, kind: str, note: str, now: datetime
) -> Reply:
    copy = copy_for(seat.team.language)
    day = local_today(seat.member, seat.team, now)
    await store.add_feedback(
        seller=seller, leader=seat.member, kind=kind, note=note or None, day=day, now=now
    )
    last = Feedback(member_id=seller.id, given_on=day, kind=kind)
    return text_reply(
        copy(
            "feedback.logged",
            kind=kind_label(copy, kind).lower(),
            name=seller.display_name,
            date=copy.short_date(due_on(seller, last)),
        )
    )


async def log_feedback(
    *, store: Store, seat: Membership, mention: Mention | None, rest: str, now: datetime
) -> Reply:
    """`feedback @seller [kind] [note]`: log it, or open the form when the kind is not given."""
    copy = copy_for(seat.team.language)
    seller = await _mentioned_seller(
        store, seat, mention, "/pepptalk feedback @name coaching Good call"
    )
    if isinstance(seller, Reply):
        return seller
    first, _, after = rest.strip().partition(" ")
    kind = _KIND_WORDS.get(first.lower())
    note = after.strip() if kind else rest.strip()
    if len(note) > NOTE_MAX:
        return text_reply(copy("errors.note_too_long", length=len(note), max=NOTE_MAX))
    if kind is None:
        return Reply(form=feedback_form(copy, seller, note=note))
    return await _save(store, seat, seller, kind, note, now)


async def open_feedback_form(*, store: Store, seat: Membership, value: str, now: datetime) -> Reply:
    """The "log feedback" button: the form for the seller it names."""
    copy = copy_for(seat.team.language)
    seller = await _seller_by_id(store, seat, value)
    if isinstance(seller, Reply):
        return seller
    return Reply(form=feedback_form(copy, seller))


async def submit_feedback_form(
    *, store: Store, seat: Membership, context: str, values: dict[str, str | bool], now: datetime
) -> Reply:
    """Save a conversation from the feedback form."""
    copy = copy_for(seat.team.language)
    seller = await _seller_by_id(store, seat, context)
    if isinstance(seller, Reply):
        return seller
    kind = str(values.get("kind") or "")
    note = str(values.get("note") or "").strip()
    if kind not in KINDS:
        return Reply(form_errors={"kind": copy("feedback.bad_kind")})
    if len(note) > NOTE_MAX:
        return Reply(
            form_errors={"note": copy("errors.note_too_long", length=len(note), max=NOTE_MAX)}
        )
    return await _save(store, seat, seller, kind, note, now)


async def set_cadence(
    *, store: Store, seat: Membership, mention: Mention | None, word: str
) -> Reply:
    """`cadence @seller daily|twice-weekly|weekly|biweekly`."""
    copy = copy_for(seat.team.language)
    seller = await _mentioned_seller(store, seat, mention, "/pepptalk cadence @name weekly")
    if isinstance(seller, Reply):
        return seller
    cadence = word.strip().lower()
    if cadence not in CADENCE_DAYS:
        return text_reply(copy("feedback.bad_cadence", value=word[:40]))
    await store.update_member(seller.id, cadence=cadence)
    return text_reply(
        copy("feedback.cadence_set", name=seller.display_name, cadence=cadence_label(copy, cadence))
    )


def seen_line(
    copy: Copy,
    seller: Member,
    last: Feedback | None,
    today: date,
    shouted: datetime | None = None,
    *,
    with_recognition: bool = False,
) -> str:
    """One seller in `seen`: last talk, cadence and wish, whether they are due, and praise."""
    parts = [
        copy("feedback.last", kind=kind_label(copy, last.kind), date=copy.short_date(last.given_on))
        if last
        else copy("feedback.last_none")
    ]
    cadence = cadence_label(copy, seller.cadence)
    if seller.cadence_wish and seller.cadence_wish != seller.cadence:
        cadence = copy(
            "feedback.with_wish", cadence=cadence, wish=cadence_label(copy, seller.cadence_wish)
        )
    parts.append(cadence)
    due = due_on(seller, last)
    if due < today:
        parts.append(copy("feedback.overdue", date=copy.short_date(due)))
    elif due == today:
        parts.append(copy("feedback.due_today"))
    else:
        parts.append(copy("feedback.next", date=copy.short_date(due)))
    if with_recognition:
        parts.append(
            copy("wins.last_shout", date=copy.short_date(shouted.date()))
            if shouted
            else copy("wins.no_shout")
        )
    return " · ".join(parts)


async def show_seen(*, store: Store, seat: Membership, now: datetime) -> Reply:
    """`seen`: when each seller last got feedback, and who is due or overdue."""
    copy = copy_for(seat.team.language)
    if not seat.is_leader:
        return text_reply(copy("errors.leaders_only"))
    today = local_today(seat.member, seat.team, now)
    sellers = [m for m in await store.members(seat.team.id) if m.role == SELLER]
    if not sellers:
        return text_reply(copy("team.no_sellers"))
    last = await store.last_feedback(seat.team.id)
    shouted = await store.last_shoutouts(seat.team.id)
    # Most overdue first: the people who most need a word.
    sellers.sort(key=lambda m: (due_on(m, last.get(m.id)), m.display_name.lower()))
    pairs = tuple(
        (
            m.display_name,
            seen_line(copy, m, last.get(m.id), today, shouted.get(m.id), with_recognition=True),
        )
        for m in sellers
    )
    blocks = (Heading(copy("feedback.seen_title")), Fields(pairs), Note(copy("feedback.seen_hint")))
    return Reply(message=Message(summary=copy("feedback.seen_title"), blocks=blocks))


NUDGE = "nudge"
SNOOZE = "feedback_snooze"
WISH = "cadence_wish"


def is_due(seller: Member, last: Feedback | None, day: date) -> bool:
    """Whether a seller belongs in the day's nudge: due or overdue, and not snoozed."""
    snoozed = seller.feedback_snoozed_until
    return due_on(seller, last) <= day and (snoozed is None or snoozed < day)


async def compose_nudge(*, store: Store, team: Team, day: date) -> Message | None:
    """The leader's daily nudge: sellers due a talk, each with "log" and "snooze"; None if none."""
    copy = copy_for(team.language)
    sellers = [m for m in await store.members(team.id) if m.role == SELLER]
    last = await store.last_feedback(team.id)
    due = [m for m in sellers if is_due(m, last.get(m.id), day)]
    if not due:
        return None
    due.sort(key=lambda m: (due_on(m, last.get(m.id)), m.display_name.lower()))
    blocks: list[Block] = [
        Heading(copy("feedback.nudge_title")),
        Paragraph(copy("feedback.nudge_intro")),
    ]
    for seller in due:
        blocks.append(
            Paragraph(f"{seller.display_name}: {seen_line(copy, seller, last.get(seller.id), day)}")
        )
        blocks.append(
            Buttons(
                group=f"nudge:{seller.id}",
                buttons=(
                    Button(copy("feedback.log_button"), LOG_ACTION, str(seller.id), Style.PRIMARY),
                    Button(copy("feedback.snooze_button"), SNOOZE, str(seller.id)),
                ),
            )
        )
    return Message(summary=copy("feedback.nudge_title"), blocks=tuple(blocks))


async def claim_nudges(*, store: Store, now: datetime, queued_at: datetime | None = None) -> int:
    """Queue each leader's nudge, a few minutes after their summary, on workdays."""
    return await claim_for_leaders(
        store=store,
        kind=NUDGE,
        after=lambda team: timedelta(
            minutes=team.summary_delay_minutes + NUDGE_AFTER_SUMMARY_MINUTES
        ),
        now=now,
        queued_at=queued_at,
    )


async def compose_nudge_deliveries(
    *, store: Store, jobs: list[DeliveryJob]
) -> dict[int, Message | None]:
    """Nudges for queued deliveries; None where nobody is due."""
    messages: dict[int, Message | None] = {}
    for job in jobs:
        removed = job.member.removed_at is not None
        messages[job.delivery.id] = (
            None
            if removed
            else await compose_nudge(store=store, team=job.team, day=job.delivery.local_date)
        )
    return messages


async def snooze_seller(*, store: Store, seat: Membership, value: str, now: datetime) -> Reply:
    """ "Snooze a day": leave this seller out of tomorrow's nudge; the nudge updates in place."""
    copy = copy_for(seat.team.language)
    seller = await _seller_by_id(store, seat, value)
    if isinstance(seller, Reply):
        return seller
    today = local_today(seat.member, seat.team, now)
    until = today + timedelta(days=1)
    await store.update_member(seller.id, feedback_snoozed_until=until)
    nudge = await compose_nudge(store=store, team=seat.team, day=today)
    note = Paragraph(
        copy("feedback.snoozed", name=seller.display_name, date=copy.short_date(until))
    )
    if nudge is None:
        return Reply(message=Message(summary=note.text, blocks=(note,)), replace=True)
    return Reply(message=Message(summary=nudge.summary, blocks=(*nudge.blocks, note)), replace=True)


def wish_buttons(copy: Copy, group: str) -> tuple[Paragraph, Buttons]:
    """The one-time question to a seller: how often would you like feedback?"""
    return (
        Paragraph(copy("feedback.wish_question")),
        Buttons(
            group=f"{group}:wish",
            buttons=tuple(Button(cadence_label(copy, c), WISH, c) for c in CADENCE_DAYS),
        ),
    )


async def record_wish(*, store: Store, seat: Membership, value: str) -> Reply:
    """A seller's answer to how often they would like feedback; their leader sees it in `seen`."""
    copy = copy_for(seat.team.language)
    if value not in CADENCE_DAYS or seat.member.role != SELLER:
        return text_reply(copy("feedback.bad_cadence", value=value[:40]))
    await store.update_member(seat.member.id, cadence_wish=value, cadence_asked=True)
    return text_reply(copy("feedback.wish_saved", cadence=cadence_label(copy, value)))
