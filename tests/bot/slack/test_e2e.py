"""Slack end to end: signed HTTP into the real server, the real jobs, a fake Web API out."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pepptalk.bot.jobs import drain, run_job
from pepptalk.bot.slack.commands import ANSWER_IN_ACK_WITHIN
from tests.bot.slack.harness import SlackHarness, running_pepptalk, signed_headers
from tests.fakes.clock import FakeClock
from tests.fakes.slack_api import WORKSPACE
from tests.stored import membership, team_named

MONDAY_0830_OSLO = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
MONDAY_0900_OSLO = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[SlackHarness]:
    async with running_pepptalk(tmp_path, FakeClock(MONDAY_0830_OSLO)) as harness:
        yield harness


def text_of(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False)


async def set_up_team(slack: SlackHarness, sellers: list[str]) -> None:
    """A team created and its sellers added over Slack; their welcomes sent, then forgotten so
    each test reads only what comes after."""
    slack.api.add_user("ULEAD", "Kari")
    for user_id in sellers:
        slack.api.add_user(user_id, f"Seller {user_id}")
    created = await slack.command("ULEAD", "team create Oslo")
    assert "is ready" in text_of(created) and created["response_type"] == "ephemeral"
    mentions = " ".join(f"<@{u}|{u.lower()}>" for u in sellers)
    assert "Added" in text_of(await slack.command("ULEAD", f"team add {mentions}"))
    assert (await drain(slack.services)).sent == len(sellers)
    for seller in sellers:
        assert "Welcome to Oslo" in text_of(checkin_posts(slack, seller)[0])
    slack.api.calls.clear()


def checkin_posts(slack: SlackHarness, user_id: str) -> list[dict[str, Any]]:
    return [c.args for c in slack.api.called("chat.postMessage") if c.args["channel"] == user_id]


async def test_a_morning_from_setup_to_summary(slack: SlackHarness) -> None:
    await set_up_team(slack, ["UANNA", "UBJORN"])
    report = await run_job(slack.services, "checkins", at=MONDAY_0830_OSLO)
    assert report.queued == 2 and report.drain.sent == 2

    post = checkin_posts(slack, "UANNA")[0]
    moods = next(b for b in post["blocks"] if b["type"] == "actions")
    assert [e["value"] for e in moods["elements"]] == ["1", "2", "3", "4", "5"]
    assert "Only you and Kari see your answer" in text_of(post)

    # Anna taps "Low": the message is updated in place to confirm.
    await slack.click("UANNA", moods, moods["elements"][1])
    updated = await slack.next_response()
    assert updated["replace_original"] is True
    assert "Kari will see it before the first call" in text_of(updated)

    # She adds a note through the modal.
    note_row = [b for b in updated["blocks"] if b["type"] == "actions"][1]
    await slack.click("UANNA", note_row, note_row["elements"][0])
    await _until(lambda: slack.api.called("views.open"))
    view = slack.api.called("views.open")[0].args["view"]
    view["state"] = {
        "values": {
            "note": {"note": {"type": "plain_text_input", "value": "Missed the bus"}},
            "private": {"private": {"type": "checkboxes", "selected_options": []}},
        }
    }
    response = await slack.interact(
        {
            "type": "view_submission",
            "team": {"id": WORKSPACE},
            "user": {"id": "UANNA", "team_id": WORKSPACE},
            "view": view,
        }
    )
    assert response.status == 200
    assert "Missed the bus" in text_of(await slack.next_response())

    slack.clock.set(MONDAY_0900_OSLO)
    summary = await run_job(slack.services, "summaries", at=MONDAY_0900_OSLO)
    assert summary.drain.sent == 1
    leader_post = text_of(checkin_posts(slack, "ULEAD")[0])
    assert "1 of 2 answered" in leader_post and "Missed the bus" in leader_post
    assert "Worth a word before the first call" in leader_post
    assert slack.api.violations == []


async def test_a_note_too_long_keeps_the_modal_open_with_the_reason(slack: SlackHarness) -> None:
    await set_up_team(slack, ["UANNA"])
    await slack.command("UANNA", "checkin")
    await run_job(slack.services, "checkins", at=MONDAY_0830_OSLO)
    post = checkin_posts(slack, "UANNA")[0]
    moods = next(b for b in post["blocks"] if b["type"] == "actions")
    await slack.click("UANNA", moods, moods["elements"][3])
    await slack.next_response()
    view = {
        "type": "modal",
        "callback_id": "checkin_note_form",
        "private_metadata": json.dumps({"context": "2026-11-23", "response_url": None}),
        "state": {"values": {"note": {"note": {"type": "plain_text_input", "value": "z" * 501}}}},
    }
    body = {"type": "view_submission", "team": {"id": WORKSPACE}, "user": {"id": "UANNA"}}
    response = await slack.interact({**body, "view": view})
    assert response.status == 200
    answer = json.loads(await response.text())
    assert answer["response_action"] == "errors"
    assert "501 characters" in answer["errors"]["note"]


async def test_fan_out_survives_429_with_retry_after(slack: SlackHarness) -> None:
    sellers = [f"US{i}" for i in range(6)]
    await set_up_team(slack, sellers)
    slack.api.limit_every = 3
    slack.api.retry_after = 1
    report = await run_job(slack.services, "checkins", at=MONDAY_0830_OSLO)
    assert report.drain.sent == 6 and report.drain.rate_limited >= 1
    assert slack.api.rate_limited >= 1
    for seller in sellers:
        assert len(checkin_posts(slack, seller)) == 1
    # Running the job again sends nothing more.
    again = await run_job(slack.services, "checkins", at=MONDAY_0830_OSLO)
    assert again.queued == 0 and again.drain.sent == 0


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=forged"},
        "wrong-secret",
        "stale",
    ],
)
async def test_unsigned_forged_and_stale_requests_are_refused(
    slack: SlackHarness, headers: dict[str, str] | str
) -> None:
    body = "team_id=T0PEPP&user_id=UX&command=%2Fpepptalk&text=team+create+Evil"
    if headers == "wrong-secret":
        sent = signed_headers(body, secret="not-the-secret")
    elif headers == "stale":
        sent = signed_headers(body, age=10 * 60)
    else:
        assert isinstance(headers, dict)
        sent = headers or {"X": "1"}
    response = await slack.post(
        body, content_type="application/x-www-form-urlencoded", headers=sent
    )
    assert response.status == 401
    assert await team_named(slack.services.database, WORKSPACE, "Evil") is None


@pytest.mark.parametrize(
    "timestamp", ["abc", "1795863662.5", "-1", "", "١٧٩٥٨٦٣٦٦٢", "9" * 400, " 1795863662"]
)
async def test_a_malformed_signature_timestamp_is_refused_without_a_traceback(
    slack: SlackHarness, timestamp: str, caplog: pytest.LogCaptureFixture
) -> None:
    body = "team_id=T0PEPP&user_id=UX&command=%2Fpepptalk&text=team+create+Evil"
    headers = {**signed_headers(body), "X-Slack-Request-Timestamp": timestamp}
    response = await slack.post(
        body, content_type="application/x-www-form-urlencoded", headers=headers
    )
    assert response.status == 401
    assert not [r for r in caplog.records if r.exc_info]
    assert await team_named(slack.services.database, WORKSPACE, "Evil") is None


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("payload=%7Bnot-json", "application/x-www-form-urlencoded"),
        ("{not json", "application/json"),
        ("", "application/x-www-form-urlencoded"),
        ("payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),
        ('{"type": "event_callback", "event": "x"}', "application/json"),
        ('payload={"type":"view_submission","view":{}}', "application/x-www-form-urlencoded"),
        ('payload={"type":"block_actions","actions":"x"}', "application/x-www-form-urlencoded"),
        ("\udcff".encode("utf-8", "surrogatepass").decode("latin-1"), "text/plain"),
    ],
)
async def test_malformed_payloads_get_a_4xx_and_the_server_stays_up(
    slack: SlackHarness, body: str, content_type: str
) -> None:
    response = await slack.post(body, content_type=content_type)
    assert response.status < 500
    async with slack.http.get(f"{slack.url}/healthz") as health:
        assert health.status == 200


async def test_a_retried_event_is_handled_once(slack: SlackHarness) -> None:
    event = {"type": "app_home_opened", "user": "UANNA", "tab": "home"}
    assert await slack.event(event, event_id="Ev1") == 200
    assert await slack.event(event, event_id="Ev1", retry=1) == 200
    await asyncio.sleep(0.2)
    assert len(slack.api.called("views.publish")) == 1


async def test_profile_changes_move_a_sellers_checkin_to_their_new_zone(
    slack: SlackHarness,
) -> None:
    await set_up_team(slack, ["UANNA"])
    user = dict(slack.api.users["UANNA"], tz="America/New_York")
    assert await slack.event({"type": "user_change", "user": user}, event_id="Ev2") == 200
    await _until(lambda: _zone_is(slack, "America/New_York"))
    report = await run_job(slack.services, "checkins", at=MONDAY_0830_OSLO)
    assert report.queued == 0


async def test_a_direct_message_becomes_the_note(slack: SlackHarness) -> None:
    await set_up_team(slack, ["UANNA"])
    await run_job(slack.services, "checkins", at=MONDAY_0830_OSLO)
    moods = next(b for b in checkin_posts(slack, "UANNA")[0]["blocks"] if b["type"] == "actions")
    await slack.click("UANNA", moods, moods["elements"][4])
    await slack.next_response()
    dm = {
        "type": "message",
        "channel_type": "im",
        "channel": "DANNA",
        "user": "UANNA",
        "text": "Big demo at ten",
    }
    assert await slack.event(dm, event_id="Ev3") == 200
    await _until(
        lambda: [c for c in slack.api.called("chat.postMessage") if c.args["channel"] == "DANNA"]
    )
    reply = [c for c in slack.api.called("chat.postMessage") if c.args["channel"] == "DANNA"][0]
    assert "Note saved. It's on your check-in for Kari to see." in text_of(reply.args)
    # The morning's card shows the note too: updated in place, where Pepptalk posted it.
    [update] = slack.api.called("chat.update")
    assert update.args["channel"] == "DANNA"
    assert "Your note: Big demo at ten" in text_of(update.args)
    assert slack.api.violations == []


async def test_a_new_seller_is_welcomed_and_says_how_often_they_would_like_feedback(
    slack: SlackHarness,
) -> None:
    slack.api.add_user("ULEAD", "Kari")
    slack.api.add_user("UANNA", "Anna Berg")
    await slack.command("ULEAD", "team create Oslo")
    added = text_of(await slack.command("ULEAD", "team add <@UANNA|anna>"))
    assert "They get a welcome from Pepptalk now" in added
    await drain(slack.services)
    [welcome] = checkin_posts(slack, "UANNA")
    text = text_of(welcome)
    assert "Welcome to Oslo, Anna!" in text and "Only you and Kari see your answers" in text
    assert "`/pepptalk pause until 2026-07-31`" in text
    wish = next(b for b in welcome["blocks"] if b["type"] == "actions")
    twice = next(e for e in wish["elements"] if e["value"] == "twice-weekly")
    await slack.click("UANNA", wish, twice)
    answered = await slack.next_response()
    assert answered["replace_original"] is True
    assert "Your leader will see that you'd like feedback twice a week" in text_of(answered)
    assert not [b for b in answered["blocks"] if b["type"] == "actions"], "answered once"
    assert "(would like twice a week)" in text_of(await slack.command("ULEAD", "seen"))
    # Asked at the welcome, so not asked again at the first check-in.
    await run_job(slack.services, "checkins", at=MONDAY_0830_OSLO)
    checkin = checkin_posts(slack, "UANNA")[-1]
    moods = next(b for b in checkin["blocks"] if b["type"] == "actions")
    await slack.click("UANNA", moods, moods["elements"][3])
    assert "how often would you like feedback" not in text_of(await slack.next_response())
    assert slack.api.violations == []


async def test_the_app_home_shows_a_sellers_own_mornings(slack: SlackHarness) -> None:
    await set_up_team(slack, ["UANNA"])
    await run_job(slack.services, "checkins", at=MONDAY_0830_OSLO)
    moods = next(b for b in checkin_posts(slack, "UANNA")[0]["blocks"] if b["type"] == "actions")
    await slack.click("UANNA", moods, moods["elements"][3])
    await slack.next_response()
    event = {"type": "app_home_opened", "user": "UANNA", "tab": "home"}
    assert await slack.event(event, event_id="EvHome") == 200
    await _until(lambda: slack.api.called("views.publish"))
    view = slack.api.called("views.publish")[0].args["view"]
    assert view["type"] == "home"
    assert "Check-in streak (workdays in a row): 1" in text_of(view)
    assert slack.api.violations == []


async def test_a_win_gets_a_shout_out_in_the_slack_channel(slack: SlackHarness) -> None:
    await set_up_team(slack, ["UANNA"])
    await slack.command("ULEAD", "team set channel <#CSALES|sales-oslo>")
    assert "Your leader will see it" in text_of(await slack.command("UANNA", "win Booked a demo"))
    await run_job(slack.services, "checkins", at=MONDAY_0830_OSLO)
    win_post = next(p for p in checkin_posts(slack, "ULEAD") if "logged a win" in text_of(p))
    row = next(b for b in win_post["blocks"] if b["type"] == "actions")
    await slack.click("ULEAD", row, row["elements"][0])
    assert "posted in #sales-oslo" in text_of(await slack.next_response())
    [shout] = [
        c.args for c in slack.api.called("chat.postMessage") if c.args["channel"] == "CSALES"
    ]
    assert "Shout-out to Seller UANNA: Booked a demo" in text_of(shout)
    assert slack.api.violations == []


async def test_feedback_without_a_kind_opens_a_modal_with_a_select(slack: SlackHarness) -> None:
    await set_up_team(slack, ["UANNA"])
    body = {
        "team_id": WORKSPACE,
        "user_id": "ULEAD",
        "command": "/pepptalk",
        "text": "feedback <@UANNA|anna> Talked about the new script",
        "response_url": slack.api.response_url("command"),
        "trigger_id": "trigger-9",
    }
    from urllib.parse import urlencode

    response = await slack.post(urlencode(body), content_type="application/x-www-form-urlencoded")
    assert response.status == 200
    await _until(lambda: slack.api.called("views.open"))
    view = slack.api.called("views.open")[0].args["view"]
    select = next(b for b in view["blocks"] if b.get("block_id") == "kind")["element"]
    assert select["type"] == "static_select"
    view["state"] = {
        "values": {
            "kind": {"kind": {"type": "static_select", "selected_option": {"value": "coaching"}}},
            "note": {"note": {"type": "plain_text_input", "value": "Talked about the new script"}},
        }
    }
    submitted = await slack.interact(
        {
            "type": "view_submission",
            "team": {"id": WORKSPACE},
            "user": {"id": "ULEAD"},
            "view": view,
        }
    )
    assert submitted.status == 200
    # The result goes back where the command was typed, through its response_url.
    assert "Logged: coaching with Seller UANNA" in text_of(await slack.next_response())
    seen = text_of(await slack.command("ULEAD", "seen"))
    assert "last talk: coaching, today" in seen


async def test_healthz_reports_the_database(slack: SlackHarness) -> None:
    async with slack.http.get(f"{slack.url}/healthz") as response:
        assert response.status == 200
        assert (await response.json())["database"] == "ok"


async def _zone_is(slack: SlackHarness, zone: str) -> bool:
    seat = await membership(slack.services.database, WORKSPACE, "UANNA")
    return seat is not None and seat.member.timezone == zone


async def _until(condition: Callable[[], object], within: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def test_a_quick_answer_comes_in_the_ack_and_a_slow_one_at_the_response_url(
    slack: SlackHarness,
) -> None:
    slack.api.add_user("ULEAD", "Kari")
    slack.api.add_user("UANNA", "Anna")
    created = await slack.command("ULEAD", "team create Oslo")
    assert slack.acks == [created] and slack.api.responses == []
    assert created["response_type"] == "ephemeral" and "is ready" in text_of(created)
    # Looking Anna up takes Slack longer than the ack may wait: acked empty, answered after.
    slack.api.slow["users.info"] = ANSWER_IN_ACK_WITHIN + 0.5
    added = await slack.command("ULEAD", "team add <@UANNA>")
    assert slack.acks == [created] and slack.api.responses == [added]
    assert added["response_type"] == "ephemeral" and "Added" in text_of(added)
