"""The playground in a real headless Chromium, at phone and desktop width: a seller's morning,
the leader's summary, a restart that keeps it all, and axe-core at 0 violations on every view."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

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


async def in_view(page: Any, selector: str) -> bool:
    return bool(
        await page.evaluate(
            """s => { const r = document.querySelector(s).getBoundingClientRect();
                return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0; }""",
            selector,
        )
    )


async def be(page: Any, name: str) -> None:
    """Choose a person in "You are" and press Switch."""
    await page.select_option("#as", label=name)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Switch").click()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
async def test_a_morning_in_the_playground_by_phone_and_desktop(
    tmp_path: Path, viewport: dict[str, int], axe: str
) -> None:
    width = viewport["width"]
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = await browser.new_page(viewport=viewport)
            async with running_playground(tmp_path) as site:
                await page.goto(f"{site.url}/")
                assert await violations(page, axe) == []

                # Arrowing through "You are" does not leave the page: Switch does.
                url = page.url
                await page.focus("#as")
                await page.keyboard.press("ArrowDown")
                await page.wait_for_timeout(300)
                assert page.url == url
                await be(page, "Anna Berg")

                await page.get_by_role("button", name="Check-in time").click()
                await page.get_by_text("Good morning, Anna!").wait_for()
                # What happens next is said on the clock.
                await page.get_by_text("Next: summary at 09:00").wait_for()
                await page.get_by_role("button", name="😕 Low").click()
                await page.get_by_text(
                    "Ingrid Solberg will see it before the first call"
                ).wait_for()
                pressed = page.get_by_role("button", name="😕 Low")
                assert await pressed.get_attribute("aria-pressed") == "true"

                # Scrolled down to the newest, "Add a note" opens a form in view, focus in it.
                for _ in range(3):
                    await page.get_by_label("/pepptalk").fill("help")
                    await page.keyboard.press("Enter")
                    await page.get_by_text("You are in Oslo Inside Sales.").first.wait_for()
                await page.get_by_role("button", name="Add a note").click()
                dialog = page.get_by_role("dialog")
                await dialog.wait_for()
                assert await in_view(page, "#form-dialog")
                await page.wait_for_function("document.activeElement.id === 'f-note'")
                assert await violations(page, axe) == []
                # Escape is Cancel: back at the check-in it came from.
                async with page.expect_navigation():
                    await page.keyboard.press("Escape")
                assert "#m" in page.url
                assert await page.locator("#form-dialog").count() == 0
                message = "#" + page.url.rsplit("#", 1)[1]
                top = await page.evaluate(
                    "s => document.querySelector(s).getBoundingClientRect().top", message
                )
                assert 0 <= top < PHONE["height"], "the check-in is in view again"

                await page.get_by_role("button", name="Add a note").click()
                await page.get_by_role("textbox", name="Note", exact=True).fill(
                    "Missed the bus, starting late"
                )
                await page.get_by_role("button", name="Save").click()
                await page.get_by_text("Your note: Missed the bus, starting late").wait_for()
                await fits(page, width)

                # Half an hour later, be Ingrid, the leader.
                await page.get_by_role("button", name="Summary time").click()
                await be(page, "Ingrid Solberg (leader)")
                await page.get_by_text("Team check-in, Monday, 23 November 2026").wait_for()
                summary = await page.locator("li.msg").last.inner_text()
                assert "Worth a word before the first call" in summary
                assert "Missed the bus, starting late" in summary
                # Her buttons say whom they are for.
                await page.get_by_label("/pepptalk").fill("seen")
                await page.keyboard.press("Enter")
                await page.get_by_role("button", name="Log feedback for Anna Berg").first.wait_for()
                assert await violations(page, axe) == []
                await fits(page, width)

                for view in ("Home: your history", "#oslo-sales"):
                    await page.get_by_role("link", name=view).click()
                    await page.get_by_role("heading", name=view).wait_for()
                    assert await violations(page, axe) == [], view
                    await fits(page, width)
                await page.get_by_role("link", name="Pepptalk", exact=True).click()

            # The playground restarts: the clock and every message are where they were.
            async with running_playground(tmp_path) as site:
                await page.goto(f"{site.url}/?as=UINGRID")
                await page.get_by_text("Monday, 23 November 2026, 09:00").wait_for()
                await page.get_by_text("Team check-in, Monday, 23 November 2026").wait_for()

                # The next morning, yesterday is folded away and its buttons are gone.
                await page.get_by_role("button", name="Next morning").click()
                await be(page, "Anna Berg")
                await page.get_by_role("button", name="Check-in time").click()
                await page.get_by_text("Tuesday, 24 November 2026, 08:30").first.wait_for()
                assert await page.get_by_role("button", name="😕 Low").count() == 1
                assert await page.locator("details.day").count() >= 1
                assert await violations(page, axe) == []
                await fits(page, width)
                await page.screenshot(
                    path=str(tmp_path / f"playground-{width}.png"), full_page=False
                )
        finally:
            await browser.close()


async def test_new_messages_arrive_without_a_reload(tmp_path: Path) -> None:
    async with running_playground(tmp_path) as site, playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = await browser.new_page(viewport=DESKTOP)
            await page.goto(f"{site.url}/?as=UINGRID")
            # In another tab (here: straight over HTTP), Anna logs a win for Ingrid.
            await site.command("UANNA", "win Closed the Nordvik deal")
            await page.get_by_text("Closed the Nordvik deal").first.wait_for(timeout=10_000)
        finally:
            await browser.close()


async def test_a_leader_connects_the_demo_crm_through_its_dialog(tmp_path: Path, axe: str) -> None:
    async with running_playground(tmp_path) as site, playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = await browser.new_page(viewport=PHONE)
            await page.goto(f"{site.url}/?as=UINGRID")
            await page.get_by_label("/pepptalk").fill("team connect pipedrive")
            await page.keyboard.press("Enter")
            dialog = page.get_by_role("dialog", name="Connect Pipedrive")
            await dialog.wait_for()
            await page.wait_for_function("document.activeElement.id === 'f-domain'")
            await page.get_by_role("textbox", name="Company domain").fill("acme")
            await page.get_by_role("textbox", name="Access token").fill("revoked")
            await page.get_by_role("button", name="Connect").click()
            await page.get_by_text("Pipedrive did not accept this token").wait_for()
            token = page.get_by_role("textbox", name="Access token")
            assert await token.get_attribute("aria-describedby") == "err-f-token"
            assert await violations(page, axe) == []
            await fits(page, PHONE["width"])
            await page.screenshot(path=str(tmp_path / "crm-refused.png"))

            await token.fill("a-demo-token")
            await page.get_by_role("button", name="Connect").click()
            await page.get_by_text(
                "Connected to Pipedrive (Oslo Inside Sales, demo CRM)."
            ).wait_for()
            assert await page.locator("#form-dialog").count() == 0
            await page.get_by_label("/pepptalk").fill("team connection")
            await page.keyboard.press("Enter")
            await page.get_by_text(re.compile(r"Last read .*: [\d,]+ figures\.")).wait_for()
            assert await violations(page, axe) == []
            await page.screenshot(path=str(tmp_path / "crm-connected.png"))
        finally:
            await browser.close()
