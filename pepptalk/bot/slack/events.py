"""Slack events: profile changes, the App Home, and words and CSV files sent to Pepptalk in its
DM."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from pepptalk.bot.services import Services
from pepptalk.bot.slack.chat import profile_of
from pepptalk.bot.slack.clients import SlackInstalls
from pepptalk.bot.slack.installs import REVOKED, UNINSTALLED
from pepptalk.bot.slack.render import render_home, render_message
from pepptalk.bot.slack.replies import INSTALLS, after_ack, services_of, slack_actor
from pepptalk.core.i18n import Copy, copy_for
from pepptalk.core.messages import Reply, text_reply
from pepptalk.core.ports import Actor
from pepptalk.handlers.service import MAX_METRICS_BODY

log = logging.getLogger(__name__)
# The metrics API's limit: a file is read up to it, never further.
MAX_FILE = MAX_METRICS_BODY


async def handle_user_change(
    event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext, _: AsyncWebClient
) -> None:
    """People move and rename themselves; check-ins follow their own clock. In an Enterprise
    Grid organisation a person's profile is the organisation's, so it is kept in each of its
    workspaces (each keeps its own teams)."""
    user = event.get("user")
    profile = profile_of(user) if isinstance(user, dict) else None
    if profile is None:
        return
    workspaces = {str(body.get("team_id") or "")}
    if context.enterprise_id:
        installs: SlackInstalls = context[INSTALLS]
        workspaces.update(await installs.org_workspaces(context.enterprise_id))
    for workspace_id in sorted(workspaces - {""}):
        await services_of(context).habits.update_profile(workspace_id, profile)


async def handle_home_opened(
    event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """The App Home tab: the person's own view."""
    if event.get("tab") != "home":
        return
    actor = slack_actor(body, user_id=event.get("user"))
    message = await services_of(context).habits.home(actor)
    await client.views_publish(user_id=actor.user_id, view=render_home(message))


async def handle_direct_message(
    event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """What a person writes to Pepptalk in its DM: a command, today's note, or a CSV file."""
    if event.get("channel_type") != "im" or event.get("bot_id"):
        return
    if event.get("subtype") == "file_share":
        await handle_files(event, body, context, client)
        return
    # Only their own words: no edits, joins or bot echoes.
    if event.get("subtype"):
        return
    actor = slack_actor(body, user_id=event.get("user"))
    reply = await services_of(context).habits.direct_message(actor, str(event.get("text") or ""))
    if reply.message is not None:
        await client.chat_postMessage(
            channel=str(event.get("channel")), **render_message(reply.message)
        )


async def handle_files(
    event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """Files dropped into Pepptalk's DM: each CSV file is a leader's figures; others get a no."""
    actor = slack_actor(body, user_id=event.get("user"))
    services = services_of(context)
    for shared in event.get("files") or []:
        if not isinstance(shared, dict) or not shared.get("id"):
            continue
        if is_csv(shared):
            reply = await _import(shared, actor, services, client)
        else:
            copy = await _copy_of(services, actor)
            reply = text_reply(copy("metrics.only_csv", name=str(shared.get("name") or "?")[:80]))
        if reply.message is not None:
            await client.chat_postMessage(
                channel=str(event.get("channel")), **render_message(reply.message)
            )


def is_csv(shared: dict[str, Any]) -> bool:
    """Whether Slack calls it CSV, or its name says so."""
    return shared.get("filetype") == "csv" or str(shared.get("name", "")).lower().endswith(".csv")


class DownloadError(Exception):
    """A file could not be fetched from Slack."""


async def download(url: str, token: str, *, limit: int = MAX_FILE) -> bytes | None:
    """A private Slack file's bytes, with the bot's token; None when it is over `limit` bytes
    (reading stops there)."""
    headers = {"Authorization": f"Bearer {token}"}
    timeout = aiohttp.ClientTimeout(total=30)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, headers=headers) as response,
        ):
            # Slack answers a sign-in page, not the file, to a token it does not accept there.
            if response.status != 200 or response.content_type == "text/html":
                raise DownloadError(f"HTTP {response.status} {response.content_type}")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.content.iter_any():
                size += len(chunk)
                if size > limit:
                    return None
                chunks.append(chunk)
            return b"".join(chunks)
    except (TimeoutError, aiohttp.ClientError) as error:
        raise DownloadError(repr(error)) from error


async def _import(
    shared: dict[str, Any], actor: Actor, services: Services, client: AsyncWebClient
) -> Reply:
    try:
        found = (await client.files_info(file=str(shared["id"])))["file"]
        url = found.get("url_private_download") or found.get("url_private")
        too_big = int(found.get("size") or 0) > MAX_FILE
        data = None if too_big else await download(str(url), client.token or "")
    except (SlackApiError, DownloadError, KeyError, TypeError, ValueError) as error:
        # One line, no traceback: a missing files:read scope or a network blip is not a bug.
        log.warning("could not fetch Slack file %s: %r", shared.get("id"), error)
        copy = await _copy_of(services, actor)
        return text_reply(copy.text("errors.something_wrong"))
    if data is None:
        copy = await _copy_of(services, actor)
        return text_reply(copy("metrics.too_big", max=MAX_FILE // (1024 * 1024)))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        copy = await _copy_of(services, actor)
        return text_reply(copy("metrics.not_text"))
    return await services.habits.import_metrics_file(actor, text)


async def _copy_of(services: Services, actor: Actor) -> Copy:
    """The words of the person's team, for the replies this adapter gives on its own."""
    async with services.database.uow() as uow:
        seat = await uow.teams.membership(actor.workspace_id, actor.user_id)
    return copy_for(seat.team.language if seat else "en")


def _org_install(context: AsyncBoltContext) -> str | None:
    """The organisation whose org-wide install an event is about, if it is about one."""
    return context.enterprise_id if context.is_enterprise_install else None


async def handle_app_uninstalled(body: dict[str, Any], context: AsyncBoltContext) -> None:
    """The workspace (or, for an org-wide install, the Enterprise Grid organisation) removed
    Pepptalk: its token is gone, so its queued messages end (as failed, with the reason); its
    teams and history stay, so a reinstall finds them."""
    installs: SlackInstalls = context[INSTALLS]
    if org := _org_install(context):
        await installs.org_gone(org, reason=UNINSTALLED)
    else:
        await installs.gone(str(body.get("team_id") or ""), reason=UNINSTALLED)


async def handle_tokens_revoked(
    event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext
) -> None:
    """A workspace (or an organisation, org-wide) revoked the bot's token: as good as
    uninstalled. (Revoked user tokens change nothing: Pepptalk keeps none.)"""
    tokens = event.get("tokens")
    if not isinstance(tokens, dict) or not tokens.get("bot"):
        return
    installs: SlackInstalls = context[INSTALLS]
    if org := _org_install(context):
        await installs.org_gone(org, reason=REVOKED)
    else:
        await installs.gone(str(body.get("team_id") or ""), reason=REVOKED)


def _team_ids(event: dict[str, Any]) -> list[str]:
    return [str(t) for t in event.get("team_ids") or [] if isinstance(t, str) and t]


def _enterprise_of(body: dict[str, Any], context: AsyncBoltContext) -> str:
    return str(context.enterprise_id or body.get("enterprise_id") or "")


async def handle_team_access_granted(
    event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext
) -> None:
    """An organisation's admins added its org-wide app to workspaces: their messages go with
    the organisation's token from now on."""
    if enterprise_id := _enterprise_of(body, context):
        installs: SlackInstalls = context[INSTALLS]
        await installs.note(enterprise_id, _team_ids(event), now=services_of(context).clock())


async def handle_team_access_revoked(
    event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext
) -> None:
    """An organisation's admins took its org-wide app out of workspaces: nothing more is sent
    there (queued messages end as failed); their teams and history stay."""
    if enterprise_id := _enterprise_of(body, context):
        installs: SlackInstalls = context[INSTALLS]
        await installs.access_revoked(enterprise_id, _team_ids(event))


EventWork = Callable[
    [dict[str, Any], dict[str, Any], AsyncBoltContext, AsyncWebClient], Coroutine[Any, Any, None]
]


def acked_first(work: EventWork) -> EventWork:
    """The listener Bolt runs: it returns at once, so Slack has its ack within its three
    seconds whatever the work costs, and the work goes on after."""

    async def listener(
        event: dict[str, Any],
        body: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        after_ack(context).spawn(work(event, body, context, client))

    return listener


def register(app: AsyncApp) -> None:
    """Listen for the events in manifest.yml (and those Slack sends an org-wide install)."""
    app.event("app_uninstalled")(handle_app_uninstalled)
    app.event("tokens_revoked")(handle_tokens_revoked)
    # Sent to an app installed org-wide in an Enterprise Grid organisation.
    app.event("team_access_granted")(handle_team_access_granted)
    app.event("team_access_revoked")(handle_team_access_revoked)
    app.event("user_change")(acked_first(handle_user_change))
    app.event("app_home_opened")(acked_first(handle_home_opened))
    app.event("message")(acked_first(handle_direct_message))
