"""A storm of 429s that says how long to wait, in one of two Slack workspaces: the sender waits as
long as each answer says (and a little jitter), tries again in the same drain however many
answers it takes, and the other workspace's check-ins all go out meanwhile.

The real server and sender, installed in both workspaces through the OAuth routes, against the
fake Web API over HTTP. The clock runs, so every wait is a real one (Retry-After 1 s); what is
checked is the fake's own record of what it answered when, never how long the test took.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pepptalk.bot.delivery import LIMITED_PER_DRAIN
from pepptalk.bot.jobs import claim, drain
from pepptalk.core.kinds import DeliveryStatus
from tests.bot.slack.harness import SlackHarness
from tests.bot.slack.workspaces import install, running_many
from tests.fakes.clock import RunningClock
from tests.fakes.slack_api import Answer

# The teams are set up on Monday morning in Oslo, before check-in time (08:30).
MONDAY_0800_OSLO = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
MONDAY_0831_OSLO = datetime(2026, 11, 23, 7, 31, tzinfo=UTC)
ACME, BOLT = "T0ACME", "T0BOLT"
# More refusals than the sender would take before giving up on a workspace that says nothing.
STORM, RETRY_AFTER = LIMITED_PER_DRAIN + 2, 1


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[SlackHarness]:
    async with running_many(tmp_path, RunningClock(MONDAY_0800_OSLO)) as harness:
        yield harness


async def team_in(slack: SlackHarness, workspace: str, sellers: list[str]) -> None:
    """Install in `workspace`; its leader creates a team and adds `sellers`, whose welcomes go
    out and are then forgotten."""
    assert (await install(slack, workspace, f"Workspace {workspace}")).status == 200
    leader = f"ULEAD{workspace}"
    slack.api.add_user(leader, f"Leader {workspace}", workspace=workspace)
    for user_id in sellers:
        slack.api.add_user(user_id, f"Seller {user_id}", workspace=workspace)
    created = await slack.command(leader, "team create Sales", workspace=workspace)
    assert "is ready" in json.dumps(created)
    mentions = " ".join(f"<@{u}|{u.lower()}>" for u in sellers)
    added = await slack.command(leader, f"team add {mentions}", workspace=workspace)
    assert "Added" in json.dumps(added), added
    assert (await drain(slack.services)).sent == len(sellers)
    slack.api.answers.clear()


def posts_in(slack: SlackHarness, workspace: str) -> list[Answer]:
    """Every chat.postMessage to `workspace`, as the fake answered it, in order."""
    return [
        a for a in slack.api.answers if a.method == "chat.postMessage" and a.workspace == workspace
    ]


def refused_before(posts: list[Answer], i: int) -> set[str]:
    """The channels a post before the i-th was refused in."""
    return {a.channel for a in posts[:i] if a.status == 429}


async def test_a_storm_that_says_how_long_is_waited_out_by_that_workspace_alone(
    slack: SlackHarness,
) -> None:
    acme, bolt = [f"UACME{n}" for n in range(3)], [f"UBOLT{n}" for n in range(3)]
    await team_in(slack, ACME, acme)
    await team_in(slack, BOLT, bolt)
    slack.clock.set(MONDAY_0831_OSLO)
    assert await claim(slack.services, "checkins", at=slack.clock(), queued_at=slack.clock()) == 6
    slack.api.storm(ACME, STORM, retry_after=RETRY_AFTER)

    report = await drain(slack.services)

    # All in this one drain: nothing handed back for later, nothing failed.
    assert (report.sent, report.rate_limited, report.retried, report.failed) == (6, STORM, 0, 0)
    acme_posts, bolt_posts = posts_in(slack, ACME), posts_in(slack, BOLT)
    refused = [a for a in acme_posts if a.status == 429]
    # Each refusal cost Acme exactly one more try, and each seller got one check-in.
    assert len(refused) == STORM and len(acme_posts) == len(acme) + STORM
    assert sorted(a.channel for a in acme_posts if a.status == 200) == sorted(acme)
    assert [a.status for a in bolt_posts] == [200] * len(bolt)

    # Sends already under way when Slack first said no were refused together; from the first
    # try again on, no call reached Slack before the time any earlier refusal named.
    again = next(i for i, a in enumerate(acme_posts) if a.channel in refused_before(acme_posts, i))
    first_again = acme_posts[again]
    for i, call in enumerate(acme_posts[again:], start=again):
        for earlier in (r for r in acme_posts[:i] if r.status == 429):
            assert earlier.retry_after == RETRY_AFTER
            assert call.at >= earlier.at + earlier.retry_after, (call, earlier)
    # So each refusal that came on its own cost Acme its full wait: about STORM x RETRY_AFTER.
    on_their_own = sum(1 for r in refused if r.at >= first_again.at)
    first_sent = next(a for a in acme_posts if a.status == 200)
    assert first_sent.at >= refused[0].at + RETRY_AFTER * (1 + on_their_own)

    # Bolt waited for nobody: all its check-ins were in before Acme even tried again.
    assert max(a.at for a in bolt_posts) < first_again.at
    async with slack.services.database.uow() as uow:
        assert await uow.outbox.counts() == {DeliveryStatus.SENT: 6 + 6}
