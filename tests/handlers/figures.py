"""A team's figures over five weeks, as a CRM export would send them: calls well short of goal,
meetings booked well above the usual, sales on goal; one seller far behind on calls."""

from __future__ import annotations

import random
from datetime import date, timedelta

from pepptalk.core.i18n import copy_for

NAMES = {"UANNA": "Anna Berg", "UBJORN": "Bjørn Dahl", "UCARL": "Carl Ek"}
EN = copy_for("en")
# The week before a Thursday 26 November meeting (18-24 November), and the four before it.
WEEK_ENDS = [date(2026, 11, 24) - timedelta(days=7 * i) for i in range(5)]

# (seller, metric) -> figures for the week of WEEK_ENDS[0], then the four weeks before it.
FIGURES = {
    ("UANNA", "calls"): [243, 251, 262, 248, 257],
    ("UBJORN", "calls"): [231, 247, 253, 259, 244],
    ("UCARL", "calls"): [118, 246, 255, 249, 252],
    ("UANNA", "meetings"): [47, 31, 33, 29, 32],
    ("UBJORN", "meetings"): [52, 33, 31, 34, 30],
    ("UCARL", "meetings"): [30, 29, 31, 33, 28],
    ("UANNA", "sales"): [41350, 39870, 40420, 38730, 41190],
    ("UBJORN", "sales"): [39870, 40610, 39540, 40080, 40330],
    ("UCARL", "sales"): [38990, 41020, 40170, 39260, 39950],
}
GOALS = {"calls": 250, "sales": 40000}


def history_csv() -> str:
    """The figures as a CRM export would send them: one row a week per seller and metric,
    sent in no particular order."""
    rows = []
    for (seller, metric), weeks in FIGURES.items():
        for ends, value in zip(WEEK_ENDS, weeks, strict=True):
            goal = GOALS.get(metric)
            day = ends - timedelta(days=1)
            rows.append(f"{day},{seller},{metric},{value},{goal if goal else ''}")
    random.Random(7).shuffle(rows)
    return "\n".join(["date,seller,metric,value,goal", *rows])


def figures_sent() -> set[str]:
    """Every figure in the history, and every sum of it, as the team could read them."""
    numbers: set[float] = set(GOALS.values())
    for metric in ("calls", "meetings", "sales"):
        sellers = [w for (_, m), w in FIGURES.items() if m == metric]
        for week in range(5):
            numbers.update(w[week] for w in sellers)
            numbers.add(sum(w[week] for w in sellers))
        if metric in GOALS:
            numbers.add(GOALS[metric] * len(sellers))
    return {EN.number(n) for n in numbers} | {str(int(n)) for n in numbers}
