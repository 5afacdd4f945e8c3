"""The web chat over real HTTP on loopback: gradio_client against the served app (scripted LLM),
and release upload through the same server."""

from __future__ import annotations

import pytest
from gradio_client import handle_file

MACAO = "000_899311ac7e93267d"


def test_chat_endpoint_answers_with_citation_markers(served):
    client, llm, _, _ = served
    llm.replies.append("The Social Welfare Bureau of the MSAR [1] and the MSAR human trafficking committee [1].")
    answer = client.predict("Who funded the Macao trainings?", api_name="/chat")
    assert answer == "The Social Welfare Bureau of the MSAR and the MSAR human trafficking committee [1]."


def test_follow_up_over_http_uses_history(served):
    client, llm, _, _ = served
    llm.replies.extend(["How many social workers were trained in Macao?", "70 social workers were trained [1]."])
    history = [{"role": "user", "content": "Who funded the Macao trainings?"},
               {"role": "assistant", "content": "The Social Welfare Bureau of the MSAR [1]."}]
    answer = client.predict("how many social workers were trained?", history, api_name="/chat")
    assert answer == "70 social workers were trained [1]."
    assert "User: Who funded the Macao trainings?" in llm.prompts[0]


def test_bad_question_and_bad_upload_are_refused_with_a_message(served, tmp_path):
    client, _, bot, _ = served
    with pytest.raises(Exception, match="the question is empty"):
        client.predict("   ", api_name="/chat")
    binary = tmp_path / "photo.txt"
    binary.write_bytes(bytes(range(256)) * 4)
    log, *_ = client.predict([handle_file(str(binary))], api_name="/add_releases")
    assert "photo.txt: binary file, not text" in log
    assert "photo" not in bot.retriever.metadata


def test_uploaded_release_is_answerable_right_away(served, tmp_path):
    client, llm, bot, _ = served
    release = tmp_path / "penguins.txt"
    release.write_text("IOM opens penguin shelter in Ushuaia\n"
                       "Ushuaia - IOM opened a shelter for 40 penguins on Monday, funded by the Antarctic Fund.\n")
    log, *_ = client.predict([handle_file(str(release))], api_name="/add_releases")
    assert "added: 1" in log
    llm.replies.append("The Antarctic Fund funded the penguin shelter [1].")
    assert client.predict("Who funded the penguin shelter?", api_name="/chat") == \
        "The Antarctic Fund funded the penguin shelter [1]."
    assert bot.ask("penguin shelter", mode="extractive").retrieved[0] == "penguins"


def test_the_chat_location_and_date_filters_find_every_china_release(bundled_store):
    """Three of the four China releases give no date: a date range keeps them when the user asks it to, and a
    collection answer says how many it left out otherwise."""
    from qa import ReleaseQA
    from releasebot.web import ChatApp

    chat = ChatApp(ReleaseQA.from_settings(bundled_store, load_llm=False), bundled_store)
    assert ("China", "China") in chat.release_choices()[1]

    def listed(undated: bool) -> tuple[str, str]:
        *_, (text, panel) = chat.respond("List the trainings.", [], "extractive", 6, None, "China",
                                         "2011-01-01", "2011-12-31", undated)
        return text, panel

    text, panel = listed(undated=True)
    assert "4 releases (4 releases checked).</div>" in text
    assert all(f"release {rid}" in panel for rid in ("000_", "001_", "002_", "003_")) and "release 004_" not in panel
    text, panel = listed(undated=False)
    assert "1 release (1 release checked). 3 releases were left out: no known date.</div>" in text
    assert "release 001_" in panel and "release 000_" not in panel
    *_, (refused, _) = chat.respond("List the trainings.", [], "extractive", 6, None, None, "March 2011", "", False)
    assert "Not answered: not an ISO date" in refused and "YYYY-MM-DD" in refused


def test_the_chat_reads_back_its_own_messages_as_text_and_says_what_stop_cut_off(bundled_store):
    """A follow-up's rewriting reads the answer's text, not its cards; Stop replaces a step still showing, and marks a
    draft as not checked."""
    from qa import Answer, Citation
    from releasebot import render
    from releasebot.web import ChatApp

    answer = Answer(question="q", standalone_question="q", text="Funded by the Bureau [1] & others.", citations=[
        Citation(number=1, source=MACAO, title="Macao", text="The training is funded by the Bureau.",
                 sentence="The training is funded by the Bureau.")])
    shown = render.answer_message(answer, "a1")
    assert "rb-sources" in shown and "href='#a1-1'" in shown
    assert render.plain(shown) == "Funded by the Bureau [1] & others."
    user = {"role": "user", "content": "Who funded it?"}
    step = ChatApp.stopped([user, {"role": "assistant", "content": render.step("Searching the releases…")}])
    assert render.plain(step[-1]["content"]) == "Stopped before an answer was written."
    draft = ChatApp.stopped([user, {"role": "assistant", "content": render.chat_text("Funded by")}])
    assert "not checked against the sources" in draft[-1]["content"]
    assert ChatApp.stopped([user, {"role": "assistant", "content": shown}])[-1]["content"] == shown


def test_a_source_card_links_the_release_page_only_by_http():
    """A card's title links to the page the release was saved from, where it gave an http(s) address; any other
    scheme stays text."""
    from qa import Citation
    from releasebot import render

    def card(url: str) -> str:
        return render.citation_card(Citation(number=1, source="dva-037", title="Border Officers Trained", url=url,
                                             text="38 officers were trained.", sentence="38 officers were trained."))

    linked = card("https://panama.iom.int/news/border-officers?a=1&b=2")
    assert "href='https://panama.iom.int/news/border-officers?a=1&amp;b=2'" in linked
    assert "rel='noopener noreferrer'" in linked
    for unsafe in ("javascript:alert(1)", "data:text/html,x", ""):
        assert "href" not in card(unsafe) and "Border Officers Trained" in card(unsafe)
