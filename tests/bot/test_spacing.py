"""Spacing sends under a platform's published limits: per conversation, per workspace, each on
its own, and nothing kept for keys nobody sends to any more."""

from __future__ import annotations

import pytest

from pepptalk.bot.spacing import MARGIN, SWEEP_EVERY, TEAMS_LIMITS, Limits, Spacing, Window
from pepptalk.core.kinds import Platform

TENANT = (Platform.TEAMS, "tenant-1", None)
KARI = (Platform.TEAMS, "tenant-1", "user:kari")
OLA = (Platform.TEAMS, "tenant-1", "user:ola")


class Seconds:
    """A monotonic clock tests move by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def send_when_free(spacing: Spacing, clock: Seconds, *keys: tuple[str, str, str | None]) -> float:
    """Move the clock to when a send to `keys` may go, and send; that moment."""
    clock.now += spacing.ahead(keys)
    assert spacing.ahead(keys) == 0
    spacing.take(keys)
    return clock.now


def test_one_conversation_gets_seven_a_second_and_eight_in_two() -> None:
    clock = Seconds()
    spacing = Spacing(now=clock)
    start = clock.now
    moments = [send_when_free(spacing, clock, TENANT, KARI) - start for _ in range(12)]
    # Seven at once, the eighth a second on, the rest once the first seven are two seconds old.
    assert moments[:7] == [0.0] * 7
    assert moments[7] == pytest.approx(1 + MARGIN)
    assert all(moment >= 2 + MARGIN - 1e-9 for moment in moments[8:])
    assert most_in_any(moments, 1.0) == 7 and most_in_any(moments, 2.0) == 8


def most_in_any(moments: list[float], seconds: float) -> int:
    """The most of `moments` that fall in any window of `seconds`."""
    return max(sum(1 for m in moments if start <= m < start + seconds) for start in moments)


def test_another_conversation_does_not_wait_for_a_busy_one() -> None:
    clock = Seconds()
    spacing = Spacing(now=clock)
    for _ in range(7):
        spacing.take([TENANT, KARI])
    assert spacing.ahead([TENANT, KARI]) > 0
    assert spacing.ahead([TENANT, OLA]) == 0


def test_a_tenant_gets_thirty_a_second_across_its_conversations() -> None:
    clock = Seconds()
    spacing = Spacing(now=clock)
    people = [(Platform.TEAMS, "tenant-1", f"user:{n}") for n in range(31)]
    for person in people[:30]:
        spacing.take([TENANT, person])
    assert spacing.ahead([TENANT, people[30]]) == pytest.approx(1 + MARGIN)
    # Another tenant, and Slack (which publishes no figures to space by), go at once.
    assert spacing.ahead([(Platform.TEAMS, "tenant-2", None), people[30]]) == 0
    assert spacing.ahead([(Platform.SLACK, "T1", None), (Platform.SLACK, "T1", "user:U1")]) == 0
    assert TEAMS_LIMITS.workspace == (Window(30, 1),)


def test_limits_can_be_set_per_platform() -> None:
    clock = Seconds()
    slack = Limits(conversation=(Window(1, 1),), workspace=(Window(2, 60),))
    spacing = Spacing({Platform.SLACK: slack}, now=clock)
    workspace, dm = (Platform.SLACK, "T1", None), (Platform.SLACK, "T1", "user:U1")
    spacing.take([workspace, dm])
    assert spacing.ahead([workspace, dm]) == pytest.approx(1 + MARGIN)
    assert spacing.ahead([workspace, (Platform.SLACK, "T1", "user:U2")]) == 0
    spacing.take([workspace, (Platform.SLACK, "T1", "user:U2")])
    assert spacing.ahead([workspace]) == pytest.approx(60 + MARGIN)
    # Teams is not spaced when the limits given leave it out.
    assert spacing.ahead([TENANT, KARI]) == 0


def test_keys_nobody_sends_to_any_more_are_forgotten() -> None:
    clock = Seconds()
    spacing = Spacing(now=clock)
    spacing.take([TENANT, KARI])
    clock.now += 3600 + MARGIN + SWEEP_EVERY
    spacing.take([TENANT, OLA])
    assert spacing.ahead([TENANT, KARI]) == 0
    assert set(spacing._sent) == {TENANT, OLA}  # noqa: SLF001 - what is kept is the point
