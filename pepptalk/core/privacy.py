"""Privacy rules every layer shares: the operator's settings the habits follow, and when an
aggregate may be shown to teammates."""

from __future__ import annotations

from dataclasses import dataclass, field

from pepptalk.core.crm import CrmAccess

# Below this many people answering, an average (or a total) says too much about each of them.
AGGREGATE_AT_LEAST = 3


def shareable(people: int) -> bool:
    """Whether an aggregate of this many people's answers may be shown to their teammates."""
    return people >= AGGREGATE_AT_LEAST


@dataclass(frozen=True)
class Policy:
    """What the operator set: how long notes are kept, Pepptalk's public address (for links
    a person opens outside the chat, such as an export's download; None: not set), and the CRMs
    the settings reach (their sources and the key that seals their secrets)."""

    retention_days: int = 365
    public_url: str | None = None
    crm: CrmAccess = field(default_factory=CrmAccess)


# What a job uses when nothing else is said (`pepptalk send` and the tick pass the settings').
DEFAULT_POLICY = Policy()
