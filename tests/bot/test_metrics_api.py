"""The metrics API over real HTTP: a team set up through Slack, its token from `team token`, then
figures posted to POST /api/metrics and read back from the database."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from pepptalk.bot import metrics_api
from pepptalk.bot.app import Pepptalk, slack_client
from pepptalk.bot.chats import PlatformChats
from pepptalk.bot.config import Settings
from pepptalk.bot.services import Services
from pepptalk.bot.slack.after_ack import AfterAck
from pepptalk.bot.slack.app import create_bolt_app
from pepptalk.bot.slack.chat import SlackChat
from pepptalk.bot.slack.clients import SlackInstalls, WorkspaceClients
from pepptalk.bot.slack.endpoint import SlackEndpoint
from pepptalk.bot.web import create_web_app
from pepptalk.core.kinds import Platform
from pepptalk.handlers import metrics as metrics_habit
from pepptalk.handlers.registry import REGISTRY
from pepptalk.store.database import Database
from pepptalk.store.metrics import Weeks
from tests.bot.slack.harness import SECRET, SlackHarness, running_pepptalk, serving, signed_headers
from tests.fakes.clock import FakeClock
from tests.fakes.slack_api import TOKEN, WORKSPACE, FakeSlackApi
from tests.stored import members, team_named

# Monday 23 November 2026, 09:00 in Oslo; the figures are for the week before.
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
SUNDAY = date(2026, 11, 22)
MIB = 1024 * 1024


@asynccontextmanager
async def running_on_postgres(engine: AsyncEngine, clock: FakeClock) -> AsyncIterator[SlackHarness]:
    """create_app's wiring on the test session's PostgreSQL schema (create_app takes a URL, and
    that schema needs a search_path a URL cannot carry), served like running_pepptalk's."""
    api = await FakeSlackApi().start()
    settings = Settings(
        _env_file=None,
        slack_bot_token=SecretStr(TOKEN),
        slack_signing_secret=SecretStr(SECRET),
        slack_api_url=api.base_url,
    )
    client = slack_client(settings)
    database = Database(engine)
    installs = SlackInstalls(database, WorkspaceClients(client))
    chat = PlatformChats({Platform.SLACK: SlackChat(installs.clients)})
    services = Services(database=database, chat=chat, registry=REGISTRY, clock=clock)
    later = AfterAck()
    bolt = create_bolt_app(
        client=client,
        signing_secret=SECRET,
        services=services,
        after_ack=later,
        installs=installs,
    )
    pepptalk = Pepptalk(
        settings=settings,
        database=database,
        services=services,
        bolt=bolt,
        web=create_web_app(services=services, slack=SlackEndpoint(bolt, SECRET)),
        closers=[later.close, installs.clients.close],
    )
    async with serving(pepptalk, api, clock) as harness:
        yield harness


@pytest.fixture
async def slack(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[SlackHarness]:
    """Pepptalk served with a fake Slack: create_app on SQLite, or on the emptied PostgreSQL
    schema that the `engine` fixture hands out."""
    clock = FakeClock(NOW)
    if engine.dialect.name == "sqlite":
        # Its own file, apart from the `engine` fixture's copy: create_app migrates it itself.
        served_from = tmp_path / "served"
        served_from.mkdir()
        async with running_pepptalk(served_from, clock) as harness:
            yield harness
    else:
        async with running_on_postgres(engine, clock) as harness:
            yield harness


def text_of(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False)


async def team_with_token(slack: SlackHarness) -> str:
    """Oslo, led by Kari, with Anna (known by e-mail too) and Bjørn Haugen, set up over Slack;
    the token its leader got with `team token`."""
    slack.api.add_user("ULEAD", "Kari")
    slack.api.add_user("UANNA", "Anna", email="anna@example.com")
    slack.api.add_user("UBJORN", "Bjørn Haugen")
    assert "is ready" in text_of(await slack.command("ULEAD", "team create Oslo"))
    added = await slack.command("ULEAD", "team add <@UANNA|anna> <@UBJORN|bjorn>")
    assert "Added" in text_of(added)
    return await new_token(slack)


async def new_token(slack: SlackHarness) -> str:
    """A fresh token, read from the reply the way a leader would copy it."""
    reply = await slack.command("ULEAD", "team token")
    assert reply["response_type"] == "ephemeral"
    token = str(reply["blocks"][1]["text"]["text"])
    assert len(token) > 30 and " " not in token
    return token


async def post(
    slack: SlackHarness,
    body: str | bytes,
    *,
    token: str | None,
    content_type: str | None = "text/csv",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """POST /api/metrics as an HTTP client would; the status and the JSON answer."""
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    if content_type is not None:
        sent["Content-Type"] = content_type
    data = body.encode() if isinstance(body, str) else body
    # No Content-Type at all when none is given (aiohttp would otherwise add its own).
    skip = () if content_type is not None else ("Content-Type",)
    async with slack.http.post(
        f"{slack.url}/api/metrics", data=data, headers=sent, skip_auto_headers=skip
    ) as response:
        assert response.content_type == "application/json"
        answer: dict[str, Any] = await response.json()
        return response.status, answer


async def team_id(slack: SlackHarness) -> int:
    team = await team_named(slack.pepptalk.database, WORKSPACE, "Oslo")
    assert team is not None
    return team.id


async def stored_count(slack: SlackHarness) -> int:
    tid = await team_id(slack)
    async with slack.pepptalk.database.uow() as uow:
        return await uow.metrics.count(tid)


async def this_week(slack: SlackHarness) -> dict[tuple[str, str], Weeks]:
    """Each seller's figures for the week ending Sunday 22 November, by user id and metric."""
    tid = await team_id(slack)
    ids = {m.id: m.user_id for m in await members(slack.pepptalk.database, tid)}
    async with slack.pepptalk.database.uow() as uow:
        weeks = await uow.metrics.weeks(team_id=tid, last=SUNDAY)
    return {(ids[member_id], metric): w for (member_id, metric), w in weeks.items()}


async def test_csv_columns_in_any_order_sellers_by_id_email_and_name(slack: SlackHarness) -> None:
    token = await team_with_token(slack)
    csv = (
        "metric,value,Seller,goal,date\n"
        "calls,40,UANNA,50,2026-11-16\n"
        "calls,12,anna@example.com,,2026-11-17\n"
        "meetings,3,Bjørn Haugen,4,2026-11-18\n"
        "sales,1200.5,bjorn haugen,,2026-11-19\n"
    )
    status, answer = await post(slack, csv, token=token)
    assert status == 200
    assert answer == {"stored": 4, "rejected": []}
    assert await stored_count(slack) == 4
    week = await this_week(slack)
    assert week[("UANNA", "calls")].values[0] == 52
    assert week[("UANNA", "calls")].goals[0] == 50
    assert week[("UBJORN", "meetings")].values[0] == 3
    assert week[("UBJORN", "sales")].values[0] == 1200.5


async def test_json_rows_and_a_body_without_content_type_read_by_its_look(
    slack: SlackHarness,
) -> None:
    token = await team_with_token(slack)
    rows: list[dict[str, object]] = [
        {"date": "2026-11-16", "seller": "UANNA", "metric": "calls", "value": 40, "goal": 50},
        {"seller": "ANNA@example.com", "metric": "Meetings", "value": "2,5", "date": "2026-11-17"},
        {"date": "2026-11-18", "seller": "Bjørn Haugen", "metric": "calls", "value": 7.5},
    ]
    status, answer = await post(
        slack, json.dumps(rows), token=token, content_type="application/json"
    )
    assert status == 200 and answer == {"stored": 3, "rejected": []}
    # Without a content type the body's look decides: a list is JSON.
    again = [dict(rows[0], value=41)]
    status, answer = await post(slack, json.dumps(again), token=token, content_type=None)
    assert status == 200 and answer["stored"] == 1
    csv = "date,seller,metric,value\n2026-11-16,UBJORN,calls,2\n"
    status, answer = await post(slack, csv, token=token, content_type=None)
    assert status == 200 and answer["stored"] == 1
    week = await this_week(slack)
    assert week[("UANNA", "calls")].values[0] == 41
    assert week[("UANNA", "meetings")].values[0] == 2.5
    assert week[("UBJORN", "calls")].values[0] == 9.5
    assert await stored_count(slack) == 4


async def test_semicolons_and_decimal_commas_as_a_spreadsheet_exports_them(
    slack: SlackHarness,
) -> None:
    token = await team_with_token(slack)
    csv = (
        "\ufeffdate;seller;metric;value;goal\r\n"
        "2026-11-16;UANNA;sales;1 234,5;2000\r\n"
        "2026-11-17;UBJORN;sales;99,25;\r\n"
    )
    status, answer = await post(slack, csv, token=token, content_type="text/csv; charset=utf-8")
    assert status == 200 and answer == {"stored": 2, "rejected": []}
    week = await this_week(slack)
    assert week[("UANNA", "sales")].values[0] == 1234.5
    assert week[("UBJORN", "sales")].values[0] == 99.25


async def test_bad_rows_are_named_by_line_and_the_good_ones_stored(slack: SlackHarness) -> None:
    token = await team_with_token(slack)
    csv = (
        "date,seller,metric,value\n"
        "2026-11-16,UANNA,calls,40\n"
        "16.11.2026,UANNA,calls,40\n"
        "2026-11-16,Sofie,calls,40\n"
        "2026-11-16,UBJORN,calls,lots\n"
        "2026-11-16,UBJORN,calls,8\n"
    )
    status, answer = await post(slack, csv, token=token)
    assert status == 200 and answer["stored"] == 2
    reasons = {item["line"]: item["reason"] for item in answer["rejected"]}
    assert sorted(reasons) == [3, 4, 5]
    assert "16.11.2026" in reasons[3] and "YYYY-MM-DD" in reasons[3]
    assert "Sofie" in reasons[4] and "isn't in this team" in reasons[4]
    assert "lots" in reasons[5] and "isn't a number" in reasons[5]
    assert await stored_count(slack) == 2

    rows = [
        {"date": "2026-11-17", "seller": "UANNA", "metric": "calls", "value": 1},
        {"date": "2026-11-17", "seller": "Nobody", "metric": "calls", "value": 1},
        "not a row",
    ]
    status, answer = await post(
        slack, json.dumps(rows), token=token, content_type="application/json"
    )
    assert status == 200 and answer["stored"] == 1
    assert [item["line"] for item in answer["rejected"]] == [2, 3]
    assert await stored_count(slack) == 3


async def test_sending_the_same_rows_again_replaces_them(slack: SlackHarness) -> None:
    token = await team_with_token(slack)
    first = "date,seller,metric,value\n2026-11-16,UANNA,calls,40\n2026-11-17,UANNA,calls,10\n"
    assert (await post(slack, first, token=token))[0] == 200
    nightly = "seller,date,metric,value\nUANNA,2026-11-16,calls,45\nUANNA,2026-11-17,calls,10\n"
    assert (await post(slack, nightly, token=token))[0] == 200
    assert (await post(slack, nightly, token=token))[0] == 200
    assert await stored_count(slack) == 2
    assert (await this_week(slack))[("UANNA", "calls")].values[0] == 55


async def test_a_new_token_makes_the_old_one_401(slack: SlackHarness) -> None:
    old = await team_with_token(slack)
    row = "date,seller,metric,value\n2026-11-16,UANNA,calls,40\n"
    assert (await post(slack, row, token=old))[0] == 200
    new = await new_token(slack)
    assert new != old
    status, answer = await post(slack, row.replace("40", "99"), token=old)
    assert status == 401 and "team token" in answer["error"]
    assert (await this_week(slack))[("UANNA", "calls")].values[0] == 40
    assert (await post(slack, row.replace("40", "41"), token=new))[0] == 200
    assert (await this_week(slack))[("UANNA", "calls")].values[0] == 41


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer forged-token", "Basic a2FyaTpzZWNyZXQ=", "forged-token"],
)
async def test_missing_or_forged_tokens_are_401_and_nothing_is_stored(
    slack: SlackHarness, authorization: str | None
) -> None:
    await team_with_token(slack)
    headers = {} if authorization is None else {"Authorization": authorization}
    row = "date,seller,metric,value\n2026-11-16,UANNA,calls,40\n"
    async with slack.http.post(
        f"{slack.url}/api/metrics",
        data=row,
        headers={"Content-Type": "text/csv", **headers},
    ) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert "Authorization: Bearer" in (await response.json())["error"]
    assert await stored_count(slack) == 0


async def test_a_forged_token_learns_nothing_about_a_bad_body(slack: SlackHarness) -> None:
    await team_with_token(slack)
    async with slack.http.post(
        f"{slack.url}/api/metrics",
        data=b"<rows/>",
        headers={"Content-Type": "application/xml", "Authorization": "Bearer forged-token"},
    ) as response:
        assert response.status == 401


@pytest.mark.parametrize(
    ("body", "content_type", "status", "says"),
    [
        (b"<rows><row/></rows>", "application/xml", 415, "not application/xml"),
        ("date,seller\n".encode("utf-16"), "text/csv", 400, "isn't UTF-8 text"),
        (b'[{"date": "2026-11-16",', "application/json", 400, "isn't JSON"),
        (b'{"date": "2026-11-16"}', "application/json", 400, "JSON list of rows"),
        (b"", "text/csv", 400, "The file is empty"),
        (b"\n2026-11-16,UANNA,calls,40\n", "text/csv", 400, "The file is empty"),
        (b"2026-11-16,UANNA,calls,40\n", "text/csv", 400, "missing date, seller, metric, value"),
        (b"date,seller,metric\n2026-11-16,UANNA,calls\n", "text/csv", 400, "missing value"),
        (
            b"date,seller,metric,value\n2026-11-16,UANNA,calls," + b"9" * 140_000,
            "text/csv",
            400,
            "isn't CSV",
        ),
    ],
)
async def test_a_body_that_is_not_rows_is_refused_and_nothing_is_stored(
    slack: SlackHarness,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    content_type: str,
    status: int,
    says: str,
) -> None:
    token = await team_with_token(slack)
    got, answer = await post(slack, body, token=token, content_type=content_type)
    assert got == status
    assert says in answer["error"]
    assert await stored_count(slack) == 0
    assert no_tracebacks(caplog)


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> bool:
    """Bad input is logged in a line at most: no error and no traceback."""
    return not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def csv_of_size(size: int) -> bytes:
    """A valid CSV of at least `size` bytes: rows for 100 days, a long comment on each."""
    rows = [b"date,seller,metric,value,comment"]
    length = len(rows[0])
    n = 0
    while length < size:
        day = date.fromordinal(date(2026, 1, 1).toordinal() + n % 100).isoformat()
        row = f"{day},UANNA,calls,{n % 50},{'x' * 200}".encode()
        rows.append(row)
        length += len(row) + 1
        n += 1
    return b"\n".join(rows) + b"\n"


async def test_a_body_over_5_mb_is_413_without_being_read(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    assert metrics_api.MAX_BODY == metrics_habit.MAX_BODY == 5 * MIB
    token = await team_with_token(slack)
    big = csv_of_size(5 * MIB + 1)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
    url = f"{slack.url}/api/metrics"

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 256 * 1024):
            yield big[start : start + 256 * 1024]

    # Told by Content-Length, asked first with Expect: 100-continue (as curl does), and sent in
    # chunks with no length at all: each is stopped at the limit.
    async with slack.http.post(url, data=big, headers=headers) as response:
        assert response.status == 413
        assert "more than 5 MB" in (await response.json())["error"]
    async with slack.http.post(url, data=big, headers=headers, expect100=True) as response:
        assert response.status == 413
    async with slack.http.post(url, data=chunks(), headers=headers) as response:
        assert response.status == 413
        assert "more than 5 MB" in (await response.json())["error"]
    assert await stored_count(slack) == 0
    assert no_tracebacks(caplog)
    async with slack.http.get(f"{slack.url}/healthz") as health:
        assert health.status == 200


async def test_this_route_takes_5_mb_while_slacks_stays_at_1_mb(slack: SlackHarness) -> None:
    token = await team_with_token(slack)
    body = csv_of_size(4 * MIB)
    status, answer = await post(slack, body, token=token)
    assert status == 200 and answer == {"stored": 100, "rejected": []}
    assert await stored_count(slack) == 100

    # A slash command Slack signed, padded past 1 MB: taken if the limit were 5 MB here too.
    command = urlencode(
        {"team_id": WORKSPACE, "user_id": "ULEAD", "command": "/pepptalk", "text": "help"}
    )
    padded = f"{command}&padding={'x' * MIB}"
    try:
        response = await slack.post(
            padded, content_type="application/x-www-form-urlencoded", headers=signed_headers(padded)
        )
        status = response.status
    except aiohttp.ClientError:
        status = 413  # the server may stop reading before the whole body is sent
    assert 400 <= status < 500


async def test_a_sender_that_hangs_up_mid_body_leaves_one_line_and_nothing_stored(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    token = await team_with_token(slack)
    host, port = slack.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        b"POST /api/metrics HTTP/1.1\r\nHost: pepptalk\r\nContent-Type: text/csv\r\n"
        + f"Authorization: Bearer {token}\r\nContent-Length: 1000\r\n\r\n".encode()
        + b"date,seller,metric,value\n2026-11-16,UANNA,calls,40\n"
    )
    await writer.drain()
    writer.close()
    await writer.wait_closed()
    for _ in range(100):
        if any("did not arrive whole" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.01)
    assert any("did not arrive whole" in r.getMessage() for r in caplog.records)
    assert no_tracebacks(caplog)
    assert await stored_count(slack) == 0


@pytest.mark.parametrize("path", ["/api/metrics", "/slack/events"])
async def test_a_broken_chunked_body_is_one_line_not_a_traceback(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    caplog.set_level(logging.INFO)
    host, port = slack.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: pepptalk\r\nContent-Type: text/csv\r\n".encode()
        + b"Authorization: Bearer x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot a chunk\r\n"
    )
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(200), timeout=5)
    writer.close()
    await writer.wait_closed()
    assert answer.split(b" ")[1] == b"400"
    assert any("malformed HTTP request" in r.getMessage() for r in caplog.records)
    assert no_tracebacks(caplog)
    async with slack.http.get(f"{slack.url}/healthz") as response:
        assert response.status == 200
