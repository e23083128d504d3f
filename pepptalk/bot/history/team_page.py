"""The leader's team page, made ready for its template, and the same weeks as a CSV file."""

from __future__ import annotations

import csv
import io
from functools import cache
from typing import Any

from babel.numbers import get_decimal_symbol

from pepptalk.bot.history.mood_chart import Point, draw, strip
from pepptalk.core.i18n import Copy
from pepptalk.core.kinds import AgendaItemKind, FeedbackKind
from pepptalk.handlers.history import CellState, Talk, TeamHistory


def team_context(copy: Copy, history: TeamHistory) -> dict[str, Any]:
    """What team.html shows, worded in the team's language. Dates and numbers are formatted once
    each: a year of weeks repeats the same few hundred, and formatting is most of a page's cost."""
    day = cache(copy.short_date)
    decimal = get_decimal_symbol(copy.locale)

    def number(value: float) -> str:
        # One decimal, none when it is nought, as copy.number writes a mood ("4", "3,8").
        return f"{value:.1f}".removesuffix(".0").replace(".", decimal)

    said: dict[CellState, str] = {
        s: copy(f"history.cell_{s.value}") for s in CellState if s is not CellState.MOOD
    }
    shown = {CellState.NO_ANSWER: "–", CellState.AWAY: "‖", CellState.HOLIDAY: "✱"}

    kinds = {kind: copy(f"feedback.kind_{kind.value}") for kind in FeedbackKind}

    @cache
    def gap(first: bool, days: int | None) -> str:
        if days is None:
            return ""
        return copy("history.gap_first" if first else "history.gap", days=days)

    def talk_lines(talks: list[Talk]) -> list[tuple[bool, str, str, str]]:
        """Newest first: late or not, the day, the kind, the gap before it."""
        return [(t.late, day(t.day), kinds[t.kind], gap(t.first, t.gap_days)) for t in talks[::-1]]

    def cell(state: CellState, average: float | None) -> tuple[str, str, str]:
        if average is not None:
            return f"m{round(average)}", number(average), ""
        return state.value, shown.get(state, ""), said[state]

    points = [Point(copy.month_day(w.monday), w.average, w.low, w.high) for w in history.moods]
    answered = sum(w.answered for w in history.moods)
    asked = sum(w.asked for w in history.moods)
    averages = [w.average for w in history.moods if w.average is not None]
    if averages:
        summary = copy(
            "history.chart_summary",
            latest=copy.number(round(averages[-1], 1)),
            low=copy.number(round(min(averages), 1)),
            high=copy.number(round(max(averages), 1)),
        )
    else:
        summary = copy("history.chart_empty")
    return {
        "history": history,
        "chart": draw(points),
        "strips": {
            seller.member.id: strip(
                [t.day for t in seller.talks],
                [t.late for t in seller.talks],
                history.mondays[0],
                history.today,
            )
            for seller in history.sellers
        },
        "chart_desc": copy("history.chart_desc", summary=summary),
        "answered": answered,
        "asked": asked,
        "rate": copy.share(answered / asked) if asked else None,
        "states": CellState,
        "span": history.span,
        "question": AgendaItemKind.QUESTION,
        "cells": {
            row.member.id: [cell(c.state, c.average) for c in row.cells] for row in history.sellers
        },
        "talk_lines": {row.member.id: talk_lines(row.talks) for row in history.sellers},
        "late_word": copy("history.gap_late"),
        "d": day,
        "n": number,
        "first": history.mondays[0],
    }


def team_csv(history: TeamHistory) -> str:
    """One row per seller and week: the week's average mood, answers, talks, wins and shout-outs."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["week", "seller", "state", "average_mood", "answers", "talks", "wins", "shout_outs"]
    )
    for seller in history.sellers:
        for index, (monday, cell) in enumerate(zip(history.mondays, seller.cells, strict=True)):
            sunday = monday.toordinal() + 6
            talks = sum(
                1 for t in seller.talks if monday.toordinal() <= t.day.toordinal() <= sunday
            )
            wins, shouted = seller.win_weeks.get(index, (0, 0))
            average = f"{cell.average:.2f}" if cell.average is not None else ""
            writer.writerow(
                [
                    monday.isoformat(),
                    seller.member.display_name,
                    cell.state.value,
                    average,
                    cell.answers,
                    talks,
                    wins,
                    shouted,
                ]
            )
    return out.getvalue()
