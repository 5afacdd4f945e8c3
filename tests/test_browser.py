"""The chat in a real headless browser: click an example, see the streamed cited answer and the
highlighted source of release 000 (scripted LLM; the real model has its own end-to-end test)."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.browser import CHROMIUM, screenshot

MACAO = "000_899311ac7e93267d"


@pytest.mark.skipif(shutil.which(CHROMIUM) is None and not os.environ.get("CI"),
                    reason="Debian chromium not installed (apt-get install chromium; .ci/run does)")
def test_clicking_an_example_streams_a_cited_answer_with_highlighted_source(served, tmp_path):
    _, llm, _, url = served
    llm.replies.append("The training is funded by the Social Welfare Bureau of the MSAR [1]. The other two trainings "
                       "will be funded by the MSAR human trafficking committee [1].")
    png = tmp_path / "chat.png"
    answer, panel = screenshot(url, png)
    # Two claims backed by two sentences of one release: two citations, each highlighting its own sentence.
    assert "The training is funded by the Social Welfare Bureau of the MSAR [1]" in answer
    assert "funded by the MSAR human trafficking committee [2]" in answer
    assert f"release {MACAO}" in panel and "IOM, Macao SAR run counter-trafficking training" in panel
    bureau, committee = panel.split("id=\"source-2\"")
    assert "<mark>The training is funded by the Social Welfare Bureau of the MSAR.</mark>" in bureau
    assert "will be funded by the MSAR human trafficking committee.</mark>" in committee
    assert png.stat().st_size > 10_000


@pytest.mark.skipif(shutil.which(CHROMIUM) is None and not os.environ.get("CI"),
                    reason="Debian chromium not installed (apt-get install chromium; .ci/run does)")
def test_the_location_and_date_filters_in_the_browser_find_all_four_china_releases(served):
    """Set in the chat's settings as a user would: country China, the year 2011, releases of unknown date kept.
    A collection question needs no model, so the scripted one is not asked."""
    from playwright.sync_api import sync_playwright

    from tests.browser import FLAGS

    _, llm, _, url = served
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(url)
            page.get_by_placeholder("Type a message...").wait_for()
            message = page.locator("textarea").first  # the chat's input, above the settings
            page.get_by_label("Only releases about this country or place").click()  # settings open under the chat
            page.get_by_role("option", name="China", exact=True).click()
            page.get_by_label("Published on or after").fill("2011-01-01")
            page.get_by_label("Published on or before").fill("2011-12-31")

            def ask(question: str) -> tuple[str, str]:
                message.fill(question)
                message.press("Enter")
                bot = page.locator("[data-testid='bot']").last
                bot.filter(has_text="checked").wait_for(timeout=60_000)
                page.wait_for_timeout(500)
                return bot.inner_text(), page.locator("#sources-panel").inner_html()

            answer, panel = ask("List the trainings.")
            assert "1 release (1 release checked). 3 releases were left out: no known date." in answer
            page.get_by_label("With a date range, also releases whose date is not known").check()
            answer, panel = ask("List the counter-trafficking trainings.")
            assert "4 releases (4 releases checked)." in answer
            assert all(f"release {rid}" in panel for rid in ("000_", "001_", "002_", "003_"))
            assert "release 004_" not in panel and llm.prompts == []
        finally:
            browser.close()
