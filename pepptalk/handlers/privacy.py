"""Private by default: anyone can take their data with them (`export`) or have it erased
(`forget-me`, after one tap to confirm), and notes go once they are older than the operator's
retention period (the `retention` job, every tick)."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from pepptalk.core.i18n import Copy
from pepptalk.core.kinds import Platform, Role
from pepptalk.core.messages import (
    Attachment,
    Button,
    Buttons,
    Link,
    Message,
    Note,
    Paragraph,
    Reply,
    Style,
    Text,
    plain,
)
from pepptalk.core.ports import Actor, DeliveryError, Press, RateLimitedError
from pepptalk.core.privacy import DEFAULT_POLICY, Policy
from pepptalk.handlers.grammar import CommandLine, read_id
from pepptalk.handlers.habit import (
    ButtonSpec,
    Habit,
    JobSpec,
    OpenCommand,
    TeamTurn,
    Turn,
    by_value,
)
from pepptalk.store.privacy import PersonData
from pepptalk.store.teams import Membership
from pepptalk.store.uow import UnitOfWork

log = logging.getLogger(__name__)

FORGET = "privacy_forget"
ERASE_TEAM = "privacy_erase_team"
# The export's layout: raise it when a field changes meaning or goes; new fields may be added.
EXPORT_FORMAT = 1
JSON = "application/json"
LINK_VALID = timedelta(minutes=15)
DOWNLOAD_PATH = "/download/"


def _private(text: Text) -> Reply:
    return Reply(message=Message(summary=plain(text), blocks=(Paragraph(text),)), private=True)


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_document(data: PersonData, *, now: datetime, actor: Actor) -> dict[str, Any]:
    """A person's data as the export's JSON document (see docs/privacy.md, "The export file")."""
    teams = {team.id: team.name for _, team in data.memberships}

    def team(team_id: int) -> str:
        return teams.get(team_id, "")

    return {
        "format": EXPORT_FORMAT,
        "exported_at": now.isoformat(),
        "person": {
            "platform": actor.platform.value,
            "workspace_id": actor.workspace_id,
            "user_id": actor.user_id,
        },
        "memberships": [
            {
                "team": t.name,
                "role": m.role.value,
                "name": m.display_name,
                "email": m.email,
                "timezone": m.timezone,
                "joined_at": _when(m.joined_at),
                "removed_at": _when(m.removed_at),
                "feedback_cadence": m.cadence.value,
                "feedback_wish": m.cadence_wish.value if m.cadence_wish else None,
                "reminders": m.reminders,
                "paused": m.paused,
                "paused_until": m.paused_until.isoformat() if m.paused_until else None,
            }
            for m, t in data.memberships
        ],
        "checkins": [
            {
                "team": team(c.team_id),
                "date": c.local_date.isoformat(),
                "mood": int(c.mood),
                "note": c.note,
                "note_private": c.note_private if c.note is not None else None,
                "answered_at": _when(c.answered_at),
                "changed_at": _when(c.updated_at),
            }
            for c in data.checkins
        ],
        "wins": [
            {
                "team": team(w.team_id),
                "date": w.won_on.isoformat(),
                "text": w.text,
                "shout_out_at": _when(w.shouted_at),
            }
            for w in data.wins
        ],
        "topics": [
            {
                "team": team(t.team_id),
                "text": t.text,
                "for": t.audience.value if t.audience else None,
                "proposed_at": _when(t.created_at),
                "closed_at": _when(t.closed_at),
            }
            for t in data.topics
        ],
        "feedback_about_you": [
            {
                "team": team(talk.feedback.team_id),
                "date": talk.feedback.given_on.isoformat(),
                "kind": talk.feedback.kind.value,
                "note": talk.feedback.note,
                "by": talk.other,
            }
            for talk in data.feedback_about
        ],
        "feedback_you_logged": [
            {
                "team": team(talk.feedback.team_id),
                "date": talk.feedback.given_on.isoformat(),
                "kind": talk.feedback.kind.value,
                "note": talk.feedback.note,
                "about": talk.other,
            }
            for talk in data.feedback_given
        ],
        "actions": [
            {
                "team": team(a.team_id),
                "number": a.number,
                "text": a.text,
                "created_at": _when(a.created_at),
                "done_at": _when(a.done_at),
            }
            for a in data.actions
        ],
        "actions_you_recorded": [
            {
                "team": team(a.team_id),
                "number": a.number,
                "text": a.text,
                "owner": owner,
                "created_at": _when(a.created_at),
                "done_at": _when(a.done_at),
            }
            for a, owner in data.actions_recorded
        ],
        "figures": [
            {
                "team": team(f.team_id),
                "date": f.day.isoformat(),
                "metric": f.metric,
                "value": f.value,
                "goal": f.goal,
            }
            for f in data.metrics
        ],
    }


async def export_data(*, turn: Turn, line: CommandLine) -> Reply:
    """`export`: the person's own data as a JSON file: into their DM where the platform takes a
    file (Slack), else behind a one-time link valid for a quarter of an hour."""
    copy, actor = turn.copy, turn.actor
    data = await turn.uow.privacy.of_person(workspace_id=actor.workspace_id, user_id=actor.user_id)
    document = export_document(data, now=turn.now, actor=actor)
    body = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    name = f"pepptalk-export-{turn.now.date().isoformat()}.json"
    if actor.platform is Platform.SLACK:
        said = copy("privacy.export_file")
        file = Attachment(body, name, JSON, copy("privacy.export_title", name=name))
        try:
            await turn.chat.send_direct(
                platform=actor.platform,
                workspace_id=actor.workspace_id,
                user_id=actor.user_id,
                message=Message(summary=said, blocks=(Paragraph(said), file)),
            )
        except (DeliveryError, RateLimitedError) as error:
            reason = error.reason if isinstance(error, DeliveryError) else "rate limited"
            log.warning("export: the file could not be sent: %s", reason)
            return _private(copy.text("privacy.export_failed", reason=reason))
        return _private(copy("privacy.export_sent", name=name))
    # The playground serves the page itself; anywhere else the link needs the public address.
    base = "" if actor.platform is Platform.PLAYGROUND else turn.policy.public_url
    if base is None:
        log.warning("export: PUBLIC_URL is not set, so no download link can be made for Teams")
        return _private(copy("privacy.no_public_url"))
    token = await turn.uow.downloads.offer(
        workspace_id=actor.workspace_id,
        user_id=actor.user_id,
        name=name,
        mime=JSON,
        data=body,
        language=turn.seat.team.language if turn.seat else "en",
        now=turn.now,
        valid_for=LINK_VALID,
    )
    said = copy("privacy.export_ready", minutes=int(LINK_VALID.total_seconds() // 60))
    link = Link(f"{base}{DOWNLOAD_PATH}{token}", copy("privacy.download", name=name))
    return Reply(
        message=Message(
            summary=said, blocks=(Paragraph(said), link, Note(copy("privacy.export_note")))
        ),
        private=True,
    )


def _confirmation(copy: Copy, user_id: str) -> Message:
    said = copy.text("privacy.confirm")
    button = Button(copy("privacy.confirm_button"), FORGET, user_id, Style.DANGER)
    return Message(
        summary=copy("privacy.confirm_summary"),
        blocks=(Paragraph(said), Buttons(group=f"forget:{user_id}", buttons=(button,))),
    )


async def _sole_leader(turn: Turn | TeamTurn, seat: Membership) -> Reply:
    """Ask a team's only leader to hand the team over, or to erase it with a second tap (said
    plainly when no one else is left in it)."""
    copy, team = turn.copy, seat.team
    alone = len(await turn.uow.teams.members(team.id)) <= 1
    said = copy.text("privacy.sole_member" if alone else "privacy.sole_leader", team=team.name)
    button = Button(
        copy("privacy.erase_team_button", team=team.name),
        ERASE_TEAM,
        f"{team.id}:{turn.actor.user_id}",
        Style.DANGER,
    )
    return Reply(
        message=Message(
            summary=copy("privacy.confirm_summary"),
            blocks=(Paragraph(said), Buttons(group=f"erase-team:{team.id}", buttons=(button,))),
        ),
        private=True,
    )


async def ask_to_forget(*, turn: Turn, line: CommandLine) -> Reply:
    """`forget-me`: what erasing means, with one button to confirm (a team's only leader is
    asked to hand the team over first, or to erase the whole team)."""
    copy, actor, privacy = turn.copy, turn.actor, turn.uow.privacy
    if not await privacy.holds_anything(workspace_id=actor.workspace_id, user_id=actor.user_id):
        return _private(copy("privacy.nothing_kept"))
    seat = turn.seat
    if seat is not None and await privacy.sole_leader_of(seat.member):
        return await _sole_leader(turn, seat)
    return Reply(message=_confirmation(copy, actor.user_id), private=True)


async def forget_person(*, turn: Turn | TeamTurn, target: str) -> Reply:
    """The confirmation tap: erase the person who asked, and only when it is them tapping."""
    copy, actor = turn.copy, turn.actor
    if target != actor.user_id:
        return _private(copy("privacy.not_yours"))
    seat = turn.seat
    if seat is not None and await turn.uow.privacy.sole_leader_of(seat.member):
        # Their co-leader left between the question and the tap.
        return await _sole_leader(turn, seat)
    erased = await turn.uow.privacy.erase_person(
        workspace_id=actor.workspace_id, user_id=actor.user_id
    )
    if not erased:
        return _private(copy("privacy.already_forgotten"))
    # Signed in to the history pages somewhere: that ends too.
    await turn.uow.web_sessions.remove_for(actor.platform, actor.user_id)
    log.info("forget-me: erased %d membership(s) of one person", erased)
    said = copy("privacy.forgotten")
    return Reply(message=Message(summary=said, blocks=(Paragraph(said),)), replace=True)


def _read_team_target(value: str) -> tuple[int, str] | None:
    team, _, user_id = value.partition(":")
    team_id = read_id(team)
    return (team_id, user_id) if team_id is not None and user_id else None


async def erase_team(*, turn: Turn | TeamTurn, target: tuple[int, str]) -> Reply:
    """The second confirmation of a team's only leader: the team and all kept in it, then
    everything about the leader."""
    copy, actor = turn.copy, turn.actor
    team_id, user_id = target
    if user_id != actor.user_id:
        return _private(copy("privacy.not_yours"))
    seat = turn.seat
    if seat is None or seat.team.id != team_id or seat.member.role is not Role.LEADER:
        return _private(copy("privacy.already_forgotten"))
    name = seat.team.name
    people = await turn.uow.privacy.erase_team(team_id)
    await turn.uow.privacy.erase_person(workspace_id=actor.workspace_id, user_id=actor.user_id)
    await turn.uow.web_sessions.remove_for(actor.platform, actor.user_id)
    log.info("forget-me: erased a team of %d member(s) with its leader", len(people))
    said = copy("privacy.team_erased", team=name)
    return Reply(message=Message(summary=said, blocks=(Paragraph(said),)), replace=True)


def _read_press(press: Press) -> str | None:
    return press.value or None


async def forget_old_notes(
    *, uow: UnitOfWork, now: datetime, queued_at: datetime, policy: Policy = DEFAULT_POLICY
) -> int:
    """Drop the notes older than the retention period (moods stay: they are the history the
    summary and the digest read), and the export files whose link has expired or was used."""
    gone = await uow.privacy.forget_notes(before=now - timedelta(days=policy.retention_days))
    await uow.downloads.forget_expired(now)
    return gone


HABIT = Habit(
    name="privacy",
    commands=(
        OpenCommand(("export",), "help.export", export_data),
        OpenCommand(("forget-me",), "help.forget_me", ask_to_forget),
    ),
    buttons=(
        ButtonSpec(FORGET, _read_press, forget_person, without_team=forget_person),
        ButtonSpec(ERASE_TEAM, by_value(_read_team_target), erase_team, without_team=erase_team),
    ),
    jobs=(JobSpec("retention", forget_old_notes),),
)
