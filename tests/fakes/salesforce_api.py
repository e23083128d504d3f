"""A local stand-in for Salesforce: the login server (OAuth 2.0 web server flow with PKCE, and
the refresh token grant) and an org's REST API (SOQL queries), on one port, so `instance_url` is
its own base URL.

It serves one `CrmBook` per org. Tokens name their org, as Salesforce's do (`00D...!...`). The
query endpoint understands the SOQL shapes the Salesforce source sends and nothing more (others
answer MALFORMED_QUERY, as Salesforce does for what it cannot parse), and pages the way
Salesforce does: `totalSize`, `done`, and a `nextRecordsUrl` holding a query locator and an
offset. Errors come as Salesforce's list of `{"message", "errorCode"}`; the login server's as
`{"error", "error_description"}`. Salesforce has no per-second limit: each org has a daily
request allowance (`Sforce-Limit-Info` on every answer), and past it REQUEST_LIMIT_EXCEEDED.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from pepptalk.core.crm import CrmRecord, RecordKind
from tests.fakes.crm_book import CrmBook
from tests.fakes.serving import start_on_free_port

CLIENT_ID = "3MVG9pepptalk.consumer.key"
CLIENT_SECRET = "pepptalk-consumer-secret"
REDIRECT_URI = "https://pepptalk.example/salesforce/callback"
ORG = "ORG1"

# The record shapes the source asks for: object -> (kind, date field, flag, has Amount).
OBJECTS: dict[str, tuple[RecordKind, str, str | None, bool]] = {
    "Task": (
        RecordKind.CALL,
        "CompletedDateTime",
        "(TaskSubtype = 'Call' OR Type = 'Call')",
        False,
    ),
    "Event": (RecordKind.MEETING, "StartDateTime", None, False),
    "Opportunity": (RecordKind.DEAL_WON, "CloseDate", "IsWon = true", True),
}
# Salesforce's id prefixes (the first three characters name the object).
PREFIX = {RecordKind.CALL: "00T", RecordKind.MEETING: "00U", RecordKind.DEAL_WON: "006"}
RANGE = re.compile(
    r"^SELECT Id, OwnerId, (?P<field>\w+)(?P<amount>, Amount)? FROM (?P<object>\w+) "
    r"WHERE (?:(?P<flag>.+) AND )?(?P=field) >= (?P<low>\S+) AND (?P=field) < (?P<high>\S+) "
    r"ORDER BY (?P=field), Id$"
)
ORGANIZATION = "SELECT Name FROM Organization LIMIT 1"
USERS = "SELECT Id, Name, Email, IsActive FROM User WHERE UserType = 'Standard' ORDER BY Id"
NEXT = re.compile(r"^/services/data/v\d+\.\d/query/(?P<locator>01g\w+)-(?P<offset>\d+)$")


def sf_id(prefix: str, raw: str) -> str:
    """An 18-character Salesforce id for a book's id."""
    return f"{prefix}{raw.rjust(12, '0')}AAA"


def user_id(owner_id: str) -> str:
    """The Salesforce User Id of a book's owner."""
    return sf_id("005", owner_id)


def record_id(record: CrmRecord) -> str:
    """The Salesforce Id of a book's record."""
    return sf_id(PREFIX[record.kind], record.record_id)


def _errors(status: int, code: str, message: str) -> web.Response:
    return web.json_response([{"message": message, "errorCode": code}], status=status)


def _oauth_error(error: str, description: str, status: int = 400) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=status)


@dataclass
class Org:
    """One org: its data, and what its admin allowed."""

    org_id: str
    book: CrmBook
    used: int = 0  # API requests counted against the daily allowance
    api_disabled: bool = False
    hidden: set[str] = field(default_factory=set)  # objects its user may not read


@dataclass
class FakeSalesforce:
    """The fake login server and instance. `await sf.start()`, then `base_url` is both."""

    books: dict[str, CrmBook] = field(default_factory=lambda: {ORG: CrmBook()})
    page_size: int = 2000
    daily_limit: int = 15_000
    redirect_uris: set[str] = field(default_factory=lambda: {REDIRECT_URI})
    # The org the next browser at /services/oauth2/authorize signs in to (None: the first).
    sign_in_org: str | None = None
    requests: int = 0  # every request to the data API, whatever its answer
    pages: int = 0  # query results answered with records
    queries: list[str] = field(default_factory=list)  # the SOQL of each new query
    history: list[tuple[str, str, int]] = field(default_factory=list)  # method, path, status
    token_requests: list[dict[str, str]] = field(default_factory=list)
    access: dict[str, str] = field(default_factory=dict)  # access token -> org
    refresh: dict[str, str] = field(default_factory=dict)  # refresh token -> org
    # Authorization codes handed to the browser: code -> (org, redirect_uri, challenge).
    codes: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    # Open query locators: id -> (the access token of the session that opened it, its rows).
    locators: dict[str, tuple[str, list[dict[str, Any]]]] = field(default_factory=dict)
    orgs: dict[str, Org] = field(default_factory=dict)
    port: int = 0
    _storm: list[float] = field(default_factory=list)
    _fail: list[int] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None

    def __post_init__(self) -> None:
        self.orgs = {org: Org(org, book) for org, book in self.books.items()}

    @property
    def base_url(self) -> str:
        """The login URL and the instance URL."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeSalesforce:
        """Serve on a free port."""
        app = web.Application()
        app.router.add_get("/services/oauth2/authorize", self._authorize)
        app.router.add_post("/services/oauth2/token", self._token)
        app.router.add_get("/services/data/{version}/query", self._query)
        app.router.add_get("/services/data/{version}/query/{next}", self._more)
        self._runner = web.AppRunner(app, access_log=None)
        self.port = await start_on_free_port(self._runner)
        return self

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()

    # --- knobs -----------------------------------------------------------------------------

    def issue(self, org: str = ORG) -> dict[str, str]:
        """A connection's secret for `org`, as if someone had signed in."""
        return {"instance_url": self.base_url, **self._tokens(org, refresh=True)}

    def expire(self, token: str | None = None) -> None:
        """Access tokens (one, or all) time out; refresh tokens still work."""
        self.access = {t: o for t, o in self.access.items() if token is not None and t != token}

    def revoke(self, token: str) -> None:
        """The app's access is revoked in `token`'s org: all its tokens die, refresh too."""
        org = self.access.get(token) or self.refresh.get(token)
        self.access = {t: o for t, o in self.access.items() if o != org}
        self.refresh = {t: o for t, o in self.refresh.items() if o != org}

    def storm(self, n: int, retry_after: float = 0) -> None:
        """The next `n` data requests answer 429 with `Retry-After` (a proxy's doing:
        Salesforce itself has no per-second limit)."""
        self._storm += [retry_after] * n

    def fail(self, n: int, status: int = 503) -> None:
        """The next `n` requests (data or token) answer a server error."""
        self._fail += [status] * n

    def use_up(self, org: str = ORG) -> None:
        """`org` has used its daily API allowance."""
        self.orgs[org].used = self.daily_limit

    def disable_api(self, org: str = ORG) -> None:
        """`org`'s edition or its user's profile has no API access."""
        self.orgs[org].api_disabled = True

    def hide(self, sobject: str, org: str = ORG) -> None:
        """`org`'s user may not read `sobject`."""
        self.orgs[org].hidden.add(sobject)

    def expire_locators(self) -> None:
        """Every open query locator is gone (they live 15 minutes idle)."""
        self.locators.clear()

    # --- login server ----------------------------------------------------------------------

    def _tokens(self, org: str, *, refresh: bool) -> dict[str, str]:
        n = next(self._ids)
        access = f"00D{org}!AQ{n:04d}.session"
        self.access[access] = org
        tokens = {"access_token": access}
        if refresh:
            tokens["refresh_token"] = f"5Aep{n:04d}{org}.refresh"
            self.refresh[tokens["refresh_token"]] = org
        return tokens

    async def _authorize(self, request: web.Request) -> web.Response:
        """The person signs in and allows access; the browser goes back with a code."""
        query = request.query
        if query.get("client_id") != CLIENT_ID:
            return web.Response(status=400, text="error=invalid_client_id")
        if query.get("redirect_uri") not in self.redirect_uris:
            return web.Response(status=400, text="error=redirect_uri_mismatch")
        if query.get("response_type") != "code" or query.get("code_challenge_method") != "S256":
            return web.Response(status=400, text="error=unsupported_response_type")
        org = self.sign_in_org or next(iter(self.orgs))
        # Salesforce's codes end in "==", so a client that does not decode them breaks here.
        code = f"aPrx{next(self._ids):06d}{org}=="
        self.codes[code] = (org, query["redirect_uri"], query.get("code_challenge", ""))
        back = urlencode({"code": code, "state": query.get("state", "")})
        raise web.HTTPFound(f"{query['redirect_uri']}?{back}")

    async def _token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.token_requests.append(form)
        failed = self._failed()
        if failed is not None:
            self.history.append(("POST", request.path, failed.status))
            return failed
        answer = self._grant(form)
        self.history.append(("POST", request.path, answer.status))
        return answer

    def _grant(self, form: dict[str, str]) -> web.Response:
        if form.get("client_id") != CLIENT_ID:
            return _oauth_error("invalid_client_id", "client identifier invalid")
        if form.get("client_secret") != CLIENT_SECRET:
            return _oauth_error("invalid_client", "invalid client credentials")
        grant = form.get("grant_type")
        if grant == "refresh_token":
            org = self.refresh.get(form.get("refresh_token", ""))
            if org is None:
                return _oauth_error("invalid_grant", "expired access/refresh token")
            return self._issued(org, refresh=False)
        if grant != "authorization_code":
            return _oauth_error("unsupported_grant_type", "grant type not supported")
        # A code works once only, even when the rest of the request is wrong.
        code = self.codes.pop(form.get("code", ""), None)
        if code is None:
            return _oauth_error("invalid_grant", "invalid authorization code")
        org, redirect_uri, code_challenge = code
        if form.get("redirect_uri") != redirect_uri:
            return _oauth_error("redirect_uri_mismatch", "redirect_uri must match configuration")
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != code_challenge:
            return _oauth_error("invalid_grant", "invalid code verifier")
        return self._issued(org, refresh=True)

    def _issued(self, org: str, *, refresh: bool) -> web.Response:
        return web.json_response(
            {
                **self._tokens(org, refresh=refresh),
                "signature": "c2lnbmF0dXJl",
                "scope": "refresh_token api",
                "instance_url": self.base_url,
                "id": f"{self.base_url}/id/00D{org}/{user_id('1')}",
                "token_type": "Bearer",
                "issued_at": "1764000000000",
            }
        )

    # --- data API --------------------------------------------------------------------------

    def _failed(self) -> web.Response | None:
        if self._fail:
            status = self._fail.pop(0)
            return _errors(status, "SERVER_UNAVAILABLE", "Service temporarily unavailable")
        return None

    def _admit(self, request: web.Request) -> tuple[web.Response | None, str]:
        """Why a data request is refused (None: it is let through), and its token."""
        self.requests += 1
        failed = self._failed()
        if failed is not None:
            return failed, ""
        if self._storm:
            wait = self._storm.pop(0)
            return web.Response(status=429, headers={"Retry-After": f"{wait:g}"}), ""
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else ""
        org = self.orgs.get(self.access.get(token, ""))
        if org is None:
            return _errors(401, "INVALID_SESSION_ID", "Session expired or invalid"), token
        if org.api_disabled:
            message = "The REST API is not enabled for this Organization."
            return _errors(403, "API_DISABLED_FOR_ORG", message), token
        if org.used >= self.daily_limit:
            return _errors(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."), token
        org.used += 1
        return None, token

    def _answer(self, request: web.Request, answer: web.Response, token: str) -> web.Response:
        self.history.append(("GET", request.path_qs, answer.status))
        org = self.orgs.get(self.access.get(token, ""))
        if org is not None:
            answer.headers["Sforce-Limit-Info"] = f"api-usage={org.used}/{self.daily_limit}"
        return answer

    async def _query(self, request: web.Request) -> web.Response:
        refused, token = self._admit(request)
        if refused is not None:
            return self._answer(request, refused, token)
        soql = request.query.get("q", "")
        self.queries.append(soql)
        org = self.orgs[self.access[token]]
        rows = self._rows(org, soql)
        if isinstance(rows, web.Response):
            return self._answer(request, rows, token)
        locator = f"01g{next(self._ids):012d}"
        self.locators[locator] = (token, rows)
        return self._answer(request, self._page(request, locator, 0), token)

    async def _more(self, request: web.Request) -> web.Response:
        refused, token = self._admit(request)
        if refused is not None:
            return self._answer(request, refused, token)
        match = NEXT.match(request.path)
        locator = self.locators.get(match["locator"]) if match else None
        if match is None or locator is None:
            answer = _errors(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        elif locator[0] != token:
            # A locator belongs to the session that opened it: a refreshed token cannot use it.
            answer = _errors(401, "INVALID_SESSION_ID", "Session expired or invalid")
        else:
            answer = self._page(request, match["locator"], int(match["offset"]))
        return self._answer(request, answer, token)

    def _page(self, request: web.Request, locator: str, offset: int) -> web.Response:
        rows = self.locators[locator][1]
        end = offset + self.page_size
        body: dict[str, Any] = {
            "totalSize": len(rows),
            "done": end >= len(rows),
            "records": rows[offset:end],
        }
        if end < len(rows):
            version = request.match_info["version"]
            body["nextRecordsUrl"] = f"/services/data/{version}/query/{locator}-{end}"
        else:
            del self.locators[locator]
        self.pages += 1
        return web.json_response(body)

    def _rows(self, org: Org, soql: str) -> list[dict[str, Any]] | web.Response:
        """The rows `soql` selects, or Salesforce's refusal."""
        if soql == ORGANIZATION:
            return [{"attributes": {"type": "Organization"}, "Name": org.book.name}]
        if soql == USERS:
            users = sorted(org.book.owners, key=lambda o: user_id(o.owner_id))
            return [
                {"attributes": {"type": "User"}, "Id": user_id(o.owner_id), "Name": o.name}
                | {"Email": o.email, "IsActive": True}
                for o in users
            ]
        match = RANGE.match(soql)
        shape = OBJECTS.get(match["object"]) if match else None
        if match is None or shape is None:
            return _errors(400, "MALFORMED_QUERY", "unexpected token")
        kind, dated_by, flag, amount = shape
        if (match["field"], match["flag"], bool(match["amount"])) != (dated_by, flag, amount):
            return _errors(400, "MALFORMED_QUERY", f"unexpected query on {match['object']}")
        if match["object"] in org.hidden:
            message = f"sObject type '{match['object']}' is not supported."
            return _errors(400, "INVALID_TYPE", message)
        try:
            if amount:  # CloseDate is a date: compared as dates
                low, high = date.fromisoformat(match["low"]), date.fromisoformat(match["high"])
                found = [
                    r for r in org.book.records if r.kind is kind and low <= r.at.date() < high
                ]
            else:
                if not (match["low"].endswith("Z") and match["high"].endswith("Z")):
                    raise ValueError("datetimes in UTC")
                since = datetime.fromisoformat(match["low"])
                until = datetime.fromisoformat(match["high"])
                found = org.book.of(kind, since, until)
        except ValueError:
            return _errors(400, "MALFORMED_QUERY", "invalid date or datetime literal")
        found.sort(key=lambda r: (r.at, record_id(r)))
        return [self._row(match["object"], dated_by, r) for r in found]

    @staticmethod
    def _row(sobject: str, dated_by: str, record: CrmRecord) -> dict[str, Any]:
        at = record.at.astimezone(UTC)
        row: dict[str, Any] = {
            "attributes": {
                "type": sobject,
                "url": f"/services/data/v61.0/sobjects/{sobject}/{record_id(record)}",
            },
            "Id": record_id(record),
            "OwnerId": user_id(record.owner_id),
        }
        if sobject == "Opportunity":
            row.update(CloseDate=at.date().isoformat(), Amount=record.amount or None)
        else:
            row[dated_by] = at.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        return row
