"""A demo week in the playground, in a real headless Chromium, in each language: every message a
person reads over a week is seen, checked against the prompts, checked by axe-core, and kept as a
full-page screenshot.

The walk: the leader sets the team's language; Monday's check-in, a mood and a note; a reminder
for a seller who has not answered, who then checks in low after the summary, so the leader hears
of it; the summary, the nudge and `seen`; a win and its shout-out in the channel; a topic and
`topics`; the workday before the meeting: the draft agenda, an action, the agenda and the pre-read
in the channel; Friday's digest, `help` as a seller and as a leader, `help all`, a slip of the
keyboard, a bad setting, `export` and `forget-me` (asked, not confirmed).

What each step expects is taken from the prompts as they are when the test runs, so the copy can
be reworded without touching the test. Screenshots go to the test's tmp_path, and also to the
folder in PEPPTALK_SCREENSHOTS when it is set, named like `nb-01-monday-checkin.png`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from pepptalk.core.i18n import Copy, copy_for
from pepptalk.core.kinds import Mood
from pepptalk.handlers.privacy import LINK_VALID
from tests.bot.playground.browser import (
    CHROMIUM,
    DESKTOP,
    FLAGS,
    NEEDS_CHROMIUM,
    PHONE,
    fits,
    playwright_api,
    violations,
)
from tests.bot.playground.harness import running_playground

pytestmark = NEEDS_CHROMIUM

# The demo week: the clock starts on Sunday evening; the team meets on Thursdays at 09:00.
MONDAY = date(2026, 11, 23)
THURSDAY = MONDAY + timedelta(days=3)
FRIDAY = MONDAY + timedelta(days=4)
TEAM = "Oslo Inside Sales"
LEADER = "Ingrid Solberg"
CHANNEL = "oslo-sales"
ANNA, BJORN, INGRID = "UANNA", "UBJORN", "UINGRID"
SEEDED_ACTIONS = 1


@dataclass(frozen=True)
class Typed:
    """What the demo people type themselves, in the team's language."""

    note: str
    private_note: str
    win: str
    topic: str
    action: str


TYPED = {
    "en": Typed(
        "Slow train this morning, but I'm here now",
        "The little one was up half the night",
        "Booked a demo with Nordvik Bygg",
        "How we follow up after a demo",
        "Share the follow-up e-mail template",
    ),
    "nb": Typed(
        "Treg trikk i dag, men nå er jeg her",
        "Minstemann var våken halve natta",
        "Booket demo med Nordvik Bygg",
        "Hvordan vi følger opp etter en demo",
        "Del malen for oppfølgings-e-post",
    ),
    "sv": Typed(
        "Försenat tåg i morse, men nu är jag här",
        "Minstingen var vaken halva natten",
        "Bokade en demo med Nordvik Bygg",
        "Hur vi följer upp efter en demo",
        "Dela mallen för uppföljningsmejl",
    ),
    "da": Typed(
        "Forsinket tog i morges, men nu er jeg her",
        "Den lille var vågen halvdelen af natten",
        "Bookede en demo med Nordvik Byg",
        "Hvordan vi følger op efter en demo",
        "Del skabelonen til opfølgningsmails",
    ),
}
# Four languages at desktop width, and English once more at phone width.
WALKS = [
    pytest.param("en", DESKTOP, id="en"),
    pytest.param("nb", DESKTOP, id="nb"),
    pytest.param("sv", DESKTOP, id="sv"),
    pytest.param("da", DESKTOP, id="da"),
    pytest.param("en", PHONE, id="en-phone"),
]


def words(text: str) -> str:
    """Text with its runs of spaces (non-breaking ones too) made single, as the page reads."""
    return " ".join(text.split())


@dataclass
class Walk:
    """One person's view of the playground in one browser tab, and the screenshots it keeps."""

    page: Any
    copy: Copy
    width: int
    axe: str
    folders: list[Path]
    prefix: str
    shots: list[str] = field(default_factory=list)

    async def be(self, who: str) -> None:
        """Choose a person in "You are" and press Switch."""
        await self.page.select_option("#as", value=who)
        async with self.page.expect_navigation():
            await self.button(self.copy("playground.switch"), within="header").click()

    def button(self, name: str, *, within: str = "main") -> Any:
        return self.page.locator(within).get_by_role("button", name=name, exact=True)

    async def tap(self, name: str) -> None:
        """Press the newest button of that name in the conversation."""
        async with self.page.expect_navigation():
            await self.button(name).last.click()

    async def say(self, text: str) -> None:
        """Type a command in the box under the conversation."""
        await self.page.get_by_label("/pepptalk").fill(text)
        async with self.page.expect_navigation():
            await self.page.keyboard.press("Enter")

    async def clock(self, jump: str) -> None:
        """Press one of the clock's jumps ("playground.next_morning", ...)."""
        async with self.page.expect_navigation(timeout=60_000):
            await self.button(self.copy(jump), within="header").click()

    async def clock_to(self, hhmm: str) -> None:
        """Jump to a time of day with the clock's own field."""
        await self.page.get_by_label(self.copy("playground.jump_to"), exact=True).fill(hhmm)
        async with self.page.expect_navigation(timeout=60_000):
            await self.button(self.copy("playground.go"), within="header").click()

    async def view(self, name: str) -> None:
        """Open a conversation from the rail: the DM with Pepptalk, or the team channel."""
        label = self.copy("playground.from_pepptalk") if name == "dm" else f"#{CHANNEL}"
        async with self.page.expect_navigation():
            await self.page.get_by_role("link", name=label, exact=True).click()

    async def sees(self, *texts: str, within: str = "main") -> None:
        """Each text is in the open conversation (or `within` another part), as it reads."""
        for text in texts:
            await playwright_api.expect(self.page.locator(within)).to_contain_text(words(text))

    async def shot(self, step: str) -> None:
        """The view as it is: axe-core finds nothing, nothing spills sideways, kept as a PNG."""
        name = f"{self.prefix}-{len(self.shots):02d}-{step}.png"
        assert await self.page.get_attribute("html", "lang") == self.copy.language
        assert await violations(self.page, self.axe) == [], name
        await fits(self.page, self.width)
        # From the top: on a wide screen the rail stays put beside the conversation.
        await self.page.evaluate("window.scrollTo(0, 0)")
        png = await self.page.screenshot(full_page=True)
        for folder in self.folders:
            (folder / name).write_bytes(png)
        self.shots.append(name)


def folders(tmp_path: Path) -> list[Path]:
    """Where the screenshots go: tmp_path, and PEPPTALK_SCREENSHOTS when it names a folder."""
    found = [tmp_path]
    wanted = os.environ.get("PEPPTALK_SCREENSHOTS")
    if wanted:
        Path(wanted).mkdir(parents=True, exist_ok=True)
        found.append(Path(wanted))
    return found


@pytest.mark.parametrize(("language", "viewport"), WALKS)
async def test_a_week_in_the_playground_reads_right_in_each_language(
    tmp_path: Path, language: str, viewport: dict[str, int], axe: str
) -> None:
    copy, typed = copy_for(language), TYPED[language]
    width = viewport["width"]
    prefix = language if viewport is DESKTOP else f"{language}-phone"
    async with running_playground(tmp_path) as site, playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = await browser.new_page(viewport=viewport)
            page.set_default_timeout(10_000)
            await page.goto(f"{site.url}/?as={INGRID}")
            walk = Walk(page, copy, width, axe, folders(tmp_path), prefix)
            await week(walk, typed)
        finally:
            await browser.close()
    assert len(walk.shots) == 29


async def week(walk: Walk, typed: Typed) -> None:
    copy = walk.copy
    # Sunday evening: Ingrid sets the team's language; the page answers in it.
    await walk.say(f"team set language {copy.language}")
    await walk.sees(
        copy(
            "team.setting_saved",
            setting=copy("team.language"),
            value=copy.language_name(copy.language),
        )
    )
    await walk.shot("sunday-language")

    await monday(walk, typed)
    await tuesday(walk, typed)
    await wednesday(walk, typed)
    await friday(walk, typed)


async def monday(walk: Walk, typed: Typed) -> None:
    copy = walk.copy
    # Anna's check-in arrives in her direct messages.
    await walk.be(ANNA)
    await walk.clock("playground.next_morning")
    await walk.clock("playground.jump_checkin")
    await walk.sees(
        copy.date(MONDAY),
        copy("checkin.greeting", name="Anna"),
        copy("checkin.question"),
        copy("checkin.who_sees", leaders=LEADER),
    )
    await walk.shot("monday-checkin")
    # She taps a mood, and adds a note for Ingrid through the card's form.
    await walk.tap(copy.mood_label(Mood.GOOD))
    await walk.sees(copy("checkin.reply_4", name="Anna", leaders=LEADER))
    await walk.shot("monday-mood")
    await walk.tap(copy("checkin.add_note"))
    dialog = walk.page.get_by_role("dialog")
    await dialog.wait_for()
    await walk.sees(
        copy("checkin.note_form_title"), copy("checkin.note_form_intro"), within="dialog"
    )
    await dialog.get_by_label(copy("checkin.note_form_label"), exact=True).fill(typed.note)
    await walk.shot("monday-note-form")
    async with walk.page.expect_navigation():
        await dialog.get_by_role("button", name=copy("checkin.note_form_submit")).click()
    await walk.sees(copy("checkin.your_note", note=typed.note))
    await walk.shot("monday-note")

    # Bjørn has not answered: at a quarter to nine he gets the one gentle reminder.
    await walk.be(BJORN)
    await walk.clock_to("08:45")
    await walk.sees(copy("reminders.reminder", name="Bjørn"), copy("reminders.how_to_stop"))
    await walk.shot("monday-reminder")
    # The summary goes to Ingrid at nine; a few minutes later Bjørn taps a low mood.
    await walk.clock("playground.jump_summary")
    await walk.clock_to("09:02")
    await walk.tap(copy.mood_label(Mood.LOW))
    await walk.sees(copy("checkin.reply_2", name="Bjørn", leaders=LEADER))
    await walk.shot("monday-late-answer")

    await walk.be(INGRID)
    await walk.sees(
        copy("summary.title", date=copy.date(MONDAY)),
        copy("summary.notes_heading"),
        copy(
            "summary.line_note",
            name="Anna Berg",
            mood=copy.mood_label(Mood.GOOD),
            note=typed.note,
        ),
        copy("summary.waiting", names=copy.join(["Bjørn Haugen", "Fredrik Strand"])),
    )
    await walk.shot("monday-summary")
    # Five minutes on: the late low mood reaches her, and the day's nudge.
    await walk.clock_to("09:05")
    late = copy("summary.line", name="Bjørn Haugen", mood=copy.mood_label(Mood.LOW))
    await walk.sees(
        copy("summary.late_low", line=late),
        copy("feedback.nudge_title"),
        copy("feedback.nudge_intro"),
        copy("feedback.started_low", mood=copy.mood_label(Mood.LOW)),
    )
    await walk.shot("monday-late-low-and-nudge")
    await walk.say("seen")
    await walk.sees(copy("feedback.seen_title"), copy("feedback.seen_hint"))
    await walk.page.get_by_role(
        "button", name=copy("feedback.log_for", name="Anna Berg")
    ).last.wait_for()
    await walk.shot("monday-seen")


async def tuesday(walk: Walk, typed: Typed) -> None:
    copy = walk.copy
    tuesday = MONDAY + timedelta(days=1)
    # Anna's note today is for herself alone.
    await walk.be(ANNA)
    await walk.clock("playground.next_morning")
    await walk.clock("playground.jump_checkin")
    await walk.sees(copy.date(tuesday), copy("checkin.greeting", name="Anna"))
    await walk.tap(copy.mood_label(Mood.OKAY))
    await walk.sees(copy("checkin.reply_3", name="Anna", leaders=LEADER))
    await walk.tap(copy("checkin.add_note"))
    dialog = walk.page.get_by_role("dialog")
    await dialog.get_by_label(copy("checkin.note_form_label"), exact=True).fill(typed.private_note)
    await dialog.get_by_label(copy("checkin.note_form_private")).check()
    async with walk.page.expect_navigation():
        await dialog.get_by_role("button", name=copy("checkin.note_form_submit")).click()
    await walk.sees(copy("checkin.your_private_note", note=typed.private_note))
    await walk.shot("tuesday-private-note")

    # A win, which Ingrid turns into a shout-out in the team channel.
    await walk.say(f"win {typed.win}")
    await walk.sees(copy("wins.logged"))
    await walk.shot("tuesday-win")
    await walk.be(INGRID)
    await walk.sees(
        copy("wins.to_leader", name="Anna Berg", text=typed.win),
        copy("wins.shout_hint", channel=CHANNEL),
    )
    await walk.tap(copy("wins.shout_button"))
    await walk.sees(copy("wins.shouted", name="Anna Berg", channel=CHANNEL))
    await walk.shot("tuesday-win-shouted")
    await walk.view("channel")
    await walk.sees(
        copy("wins.shout_post", name="Anna Berg", text=typed.win),
        copy("wins.shout_from", leader=LEADER),
    )
    await walk.shot("tuesday-channel-shout-out")
    await walk.view("dm")

    # Bjørn proposes a topic for the team meeting; Ingrid lists the open ones.
    await walk.be(BJORN)
    await walk.say(f"topic {typed.topic}")
    await walk.sees(copy("topics.choose", text=typed.topic))
    await walk.tap(copy("topics.for_team"))
    await walk.sees(copy("topics.placed_team", text=typed.topic))
    await walk.shot("tuesday-topic")
    await walk.be(INGRID)
    await walk.say("topics")
    await walk.sees(
        copy("topics.title"), copy("topics.line_team", text=typed.topic), copy("topics.hint")
    )
    await walk.shot("tuesday-topics")


async def wednesday(walk: Walk, typed: Typed) -> None:
    copy = walk.copy
    # The workday before the meeting, at two: Ingrid's draft agenda.
    await walk.clock("playground.next_morning")
    await walk.clock_to("14:00")
    meeting = copy("agenda.meeting", date=copy.day(THURSDAY), time="09:00")
    await walk.sees(
        copy("agenda.draft_title", meeting=meeting),
        copy("agenda.draft_note"),
        copy("agenda.topic", text=typed.topic),
        copy("agenda.win", name="Anna Berg", text=typed.win),
        copy("agenda.one_to_one"),
    )
    await walk.shot("wednesday-draft-agenda")
    number = SEEDED_ACTIONS + 1
    await walk.say(f"action @anna {typed.action}")
    await walk.sees(copy("actions.recorded", number=number, name="Anna Berg", text=typed.action))
    await walk.shot("wednesday-action")
    # The draft again, with the action on it, posted to the channel with one tap.
    await walk.say("agenda")
    await walk.sees(copy("agenda.action", number=number, owner="Anna Berg", text=typed.action))
    await walk.tap(copy("agenda.post", channel=CHANNEL))
    await walk.sees(copy("agenda.posted", channel=CHANNEL))
    await walk.shot("wednesday-agenda-posted")
    await walk.view("channel")
    await walk.sees(
        copy("preread.title", date=copy.day(THURSDAY)),
        copy("preread.why"),
        copy("agenda.posted_title", meeting=meeting),
        copy("agenda.action", number=number, owner="Anna Berg", text=typed.action),
        copy("agenda.posted_note"),
    )
    await walk.shot("wednesday-channel-preread-and-agenda")
    await walk.view("dm")
    # Anna hears of her action.
    await walk.be(ANNA)
    await walk.sees(
        copy("actions.to_owner", leader=LEADER, number=number, text=typed.action),
        copy("actions.owner_note"),
    )
    await walk.shot("wednesday-action-for-owner")


async def friday(walk: Walk, typed: Typed) -> None:
    copy = walk.copy
    # Friday at two: Ingrid's weekly digest.
    await walk.be(INGRID)
    await walk.clock("playground.jump_digest")
    await walk.sees(
        copy("digest.title", team=TEAM, first=copy.day(MONDAY), last=copy.day(FRIDAY)),
        copy("digest.wins_heading"),
        copy("digest.win_line", name="Anna Berg", text=typed.win),
        copy("digest.reflection_heading"),
        copy("digest.private"),
    )
    await walk.shot("friday-digest")

    # Help, as a seller and as a leader, and all of it.
    await walk.be(ANNA)
    await walk.say("help")
    await walk.sees(
        copy("help.title"), copy("help.intro_seller", team=TEAM), copy("help.seller_win")
    )
    await walk.shot("friday-help-seller")
    await walk.be(INGRID)
    await walk.say("help")
    await walk.sees(
        copy("help.intro_leader", team=TEAM), copy("help.leader_agenda"), copy("help.more")
    )
    await walk.shot("friday-help-leader")
    await walk.say("help all")
    await walk.sees(
        copy("help.title_all"),
        copy("help.section_mornings"),
        copy("help.section_meetings"),
        copy("help.section_data"),
        copy("help.seen"),
        copy("help.forget_me"),
    )
    await walk.shot("friday-help-all")

    # A slip of the keyboard, and a setting that cannot be.
    await walk.say("sene")
    await walk.sees(copy("errors.did_you_mean", word="sene", command="seen"))
    await walk.shot("friday-did-you-mean")
    await walk.say("team set checkin 25:00")
    await walk.sees(copy("errors.bad_time", value="25:00"))
    await walk.shot("friday-bad-input")

    # Anna's own data: the export, and the question before anything is erased.
    await walk.be(ANNA)
    await walk.say("export")
    file = f"pepptalk-export-{FRIDAY.isoformat()}.json"
    await walk.sees(
        copy("privacy.export_ready", minutes=int(LINK_VALID.total_seconds() // 60)),
        copy("privacy.export_note"),
    )
    await walk.page.get_by_role("link", name=copy("privacy.download", name=file)).wait_for()
    await walk.shot("friday-export")
    await walk.say("forget-me")
    await walk.sees(copy("privacy.confirm"))
    await walk.button(copy("privacy.confirm_button")).last.wait_for()
    await walk.shot("friday-forget-me")
