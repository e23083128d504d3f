"""The rest of the demo team answers: when the check-ins arrive in the playground, the sellers the
visitor is not playing tap a mood on the card they got, and add their note through its form,
exactly as a person would.

The first demo morning is scripted so it shows what a leader meets: a low start with a note, a
good morning with a note shared, and one seller who checks in low late in the morning, after
the summary. Later mornings follow each seller's usual mood.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from pepptalk.bot.playground.inbox import Inbox, Posted
from pepptalk.bot.playground.seed import HISTORY_WEEKS, SELLERS, TEAM_NAME, WORKSPACE, Person
from pepptalk.bot.services import Services
from pepptalk.core.calendar import is_workday, member_zone, moment
from pepptalk.core.kinds import Mood, Platform
from pepptalk.core.messages import Buttons
from pepptalk.core.ports import Actor, Press, Submission
from pepptalk.store.models import Team


@dataclass(frozen=True)
class Answer:
    """How one seller answers one morning, and how long after the check-in arrived."""

    mood: Mood
    note: str = ""
    after: timedelta = timedelta(minutes=4)


# The first demo morning: Bjørn is still low, Emma shares good news, Fredrik answers late.
FIRST_MORNING = {
    "UANNA": Answer(Mood.GOOD),
    "UBJORN": Answer(Mood.LOW, "Lost the Nordvik deal yesterday, still a bit flat."),
    "UCECILIE": Answer(Mood.GREAT),
    "UDAG": Answer(Mood.OKAY),
    "UEMMA": Answer(Mood.GREAT, "Booked two meetings before lunch yesterday!"),
    "UFREDRIK": Answer(Mood.LOW, "Car trouble this morning, on my way now.", timedelta(hours=2)),
}
_MOOD_VALUES = [str(int(mood)) for mood in Mood]


def first_morning(team: Team) -> date:
    """The first workday on or after the day the demo was seeded."""
    day = team.created_at.date() + timedelta(weeks=HISTORY_WEEKS + 1)
    while not is_workday(team, day):
        day += timedelta(days=1)
    return day


def answer_of(person: Person, day: date, first: date) -> Answer:
    """How a seller answers a morning: scripted on the first, their usual self after."""
    if day == first:
        return FIRST_MORNING[person.user_id]
    rng = random.Random(f"{person.user_id}:{day.isoformat()}")  # noqa: S311 - demo moods
    # Bjørn's rough patch eases over the next days; the others have their usual ups and downs.
    easing = 0.8 if person.user_id == "UBJORN" and day < first + timedelta(days=3) else 0.0
    mood = Mood(max(2, min(5, round(person.usual_mood - easing + rng.gauss(0, 0.6)))))
    return Answer(mood, after=timedelta(minutes=rng.randint(2, 20)))


def _mood_row(posted: Posted) -> Buttons | None:
    """The five mood buttons of a check-in card (or of a reminder), as the seller sees them."""
    for block in posted.message.blocks:
        if isinstance(block, Buttons) and [b.value for b in block.buttons] == _MOOD_VALUES:
            return block
    return None


def _single_button_row(posted_blocks: tuple[object, ...]) -> Buttons | None:
    """The card's one-button row: "Add a note"."""
    rows = [b for b in posted_blocks if isinstance(b, Buttons)]
    return next((r for r in rows if len(r.buttons) == 1), None)


async def _answer(
    services: Services, inbox: Inbox, person: Person, card: Posted, answer: Answer
) -> None:
    """Tap the mood on the card, then add the note through the card's own form."""
    actor = Actor(WORKSPACE, person.user_id, Platform.PLAYGROUND)
    row = _mood_row(card)
    if row is None:
        return
    mood = next(b for b in row.buttons if b.value == str(int(answer.mood)))
    reply = await services.habits.press(actor, Press(mood.action, row.group, mood.value))
    if reply.message is None:
        return
    await inbox.replace(person.user_id, card.id, reply.message)
    note_row = _single_button_row(reply.message.blocks)
    if not answer.note or note_row is None:
        return
    add_note = note_row.buttons[0]
    opened = await services.habits.press(
        actor, Press(add_note.action, note_row.group, add_note.value)
    )
    if opened.form is None:
        return
    values: dict[str, str | bool] = {"note": answer.note, "private": False}
    saved = await services.habits.submit(
        actor, Submission(opened.form.action, opened.form.context, values)
    )
    if saved.message is not None:
        await inbox.replace(person.user_id, card.id, saved.message)


async def answer_checkins(services: Services, inbox: Inbox, *, playing: str) -> int:
    """Let every demo seller who has had today's check-in long enough answer it; how many did."""
    now = services.clock()
    due: list[tuple[Person, Posted, Answer]] = []
    async with services.database.uow() as uow:
        team = await uow.teams.named(WORKSPACE, TEAM_NAME)
        if team is None:
            return 0
        first = first_morning(team)
        for person in SELLERS:
            member = await uow.teams.seller(team.id, user_id=person.user_id)
            if member is None or person.user_id == playing:
                continue
            today = now.astimezone(member_zone(member, team)).date()
            cards = [p for p in inbox.thread(person.user_id) if _mood_row(p) is not None]
            zone = member_zone(member, team)
            card = next((p for p in reversed(cards) if p.at.astimezone(zone).date() == today), None)
            answer = answer_of(person, today, first)
            # Timed from check-in time, as if the visitor had watched the morning minute by minute.
            asked_at = moment(today, team.checkin_time, zone)
            if card is None or now < asked_at + answer.after:
                continue
            if await uow.checkins.of(member_id=member.id, day=today) is None:
                due.append((person, card, answer))
    for person, card, answer in due:
        await _answer(services, inbox, person, card, answer)
    return len(due)
