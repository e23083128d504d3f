"""The playground in a real headless Chromium: a seller's morning, then the leader's summary."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.bot.playground.harness import running_playground

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright_api = pytest.importorskip("playwright.async_api")
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
)
# Quiet flags: this machine has no network beyond the registries, so Chromium must not go looking.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


async def test_a_seller_taps_a_mood_adds_a_note_and_the_leader_reads_it(tmp_path: Path) -> None:
    async with running_playground(tmp_path) as site, playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = await browser.new_page(viewport={"width": 375, "height": 812})
            await page.goto(f"{site.url}/")

            # Be Anna, a seller, and move the clock to check-in time.
            async with page.expect_navigation():
                await page.select_option("#as", "UANNA")
            await page.get_by_role("button", name="Check-in time").click()
            await page.get_by_text("Good morning, Anna!").wait_for()

            await page.get_by_role("button", name="😕 Low").click()
            await page.get_by_text("Ingrid Solberg will see it before the first call").wait_for()
            pressed = page.get_by_role("button", name="😕 Low")
            assert await pressed.get_attribute("aria-pressed") == "true"

            await page.get_by_role("button", name="Add a note").click()
            await page.get_by_role("textbox", name="Note", exact=True).fill(
                "Missed the bus, starting late"
            )
            await page.get_by_role("button", name="Save").click()
            await page.get_by_text("Your note: Missed the bus, starting late").wait_for()

            # By keyboard: type a command and press Enter.
            await page.get_by_label("/pepptalk").fill("help")
            await page.keyboard.press("Enter")
            await page.get_by_text("You are in Oslo Inside Sales.").wait_for()

            # Half an hour later, be Ingrid, the leader.
            await page.get_by_role("button", name="Summary time").click()
            async with page.expect_navigation():
                await page.select_option("#as", "UINGRID")
            await page.get_by_text("Team check-in, Monday, 23 November 2026").wait_for()
            summary = await page.locator("li.msg").last.inner_text()
            assert "Worth a word before the first call" in summary
            assert "Missed the bus, starting late" in summary

            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, "nothing spills sideways on a phone"
            await page.screenshot(path=str(tmp_path / "playground-leader.png"), full_page=True)
        finally:
            await browser.close()
