"""Thousands of wrongly shaped requests, signed as the platform signs them: every one gets a
4xx or a calm 2xx, none a 5xx, and none leaves a traceback in the log (seeded, so a failure
can be replayed; bench/fuzz.py runs the same at 10,000)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from pepptalk.bot.slack import shapes as slack_shapes
from pepptalk.bot.teams import shapes as teams_shapes
from tests.bot.fuzzing import fuzz_slack, fuzz_teams

SEED = 20261123
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)
KEYS = st.sampled_from(
    [
        "type",
        "event",
        "view",
        "actions",
        "user",
        "team",
        "from",
        "conversation",
        "value",
        "serviceUrl",
        "channelData",
        "membersAdded",
        "name",
        "state",
        "values",
        "id",
        "tenant",
    ]
)
SHAPED = st.recursive(JSON, lambda inner: st.dictionaries(KEYS, inner, max_size=6), max_leaves=40)


async def test_wrongly_shaped_slack_requests_get_4xx_and_no_traceback() -> None:
    tally = await fuzz_slack(600, seed=SEED)
    assert tally.server_errors == 0, tally.statuses
    assert tally.tracebacks == 0, tally.examples
    assert tally.statuses[400] > 100  # the fuzzer does reach the shape check


async def test_wrongly_shaped_teams_activities_get_4xx_and_no_traceback() -> None:
    tally = await fuzz_teams(600, seed=SEED)
    assert tally.server_errors == 0, tally.statuses
    assert tally.tracebacks == 0, tally.examples
    assert tally.statuses[400] > 100


@settings(max_examples=400)
@given(SHAPED)
def test_the_shape_checks_answer_any_json_without_raising(body: object) -> None:
    for problem in (slack_shapes.problem(body), teams_shapes.problem(body)):
        assert problem is None or isinstance(problem, str)
    json.dumps(body)  # the input was JSON, as a request body is
