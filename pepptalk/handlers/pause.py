"""Pausing check-ins for a holiday or leave, and coming back."""

from __future__ import annotations

from datetime import date, datetime

from pepptalk.handlers.calendar import local_today
from pepptalk.handlers.i18n import copy_for
from pepptalk.handlers.messages import Reply, text_reply
from pepptalk.handlers.models import SELLER
from pepptalk.handlers.store import Membership, Store


async def pause_checkins(
    *, store: Store, seat: Membership, until: str | None, now: datetime
) -> Reply:
    """`pause [until YYYY-MM-DD]`: no check-ins until the date (inclusive), or until `resume`."""
    copy = copy_for(seat.team.language)
    if seat.member.role != SELLER:
        return text_reply(copy("pause.leaders_dont_pause"))
    last_day: date | None = None
    if until is not None:
        try:
            last_day = date.fromisoformat(until)
        except ValueError:
            return text_reply(copy("errors.bad_date", value=until))
        if last_day < local_today(seat.member, seat.team, now):
            return text_reply(copy("pause.date_in_past", date=copy.short_date(last_day)))
    await store.set_pause(member_id=seat.member.id, paused=True, until=last_day)
    if last_day is None:
        return text_reply(copy("pause.paused"))
    return text_reply(copy("pause.paused_until", date=copy.short_date(last_day)))


async def resume_checkins(*, store: Store, seat: Membership, now: datetime) -> Reply:
    """`resume`: check-ins start again from the next workday."""
    copy = copy_for(seat.team.language)
    if seat.member.role != SELLER:
        return text_reply(copy("pause.leaders_dont_pause"))
    today = local_today(seat.member, seat.team, now)
    was_paused = seat.member.paused and (
        seat.member.paused_until is None or seat.member.paused_until >= today
    )
    await store.set_pause(member_id=seat.member.id, paused=False, until=None)
    return text_reply(copy("pause.resumed" if was_paused else "pause.not_paused"))
