"""Every seller seen: feedback conversations, each seller's cadence, and who is due."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pepptalk.handlers.calendar import local_today
from pepptalk.handlers.i18n import Copy, copy_for
from pepptalk.handlers.messages import (
    Choice,
    Fields,
    Form,
    Heading,
    Message,
    Note,
    Reply,
    TextInput,
    text_reply,
)
from pepptalk.handlers.models import SELLER, Feedback, Member
from pepptalk.handlers.store import Membership, Store
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
NOTE_MAX = 1000


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


async def _seller(store: Store, seat: Membership, mention: Mention) -> Member | None:
    members = await store.members(seat.team.id)
    return next((m for m in members if m.user_id == mention.user_id and m.role == SELLER), None)


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
    if mention is None or mention.user_id is None:
        return text_reply(copy("errors.usage", usage="/pepptalk feedback @name coaching Good call"))
    seller = await _seller(store, seat, mention)
    if seller is None:
        return text_reply(copy("feedback.not_a_seller", name=mention.raw))
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
    if not seat.is_leader:
        return text_reply(copy("errors.leaders_only"))
    seller = next((m for m in await store.members(seat.team.id) if str(m.id) == value), None)
    if seller is None or seller.role != SELLER:
        return text_reply(copy("feedback.not_a_seller", name="?"))
    return Reply(form=feedback_form(copy, seller))


async def submit_feedback_form(
    *, store: Store, seat: Membership, context: str, values: dict[str, str | bool], now: datetime
) -> Reply:
    """Save a conversation from the feedback form."""
    copy = copy_for(seat.team.language)
    if not seat.is_leader:
        return text_reply(copy("errors.leaders_only"))
    seller = next((m for m in await store.members(seat.team.id) if str(m.id) == context), None)
    if seller is None or seller.role != SELLER:
        return text_reply(copy("feedback.not_a_seller", name="?"))
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
    if mention is None or mention.user_id is None:
        return text_reply(copy("errors.usage", usage="/pepptalk cadence @name weekly"))
    seller = await _seller(store, seat, mention)
    if seller is None:
        return text_reply(copy("feedback.not_a_seller", name=mention.raw))
    cadence = word.strip().lower()
    if cadence not in CADENCE_DAYS:
        return text_reply(copy("feedback.bad_cadence", value=word[:40]))
    await store.update_member(seller.id, cadence=cadence)
    return text_reply(
        copy("feedback.cadence_set", name=seller.display_name, cadence=cadence_label(copy, cadence))
    )


def seen_line(copy: Copy, seller: Member, last: Feedback | None, today: date) -> str:
    """One seller in `seen`: last talk, cadence and wish, and whether they are due."""
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
    # Most overdue first: the people who most need a word.
    sellers.sort(key=lambda m: (due_on(m, last.get(m.id)), m.display_name.lower()))
    pairs = tuple((m.display_name, seen_line(copy, m, last.get(m.id), today)) for m in sellers)
    blocks = (Heading(copy("feedback.seen_title")), Fields(pairs), Note(copy("feedback.seen_hint")))
    return Reply(message=Message(summary=copy("feedback.seen_title"), blocks=blocks))
