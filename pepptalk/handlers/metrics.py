"""Numbers in: a team's figures from a CRM export or a script, by the metrics API, a CSV file in
Slack, or `pepptalk metrics import`. Each figure is keyed by (team, date, seller, metric), so
sending it again replaces it. The numbers go out as a pre-read, never as an agenda item.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from pepptalk.core.i18n import Copy, copy_for
from pepptalk.core.kinds import Role
from pepptalk.core.messages import Message, Note, Paragraph, Reply, text_reply
from pepptalk.handlers.grammar import CommandLine
from pepptalk.handlers.habit import Habit, TeamCommand, TeamTurn
from pepptalk.handlers.people import fold
from pepptalk.store.metrics import MetricRow
from pepptalk.store.models import Member, Team
from pepptalk.store.uow import UnitOfWork

REQUIRED = ("date", "seller", "metric", "value")
MAX_BODY = 5 * 1024 * 1024
_METRIC_NAME = re.compile(r"^[^\W_][\w-]{0,39}$")


@dataclass(frozen=True)
class RawRow:
    """One row as sent, before it is checked: its line (CSV: the header is line 1; JSON: the
    row's index from 1) and its fields as text."""

    line: int
    fields: dict[str, str]


@dataclass(frozen=True)
class Refused:
    """Why a whole body was refused (nothing is stored): a prompt key and its values."""

    key: str
    values: dict[str, object] = field(default_factory=dict)

    def text(self, copy: Copy) -> str:
        """The reason, in words."""
        return copy(self.key, **self.values)


@dataclass
class ImportReport:
    """What an import did: how many rows were kept, and each refused row's line and reason."""

    stored: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        """The API's answer."""
        return {
            "stored": self.stored,
            "rejected": [{"line": line, "reason": reason} for line, reason in self.rejected],
        }


def _columns(names: Iterable[str]) -> dict[str, str]:
    """Header names as sent, by their lower-case, trimmed form."""
    return {name.strip().lower(): name for name in names if name}


def read_csv(text: str) -> list[RawRow] | Refused:
    """CSV rows with a header (columns in any order; `,`, `;` or tab between them)."""
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    if not first.strip():
        return Refused("metrics.empty")
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    columns = _columns(reader.fieldnames or [])
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        return Refused("metrics.missing_columns", {"columns": ", ".join(missing)})
    rows = []
    try:
        for record in reader:
            fields = {key: (record.get(name) or "").strip() for key, name in columns.items()}
            if any(fields.values()):
                rows.append(RawRow(reader.line_num, fields))
    except csv.Error as error:
        return Refused("metrics.not_csv", {"reason": str(error)[:80]})
    return rows


def read_json(data: object) -> list[RawRow] | Refused:
    """JSON: a list of objects with the same fields as the CSV columns."""
    if not isinstance(data, list):
        return Refused("metrics.not_a_list")
    rows = []
    for index, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            rows.append(RawRow(index, {}))
            continue
        fields = {
            str(k).strip().lower(): "" if v is None else str(v).strip() for k, v in item.items()
        }
        rows.append(RawRow(index, fields))
    return rows


def read_body(body: bytes, content_type: str) -> list[RawRow] | Refused:
    """A request body as rows: CSV or JSON by its content type (or, without one, by its look)."""
    if len(body) > MAX_BODY:
        return Refused("metrics.too_big", {"max": MAX_BODY // (1024 * 1024)})
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Refused("metrics.not_text")
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json" or (
        kind not in ("text/csv", "text/plain") and text.lstrip()[:1] == "["
    ):
        try:
            return read_json(json.loads(text))
        except (ValueError, RecursionError):
            return Refused("metrics.not_json")
    if kind in ("text/csv", "text/plain", "application/csv", ""):
        return read_csv(text)
    return Refused("metrics.bad_type", {"type": kind[:40]})


def read_number(text: str) -> float | None:
    """A number as people write it: `.` or `,` as decimal mark, spaces between thousands."""
    cleaned = text.replace("\u00a0", "").replace(" ", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class _Sellers:
    """Finding the member a row names: platform user id, e-mail, or name as Pepptalk shows it."""

    def __init__(self, members: Sequence[Member]) -> None:
        self.by_id = {m.user_id: m for m in members}
        self.by_email = {m.email.casefold(): m for m in members if m.email}
        names: dict[str, list[Member]] = {}
        for member in members:
            names.setdefault(fold(member.display_name), []).append(member)
        self.by_name = {name: found[0] for name, found in names.items() if len(found) == 1}

    def find(self, text: str) -> Member | None:
        return (
            self.by_id.get(text)
            or self.by_email.get(text.casefold())
            or self.by_name.get(fold(text))
        )


def check_rows(
    copy: Copy, members: Sequence[Member], rows: Sequence[RawRow]
) -> tuple[list[MetricRow], list[tuple[int, str]]]:
    """The rows that can be kept, and why each of the others cannot."""
    sellers = _Sellers(members)
    good: dict[tuple[int, str, date], MetricRow] = {}
    rejected: list[tuple[int, str]] = []
    for row in rows:
        fields = row.fields
        try:
            day = date.fromisoformat(fields.get("date", ""))
        except ValueError:
            rejected.append((row.line, copy("metrics.bad_date", value=fields.get("date", "")[:40])))
            continue
        seller = sellers.find(fields.get("seller", ""))
        if seller is None:
            rejected.append(
                (row.line, copy("metrics.unknown_seller", value=fields.get("seller", "")[:60]))
            )
            continue
        metric = fields.get("metric", "").lower()
        if not _METRIC_NAME.match(metric):
            rejected.append((row.line, copy("metrics.bad_metric", value=metric[:40])))
            continue
        value = read_number(fields.get("value", ""))
        if value is None:
            rejected.append(
                (row.line, copy("metrics.bad_number", value=fields.get("value", "")[:40]))
            )
            continue
        goal_text = fields.get("goal", "")
        goal = read_number(goal_text) if goal_text else None
        if goal_text and goal is None:
            rejected.append((row.line, copy("metrics.bad_number", value=goal_text[:40])))
            continue
        # A row sent twice in one body: the last one counts, as a re-send would.
        good[(seller.id, metric, day)] = MetricRow(seller.id, day, metric, value, goal)
    return list(good.values()), rejected


async def import_rows(
    *, uow: UnitOfWork, team: Team, rows: Sequence[RawRow], copy: Copy, now: datetime
) -> ImportReport:
    """Keep a team's figures; report what was stored and what was not, row by row."""
    members = await uow.teams.members(team.id)
    good, rejected = check_rows(copy, members, rows)
    stored = await uow.metrics.keep(
        workspace_id=team.workspace_id, team_id=team.id, rows=good, now=now
    )
    return ImportReport(stored=stored, rejected=rejected)


async def import_by_token(
    *,
    uow: UnitOfWork,
    token: str,
    rows: Callable[[], list[RawRow] | Refused],
    now: datetime,
) -> ImportReport | Refused | None:
    """The metrics API: figures for the team the token belongs to (None: no team has it). The
    token is checked before the body is read, so a stranger learns nothing about its format."""
    team = await uow.teams.by_token_hash(token_hash(token)) if token else None
    if team is None:
        return None
    read = rows()
    if isinstance(read, Refused):
        return read
    return await import_rows(uow=uow, team=team, rows=read, copy=api_copy(), now=now)


async def import_for_team(
    *,
    uow: UnitOfWork,
    team_name: str,
    workspace_id: str | None,
    rows: Sequence[RawRow],
    now: datetime,
) -> ImportReport | Refused:
    """`pepptalk metrics import`: figures for a team an operator names."""
    teams = await uow.teams.named_in(workspace_id, team_name)
    if not teams:
        return Refused("metrics.no_such_team", {"team": team_name})
    if len(teams) > 1:
        return Refused("metrics.many_teams", {"team": team_name})
    return await import_rows(uow=uow, team=teams[0], rows=rows, copy=api_copy(), now=now)


def token_hash(token: str) -> str:
    """What is kept of a token: its SHA-256, so a leaked database leaks no token."""
    return hashlib.sha256(token.encode()).hexdigest()


def report_message(copy: Copy, report: ImportReport) -> Message:
    """An import's report, for a person."""
    said = copy(
        "metrics.stored_one" if report.stored == 1 else "metrics.stored", stored=report.stored
    )
    blocks: list[Paragraph | Note] = [Paragraph(said)]
    shown = report.rejected[:10]
    blocks.extend(
        Paragraph(copy("metrics.rejected_line", line=line, reason=reason)) for line, reason in shown
    )
    if len(report.rejected) > len(shown):
        blocks.append(Note(copy("metrics.more_rejected", count=len(report.rejected) - len(shown))))
    blocks.append(Note(copy("metrics.where_they_go")))
    return Message(summary=said, blocks=tuple(blocks))


async def import_from_chat(*, turn: TeamTurn, text: str) -> Reply:
    """A CSV file a leader dropped into the chat with Pepptalk."""
    copy = turn.copy
    if not turn.is_leader:
        return text_reply(copy("errors.leaders_only"))
    rows = read_body(text.encode(), "text/csv")
    if isinstance(rows, Refused):
        return text_reply(rows.text(copy))
    report = await import_rows(uow=turn.uow, team=turn.team, rows=rows, copy=copy, now=turn.now)
    return Reply(message=report_message(copy, report))


async def new_token(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`team token`: a new token for the metrics API, shown once; the old one stops working."""
    copy = turn.copy
    token = secrets.token_urlsafe(32)
    turn.team.metrics_token_hash = token_hash(token)
    said = copy("metrics.token_intro")
    return Reply(
        message=Message(
            summary=said,
            blocks=(Paragraph(said), Paragraph(token), Note(copy("metrics.token_how"))),
        )
    )


def api_copy() -> Copy:
    """The API answers in English: its readers are programs and the people who write them."""
    return copy_for("en")


HABIT = Habit(
    name="metrics",
    commands=(
        TeamCommand(
            ("team", "token"), "help.team_token", new_token, role=Role.LEADER, private=True
        ),
    ),
)
