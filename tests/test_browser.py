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
    bureau, committee = panel.split("[2]</span>")
    assert "<mark>The training is funded by the Social Welfare Bureau of the MSAR.</mark>" in bureau
    assert "will be funded by the MSAR human trafficking committee.</mark>" in committee
    assert png.stat().st_size > 10_000


@pytest.mark.skipif(shutil.which(CHROMIUM) is None and not os.environ.get("CI"),
                    reason="Debian chromium not installed (apt-get install chromium; .ci/run does)")
def test_the_location_and_date_filters_in_the_browser_find_all_four_china_releases(served):
    """Set in the chat's settings as a user would: country China, the year 2011, releases of unknown date kept.
    A collection question needs no model but to rewrite a follow-up standalone (scripted here)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import FLAGS

    _, llm, _, url = served
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(url)
            page.get_by_placeholder("Ask about the releases, in your own words").wait_for()
            message = page.locator("textarea").first  # the chat's input, above the settings
            page.get_by_role("button", name="Settings and filters").click()  # closed at first
            page.get_by_label("Only releases about this country or place").click()
            page.get_by_role("option", name="China", exact=True).click()
            page.get_by_label("Published on or after").fill("2011-01-01")
            page.get_by_label("Published on or before").fill("2011-12-31")

            def ask(question: str) -> tuple[str, str]:
                # the new reply by its index: `.last` would match the previous reply's "checked" at once
                bot = page.locator("[data-testid='bot']").nth(page.locator("[data-testid='bot']").count())
                message.fill(question)
                message.press("Enter")
                bot.filter(has_text="checked").wait_for(timeout=60_000)
                page.wait_for_timeout(500)
                return bot.inner_text(), page.locator("#sources-panel").inner_html()

            answer, panel = ask("List the trainings.")
            assert "1 release (1 release checked). 3 releases were left out: no known date." in answer
            page.get_by_label("With a date range, also releases whose date is not known").check()
            llm.replies.append("List the counter-trafficking trainings.")  # the follow-up, rewritten standalone
            answer, panel = ask("List the counter-trafficking trainings.")
            assert "4 releases (4 releases checked)." in answer
            assert all(f"release {rid}" in panel for rid in ("000_", "001_", "002_", "003_"))
            assert "release 004_" not in panel
            assert len(llm.prompts) == 1 and "Conversation:" in llm.prompts[0]  # only the rewrite asked the model
        finally:
            browser.close()


def _page(playwright, url: str, width: int):
    from tests.browser import FLAGS

    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
    page = browser.new_page(viewport={"width": width, "height": 844 if width < 600 else 900})
    page.goto(url)
    page.get_by_placeholder("Ask about the releases, in your own words").wait_for()
    page.locator("#landing").filter(has_text="The archive holds 5 releases").wait_for()
    return browser, page


@pytest.mark.skipif(shutil.which(CHROMIUM) is None and not os.environ.get("CI"),
                    reason="Debian chromium not installed (apt-get install chromium; .ci/run does)")
def test_on_a_phone_the_sources_come_under_the_answer_and_each_marker_opens_its_card(served, tmp_path):
    from playwright.sync_api import sync_playwright

    _, llm, _, url = served
    llm.replies += ["The training is funded by the Social Welfare Bureau of the MSAR [1].",
                    "How many officers will upgrade their skills in the Macao training?",  # the follow-up rewritten
                    "Some 120 officers will upgrade their skills [1]."]
    with sync_playwright() as playwright:
        browser, page = _page(playwright, url, 390)
        try:
            landing = page.locator("#landing").inner_text()
            assert "archive holds 5 releases about 2 countries" in landing
            assert "Ask in English, French, Spanish, Chinese" in landing  # the settings' languages, answered in
            page.get_by_text("Who funded the Macao trainings?", exact=True).first.click()
            first = page.locator("[data-testid='bot']").nth(0)  # a locator is lazy: .last would move on
            first.locator(".rb-sources .rb-source").first.wait_for(timeout=60_000)
            card, settings = first.locator(".rb-source").first.bounding_box(), \
                page.get_by_role("button", name="Settings and filters").bounding_box()
            assert card["y"] < settings["y"], (card, settings)  # reached before the settings, which start closed
            assert not page.get_by_label("Passages to retrieve").is_visible()
            page.screenshot(path=str(tmp_path / "phone.png"))
            target = first.locator("a.rb-cite").first.get_attribute("href")
            box = page.locator("textarea").first
            box.fill("How many officers?")  # a follow-up: the first answer's [1] must still find its own card
            box.press("Enter")
            page.locator("[data-testid='bot']").nth(1).locator(".rb-sources").wait_for(timeout=60_000)
            first.locator("a.rb-cite").first.click()
            page.wait_for_timeout(300)
            opened = page.locator(f"[id='{target[1:]}']")
            assert page.url.endswith(target) and opened.count() == 1
            assert opened.evaluate("e => e.matches(':target')") and opened.is_visible()
            assert "Social Welfare Bureau" in opened.inner_text()
            page.screenshot(path=str(tmp_path / "phone-cited.png"))
        finally:
            browser.close()


@pytest.mark.skipif(shutil.which(CHROMIUM) is None and not os.environ.get("CI"),
                    reason="Debian chromium not installed (apt-get install chromium; .ci/run does)")
def test_a_filter_clears_and_an_empty_message_is_not_sent(served):
    from playwright.sync_api import sync_playwright

    _, llm, _, url = served
    with sync_playwright() as playwright:
        browser, page = _page(playwright, url, 1400)
        try:
            box = page.locator("textarea").first
            for empty in ("", "   "):
                box.fill(empty)
                box.press("Enter")
            page.wait_for_timeout(1000)
            assert page.locator("[data-testid='user']").count() == 0  # nothing posted

            def ask(question: str) -> str:
                count = page.locator("[data-testid='bot']").count()
                box.fill(question)
                box.press("Enter")
                bot = page.locator("[data-testid='bot']").nth(count)
                bot.filter(has_text="checked").wait_for(timeout=60_000)
                return bot.inner_text()

            page.get_by_role("button", name="Settings and filters").click()
            place = page.get_by_label("Only releases about this country or place")
            place.click()
            page.get_by_role("option", name="China", exact=True).click()
            llm.replies.append("Which releases mention trafficking?")  # the follow-up, rewritten standalone
            assert "4 releases checked" in ask("Which releases mention trafficking?")
            place.click()
            page.get_by_role("option", name="Any country or place", exact=True).click()
            assert "5 releases checked" in ask("Which releases mention trafficking?")
            place.click()
            page.get_by_role("option", name="Timor-Leste", exact=True).click()
            page.get_by_label("Published on or after").fill("2012-01-01")
            page.get_by_label("Published on or before").fill("2011-01-01")
            count = page.locator("[data-testid='bot']").count()
            box.fill("Who funded the Macao trainings?")
            box.press("Enter")
            refusal = page.locator("[data-testid='bot']").nth(count)
            refusal.filter(has_text="reversed").wait_for(timeout=60_000)
            assert "the date range is reversed: 2012-01-01 is after 2011-01-01" in refusal.inner_text()
            assert len(llm.prompts) == 1  # the second list's rewrite as a follow-up; the refused question asked nothing
        finally:
            browser.close()
