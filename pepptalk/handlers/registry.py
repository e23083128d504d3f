"""The one table of Pepptalk's habits. Adding a habit: its module, one line here, its prompts.

Each line also says where `help all` lists the habit's commands: the sections come in the order
`Section` declares them, and within a section the commands come in this table's order. This order
is also the order the schedule's minute runs the jobs in, so a line's place here is not only a
matter of help.
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
from pepptalk.handlers.habit import Registry, Section

REGISTRY = Registry(
    (
        team.HABIT.within(Section.TEAM),
        settings.HABIT.within(Section.TEAM),
        metrics.HABIT.within(Section.NUMBERS),
        crm.HABIT.within(Section.NUMBERS),
        goals.HABIT.within(Section.NUMBERS),
        welcome.HABIT.within(Section.MORNINGS),
        checkin.HABIT.within(Section.MORNINGS),
        notes.HABIT.within(Section.MORNINGS),
        reminders.HABIT.within(Section.MORNINGS),
        summary.HABIT.within(Section.MORNINGS),
        pause.HABIT.within(Section.MORNINGS),
        recognition.HABIT.within(Section.WINS),
        feedback.HABIT.within(Section.TALKS),
        seen.HABIT.within(Section.TALKS),
        topics.HABIT.within(Section.MEETINGS),
        agenda.HABIT.within(Section.MEETINGS),
        actions.HABIT.within(Section.MEETINGS),
        digest.HABIT.within(Section.DIGEST),
        privacy.HABIT.within(Section.DATA),
        home.HABIT.within(Section.HELP),
        help.HABIT.within(Section.HELP),
    )
)
