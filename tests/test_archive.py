"""Questions about the archive as a whole, on the five real releases (real store, embedder, citation check):
complete lists with an item per release cited to its own sentence, sums computed from cited addends, the
catalog, and single-fact questions handed on to the engine."""

from __future__ import annotations

import json

import pytest

from qa import Answer, ReleaseQA, Retrieved
from qa.archive import ArchiveQA, _forms, plan
from qa.quotes import quotes
from qa.text import split_sentences
from tests.fakes import ScriptedLLM


@pytest.fixture(scope="module")
def archive(bundled_store) -> ArchiveQA:
    # Lists by the question's own words (extractive); the model's subject and the comparisons, scripted, ask "llm".
    settings = bundled_store.model_copy(update={"mode": "extractive"})
    return ArchiveQA(ReleaseQA.from_settings(settings, llm=ScriptedLLM(replies=[])))


def _cited(answer: Answer) -> list[str]:
    return [c.source[:3] for c in answer.citations]


def test_which_releases_mention_the_plan_of_action(archive):
    answer = archive.ask("Which releases mention China's National Plan of Action for 2008-2012?")
    assert not answer.abstained and _cited(answer) == ["001", "002"]  # each item cited to its own release
    assert "National Plan of Action" in answer.citations[0].sentence and "(2008–2012)" in answer.citations[0].sentence
    assert "(2008-2012)" in answer.citations[1].sentence
    assert answer.text.endswith("2 releases (5 releases checked).")
    assert "(15 March 2011)" in answer.text.splitlines()[0]  # dates where known, items in date order


def test_the_macao_total_is_computed_from_three_cited_addends(archive):
    answer = archive.ask("How many Macao professionals in total were to be trained across the three sessions?")
    assert answer.text.splitlines()[-1] == "Total: 70 + 2 × 35 + 120 = 260 (5 releases checked)."
    assert _cited(answer) == ["000", "000", "000"]
    sentences = [c.sentence for c in answer.citations]
    assert "70 social workers" in sentences[0] and "two groups of 35 participants" in sentences[1]
    assert "Some 120 officers" in sentences[2]
    assert [line[-4:] for line in answer.text.splitlines()[:3]] == ["[1].", "[2].", "[3]."]


def test_of_a_totals_subject_names_decide_not_the_questions_verb(archive):
    """The Macao release says "were trained", never "attended": the subject's name decides which releases it adds up."""
    answer = archive.ask("How many people in total attended the Macao trainings?")
    assert answer.text.splitlines()[-1] == "Total: 70 + 2 × 35 + 120 = 260 (5 releases checked)."
    assert _cited(answer) == ["000", "000", "000"]


def test_a_total_of_one_kind_of_person_adds_up_only_them(archive):
    """The Macao release trains social workers, participants and officers: asked for the officers, only they count."""
    answer = archive.ask("How many MSAR police officers were to be trained altogether?")
    assert answer.text.splitlines()[-1] == "Total: 120 = 120 (5 releases checked)."
    assert "Some 120 officers" in answer.citations[0].sentence and len(answer.citations) == 1


def test_every_training_in_china_and_only_those_a_funder_supported(archive):
    trainings = archive.ask("List the counter-trafficking trainings and workshops IOM held in China.")
    assert sorted(_cited(trainings)) == ["000", "001", "002", "003"] and "(4 releases checked)" in trainings.text
    funded = archive.ask("Which releases mention trainings supported by the US State Department's Bureau of "
                         "Population, Refugees and Migration?")
    assert _cited(funded) == ["001", "002"]


def test_catalog_questions_are_answered_from_the_catalog(archive):
    assert _cited(archive.ask("Which releases do you have about Timor-Leste?")) == ["004"]
    assert _cited(archive.ask("What was published in 2011?")) == ["001"]
    assert _cited(archive.ask("How many releases mention Thailand?")) == ["000"]


def test_items_stream_as_each_release_is_checked(archive):
    items = list(archive.stream("Which releases mention China's National Plan of Action for 2008-2012?"))
    assert isinstance(items[0], Retrieved) and items[0].passages == [] and len(items[0].retrieved) == 5
    texts = [item for item in items if isinstance(item, str)]
    assert texts[0].startswith("- IOM and China Work to Protect") and "[1]" in texts[0]
    panels = [item for item in items if isinstance(item, Retrieved)][1:]
    assert [len(panel.passages) for panel in panels] == [1, 2]  # the sources panel fills item by item
    assert isinstance(items[-1], Answer)


def test_single_fact_questions_go_to_the_engine(archive):
    assert plan("Who funded the Macao trainings?") is None
    archive.bot._llm.replies.append("The Social Welfare Bureau of the MSAR [1].")
    answer = archive.ask("Who funded the Macao trainings?", mode="llm")
    assert answer.model != "archive" and "Social Welfare Bureau" in answer.text


def test_an_empty_list_is_an_answer_every_release_was_checked(archive):
    answer = archive.ask("Which releases mention Brazil?")
    assert not answer.abstained and answer.citations == []
    assert answer.text == "0 releases (5 releases checked)."


def test_the_model_says_what_a_list_is_about_and_the_releases_are_checked_for_it(archive):
    """"Which releases involve Timor-Leste?": the model's subject ("Timor-Leste") is what every release is checked for;
    the question's own words ("involve") would find none."""
    llm = archive.bot._llm
    llm.replies.append('{"subject": "Timor-Leste"}')
    answer = archive.ask("Which releases involve Timor-Leste?", mode="llm")
    assert "Which releases involve Timor-Leste?" in llm.prompts[-1] and not llm.replies
    assert _cited(answer) == ["004"] and answer.text.endswith("1 release (5 releases checked).")


def test_of_the_models_subject_names_decide(archive):
    """"Thomas Sinkovits quoted": release 001 never writes "quote" ("says Thomas Sinkovits"); the name decides."""
    archive.bot._llm.replies.append('{"subject": "Thomas Sinkovits quoted"}')
    answer = archive.ask("Which releases quote Thomas Sinkovits?", mode="llm")
    assert not archive.bot._llm.replies
    assert _cited(answer) == ["001"] and "says Thomas Sinkovits" in answer.citations[0].sentence
    assert answer.text.endswith("1 release (5 releases checked).") and not answer.abstained


def test_a_list_of_releases_quoting_a_kind_of_person_holds_the_quotes_attributed_to_one(archive):
    """The model reads whom the releases must quote; a release belongs when a quote of it is attributed to such a
    person ("…,” remarked Director General Zhang Mingliang from the Ministry…), cited to that quote. A kind of person
    that no quote is attributed to is no "0 releases": the closest are shown, unconfirmed."""
    llm = archive.bot._llm
    llm.replies.append('{"subject": "", "speaker": "a director general", "relation": "", "date": "", "date2": ""}')
    answer = archive.ask("Which press releases include words from a director general?", mode="llm")
    assert _cited(answer) == ["001"] and "remarked Director General Zhang Mingliang" in answer.citations[0].sentence
    assert answer.text.endswith("1 release (5 releases checked).") and not answer.abstained
    llm.replies.append('{"subject": "", "speaker": "a judge", "relation": "", "date": "", "date2": ""}')
    answer = archive.ask("Which releases quote a judge?", mode="llm")
    assert answer.text.startswith("No release holds the words of “a judge”.") and answer.abstained
    # Whom the release quotes, and what it talks about: both must hold.
    llm.replies.append('{"subject": "shelters", "speaker": "a director general", "relation": "", "date": "", '
                       '"date2": ""}')
    assert _cited(archive.ask("Which releases have a director general talking about shelters?", mode="llm")) == ["001"]
    llm.replies.append('{"subject": "Timor-Leste", "speaker": "a director general", "relation": "", "date": "", '
                       '"date2": ""}')
    answer = archive.ask("Which releases have a director general talking about Timor-Leste?", mode="llm")
    assert answer.text.startswith("No release holds the words of “Timor-Leste”.") and answer.abstained
    assert not llm.replies


def test_a_quote_is_read_by_its_marks_in_any_shape():
    """Curly and straight marks; a quote continued from the sentence before; an apostrophe inside a quote (K’iche’) is
    no mark; a quoted title is no speech."""
    sentences = split_sentences("x", "“Many victims speak Mam or K’iche’, and we need interpreters,” said Esteban "
                                     "Tzoc, district prosecutor. The \"Blue Heart\" campaign began in 2019. \"A judge "
                                     "must protect the victim. It must happen in every court,\" said Farrukh Rahimov, "
                                     "a judge. Zhang said: « Nous continuerons ce travail avec l’OIM. »")
    found = {quote.sentence.index: quote.attribution for quote in quotes(sentences)}
    assert list(found.values()) == ["said Esteban Tzoc, district prosecutor.", "said Farrukh Rahimov, a judge.",
                                    "Zhang said:"], found


def test_a_list_asked_in_french_is_worded_in_french_and_quotes_the_release(archive):
    """The question through its English form; the answer's own words (its count, the items' dates) in French, the
    cited sentence as the release writes it."""
    archive.bot._llm.replies.extend(['{"translations": ["Which releases quote Thomas Sinkovits?"]}',
                                     '{"subject": "Thomas Sinkovits quoted"}'])
    answer = archive.ask("Quels communiqués de presse citent Thomas Sinkovits ?", mode="llm")
    assert not archive.bot._llm.replies and answer.standalone_question == "Which releases quote Thomas Sinkovits?"
    assert _cited(answer) == ["001"] and "says Thomas Sinkovits" in answer.text
    assert "(15 mars 2011)" in answer.text and answer.text.endswith("1 communiqué (5 communiqués examinés).")


def test_the_models_reading_limits_a_list_to_dates_the_question_writes(archive, caplog):
    """The model names the dates; the range is computed here, and a date the question does not write is no filter
    (the log says so)."""
    llm = archive.bot._llm
    llm.replies.append('{"subject": "", "relation": "between", "date": "2011", "date2": "2011"}')
    assert _cited(archive.ask("How many releases are dated 2011?", mode="llm")) == ["001"]
    llm.replies.append('{"subject": "Thailand", "relation": "before", "date": "2009", "date2": ""}')
    answer = archive.ask("Which releases mention Thailand?", mode="llm")
    assert _cited(answer) == ["000"] and answer.text.endswith("(5 releases checked).") and not llm.replies
    assert "dates it before '2009'" in caplog.text


def test_a_name_is_held_in_its_other_forms_but_not_as_another_country(archive):
    """"Mongolian", "Vietnamese": the releases write "Mongolia", "Viet Nam" (one form begins with the other); "Oman"
    is not held by "Mongolia", and two countries' names ("Niger", "Nigeria") are never one another's forms."""
    llm = archive.bot._llm
    llm.replies.append('{"subject": "Mongolian nationals", "relation": "", "date": "", "date2": ""}')
    answer = archive.ask("Which releases mention Mongolian nationals?", mode="llm")
    assert _cited(answer) == ["000"] and "Mongolia" in answer.citations[0].sentence
    llm.replies.append('{"subject": "Vietnamese nationals", "relation": "", "date": "", "date2": ""}')
    assert _cited(archive.ask("Which releases mention Vietnamese nationals?", mode="llm")) == ["000", "002"]
    llm.replies.append('{"subject": "Oman", "relation": "", "date": "", "date2": ""}')  # not Mongolia's "mongol…"
    assert archive.ask("Which releases mention Oman?", mode="llm").text == "0 releases (5 releases checked)."
    assert not _forms("niger", "nigeria") and _forms("somali", "somalia")


def test_a_list_no_release_holds_the_words_of_shows_the_closest_unconfirmed(archive, monkeypatch):
    """No release says "quote": rather than "0 releases", the closest in meaning are shown, one line each, marked
    unconfirmed, and the answer counts as not given."""
    monkeypatch.setattr(archive.bot, "settings", archive.bot.settings.model_copy(update={"collection_closest": 3}))
    answer = archive.ask("Which releases quote an IOM official?")
    lines = answer.text.splitlines()
    assert lines[0].startswith("No release holds the words of") and lines[0].endswith("Closest in meaning, not confirmed:")
    assert lines[-1] == "0 releases hold its words (5 releases checked); the 3 closest in meaning are shown, unconfirmed."
    assert len(set(_cited(answer))) == 3 == len(lines) - 2 and answer.abstained


def test_a_comparison_asks_each_release_on_its_own_and_names_those_that_do_not_say(archive):
    llm = archive.bot._llm
    asked = len(llm.prompts)
    # In date order (001 is dated), then by id: 001, 000, 002, 003, 004. The reply for 000 names a ministry the
    # release never mentions: the citation check refuses it, and the release is listed as not saying.
    llm.replies.extend([*_compares("training", "Which ministry co-organised the training?"),
                        "The Chinese Ministry of Civil Affairs co-hosted the training [1].",
                        "The Ministry of Defence co-organised it [1].",
                        "The Chinese Ministry of Public Security co-organized the workshop [1].",
                        "NOT FOUND", "NOT FOUND"])
    answer = archive.ask("Which ministry co-organised each training?", mode="llm")
    # The plan's reading of it, then its question for each release.
    assert all("Which ministry co-organised each training?" in p for p in llm.prompts[asked:asked + 2])
    prompts = llm.prompts[asked + 2:]
    sources = [p.split("<|im_start|>user")[-1].count("Title:") for p in prompts]  # past the system prompt's examples
    assert sources == [1, 1, 1, 1, 1]
    assert all("Which ministry co-organised the training?" in p for p in prompts)
    lines = answer.text.splitlines()
    assert lines[0].startswith("- IOM and China Work to Protect, Assist Victims of Trafficking (15 March 2011): ")
    assert "Ministry of Civil Affairs" in lines[0] and "Ministry of Public Security" in lines[1]
    assert "Defence" not in answer.text
    assert lines[-1].startswith("Answered by 2 of 5 releases checked. Not stated in: IOM, Macao SAR run")
    assert {c.source[:3] for c in answer.citations} == {"001", "002"}
    assert [c.number for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert "Ministry of Public Security" in next(c.sentence for c in answer.citations if c.source.startswith("002"))


def _compares(subject: str, ask: str, date: str = "") -> list[str]:
    """The model's replies planning a comparison: its reading (what is compared, a date "in" which) and the question
    for each release."""
    return [json.dumps({"subject": subject, "speaker": "", "relation": "in" if date else "", "date": date, "date2": ""}),
            json.dumps({"ask": ask})]


def test_a_comparison_is_planned_by_the_model_s_reading_and_asked_as_written_without_one(archive):
    llm = archive.bot._llm
    llm.replies.extend(_compares("Macao and Beijing trainings", "Who funded the training?"))
    compared = plan("Compare who funded the Macao and Beijing trainings.", model=archive.bot)
    assert compared.kind == "compare" and compared.ask == "Who funded the training?" and not llm.replies
    assert compared.by_names and [sorted(compared.subject[i]) for i in compared.names] == [["beij", "macao"]]
    alone = plan("Who funded each of the trainings in China?")  # no model: the question's words, asked as written
    assert alone.ask == "Who funded each of the trainings in China?" and alone.filters.location == "China"
    assert plan("How many visa applicants do the consulates interview each year?") is None


def test_a_name_the_model_s_reading_of_a_comparison_drops_is_still_one_a_release_must_hold(archive):
    """The small model reads "each of the trainings in China" as about nothing, with "China" for a date: China, a name
    the question writes, still decides which releases are compared (the four that name it; 004 is about Timor-Leste)."""
    archive.bot._llm.replies.extend(_compares("", "Which ministry co-organised the training?", date="China"))
    compared = plan("Which ministry co-organised each of the trainings in China?", model=archive.bot)
    assert compared.by_names and [sorted(compared.subject[i]) for i in compared.names] == [["china"]]
    archive.bot._llm.replies.extend(_compares("trainings", "How many people took part?"))
    named = plan("Compare the trainings in Macao and Beijing: how many people took part?", model=archive.bot)
    assert {"beij", "macao"} in named.subject and not archive.bot._llm.replies


def test_in_a_conversation_a_self_contained_collection_question_is_still_one(archive):
    history = [{"role": "user", "content": "Who funded the Macao trainings?"},
               {"role": "assistant", "content": "The Social Welfare Bureau of the MSAR [1]."}]
    listed = archive.ask("List the counter-trafficking trainings IOM held in China.", history)
    assert listed.model == "archive" and sorted(_cited(listed)) == ["000", "001", "002", "003"]
    # With the model, one that leans on the conversation is rewritten with it first, and planned as rewritten.
    llm = archive.bot._llm
    asked = len(llm.prompts)
    llm.replies.extend(["How many Macao professionals were trained in total?", '{"answer": "several"}'])
    leaning = archive.ask("How many in total?", history, mode="llm")
    assert "Who funded the Macao trainings?" in llm.prompts[asked]  # the conversation, in the rewrite's prompt
    assert leaning.standalone_question == "How many Macao professionals were trained in total?"
    llm.replies.clear()  # the model is asked to settle the kind only if the probe is unsure
    assert leaning.model == "archive" and leaning.text.splitlines()[-1].startswith("Total: 70 + 2 × 35 + 120 = 260")


def test_a_comparison_past_its_limit_says_how_many_releases_it_did_not_ask(archive, monkeypatch):
    monkeypatch.setattr(archive.bot, "settings", archive.bot.settings.model_copy(update={"compare_max_releases": 2}))
    llm = archive.bot._llm
    asked = len(llm.prompts)
    llm.replies.extend([*_compares("training", "Which ministry co-organised the training?"),
                        "The Chinese Ministry of Civil Affairs co-hosted the training [1].", "NOT FOUND"])
    answer = archive.ask("Which ministry co-organised each training?", mode="llm")
    assert len(llm.prompts) - asked == 4 and not llm.replies
    assert answer.text.splitlines()[-1] == (
        "Answered by 1 of 2 releases checked. Not stated in: IOM, Macao SAR run counter-trafficking training. "
        "3 more releases hold it and were not asked (the first RELEASEBOT_COMPARE_MAX_RELEASES were): narrow the "
        "question with a country, a date or a name.")


def test_a_comparison_asked_in_french_is_answered_in_french(archive):
    """Each release's answer is checked in English, then translated; the dates and the closing line are French, the
    cited sentences the release's own."""
    llm = archive.bot._llm
    llm.replies.extend([
        '{"translations": ["Which ministry co-organised each training?"]}',
        *_compares("training", "Which ministry co-organised the training?"),
        "The Chinese Ministry of Civil Affairs co-hosted the training [1].",
        '{"translations": ["Le [N1] of [N2] a co-organisé la formation."]}',  # names go as placeholders
        "NOT FOUND",
        "The Chinese Ministry of Public Security co-organized the workshop [1].",
        '{"translations": ["Le [N1] of [N2] a co-organisé l\'atelier."]}',
        "NOT FOUND", "NOT FOUND"])
    answer = archive.ask("Quel ministère a coorganisé chaque formation ?", mode="llm")
    assert not llm.replies
    lines = answer.text.splitlines()
    assert lines[0] == "- IOM and China Work to Protect, Assist Victims of Trafficking (15 mars 2011): Le Chinese " \
                       "Ministry of Civil Affairs a co-organisé la formation [1]."
    assert "a co-organisé l'atelier [2]" in lines[1] and "Ministry of Public Security" in answer.citations[-1].sentence
    assert lines[-1].startswith("Réponse dans 2 des 5 communiqués examinés. Non précisé dans : IOM, Macao SAR run")
