"""The one table of Pepptalk's habits. Adding a habit: its module, one line here, its prompts.

The order is the order `help` lists their commands in.
"""

from __future__ import annotations

from pepptalk.handlers import (
    actions,
    agenda,
    checkin,
    crm,
    digest,
    feedback,
    goals,
    help,
    home,
    metrics,
    notes,
    pause,
    privacy,
    recognition,
    reminders,
    seen,
    settings,
    summary,
    team,
    topics,
    welcome,
)
from pepptalk.handlers.habit import Registry

REGISTRY = Registry(
    (
        team.HABIT,
        settings.HABIT,
        metrics.HABIT,
        crm.HABIT,
        goals.HABIT,
        welcome.HABIT,
        checkin.HABIT,
        notes.HABIT,
        reminders.HABIT,
        summary.HABIT,
        pause.HABIT,
        recognition.HABIT,
        feedback.HABIT,
        seen.HABIT,
        topics.HABIT,
        agenda.HABIT,
        actions.HABIT,
        digest.HABIT,
        privacy.HABIT,
        home.HABIT,
        help.HABIT,
    )
)
