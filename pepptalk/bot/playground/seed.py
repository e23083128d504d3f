"""The demo team: a leader, six sellers and eight weeks of believable history."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from pepptalk.bot.playground.seed_meeting import MEETING, numbers, topics_and_action
from pepptalk.core.calendar import is_workday, moment, zone
from pepptalk.core.crm import CrmAccess, CrmKind, CrmSecret
from pepptalk.core.kinds import (
    Cadence,
    DeliveryKind,
    DeliveryStatus,
    FeedbackKind,
    Mood,
    Platform,
    Role,
)
from pepptalk.core.ports import UserProfile
from pepptalk.store.database import Database
from pepptalk.store.models import Checkin, Delivery, Feedback, Member, Team, Win
from pepptalk.store.uow import UnitOfWork

WORKSPACE = "TPLAYGROUND"
PLATFORM = Platform.PLAYGROUND
TEAM_NAME = "Oslo Inside Sales"
HISTORY_WEEKS = 8
# The team was made this long before the seed's day, which is how that day is found again.
CREATED_BEFORE = timedelta(weeks=HISTORY_WEEKS + 1)
# A reserved domain: the cast's addresses reach no one.
MAIL_DOMAIN = "oslo-sales.example"
_ASCII = str.maketrans({"ø": "o", "å": "a", "æ": "ae"})
# The demo team's HubSpot key: the demo CRM takes any token, so this one opens nothing.
DEMO_TOKEN = "demo-hubspot-token"  # noqa: S105


@dataclass(frozen=True)
class Person:
    """Someone in the demo cast: how their mornings go, how often they get (and want) feedback."""

    user_id: str
    name: str
    timezone: str
    usual_mood: float = 3.8
    answers: float = 0.92
    cadence: Cadence = Cadence.WEEKLY
    wish: Cadence | None = None
    # Days since the leader last had a feedback talk with them, as the demo opens.
    last_talk_days_ago: int = 3

    @property
    def email(self) -> str:
        """Their work e-mail, at the demo company's made-up domain."""
        return f"{self.name.lower().translate(_ASCII).replace(' ', '.')}@{MAIL_DOMAIN}"


LEADER_PERSON = Person("UINGRID", "Ingrid Solberg", "Europe/Oslo")
SELLERS = (
    Person("UANNA", "Anna Berg", "Europe/Oslo", 4.2, wish=Cadence.WEEKLY, last_talk_days_ago=2),
    # Bjørn's rough week came with no talk for three weeks: the nudge names him, and only him.
    Person(
        "UBJORN",
        "Bjørn Haugen",
        "Europe/Oslo",
        3.6,
        wish=Cadence.TWICE_WEEKLY,
        last_talk_days_ago=20,
    ),
    Person(
        "UCECILIE", "Cecilie Lind", "Europe/Oslo", 4.0, 0.97, Cadence.BIWEEKLY, Cadence.BIWEEKLY, 6
    ),
    Person(
        "UDAG", "Dag Nilsson", "Europe/Stockholm", 3.4, 0.8, Cadence.BIWEEKLY, Cadence.WEEKLY, 10
    ),
    Person(
        "UEMMA",
        "Emma Sørensen",
        "Europe/Copenhagen",
        3.9,
        wish=Cadence.WEEKLY,
        last_talk_days_ago=4,
    ),
    Person("UFREDRIK", "Fredrik Strand", "Europe/Oslo", 3.7, 0.88, last_talk_days_ago=5),
)
WINS = (
    ("UANNA", 3, "Booked three demos in one afternoon.", True),
    ("UCECILIE", 9, "Renewed the Fjordkraft contract a year early.", True),
    ("UEMMA", 12, "First meeting booked with a Danish chain.", False),
    ("UANNA", 17, "Turned an angry callback into an upsell.", True),
    ("UDAG", 1, "Got a yes from a customer who said no twice.", False),
)
TALK_KINDS = (
    FeedbackKind.COACHING,
    FeedbackKind.PRAISE,
    FeedbackKind.GOAL,
    FeedbackKind.ONE_TO_ONE,
)
# Not in the team yet, so a visitor can try `/pepptalk team add @sofie`.
NEWCOMER = Person("USOFIE", "Sofie Holm", "Europe/Oslo")
CAST = (LEADER_PERSON, *SELLERS, NEWCOMER)

# What sellers wrote on their harder mornings (demo data, as a seller would type it).
LOW_NOTES = (
    "Slept badly, the little one was up all night.",
    "Missed the bus and started late.",
    "Lost the Nordvik deal yesterday, still a bit flat.",
    "Headache, but I'll manage.",
    "Long queue of callbacks from Friday.",
    "Car trouble this morning.",
)
GOOD_NOTES = (
    "Booked two meetings before lunch yesterday!",
    "Feeling ready for the new campaign.",
    "Great chat with a customer who called back.",
)


def directory() -> dict[str, UserProfile]:
    """The demo cast as the playground's user directory."""
    return {p.user_id: UserProfile(p.user_id, p.name, p.timezone, email=p.email) for p in CAST}


async def demo_team(uow: UnitOfWork) -> Team | None:
    """The seeded team (the first in the playground's workspace), if it is there."""
    return (
        await uow.session.scalars(
            select(Team).where(Team.workspace_id == WORKSPACE).order_by(Team.id)
        )
    ).first()


def seeded_on(team: Team) -> date:
    """The day the demo team was seeded: its history runs up to the day before."""
    return team.created_at.astimezone(UTC).date() + CREATED_BEFORE


def _mood(person: Person, weeks_ago: int, rng: random.Random) -> Mood:
    # Weeks 5 and 4 back: a tough campaign pulls everyone down. Last week: Bjørn has a rough patch.
    dip = 0.9 if weeks_ago in (4, 5) else 0.0
    if person.user_id == "UBJORN" and weeks_ago == 0:
        dip += 1.6
    return Mood(max(1, min(5, round(person.usual_mood - dip + rng.gauss(0, 0.7)))))


async def seed_demo(
    database: Database, *, today: date, now: datetime | None = None, crm: CrmAccess | None = None
) -> bool:
    """Create the demo team and its history once, connected to the demo CRM when `crm` can
    seal its key; False when it was already there."""
    async with database.uow() as uow:
        session = uow.session
        existing = await session.scalar(select(Team).where(Team.workspace_id == WORKSPACE))
        if existing is not None:
            return False
        created = datetime.combine(today - CREATED_BEFORE, time(9), tzinfo=UTC)
        team = Team(
            workspace_id=WORKSPACE,
            platform=PLATFORM,
            name=TEAM_NAME,
            timezone="Europe/Oslo",
            country="NO",
            channel_id="CSALES",
            channel_name="oslo-sales",
            meeting=MEETING,
            created_at=created,
        )
        session.add(team)
        await session.flush()
        members = {
            p.user_id: Member(
                workspace_id=WORKSPACE,
                team_id=team.id,
                user_id=p.user_id,
                role=Role.LEADER if p is LEADER_PERSON else Role.SELLER,
                display_name=p.name,
                timezone=p.timezone,
                email=p.email,
                paused=False,
                joined_at=created,
                cadence=p.cadence,
                cadence_wish=p.wish,
                cadence_asked=p is not LEADER_PERSON,
            )
            for p in (LEADER_PERSON, *SELLERS)
        }
        session.add_all(members.values())
        await session.flush()
        session.add_all(_history(team, members, today))
        session.add_all(_talks_and_wins(team, members, today))
        figures = numbers(team, members, today, HISTORY_WEEKS)
        session.add_all(figures)
        session.add_all(topics_and_action(team, members, members[LEADER_PERSON.user_id], today))
        if crm is not None:
            at = now or datetime.combine(today, time(), tzinfo=UTC)
            await _connect_crm(uow, crm, team, members, len(figures), at)
    return True


async def _connect_crm(
    uow: UnitOfWork,
    crm: CrmAccess,
    team: Team,
    members: dict[str, Member],
    figures: int,
    now: datetime,
) -> None:
    """The demo team's HubSpot, as if its first 8 weeks had just been read: `team connection`
    reads sensibly at once, and the nightly sync goes on from yesterday."""
    source = crm.sources.get(CrmKind.HUBSPOT)
    if crm.sealer is None or source is None:
        return
    secret = CrmSecret({"token": DEMO_TOKEN})
    account = await source.check(secret)
    sellers = [m for m in members.values() if m.role is Role.SELLER]
    owners = await source.owners(secret)
    # Who the CRM lacks by e-mail or name; each sync matches everyone again by the full rules.
    known = {o.email for o in owners} | {o.name for o in owners}
    unmatched = [m.id for m in sellers if m.email not in known and m.display_name not in known]
    connection = await uow.crm.connect(
        workspace_id=WORKSPACE,
        team_id=team.id,
        kind=CrmKind.HUBSPOT,
        secret=crm.sealer.seal(json.dumps(secret.values)),
        account=account,
        member_id=members[LEADER_PERSON.user_id].id,
        now=now,
    )
    connection.synced_at = connection.tried_at = now
    connection.synced_through = now.astimezone(zone(team.timezone)).date() - timedelta(days=1)
    connection.figures = figures
    connection.unmatched = json.dumps(unmatched)


def _talks_and_wins(team: Team, members: dict[str, Member], today: date) -> list[Feedback | Win]:
    rng = random.Random(7)  # noqa: S311 - demo data, the same every time
    leader = members[LEADER_PERSON.user_id]
    rows: list[Feedback | Win] = []
    for person in SELLERS:
        member = members[person.user_id]
        step = person.cadence.days
        day = today - timedelta(days=person.last_talk_days_ago)
        while day > today - timedelta(weeks=HISTORY_WEEKS):
            at = datetime.combine(day, time(13), tzinfo=UTC)
            rows.append(
                Feedback(
                    workspace_id=WORKSPACE,
                    team_id=team.id,
                    member_id=member.id,
                    given_by=leader.id,
                    kind=rng.choice(TALK_KINDS),
                    given_on=day,
                    created_at=at,
                )
            )
            # Now and then a talk slips by a few days, as it does in a busy week.
            day -= timedelta(days=step + rng.choice((0, 0, 1, 3)))
    for user_id, days_ago, text, shouted in WINS:
        day = today - timedelta(days=days_ago)
        at = datetime.combine(day, time(11), tzinfo=UTC)
        rows.append(
            Win(
                workspace_id=WORKSPACE,
                team_id=team.id,
                member_id=members[user_id].id,
                text=text,
                won_on=day,
                created_at=at,
                shouted_at=at + timedelta(hours=1) if shouted else None,
            )
        )
    return rows


def _history(team: Team, members: dict[str, Member], today: date) -> list[Checkin | Delivery]:
    rng = random.Random(2026)  # noqa: S311 - demo data, the same believable weeks every time
    rows: list[Checkin | Delivery] = []
    first = today - timedelta(weeks=HISTORY_WEEKS)
    for offset in range((today - first).days):
        day = first + timedelta(days=offset)
        if not is_workday(team, day):
            continue
        weeks_ago = (today - day).days // 7
        for person in SELLERS:
            member = members[person.user_id]
            asked_at = moment(day, team.checkin_time, zone(person.timezone))
            rows.append(_sent(team, member, DeliveryKind.CHECKIN, day, asked_at))
            if rng.random() > person.answers:
                continue
            mood = _mood(person, weeks_ago, rng)
            note = None
            if mood <= 2 and rng.random() < 0.7:
                note = rng.choice(LOW_NOTES)
            elif mood == 5 and rng.random() < 0.3:
                note = rng.choice(GOOD_NOTES)
            answered = asked_at + timedelta(minutes=rng.randint(1, 25))
            rows.append(
                Checkin(
                    workspace_id=WORKSPACE,
                    team_id=team.id,
                    member_id=member.id,
                    local_date=day,
                    mood=mood,
                    note=note,
                    note_private=note is not None and rng.random() < 0.15,
                    answered_at=answered,
                    updated_at=answered,
                )
            )
        leader = members[LEADER_PERSON.user_id]
        summary_at = moment(
            day, team.checkin_time, zone(team.timezone), after=timedelta(minutes=30)
        )
        rows.append(_sent(team, leader, DeliveryKind.SUMMARY, day, summary_at))
    return rows


def _sent(team: Team, member: Member, kind: str, day: date, at: datetime) -> Delivery:
    return Delivery(
        workspace_id=WORKSPACE,
        team_id=team.id,
        member_id=member.id,
        kind=kind,
        local_date=day,
        status=DeliveryStatus.SENT,
        attempts=1,
        due_at=at,
        sent_at=at,
    )
