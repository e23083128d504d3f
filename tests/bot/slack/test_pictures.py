"""A message with a picture in a person's Slack DM: the real SlackChat uploads the PNG with
Slack's current upload API, against the fake Web API over HTTP, and shares it with the message's
other blocks as one message; sent through the outbox, a retry never shows it twice."""

from __future__ import annotations

import asyncio
import random
import struct
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from pepptalk.bot.delivery import DrainReport, deliver_pending
from pepptalk.bot.slack.render import render_blocks
from pepptalk.core.kinds import DeliveryStatus, Platform
from pepptalk.core.messages import Heading, Message, Paragraph, Picture
from pepptalk.core.ports import DeliveryError, SentMessage
from pepptalk.core.privacy import Policy
from pepptalk.handlers.habit import ComposerSpec, Habit, Registry
from pepptalk.handlers.registry import REGISTRY
from pepptalk.store.outbox import DeliveryJob, NewDelivery
from pepptalk.store.uow import UnitOfWork
from tests.bot.slack.harness import SlackHarness, running_pepptalk
from tests.bot.told import as_told
from tests.fakes.clock import FakeClock
from tests.fakes.slack_api import PNG_SIGNATURE, TOKEN, WORKSPACE
from tests.stored import membership

NOW = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
# Slack's ids are this long; a DM's id is as long (completeUploadExternal checks it).
LEAD = "U07LEAD01"
DM = "D07LEAD01"
# A delivery kind of these tests' own, composed by the test habit below.
KIND = "picture"


def png(width: int = 200, height: int = 100) -> bytes:
    """A real PNG of grey noise, about the size of a mood chart's file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    noise = random.Random(47)
    rows = b"".join(b"\x00" + noise.randbytes(width) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


CHART = Picture(png(), alt="Mood this week: Monday 3.2, Tuesday 3.8, Wednesday 4.1")
WEEK = Message(
    "Your team's week",
    (Heading("Week 48"), CHART, Paragraph("Three good mornings in a row.")),
)
WORDS_ONLY = Message(WEEK.summary, (WEEK.blocks[0], WEEK.blocks[2]))


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[SlackHarness]:
    """Pepptalk over Slack with Kari leading a team of her own."""
    async with running_pepptalk(tmp_path, FakeClock(NOW)) as harness:
        harness.api.add_user(LEAD, "Kari")
        await harness.command(LEAD, "team create Oslo")
        harness.api.calls.clear()
        yield harness


async def send(slack: SlackHarness, message: Message, user_id: str = LEAD) -> SentMessage:
    """Send a DM through the app's own Chat, as a habit or the outbox would."""
    return await slack.services.chat.send_direct(
        platform=Platform.SLACK, workspace_id=WORKSPACE, user_id=user_id, message=message
    )


def methods(slack: SlackHarness) -> list[str]:
    return [call.method for call in slack.api.calls]


async def test_a_picture_arrives_in_the_dm_as_one_message_with_the_other_blocks(
    slack: SlackHarness,
) -> None:
    sent = await send(slack, WEEK)

    assert methods(slack) == [
        "conversations.open",
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    [shown] = slack.api.messages_in(LEAD)
    [file] = shown.files
    assert file.data == CHART.png and file.filename == "chart.png"
    assert file.alt_txt == CHART.alt and file.title == CHART.alt
    # The blocks beside the image are the message's own, without the words standing in for it.
    assert shown.blocks == render_blocks(WORDS_ONLY)
    assert "📈" not in str(shown.blocks)
    [complete] = slack.api.called("files.completeUploadExternal")
    assert complete.args["channel_id"] == DM and "initial_comment" not in complete.args
    assert sent == SentMessage(channel=DM, ref=file.file_id)
    assert slack.api.violations == []


async def test_a_message_without_a_picture_still_goes_through_chat_post_message(
    slack: SlackHarness,
) -> None:
    sent = await send(slack, WORDS_ONLY)

    assert methods(slack) == ["chat.postMessage"]
    [post] = slack.api.called("chat.postMessage")
    assert post.args["channel"] == LEAD and post.args["blocks"] == render_blocks(WORDS_ONLY)
    [shown] = slack.api.messages_in(LEAD)
    assert shown.files == [] and sent == SentMessage(channel=DM, ref=shown.ts)
    assert slack.api.uploads == {}


async def test_only_the_first_picture_is_uploaded_and_the_others_stay_words(
    slack: SlackHarness,
) -> None:
    second = Picture(png(20, 10), alt="Calls against goal")
    await send(slack, Message("Two charts", (CHART, Paragraph("And the calls:"), second)))

    [shown] = slack.api.messages_in(LEAD)
    assert [f.data for f in shown.files] == [CHART.png]
    assert shown.blocks == render_blocks(Message("", (Paragraph("And the calls:"), second)))
    assert "📈 Calls against goal" in str(shown.blocks)


async def test_an_unknown_user_is_a_permanent_failure(slack: SlackHarness) -> None:
    with pytest.raises(DeliveryError) as failed:
        await send(slack, WEEK, user_id="U07NOBODY")

    assert failed.value.permanent and failed.value.reason == "user_not_found"
    assert methods(slack) == ["conversations.open"] and slack.api.uploads == {}


async def test_a_failed_upload_is_retryable_and_shows_nothing(slack: SlackHarness) -> None:
    slack.api.failing_uploads = 1
    with pytest.raises(DeliveryError) as failed:
        await send(slack, WEEK)

    assert not failed.value.permanent and "HTTP 500" in failed.value.reason
    assert "files.completeUploadExternal" not in methods(slack)
    assert slack.api.messages_in(LEAD) == []
    # Trying again uploads afresh and shows the message once.
    await send(slack, WEEK)
    assert len(slack.api.uploads) == 2 and len(slack.api.messages_in(LEAD)) == 1


async def test_a_workspace_that_takes_no_files_gets_the_words_instead(
    slack: SlackHarness,
) -> None:
    # An install from before Pepptalk asked for files:write.
    slack.api.fail_next("files.getUploadURLExternal", "missing_scope")
    sent = await send(slack, WEEK)

    [shown] = slack.api.messages_in(LEAD)
    assert shown.files == [] and shown.blocks == render_blocks(WEEK)
    assert f"📈 {CHART.alt}" in str(shown.blocks)
    assert sent == SentMessage(channel=DM, ref=shown.ts)


async def test_the_fake_takes_an_upload_the_way_slack_sdk_sends_one(slack: SlackHarness) -> None:
    # slack-sdk's own files_upload_v2 against the fake, so the fake's shape is Slack's.
    client = AsyncWebClient(token=TOKEN, base_url=slack.api.base_url)
    await client.files_upload_v2(content=CHART.png, filename="chart.png", channel=DM)
    [shown] = slack.api.messages_in(DM)
    assert [f.data for f in shown.files] == [CHART.png]
    # A user id is no channel for completeUploadExternal.
    ticket = await client.files_getUploadURLExternal(filename="chart.png", length=len(CHART.png))
    async with slack.http.post(ticket["upload_url"], data=CHART.png) as uploaded:
        assert uploaded.status == 200
    with pytest.raises(SlackApiError) as refused:
        await client.files_completeUploadExternal(
            files=[{"id": ticket["file_id"]}], channel_id=LEAD
        )
    assert refused.value.response["error"] == "invalid_arguments"
    assert slack.api.violations == [f"channel_id {LEAD!r} is not a channel id"]


# Through the outbox: a habit of these tests' own composes a delivery into a message.


def registry_sending(message: Message) -> Registry:
    """Pepptalk's habits and one more, whose deliveries of KIND are `message`."""

    async def compose(
        *, uow: UnitOfWork, jobs: list[DeliveryJob], policy: Policy
    ) -> dict[int, Message | None]:
        return {job.delivery.id: message for job in jobs}

    pictures = Habit(name="pictures", composers=(ComposerSpec(kind=KIND, compose=compose),))
    return Registry((*REGISTRY.habits, pictures))


async def queue_for_lead(slack: SlackHarness) -> int:
    """One delivery of KIND for Kari, due now; its member id."""
    seat = await membership(slack.services.database, WORKSPACE, LEAD)
    assert seat is not None
    async with slack.services.database.uow() as uow:
        await uow.outbox.claim(
            [
                NewDelivery(
                    workspace_id=WORKSPACE,
                    team_id=seat.team.id,
                    member_id=seat.member.id,
                    kind=KIND,
                    local_date=NOW.date(),
                    due_at=NOW,
                )
            ]
        )
    return seat.member.id


class ClockSleep:
    """A sleep that moves the fake clock instead of waiting, and remembers each wait."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds=seconds)
        await asyncio.sleep(0)


async def drain(slack: SlackHarness, registry: Registry, sleep: ClockSleep) -> DrainReport:
    """The outbox sender, as the schedule's tick runs it, with the test habit registered."""
    return await deliver_pending(
        database=slack.services.database,
        registry=registry,
        chat=slack.services.chat,
        clock=slack.clock,
        sleep=sleep,
    )


async def test_a_rate_limit_on_sharing_is_waited_out_and_the_message_shows_once(
    slack: SlackHarness,
) -> None:
    registry, sleep = registry_sending(WEEK), ClockSleep(slack.clock)
    member_id = await queue_for_lead(slack)
    slack.api.retry_after = 3
    slack.api.fail_next("files.completeUploadExternal", "ratelimited")

    report = await drain(slack, registry, sleep)

    assert (report.sent, report.rate_limited, report.retried) == (1, 1, 0)
    assert as_told(sleep.waits, 3.0), "the sender waited as Slack asked"
    # The whole message went again: the first file was never shared and stays private.
    first, second = slack.api.uploads.values()
    assert not first.completed and second.completed
    [shown] = slack.api.messages_in(LEAD)
    assert [f.file_id for f in shown.files] == [second.file_id] and shown.blocks
    async with slack.services.database.uow() as uow:
        where = await uow.outbox.sent_to(member_id=member_id, kind=KIND, day=NOW.date())
        assert where == SentMessage(channel=DM, ref=second.file_id)
    # Draining again sends nothing more.
    again = await drain(slack, registry, sleep)
    assert again.sent == 0 and len(slack.api.messages_in(LEAD)) == 1
    assert slack.api.violations == []


async def test_a_picture_that_is_no_png_is_refused_and_retried_without_a_message(
    slack: SlackHarness,
) -> None:
    gif = Picture(b"GIF89a" + bytes(64), alt="Mood this week", name="chart.gif")
    registry, sleep = registry_sending(Message("Your team's week", (gif,))), ClockSleep(slack.clock)
    await queue_for_lead(slack)

    report = await drain(slack, registry, sleep)

    assert (report.sent, report.retried, report.failed) == (0, 1, 0)
    assert report.errors == ["invalid_file"]
    assert slack.api.violations == ["F0UPLOAD001: chart.gif is not a PNG"]
    assert slack.api.messages_in(LEAD) == []
    # After the backoff the outbox tries the whole delivery again, and again shows nothing.
    slack.clock.advance(minutes=1)
    again = await drain(slack, registry, sleep)
    assert again.retried == 1 and len(slack.api.uploads) == 2
    assert slack.api.messages_in(LEAD) == []
    async with slack.services.database.uow() as uow:
        assert await uow.outbox.counts() == {DeliveryStatus.PENDING: 1}
