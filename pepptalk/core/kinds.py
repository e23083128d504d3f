"""The small closed vocabularies every layer shares, as enums so a typo is a type error."""

from __future__ import annotations

from enum import IntEnum, StrEnum

from pepptalk.core.values import whole_number


class Role(StrEnum):
    """A person's part in a team."""

    LEADER = "leader"
    SELLER = "seller"


class Platform(StrEnum):
    """Where a team lives."""

    SLACK = "slack"
    TEAMS = "teams"
    PLAYGROUND = "playground"


class DeliveryStatus(StrEnum):
    """Where a proactive message is in the outbox."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class DeliveryKind(StrEnum):
    """What a proactive message is; a kind may carry a suffix (`win:42`) to be unique per day."""

    CHECKIN = "checkin"
    REMINDER = "reminder"
    SUMMARY = "summary"
    LATE_LOW = "late"
    NUDGE = "nudge"
    WIN = "win"
    WELCOME = "welcome"
    AGENDA = "agenda"
    PRE_READ = "preread"
    ACTION = "action"
    DIGEST = "digest"
    PULSE = "pulse"
    CRM = "crm"

    def keyed(self, key: object) -> str:
        """This kind for one thing (a win, say), so several a day each get their own row."""
        return f"{self.value}:{key}"

    @staticmethod
    def of(stored: str) -> str:
        """The kind part of a stored kind ("win:42" -> "win")."""
        return stored.partition(":")[0]


class Cadence(StrEnum):
    """How often a seller should have a feedback talk."""

    DAILY = "daily"
    TWICE_WEEKLY = "twice-weekly"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"

    @property
    def days(self) -> int:
        """Calendar days between talks; twice a week is every three or four days."""
        return _CADENCE_DAYS[self]

    @classmethod
    def parse(cls, text: str) -> Cadence | None:
        """A cadence from the word a person typed, or None."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            return None


_CADENCE_DAYS = {Cadence.DAILY: 1, Cadence.TWICE_WEEKLY: 3, Cadence.WEEKLY: 7, Cadence.BIWEEKLY: 14}


class FeedbackKind(StrEnum):
    """The kinds of feedback talk a leader logs."""

    PRAISE = "praise"
    COACHING = "coaching"
    GOAL = "goal"
    ONE_TO_ONE = "one_to_one"


class Mood(IntEnum):
    """A morning's mood, 1 (worst) to 5 (best): the values the check-in buttons carry."""

    ROUGH = 1
    LOW = 2
    OKAY = 3
    GOOD = 4
    GREAT = 5

    @property
    def is_low(self) -> bool:
        """A mood worth a word from the leader before the first call."""
        return self <= Mood.LOW

    @property
    def emoji(self) -> str:
        """The face on the button."""
        return _MOOD_EMOJI[self]

    @classmethod
    def parse(cls, text: str) -> Mood | None:
        """A mood from a button value ("1" to "5"), or None."""
        value = whole_number(text, most=5)
        return cls(value) if value is not None and value >= 1 else None


_MOOD_EMOJI = {
    Mood.ROUGH: "😣",
    Mood.LOW: "😕",
    Mood.OKAY: "😐",
    Mood.GOOD: "🙂",
    Mood.GREAT: "😄",
}


class TopicAudience(StrEnum):
    """Who a seller's topic is for."""

    TEAM = "team"
    ONE_TO_ONE = "private"


class AgendaItemKind(StrEnum):
    """What an item of a meeting agenda is."""

    QUESTION = "question"
    WIN = "win"
    TOPIC = "topic"
    ACTION = "action"
    DIGEST = "digest"
    PULSE = "pulse"
    CUSTOM = "custom"
