"""Drive the chat in headless Debian Chromium (no browser download): click an example question,
wait for the cited answer and the highlighted source. `python -m tests.browser URL PNG` takes the
README's screenshot from a running app."""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]


def ask_example(page: Page, url: str, question: str, timeout_s: float = 120) -> tuple[str, str]:
    """Open the chat, click the example ``question``; returns (answer text, sources panel HTML) once cited."""
    page.goto(url)
    page.get_by_text(question, exact=True).first.click()
    bot = page.locator("[data-testid='bot']").last
    bot.filter(has_text="[1]").wait_for(timeout=timeout_s * 1000)
    page.locator("#sources-panel .rb-source mark").first.wait_for(timeout=timeout_s * 1000)
    page.wait_for_timeout(500)  # let the last streamed tokens settle
    return bot.inner_text(), page.locator("#sources-panel").inner_html()


def screenshot(url: str, out: Path, question: str = "Who funded the Macao trainings?") -> tuple[str, str]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            result = ask_example(page, url, question)
            page.screenshot(path=str(out), full_page=True)
            return result
        finally:
            browser.close()


if __name__ == "__main__":
    print(screenshot(sys.argv[1], Path(sys.argv[2]))[0])
