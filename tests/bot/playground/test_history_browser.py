"""The history pages in a real headless Chromium, from the playground's own link, at phone and
desktop width, in each language: axe-core at 0 violations on every page, nothing spilling
sideways, reachable by keyboard, and a seller kept to their own page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.bot.playground.browser import (
    CHROMIUM,
    DESKTOP,
    FLAGS,
    NEEDS_CHROMIUM,
    fits,
    playwright_api,
    violations,
)
from tests.bot.playground.harness import running_playground

pytestmark = NEEDS_CHROMIUM
# The narrowest phone the pages are made for.
NARROW = {"width": 375, "height": 812}
# What each language calls the page's first sections, as a leader reads them.
HEADINGS = {
    "en": ("Mood", "Each seller's weeks", "Feedback talks", "Wins and shout-outs"),
    "nb": ("Humør", "Hver selgers uker", "Tilbakemeldingssamtaler", "Seire og skryt"),
    "sv": ("Humör", "Varje säljares veckor", "Feedbacksamtal", "Vinster och hyllningar"),
    "da": ("Humør", "Hver sælgers uger", "Feedbacksamtaler", "Sejre og skulderklap"),
}


async def clean(page: Any, axe: str, width: int, shot: Path) -> None:
    assert await violations(page, axe) == []
    await fits(page, width)
    await page.screenshot(path=str(shot), full_page=True)


@pytest.mark.parametrize("viewport", [NARROW, DESKTOP], ids=["phone", "desktop"])
async def test_a_leader_looks_back_in_every_language(
    tmp_path: Path, viewport: dict[str, int], axe: str
) -> None:
    width = viewport["width"]
    async with running_playground(tmp_path) as site, playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            # The pages forbid inline scripts; axe-core is added by the test, not the page.
            page = await browser.new_page(viewport=viewport, bypass_csp=True)
            await page.goto(f"{site.url}/?as=UINGRID")
            async with page.expect_navigation():
                await page.get_by_role("link", name="History", exact=True).click()
            await clean(page, axe, width, tmp_path / "index.png")
            async with page.expect_navigation():
                await page.get_by_role("link", name="Oslo Inside Sales").first.click()
            for language, headings in HEADINGS.items():
                if language != "en":
                    await site.command("UINGRID", f"team set language {language}")
                    await page.reload()
                for heading in headings:
                    await page.get_by_role("heading", name=heading, exact=True).wait_for()
                assert await page.get_attribute("html", "lang") == language
                # The chart speaks: its title and its numbers in words, and a table beside it.
                chart = page.get_by_role("img", name=headings[0], exact=False)
                assert await chart.count() >= 1
                await clean(page, axe, width, tmp_path / f"team-{language}.png")

            # By keyboard: the first Tab reaches "skip to the content"; the numbers open.
            await page.keyboard.press("Tab")
            focused = await page.evaluate("document.activeElement.className")
            assert focused == "skip"
            summary = page.locator("details summary").first
            await summary.focus()
            await page.keyboard.press("Enter")
            assert await page.locator("details").first.get_attribute("open") is not None
            await page.screenshot(path=str(tmp_path / "numbers-open.png"), full_page=True)
        finally:
            await browser.close()


async def test_a_seller_sees_their_own_page_and_no_one_elses(tmp_path: Path, axe: str) -> None:
    async with running_playground(tmp_path) as site, playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = await browser.new_page(viewport=NARROW, bypass_csp=True)
            await page.goto(f"{site.url}/history?as=UANNA")
            assert await page.get_by_role("link", name="Oslo Inside Sales", exact=True).count() == 0
            async with page.expect_navigation():
                await page.get_by_role("link", name="Your own page").first.click()
            await page.get_by_role("heading", name="Your mornings").wait_for()
            await clean(page, axe, NARROW["width"], tmp_path / "own.png")
            response = await page.goto(f"{site.url}/history/team/1")
            assert response is not None and response.status == 403
            await page.get_by_role("heading", name="Not yours to see").wait_for()
            assert "Bjørn" not in await page.inner_text("main")
            await clean(page, axe, NARROW["width"], tmp_path / "refused.png")
        finally:
            await browser.close()
