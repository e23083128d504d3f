"""Private by default, through the habits' one entry: forget-me erases exactly one person's rows
(on SQLite and PostgreSQL) and the jobs after it run on; a team's only leader is asked to hand
over or erase the team; notes older than the retention period go at the tick, moods stay."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, or_, select

from pepptalk.bot.jobs import claim, tick
from pepptalk.bot.services import Services
from pepptalk.core.kinds import Platform, Role
from pepptalk.core.messages import Attachment, Buttons, Reply
from pepptalk.core.privacy import Policy, shareable
from pepptalk.handlers.checkin import MOOD_ACTION
from pepptalk.handlers.notes import NOTE_FORM
from pepptalk.handlers.privacy import ERASE_TEAM, FORGET
from pepptalk.handlers.registry import REGISTRY
from pepptalk.handlers.topics import FOR_ACTION
from pepptalk.store.database import Database
from pepptalk.store.downloads import Download
from pepptalk.store.models import (
    Checkin,
    ConversationRef,
    Delivery,
    Feedback,
    MeetingAction,
    Member,
    Metric,
    Topic,
    Win,
)
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.handlers.helpers import WORKSPACE, Team, words

NAMES = {"UANNA": "Anna Berg", "UBJORN": "Bjørn Lie", "UCARL": "Carl Dahl"}
MONDAY = date(2026, 11, 16)
TUESDAY = date(2026, 11, 17)


def morning(day: date) -> datetime:
    """Nine in the morning in Oslo."""
    return datetime(day.year, day.month, day.day, 8, 0, tzinfo=UTC)


@pytest.fixture
async def team(database: Database, chat: FakeChat, clock: FakeClock) -> Team:
    clock.set(morning(MONDAY) - timedelta(days=3))
    team = Team(database, chat, clock)
    await team.create(dict.fromkeys(NAMES, "Europe/Oslo"), names=NAMES)
    return team


async def check_in(
    team: Team, user_id: str, day: date, mood: int, note: str = "", *, private: bool = False
) -> None:
    team.clock.set(morning(day))
    reply = await team.press(user_id, MOOD_ACTION, str(mood), group=f"checkin:{day}")
    assert reply.replace, words(reply)
    if note:
        context = day.isoformat()
        saved = await team.submit(user_id, NOTE_FORM, context, {"note": note, "private": private})
        assert f"note: {note}" in words(saved)


async def history(team: Team) -> None:
    """Two weeks of a team's life: moods and notes (one kept private), wins, topics, feedback
    both ways, an action, figures, a way to reach each seller in Teams, queued messages."""
    await check_in(team, "UANNA", MONDAY, 2, "Missed the bus")
    await check_in(team, "UBJORN", MONDAY, 4, "Good weekend")
    await check_in(team, "UCARL", MONDAY, 3)
    await check_in(team, "UANNA", TUESDAY, 4, "Slept badly, keep it quiet", private=True)
    await check_in(team, "UBJORN", TUESDAY, 5)
    assert "Nice one" in await team.say("UANNA", "win Booked a meeting with Equinor")
    assert "Nice one" in await team.say("UBJORN", "win Closed Telenor")
    for user_id, topic in (("UANNA", "Cold-call openers"), ("UBJORN", "CRM hygiene")):
        asked = await team.reply(user_id, f"topic {topic}")
        [row] = [b for b in asked.message.blocks if isinstance(b, Buttons)] if asked.message else []
        await team.press(user_id, FOR_ACTION, row.buttons[0].value)
    assert "Logged" in await team.say("ULEAD", "feedback <@UANNA> coaching Worked on openers")
    assert "Logged" in await team.say("ULEAD", "feedback <@UBJORN> praise A great week")
    await team.say("ULEAD", "action <@UANNA> Share the opener script")
    await team.say("ULEAD", "action <@UBJORN> Book the CRM session")
    csv = (
        "date,seller,metric,value,goal\n"
        "2026-11-16,UANNA,calls,40,50\n2026-11-16,UBJORN,calls,55,50\n"
    )
    assert "Stored 2" in await team.import_csv("ULEAD", csv)
    async with team.database.uow() as uow:
        for user_id in ("UANNA", "UBJORN"):
            await uow.references.save(
                workspace_id=WORKSPACE,
                platform=Platform.TEAMS,
                scope="user",
                key=user_id,
                reference=f'{{"to": "{user_id}"}}',
                now=team.clock(),
            )
    # Tomorrow's check-ins queued and not sent yet: pending rows for every seller.
    team.clock.set(morning(TUESDAY + timedelta(days=1)) - timedelta(minutes=30))
    assert await claim(team.services, "checkins", at=team.clock(), queued_at=team.clock()) == 3


async def rows_of(team: Team, user_id: str) -> dict[str, int]:
    """How many rows each table keeps about one person."""
    async with team.database.uow() as uow:
        session = uow.session
        ids = list(
            await session.scalars(
                select(Member.id).where(Member.workspace_id == WORKSPACE, Member.user_id == user_id)
            )
        )

        async def count(column: Any, *where: Any) -> int:
            found = await session.scalar(
                select(func.count()).select_from(column.table).where(*where)
            )
            return int(found or 0)

        return {
            "members": len(ids),
            "checkins": await count(Checkin.id, Checkin.member_id.in_(ids)),
            "notes": await count(Checkin.id, Checkin.member_id.in_(ids), Checkin.note.is_not(None)),
            "wins": await count(Win.id, Win.member_id.in_(ids)),
            "topics": await count(Topic.id, Topic.member_id.in_(ids)),
            "feedback about": await count(Feedback.id, Feedback.member_id.in_(ids)),
            "feedback logged": await count(Feedback.id, Feedback.given_by.in_(ids)),
            "actions": await count(MeetingAction.id, MeetingAction.owner_id.in_(ids)),
            "figures": await count(Metric.id, Metric.member_id.in_(ids)),
            "deliveries": await count(Delivery.id, Delivery.member_id.in_(ids)),
            "references": await count(
                ConversationRef.id,
                ConversationRef.workspace_id == WORKSPACE,
                or_(ConversationRef.key == user_id, ConversationRef.reference == user_id),
            ),
            "downloads": await count(Download.id, Download.user_id == user_id),
        }


def button(reply: Reply) -> tuple[str, str]:
    assert reply.message is not None
    [row] = [b for b in reply.message.blocks if isinstance(b, Buttons)]
    [only] = row.buttons
    return only.action, only.value


async def test_forget_me_erases_that_person_and_no_one_else(
    team: Team, caplog: pytest.LogCaptureFixture
) -> None:
    await history(team)
    anna = await rows_of(team, "UANNA")
    assert all(anna[table] for table in anna if table not in ("feedback logged", "downloads"))
    others = {who: await rows_of(team, who) for who in ("UBJORN", "UCARL", "ULEAD")}

    asked = await team.reply("UANNA", "forget-me")
    assert asked.private
    assert "This erases everything Pepptalk keeps about you" in words(asked)
    assert "Want a copy first? Say /pepptalk export." in words(asked)
    action, value = button(asked)
    assert action == FORGET

    # Someone else's tap does nothing but say so.
    not_hers = await team.press("UBJORN", action, value)
    assert "belongs to someone else, so nothing happened" in words(not_hers)
    assert not not_hers.replace and not_hers.private
    assert await rows_of(team, "UANNA") == anna

    done = await team.press("UANNA", action, value)
    assert done.replace
    assert "Everything Pepptalk kept about you is erased" in words(done)
    assert set((await rows_of(team, "UANNA")).values()) == {0}
    # Kari's talk with Anna was about Anna: it went with her; the rest of Kari's is as it was.
    others["ULEAD"]["feedback logged"] -= 1
    for who, before in others.items():
        assert await rows_of(team, who) == before, who
    assert await team.seat_of("UANNA") is None

    # A second tap (a double tap, an old card) finds nothing left to erase, calmly.
    again = await team.press("UANNA", action, value)
    assert "done already" in words(again)
    assert "Pepptalk keeps nothing about you" in await team.say("UANNA", "forget-me")

    # The team goes on without her: every job runs, and no one reads about her.
    caplog.set_level(logging.WARNING)
    await team.say("ULEAD", "team set meeting thu 09:00")
    team.chat.sent.clear()
    for at in (
        morning(TUESDAY + timedelta(days=1)) - timedelta(minutes=30),  # check-ins
        morning(TUESDAY + timedelta(days=1)) + timedelta(minutes=5),  # summary and nudge
        morning(TUESDAY + timedelta(days=1)) + timedelta(hours=5),  # the draft agenda
        morning(TUESDAY + timedelta(days=2)) - timedelta(hours=2),  # the pre-read
        morning(TUESDAY + timedelta(days=3)) + timedelta(hours=5),  # the digest
    ):
        report = await team.run(*REGISTRY.jobs, at=at)
        assert report.failed == 0 and report.retried == 0
    kinds = [s.text() for s in team.chat.to("ULEAD")]
    assert any("Carl Dahl" in text for text in kinds)
    assert any(text.startswith("Your week with Oslo") for text in kinds)
    for text in kinds:
        assert "Anna" not in text and "Equinor" not in text and "opener" not in text
    assert not team.chat.to("UANNA")
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_leader_erased_leaves_what_they_logged_about_others(team: Team) -> None:
    await history(team)
    # A co-leader who logged a talk with Bjørn (added as Pepptalk has no command for it yet).
    async with team.database.uow() as uow:
        lead = await uow.teams.membership(WORKSPACE, "ULEAD")
        assert lead is not None
        uow.session.add(
            Member(
                workspace_id=WORKSPACE,
                team_id=lead.team.id,
                user_id="UCOLEAD",
                role=Role.LEADER,
                display_name="Siv Co",
                paused=False,
                joined_at=team.clock(),
            )
        )
    team.chat.add_user("UCOLEAD", "Siv Co")
    assert "Logged" in await team.say("UCOLEAD", "feedback <@UBJORN> goal Q1 goals")
    bjorn = await rows_of(team, "UBJORN")
    asked = await team.reply("UCOLEAD", "forget-me")
    action, value = button(asked)
    assert action == FORGET  # Kari still leads the team
    assert "erased" in words(await team.press("UCOLEAD", action, value))
    assert set((await rows_of(team, "UCOLEAD")).values()) == {0}
    # Bjørn's history of talks is his: the talk stays, without the erased leader's name.
    assert await rows_of(team, "UBJORN") == bjorn
    export = await exported(team, "UBJORN")
    talks = [(t["kind"], t["by"]) for t in export["feedback_about_you"]]
    assert talks == [("praise", "Kari Nordmann"), ("goal", None)]


async def exported(team: Team, user_id: str) -> dict[str, Any]:
    reply = await team.reply(user_id, "export")
    assert reply.private and "on its way" in words(reply)
    [file] = [b for b in team.chat.to(user_id)[-1].message.blocks if isinstance(b, Attachment)]
    document: dict[str, Any] = json.loads(file.data)
    return document


async def test_the_only_leader_hands_over_or_erases_the_team(team: Team) -> None:
    await history(team)
    # Another team in the workspace, whose data must not move.
    team.chat.add_user("UOLA", "Ola Leder")
    team.chat.add_user("UPER", "Per Selger")
    await team.say("UOLA", "team create Bergen")
    await team.say("UOLA", "team add <@UPER>")
    await check_in(team, "UPER", TUESDAY + timedelta(days=1), 5, "Sunny Bergen")
    bergen = {who: await rows_of(team, who) for who in ("UOLA", "UPER")}

    asked = await team.reply("ULEAD", "forget-me")
    said = words(asked)
    assert "You're the only leader of Oslo" in said
    assert "make someone else a leader, like /pepptalk team lead @anna" in said
    action, value = button(asked)
    assert action == ERASE_TEAM
    assert "Erase Oslo and my data" in said
    assert "belongs to someone else" in words(await team.press("UANNA", action, value))
    assert (await rows_of(team, "UANNA"))["checkins"] == 2

    done = await team.press("ULEAD", action, value)
    assert "Oslo and everything kept in it are erased" in words(done)
    for who in ("ULEAD", "UANNA", "UBJORN", "UCARL"):
        left = await rows_of(team, who)
        # Only a way to reach a seller in Teams stays: it is no part of the team.
        left.pop("references")
        assert set(left.values()) == {0}, who
        assert await team.seat_of(who) is None
    for who, before in bergen.items():
        assert await rows_of(team, who) == before
    assert "done already" in words(await team.press("ULEAD", action, value))
    report = await team.run(*REGISTRY.jobs, at=morning(TUESDAY + timedelta(days=3)))
    assert report.failed == 0


async def test_a_leader_hands_the_team_over_then_leaves_it_led(team: Team) -> None:
    await history(team)
    made = words(await team.reply("ULEAD", "team lead <@UANNA>"))
    assert "Anna" in made and "now leads Oslo with you" in made
    assert "already leads" in words(await team.reply("ULEAD", "team lead <@UANNA>"))
    assert "isn't in your team" in words(await team.reply("ULEAD", "team lead <@UNOBODY>"))
    assert "Only a team leader can do that" in words(
        await team.reply("UBJORN", "team lead <@UCARL>")
    )

    asked = await team.reply("ULEAD", "forget-me")
    assert "only leader" not in words(asked)
    action, value = button(asked)
    assert "erased" in words(await team.press("ULEAD", action, value))
    seat = await team.seat_of("UANNA")
    assert seat is not None and seat.member.role is Role.LEADER and seat.team.name == "Oslo"
    shown = words(await team.reply("UANNA", "team"))
    assert "Bjørn" in shown or "UBJORN" in shown
    report = await team.run(*REGISTRY.jobs, at=morning(TUESDAY + timedelta(days=3)))
    assert report.failed == 0


async def test_the_pulse_follows_the_rule_of_three_after_an_erasure(team: Team) -> None:
    assert not shareable(2) and shareable(3)
    await team.say("ULEAD", "team set channel <#CSALES|sales-oslo>")
    await team.say("ULEAD", "team set pulse on")
    await check_in(team, "UANNA", MONDAY, 4)
    await check_in(team, "UBJORN", MONDAY, 4)
    await check_in(team, "UCARL", MONDAY, 2)
    asked = await team.reply("UCARL", "forget-me")
    await team.press("UCARL", *button(asked))
    # Two sellers answered that week now: teammates see no average that could be one person's.
    await team.run("digests", at=datetime(2026, 11, 20, 13, 0, tzinfo=UTC))
    assert team.chat.channel_posts == []


async def test_notes_older_than_the_retention_period_go_at_the_tick(
    database: Database, chat: FakeChat, clock: FakeClock
) -> None:
    now = datetime(2027, 11, 17, 8, 0, tzinfo=UTC)
    clock.set(morning(MONDAY) - timedelta(days=3))
    team = Team(database, chat, clock)
    team.services = Services(
        database=database, chat=chat, registry=REGISTRY, clock=clock, policy=Policy(365)
    )
    team.habits = team.services.habits
    await team.create(dict.fromkeys(NAMES, "Europe/Oslo"), names=NAMES)
    # 366 days before `now` for Anna, 364 for Bjørn.
    await check_in(team, "UANNA", MONDAY, 2, "Missed the bus")
    assert "Logged" in await team.say("ULEAD", "feedback <@UANNA> coaching Openers")
    await check_in(team, "UBJORN", date(2026, 11, 18), 3, "Tired")
    clock.set(now - timedelta(days=364, minutes=1))
    assert "Logged" in await team.say("ULEAD", "feedback <@UBJORN> coaching Closing")

    clock.set(now)
    await tick(team.services)
    anna = await exported(team, "UANNA")
    assert [(c["date"], c["mood"], c["note"]) for c in anna["checkins"]] == [
        ("2026-11-16", 2, None)
    ]
    assert [(t["kind"], t["note"]) for t in anna["feedback_about_you"]] == [("coaching", None)]
    bjorn = await exported(team, "UBJORN")
    assert [c["note"] for c in bjorn["checkins"]] == ["Tired"]
    assert [t["note"] for t in bjorn["feedback_about_you"]] == ["Closing"]

    # Two days on, Bjørn's note has crossed the line too, and goes at the next tick.
    clock.advance(days=2)
    await tick(team.services)
    bjorn = await exported(team, "UBJORN")
    assert [(c["mood"], c["note"]) for c in bjorn["checkins"]] == [(3, None)]
    assert [t["note"] for t in bjorn["feedback_about_you"]] == [None]


async def test_the_export_holds_a_sellers_whole_history_and_only_hers(team: Team) -> None:
    await history(team)
    anna = await exported(team, "UANNA")
    assert list(anna) == [
        "format",
        "exported_at",
        "person",
        "memberships",
        "checkins",
        "wins",
        "topics",
        "feedback_about_you",
        "feedback_you_logged",
        "actions",
        "actions_you_recorded",
        "figures",
    ]
    assert anna["format"] == 1 and anna["person"]["user_id"] == "UANNA"
    [seat] = anna["memberships"]
    assert seat["team"] == "Oslo" and seat["role"] == "seller" and seat["name"] == "Anna Berg"
    assert seat["joined_at"] == "2026-11-13T08:00:00+00:00" and seat["removed_at"] is None
    # Her private note is hers: it is in her export.
    assert [(c["date"], c["mood"], c["note"], c["note_private"]) for c in anna["checkins"]] == [
        ("2026-11-16", 2, "Missed the bus", False),
        ("2026-11-17", 4, "Slept badly, keep it quiet", True),
    ]
    assert [w["text"] for w in anna["wins"]] == ["Booked a meeting with Equinor"]
    assert [(t["text"], t["for"]) for t in anna["topics"]] == [("Cold-call openers", "team")]
    assert [(t["kind"], t["note"], t["by"]) for t in anna["feedback_about_you"]] == [
        ("coaching", "Worked on openers", "Kari Nordmann")
    ]
    assert anna["feedback_you_logged"] == []
    assert [(a["number"], a["text"]) for a in anna["actions"]] == [(1, "Share the opener script")]
    assert [(f["date"], f["metric"], f["value"], f["goal"]) for f in anna["figures"]] == [
        ("2026-11-16", "calls", 40.0, 50.0)
    ]
    everything = json.dumps(anna, ensure_ascii=False)
    for bjorns in ("Good weekend", "Closed Telenor", "CRM hygiene", "A great week"):
        assert bjorns not in everything

    assert anna["actions_you_recorded"] == []
    kari = await exported(team, "ULEAD")
    # What a leader wrote for others is in the leader's export too.
    assert [(a["number"], a["text"], a["owner"]) for a in kari["actions_you_recorded"]] == [
        (1, "Share the opener script", "Anna Berg"),
        (2, "Book the CRM session", "Bjørn Lie"),
    ]
    assert [(t["about"], t["kind"], t["note"]) for t in kari["feedback_you_logged"]] == [
        ("Anna Berg", "coaching", "Worked on openers"),
        ("Bjørn Lie", "praise", "A great week"),
    ]
    assert kari["checkins"] == [] and "Missed the bus" not in json.dumps(kari)


async def test_a_leader_alone_in_a_team_erases_it_with_them(team: Team) -> None:
    team.chat.add_user("UOLA", "Ola Leder")
    await team.say("UOLA", "team create Bergen")
    asked = await team.reply("UOLA", "forget-me")
    said = words(asked)
    assert "You're the last one left in Bergen" in said and "sellers" not in said
    done = await team.press("UOLA", *button(asked))
    assert "Bergen and everything kept in it are erased" in words(done)
    assert set((await rows_of(team, "UOLA")).values()) == {0}
    assert "You're not in a team yet" in await team.say("UOLA", "team")
    # Oslo is untouched.
    assert (await team.seat("UANNA")).team.name == "Oslo"
