"""The playground through HTTP, as a browser would use it (without the browser)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pepptalk.bot.config import Settings
from pepptalk.bot.playground.seed import SELLERS, WORKSPACE, seed_demo
from pepptalk.core.i18n import copy_for
from pepptalk.store.models import Checkin
from tests.bot.playground.harness import PlaygroundSite, running_playground, visible_text
from tests.stored import members, team_named


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[PlaygroundSite]:
    async with running_playground(tmp_path) as running:
        yield running


async def test_the_demo_team_is_seeded_once_with_eight_weeks_of_history(
    site: PlaygroundSite,
) -> None:
    database = site.pepptalk.database
    async with database.uow() as uow:
        session = uow.session
        answers = await session.scalar(select(func.count()).select_from(Checkin))
        lows = await session.scalar(select(func.count()).where(Checkin.mood <= 2))
        days = await session.scalar(select(func.count(func.distinct(Checkin.local_date))))
    assert days is not None and 35 <= days <= 40  # eight weeks of workdays, less holidays
    assert answers is not None and answers > 0.8 * days * len(SELLERS)
    assert lows is not None and lows > 0, "a believable dip has some low mornings"
    assert await seed_demo(database, today=site.playground.clock.local().date()) is False
    team = await team_named(database, WORKSPACE, "Oslo Inside Sales")
    assert team is not None and len(await members(database, team.id)) == 7


async def test_the_page_offers_everyone_in_the_cast(site: PlaygroundSite) -> None:
    text = visible_text(await site.page("UANNA"))
    assert "Ingrid Solberg (leader)" in text and "Sofie Holm (not in a team)" in text
    assert "It is Sunday, 22 November 2026, 20:00 in Oslo." in text
    assert "Nothing here yet" in text


async def test_a_seller_checks_in_adds_a_note_and_the_leader_reads_the_summary(
    site: PlaygroundSite,
) -> None:
    text = visible_text(await site.clock("UANNA", "checkin"))
    assert "Monday, 23 November 2026, 08:30" in text and "Good morning, Anna!" in text
    thread = site.playground.inbox.thread("UANNA")
    status, page = await site.post(
        "/playground/action",
        "UANNA",
        message=str(thread[-1].id),
        action="checkin_mood",
        group="checkin:2026-11-23",
        value="2",
    )
    assert status == 200 and "Ingrid Solberg will see it before the first call" in visible_text(
        page
    )
    await site.post(
        "/playground/action",
        "UANNA",
        message=str(thread[-1].id),
        action="checkin_note",
        group="checkin:2026-11-23:note",
        value="2026-11-23",
    )
    status, page = await site.submit("UANNA", note="x" * 600)
    assert "600 characters" in visible_text(page), "the form stays open with the reason"
    status, page = await site.submit("UANNA", note="Missed the bus")
    assert "Your note: Missed the bus" in visible_text(page)

    text = visible_text(await site.clock("UINGRID", "summary"))
    assert "Team check-in, Monday, 23 November 2026" in text
    assert 'Anna Berg: 😕 Low, "Missed the bus"' in text


async def test_commands_with_mentions_work_as_in_a_workspace(site: PlaygroundSite) -> None:
    text = visible_text(await site.command("UINGRID", "/pepptalk team add @sofie @nobody"))
    assert "Added Sofie Holm" in text and "can't find @nobody" in text
    assert "Only visible to you" in text
    text = visible_text(await site.command("UINGRID", "team set channel #oslo-salg"))
    assert "#oslo-salg" in text
    text = visible_text(await site.command("UANNA", "team add @sofie"))
    assert "Only a team leader can do that" in text


async def test_bad_input_gets_a_clear_answer_and_never_a_server_error(site: PlaygroundSite) -> None:
    assert "Use HH:MM" in visible_text(await site.clock("UANNA", "at", "half past eight"))
    assert "Sunday, 22 November 2026, 23:59" in visible_text(
        await site.clock("UANNA", "at", "23:59")
    )
    # An earlier time of day means tomorrow: the clock never runs backwards.
    assert "Monday, 23 November 2026, 23:58" in visible_text(
        await site.clock("UANNA", "at", "23:58")
    )
    status, _ = await site.post("/playground/command", "UNOBODY", text="help")
    assert status == 400
    async with site.http.post(f"{site.url}/playground/command", data={"as": "UANNA"}) as response:
        assert response.status == 403
    status, _ = await site.post("/playground/action", "UANNA", action="checkin_mood", value="9")
    assert status == 200
    status, _ = await site.post("/playground/form", "UANNA", note="no form is open")
    assert status == 200
    assert "Pepptalk playground" in await site.page("<script>")


ANY_HOST = Settings.model_fields["host"].default
SLACK = {"slack_bot_token": "xoxb-1", "slack_signing_secret": "s"}


@pytest.mark.parametrize(
    ("credentials", "flag", "expected"),
    [
        ({}, False, [("playground", "127.0.0.1", 3000)]),
        (
            SLACK,
            False,
            [("bot", ANY_HOST, 3000)],
        ),
        (
            SLACK,
            True,
            [("bot", ANY_HOST, 3000), ("playground", "127.0.0.1", 3001)],
        ),
    ],
)
async def test_the_playground_is_local_and_off_when_credentials_are_set(
    tmp_path: Path, credentials: dict[str, str], flag: bool, expected: list[tuple[str, str, int]]
) -> None:
    from pepptalk.bot.cli import _sites

    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'real.db'}",
        playground_database_url=f"sqlite:///{tmp_path / 'demo.db'}",
        pepptalk_playground=flag,
        **credentials,  # type: ignore[arg-type]
    )
    sites = await _sites(settings, demo=False)
    try:
        found = [("playground" if s.pepptalk.playground else "bot", s.host, s.port) for s in sites]
        assert found == expected
    finally:
        for s in sites:
            await s.pepptalk.close()


async def test_every_seller_seen_and_recognition_work_in_the_playground(
    site: PlaygroundSite,
) -> None:
    seen = visible_text(await site.command("UINGRID", "seen"))
    assert re.search(r"Bjørn Haugen .{0,160}time for a chat", seen)
    assert "weekly (would like twice a week)" in seen
    assert seen.count("time for a chat") == 1, "only Bjørn is really due"
    assert "overdue" not in seen

    # The morning as a leader meets it: the rest of the team answers their check-ins.
    text = visible_text(await site.clock("UINGRID", "summary"))
    assert "5 of 6 answered" in text and "Still to answer: Fredrik Strand" in text
    assert 'Bjørn Haugen: 😕 Low, "Lost the Nordvik deal yesterday, still a bit flat."' in text
    assert "Notes from the team" in text
    assert 'Emma Sørensen: 😄 Great, "Booked two meetings before lunch yesterday!"' in text
    # After the summary comes the nudge, naming the one seller who is due.
    await site.clock("UINGRID", "at", "09:10")
    nudge = next(
        p for p in site.playground.inbox.thread("UINGRID") if "Who could use" in p.message.summary
    )
    names = [s.name for s in SELLERS if s.name in str(nudge.message)]
    assert names == ["Bjørn Haugen"]
    # Fredrik checks in low late in the morning: Ingrid hears of it on her own.
    text = visible_text(await site.clock("UINGRID", "at", "10:35"))
    assert 'A late check-in, after your summary: Fredrik Strand: 😕 Low, "Car trouble' in text

    await site.command("UANNA", "win Closed the Nordvik deal")
    await site.clock("UINGRID", "at", "09:12")
    leader = site.playground.inbox.thread("UINGRID")
    win = next(p for p in leader if "logged a win" in p.message.summary)
    shout_value = next(
        b.value
        for block in win.message.blocks
        if hasattr(block, "buttons")
        for b in block.buttons
        if b.action == "win_shout"
    )
    status, page = await site.post(
        "/playground/action",
        "UINGRID",
        message=str(win.id),
        action="win_shout",
        group="w",
        value=shout_value,
    )
    assert status == 200
    page = await site.page("UINGRID", "channel")
    assert "#oslo-sales" in visible_text(page)
    # The seller is named as a mention, set apart on the page as in a workspace.
    assert 'Shout-out to <strong class="mention">Anna Berg</strong>: Closed the Nordvik' in page


async def test_the_demo_team_meets_on_thursday_and_its_agenda_asks_why(
    site: PlaygroundSite,
) -> None:
    text = visible_text(await site.command("UINGRID", "agenda"))
    assert "Draft agenda: team meeting Thu 26 Nov, 09:00" in text
    # Every seller called less than the goal last week: the team is asked why, naming no one.
    assert any(q in text for q in copy_for("en").choices("questions.calls_down"))
    assert "A topic from the team: Sharing the callback list fairly" in text
    assert "Action 1 (Anna Berg): Share the demo script" in text
    assert "Dag Nilsson would like to talk about: I'd like to try the enterprise leads" in text
    assert "Bjørn Haugen: meetings booked" in text, "his rough week, for the leader's eyes"
    # An action reaches its owner at once: a visitor does not wait for the schedule's minute.
    await site.command("UINGRID", "action @emma Try the new opener on ten calls")
    emma = visible_text(await site.page("UEMMA"))
    assert "Ingrid Solberg gave you an action from the team meeting (action 2)" in emma


async def test_the_digest_shows_its_chart_on_the_page(site: PlaygroundSite) -> None:
    page = await site.command("UINGRID", "digest")
    assert '<img class="picture" src="data:image/png;base64,iVBORw0KGgo' in page
    text = visible_text(page)
    assert "Your week with Oslo Inside Sales" in text
    assert "Time for a chat: Bjørn Haugen" in text
    assert "A question for you this week" in text


async def test_a_stale_page_gets_a_page_with_a_link_back(site: PlaygroundSite) -> None:
    data = {"as": "UANNA", "token": "from-before-a-reset", "text": "help", "view": "home"}
    async with site.http.post(f"{site.url}/playground/command", data=data) as response:
        assert response.status == 403
        assert response.content_type == "text/html"
        page = await response.text()
    assert "This page is out of date" in visible_text(page)
    assert '<a class="btn primary" href="/?as=UANNA&amp;view=home">' in page
    status, page = await site.post("/playground/command", "UNOBODY", text="help")
    assert status == 400 and "Choose who you are from the list first" in visible_text(page)


async def test_the_clock_says_what_comes_next_and_jumps_to_the_meeting_and_digest(
    site: PlaygroundSite,
) -> None:
    assert "Next: check-in at Mon 23 Nov 08:30" in visible_text(await site.page("UINGRID"))
    assert "Next: summary at 09:00" in visible_text(await site.clock("UINGRID", "checkin"))
    text = visible_text(await site.clock("UINGRID", "meeting"))
    assert "Thursday, 26 November 2026, 09:00" in text
    # The draft agenda came the day before, as the schedule sends it.
    assert "Draft agenda: team meeting Thu 26 Nov, 09:00" in text
    text = visible_text(await site.clock("UINGRID", "digest"))
    assert "Friday, 27 November 2026, 14:00" in text and "Your week with Oslo Inside Sales" in text


async def test_the_demo_keeps_across_a_restart_until_reset(tmp_path: Path) -> None:
    async with running_playground(tmp_path) as site:
        await site.clock("UANNA", "checkin")
        await site.post("/playground/action", "UANNA", action="checkin_mood", group="", value="4")
        before = await site.page("UANNA")
        version = site.playground.live_version()
        await site.command("UANNA", "win Closed the Nordvik deal")
        assert site.playground.live_version() != version, "the page's poll sees the change"
    async with running_playground(tmp_path) as site:
        page = visible_text(await site.page("UANNA"))
        assert "Monday, 23 November 2026, 08:30" in page
        assert "Good morning, Anna!" in page and "Closed the Nordvik deal" in visible_text(
            await site.page("UINGRID")
        )
        assert visible_text(before).count("Good morning, Anna!") == page.count(
            "Good morning, Anna!"
        )
        # Check-in time again is tomorrow's: today's check-in went out once, before the restart.
        text = visible_text(await site.clock("UANNA", "checkin"))
        assert "Tuesday, 24 November 2026, 08:30" in text
        assert text.count("Good morning, Anna!") == 2

        status, page = await site.post("/playground/reset", "UANNA")
        text = visible_text(page)
        assert status == 200 and "The demo has started over" in text
        assert "Sunday, 22 November 2026, 20:00" in text and "Good morning, Anna!" not in text
        assert "Nothing here yet" in text
    async with running_playground(tmp_path) as site:
        assert "Good morning, Anna!" not in visible_text(await site.page("UANNA"))


async def test_home_shows_a_sellers_history_and_a_leaders_day(site: PlaygroundSite) -> None:
    anna = visible_text(await site.page("UANNA", "home"))
    assert "Your mornings, Anna" in anna and "Check-in streak" in anna and "Your wins" in anna
    ingrid = await site.page("UINGRID", "home")
    assert "Who could use a word today" in visible_text(ingrid)
    # Its buttons work from there: Log feedback opens the form over Home.
    value = re.search(r'name="action" value="feedback_log">.*?name="value" value="([^"]+)"', ingrid)
    assert value is not None
    status, page = await site.post(
        "/playground/action",
        "UINGRID",
        view="home",
        action="feedback_log",
        group="g",
        value=value.group(1),
    )
    assert status == 200 and '<dialog open class="dialog" id="form-dialog"' in page
    assert "Who could use a word today" in visible_text(page), "still on Home behind it"
