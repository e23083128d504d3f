"""Checking that the sender waited as a platform told it: as long, plus no more than its jitter."""

from __future__ import annotations

from pepptalk.bot.pacing import TOLD_JITTER, TOLD_JITTER_MOST


def as_told(waits: list[float], *told: float) -> bool:
    """Whether each wait lasted what the platform said, and at most the jitter longer."""
    return len(waits) == len(told) and all(
        said <= wait <= said + min(said * TOLD_JITTER, TOLD_JITTER_MOST)
        for wait, said in zip(waits, told, strict=True)
    )
