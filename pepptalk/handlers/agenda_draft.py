"""What the agenda holds: why-questions about the team's largest deviations (never a figure,
never a name), the week's wins, the sellers' team topics and every open action; beside it, for the
leader's eyes only, what belongs in one-to-ones. `agenda.py` drafts it on time and edits it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import mean

from pepptalk.core.i18n import Copy, copy_for
from pepptalk.core.kinds import AgendaItemKind, TopicAudience
from pepptalk.core.messages import (
    Block,
    Button,
    Buttons,
    Divider,
    Heading,
    Message,
    Note,
    Paragraph,
    Style,
)
from pepptalk.core.values import whole_number
from pepptalk.handlers.meeting_days import figures_until, meeting_slot
from pepptalk.handlers.preread import metric_name, team_weeks
from pepptalk.handlers.summary import low_streaks
from pepptalk.store.metrics import Weeks
from pepptalk.store.models import Agenda, AgendaItem, Member, Team, Win
from pepptalk.store.uow import UnitOfWork

REMOVE = "agenda_remove"
UP = "agenda_up"
ADD = "agenda_add"
POST = "agenda_post"
DONE = "action_done"
# The largest deviations become questions; smaller ones are noise, not news.
QUESTIONS = 3
TEAM_DEVIATION = 0.10
SELLER_DEVIATION = 0.20
NO_PRAISE = timedelta(days=30)
# A meeting has time for a few stories; the leader can add more by hand.
WINS_TOLD = 3
# Slack takes 50 blocks a message: 15 items with their buttons (30), the rest of the items in
# one block and a note (2), heading, note, add/post, divider, heading, note (6), and 12 blocks of
# one-to-one suggestions, the last holding any beyond 11.
ITEMS_SHOWN = 15
SUGGESTIONS_SHOWN = 11


def _deviation(weeks: Weeks) -> float | None:
    """How far a week fell from its goal, else from its own four weeks before (None: no basis)."""
    if not weeks.rows[0]:
        return None
    if weeks.with_goal[0] and weeks.goals[0] > 0:
        return weeks.values[0] / weeks.goals[0] - 1
    before = [weeks.values[i] for i in range(1, len(weeks.values)) if weeks.rows[i]]
    usual = mean(before) if before else 0.0
    return weeks.values[0] / usual - 1 if usual > 0 else None


def team_deviations(per_seller: dict[tuple[int, str], Weeks]) -> list[tuple[str, float]]:
    """The team's largest deviations, gains and dips alike, largest first."""
    found = [
        (metric, deviation)
        for metric, weeks in team_weeks(per_seller).items()
        if (deviation := _deviation(weeks)) is not None and abs(deviation) >= TEAM_DEVIATION
    ]
    return sorted(found, key=lambda pair: -abs(pair[1]))[:QUESTIONS]


@dataclass(frozen=True)
class Question:
    """A why-question as the draft keeps it: its bank and its place there, so it reads in the
    team's language whenever the agenda is shown (`calls:down:48`)."""

    metric: str
    direction: str
    pick: int

    def kept(self) -> str:
        return f"{self.metric}:{self.direction}:{self.pick}"

    @classmethod
    def read(cls, kept: str) -> Question | None:
        metric, _, rest = kept.partition(":")
        direction, _, pick = rest.partition(":")
        number = whole_number(pick)
        if direction not in ("up", "down") or number is None:
            return None
        return cls(metric, direction, number)

    def text(self, copy: Copy) -> str:
        bank = copy.choices(f"questions.{self.metric}_{self.direction}") or copy.choices(
            f"questions.any_{self.direction}"
        )
        return copy.fill(bank[self.pick % len(bank)], metric=metric_name(copy, self.metric).lower())


def why_question(metric: str, deviation: float, meeting_on: date, turn: int) -> Question:
    """A question about one deviation, rotating through its bank week by week; no figure, no
    name."""
    direction = "down" if deviation < 0 else "up"
    return Question(metric, direction, meeting_on.isocalendar().week + turn)


def _wins_to_tell(wins: list[Win], held: set[int]) -> list[Win]:
    """The week's wins a meeting has time to hear told: each seller's latest, newest first, up to
    WINS_TOLD in all (counting those already on the draft, even if the leader removed them)."""
    told = {win.member_id for win in wins if win.id in held}
    chosen: list[Win] = []
    for win in sorted(wins, key=lambda w: (w.won_on, w.id), reverse=True):
        if len(told) >= WINS_TOLD:
            break
        if win.member_id not in told:
            told.add(win.member_id)
            chosen.append(win)
    return chosen


async def _sync(uow: UnitOfWork, team: Team, agenda: Agenda, copy: Copy, last: date) -> None:
    """Bring the draft up to date: questions once, then any new win, team topic or open action
    (an item the leader removed is not added back)."""
    held = await uow.meetings.all_refs(agenda.id)
    if AgendaItemKind.QUESTION not in await uow.meetings.kinds_ever(agenda.id):
        per_seller = await uow.metrics.weeks(team_id=team.id, last=last)
        for turn, (metric, deviation) in enumerate(team_deviations(per_seller)):
            question = why_question(metric, deviation, agenda.meeting_on, turn)
            await uow.meetings.add_item(
                agenda=agenda, kind=AgendaItemKind.QUESTION, text=question.kept()
            )
    names = {m.id: m.display_name for m in await uow.teams.members(team.id)}
    wins = await uow.wins.between(
        team_id=team.id, first=last - timedelta(days=6), last=last + timedelta(days=1)
    )
    for win in _wins_to_tell(wins, {ref for kind, ref in held if kind is AgendaItemKind.WIN}):
        text = copy("agenda.win", name=names.get(win.member_id, "?"), text=win.text)
        await uow.meetings.add_item(
            agenda=agenda, kind=AgendaItemKind.WIN, text=text, ref_id=win.id
        )
    for topic in await uow.meetings.open_topics(team.id, audience=TopicAudience.TEAM):
        if (AgendaItemKind.TOPIC, topic.id) not in held:
            text = copy("agenda.topic", text=topic.text)
            await uow.meetings.add_item(
                agenda=agenda, kind=AgendaItemKind.TOPIC, text=text, ref_id=topic.id
            )
    for action in await uow.meetings.open_actions(team.id):
        if (AgendaItemKind.ACTION, action.id) not in held:
            await uow.meetings.add_item(
                agenda=agenda, kind=AgendaItemKind.ACTION, text=action.text, ref_id=action.id
            )


async def open_agenda(
    *, uow: UnitOfWork, team: Team, leader: Member, meeting_on: date, now: datetime
) -> Agenda:
    """The agenda of a meeting, drafted now if it was not, and brought up to date."""
    agenda = await uow.meetings.agenda(team.id, meeting_on)
    if agenda is None:
        agenda = await uow.meetings.start_agenda(
            workspace_id=team.workspace_id, team_id=team.id, meeting_on=meeting_on, now=now
        )
    if agenda.posted_at is None:
        last = figures_until(team, leader, meeting_on, now)
        await _sync(uow, team, agenda, copy_for(team.language), last)
    return agenda


async def _item_text(
    uow: UnitOfWork, copy: Copy, item: AgendaItem, names: dict[int, str]
) -> tuple[str, bool]:
    """An item as the team reads it in the team's language now, and whether it is an action
    still open. What the item came from is read afresh; its kept text is the fallback."""
    if item.kind is AgendaItemKind.QUESTION:
        question = Question.read(item.text)
        return (question.text(copy) if question else item.text), False
    if item.ref_id is None:
        return item.text, False
    if item.kind is AgendaItemKind.WIN:
        win = await uow.wins.get(item.ref_id)
        if win is not None:
            return copy("agenda.win", name=names.get(win.member_id, "?"), text=win.text), False
    if item.kind is AgendaItemKind.TOPIC:
        topic = await uow.meetings.topic(item.ref_id)
        if topic is not None:
            return copy("agenda.topic", text=topic.text), False
    action = await uow.meetings.action(item.ref_id) if item.kind is AgendaItemKind.ACTION else None
    if action is None:
        return item.text, False
    owner = names.get(action.owner_id, "?")
    if action.done_at is not None:
        return copy(
            "agenda.action_done", number=action.number, owner=owner, text=action.text
        ), False
    return copy("agenda.action", number=action.number, owner=owner, text=action.text), True


def meeting_title(copy: Copy, team: Team, meeting_on: date) -> str:
    """ "Team meeting Thu 26 Nov, 09:00"."""
    slot = meeting_slot(team)
    at = slot[1] if slot else ""
    return copy("agenda.meeting", date=copy.day(meeting_on), time=at)


async def team_part(uow: UnitOfWork, team: Team, agenda: Agenda) -> Message:
    """The agenda as the team sees it: no figures, no one-to-one matters."""
    copy = copy_for(team.language)
    names = {m.id: m.display_name for m in await uow.teams.members(team.id)}
    title = copy("agenda.posted_title", meeting=meeting_title(copy, team, agenda.meeting_on))
    blocks: list[Block] = [Heading(title)]
    for number, item in enumerate(await uow.meetings.items(agenda.id), start=1):
        text, _ = await _item_text(uow, copy, item, names)
        blocks.append(Paragraph(f"{number}. {text}"))
    blocks.append(Note(copy("agenda.posted_note")))
    return Message(summary=title, blocks=tuple(blocks))


def _stands_out(
    seller: Member, per_seller: dict[tuple[int, str], Weeks]
) -> tuple[str, Weeks] | None:
    """The metric where a seller's week differs most from the team's, if by enough to ask.

    A dip the whole team shares is a question for the meeting, not for one seller: only a
    deviation at least SELLER_DEVIATION away from the team's own is a one-to-one matter.
    """
    team = team_weeks(per_seller)
    apart: list[tuple[float, str, Weeks]] = []
    for (member_id, metric), weeks in per_seller.items():
        mine = _deviation(weeks) if member_id == seller.id else None
        if mine is None or abs(mine) < SELLER_DEVIATION:
            continue
        distance = abs(mine - (_deviation(team[metric]) or 0.0))
        if distance >= SELLER_DEVIATION:
            apart.append((distance, metric, weeks))
    if not apart:
        return None
    _, metric, weeks = max(apart, key=lambda found: found[0])
    return metric, weeks


def _standing_out(copy: Copy, seller: Member, metric: str, weeks: Weeks) -> str:
    """ "Carl: calls 118 against a goal of 250 (-53%)": with the figure, for the leader only."""
    deviation = _deviation(weeks) or 0.0
    goal = weeks.goals[0] if weeks.with_goal[0] and weeks.goals[0] > 0 else None
    return copy(
        "agenda.seller_goal" if goal else "agenda.seller_usual",
        name=seller.display_name,
        metric=metric_name(copy, metric).lower(),
        value=copy.number(weeks.values[0]),
        goal=copy.number(goal or 0),
        change=copy.percent(deviation),
    )


async def one_to_one(uow: UnitOfWork, team: Team, copy: Copy, last: date) -> list[str]:
    """Suggestions for one-to-ones, for the leader only: a seller whose week stands out from the
    team's (with the figure, since it is private), their 1:1 topics, a low-mood pattern, praise
    long missing."""
    sellers = await uow.teams.sellers(team.id)
    per_seller = await uow.metrics.weeks(team_id=team.id, last=last)
    found = []
    for seller in sellers:
        if (standing_out := _stands_out(seller, per_seller)) is not None:
            found.append(_standing_out(copy, seller, *standing_out))
    names = {s.id: s.display_name for s in sellers}
    for topic in await uow.meetings.open_topics(team.id, audience=TopicAudience.ONE_TO_ONE):
        if topic.member_id in names:
            found.append(copy("agenda.private_topic", name=names[topic.member_id], text=topic.text))
    history = await uow.checkins.of_team_between(
        team_id=team.id, first=last - timedelta(days=13), last=last + timedelta(days=1)
    )
    found += [
        copy("agenda.low_pattern", name=s.display_name)
        for s in low_streaks(sellers, history, last + timedelta(days=1))
    ]
    praised = await uow.wins.last_shoutouts(team.id)
    cutoff = last - NO_PRAISE
    quiet = [
        s.display_name
        for s in sellers
        if s.joined_at.date() < cutoff
        and ((when := praised.get(s.id)) is None or when.date() < cutoff)
    ]
    if quiet:
        found.append(copy("agenda.no_praise", names=copy.join(quiet)))
    return found


async def compose_draft(
    uow: UnitOfWork, team: Team, leader: Member, agenda: Agenda, now: datetime
) -> Message:
    """The leader's draft: the team part with its edit buttons, then the one-to-one part."""
    copy = copy_for(team.language)
    if agenda.posted_at is not None:
        posted = await team_part(uow, team, agenda)
        said = copy("agenda.posted", channel=team.channel_name or team.channel_id or "")
        return Message(summary=said, blocks=(*posted.blocks, Note(said)))
    names = {m.id: m.display_name for m in await uow.teams.members(team.id)}
    title = copy("agenda.draft_title", meeting=meeting_title(copy, team, agenda.meeting_on))
    blocks: list[Block] = [Heading(title), Note(copy("agenda.draft_note"))]
    items = await uow.meetings.items(agenda.id)
    if not items:
        blocks.append(Paragraph(copy("agenda.empty")))
    for number, item in enumerate(items[:ITEMS_SHOWN], start=1):
        text, open_action = await _item_text(uow, copy, item, names)
        blocks.append(Paragraph(f"{number}. {text}"))
        buttons = [Button(copy("agenda.remove"), REMOVE, str(item.id))]
        if number > 1:
            buttons.append(Button(copy("agenda.up"), UP, str(item.id)))
        if open_action and item.ref_id is not None:
            buttons.append(Button(copy("agenda.done"), DONE, str(item.ref_id)))
        blocks.append(Buttons(group=f"agenda_item:{item.id}", buttons=tuple(buttons)))
    if len(items) > ITEMS_SHOWN:
        rest = [
            f"{number}. {(await _item_text(uow, copy, item, names))[0]}"
            for number, item in enumerate(items[ITEMS_SHOWN:], start=ITEMS_SHOWN + 1)
        ]
        blocks += [Paragraph("\n".join(rest)), Note(copy("agenda.more_items"))]
    channel = team.channel_name or team.channel_id
    post = copy("agenda.post", channel=channel) if channel else copy("agenda.post_no_channel")
    blocks.append(
        Buttons(
            group=f"agenda:{agenda.id}",
            buttons=(
                Button(copy("agenda.add"), ADD, str(agenda.id)),
                Button(post, POST, str(agenda.id), Style.PRIMARY),
            ),
        )
    )
    last = figures_until(team, leader, agenda.meeting_on, now)
    suggestions = await one_to_one(uow, team, copy, last)
    blocks += [Divider(), Heading(copy("agenda.one_to_one"))]
    blocks += [Paragraph(text) for text in suggestions[:SUGGESTIONS_SHOWN]] or [
        Paragraph(copy("agenda.one_to_one_none"))
    ]
    if len(suggestions) > SUGGESTIONS_SHOWN:
        rest = suggestions[SUGGESTIONS_SHOWN:]
        blocks.append(Paragraph("\n".join(rest)))
    blocks.append(Note(copy("agenda.one_to_one_note")))
    return Message(summary=title, blocks=tuple(blocks))
