"""How the playground page grows over a demo week: the page's height at phone width and the
buttons in the conversation, after each demo morning (check-in, then the summary).

Run from the repository root: `.venv/bin/python -m bench.playground_week` (needs Chromium at
/usr/bin/chromium; about 10 s).
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from playwright.async_api import async_playwright

from tests.bot.playground.harness import running_playground

CHROMIUM = "/usr/bin/chromium"


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with running_playground(Path(folder)) as site, async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = await browser.new_page(viewport={"width": 390, "height": 844})
            print("morning     who       page height (px)  buttons in the conversation")
            for _ in range(5):
                await site.clock("UANNA", "morning")
                await site.clock("UANNA", "checkin")
                await site.clock("UANNA", "summary")
                for who in ("UANNA", "UINGRID"):
                    await page.goto(f"{site.url}/?as={who}")
                    height = await page.evaluate("document.documentElement.scrollHeight")
                    buttons = await page.locator("main button").count()
                    day = site.playground.clock.local().strftime("%a %d %b")
                    print(f"{day:<11} {who:<9} {height:>16}  {buttons:>27}")
            await browser.close()


if __name__ == "__main__":
    asyncio.run(main())
