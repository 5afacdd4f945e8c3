"""The answering pipeline with the real store and embedder and a scripted LLM: retrieval,
evidence, prompts, citation verification, abstention, follow-ups, errors."""

from __future__ import annotations

import pytest

from qa import Answer, Filters, ModelUnavailableError, QuestionError, ReleaseQA, Retrieved
from qa.evidence import Passage
from tests.fakes import ScriptedLLM

MACAO = "000_899311ac7e93267d"
FUNDERS = "Who funded the Macao trainings?"


def _bot(settings, *replies: str) -> ReleaseQA:
    return ReleaseQA.from_settings(settings, llm=ScriptedLLM(replies=list(replies)))


def test_sources_come_before_the_first_token_and_prompt_numbers_them(bundled_store):
    llm = ScriptedLLM(replies=["The Social Welfare Bureau of the MSAR funded it [1]."])
    bot = ReleaseQA.from_settings(bundled_store, llm=llm)
    items = list(bot.stream(FUNDERS))
    assert isinstance(items[0], Retrieved) and isinstance(items[-1], Answer)
    assert all(isinstance(item, str) for item in items[1:-1]) and len(items) > 3
    retrieved = items[0]
    assert retrieved.retrieved[0] == MACAO and retrieved.passages[0].release_id == MACAO
    prompt = llm.prompts[0]
    assert prompt.startswith("<|im_start|>system\nYou answer questions about IOM press releases")
    assert "[1] Title: IOM, Macao SAR run counter-trafficking training\nPlace: China\nText: " in prompt
    assert "Social Welfare Bureau" in prompt and "MSAR human trafficking committee" in prompt
    assert prompt.rstrip().endswith(f"Question: {FUNDERS}<|im_end|>\n<|im_start|>assistant")
    assert len(prompt) < 2600, "evidence is a few sentences, not whole chunks"


def test_a_wrong_citation_is_moved_to_the_supporting_source(bundled_store):
    bot = _bot(bundled_store, "The training is funded by the Social Welfare Bureau of the MSAR [2].")
    answer = bot.ask(FUNDERS)
    macao = next(p for p in bot.evidence.select(FUNDERS, bot.retriever.retrieve(FUNDERS, 6),
                                                 bot.retriever.texts, bot.retriever.metadata)
                 if p.release_id == MACAO)
    assert macao.number == 1  # the model's [2] pointed at another release; the claim is moved to Macao's
    assert answer.text.startswith("The training is funded by the Social Welfare Bureau of the MSAR [1].")
    assert {c.source for c in answer.citations} == {MACAO}
    citation = answer.citations[0]
    assert citation.sentence == "The training is funded by the Social Welfare Bureau of the MSAR."
    text = bot.retriever.texts[MACAO]
    assert text[citation.span[0]:citation.span[1]] == citation.sentence


def test_a_marker_to_no_source_is_dropped(bundled_store):
    answer = _bot(bundled_store, "The training is funded by the Social Welfare Bureau of the MSAR [1][9].").ask(FUNDERS)
    assert "[9]" not in answer.text and answer.text.startswith("The training is funded by the Social Welfare Bureau of the MSAR [1].")
    assert [c.number for c in answer.citations] == [1, 2]  # the second funder's sentence was added, cited on its own


def test_an_answer_naming_one_of_two_funders_gets_the_other_from_the_evidence(bundled_store):
    answer = _bot(bundled_store, "The Social Welfare Bureau of the MSAR [1].").ask(FUNDERS)
    assert answer.text == ("The Social Welfare Bureau of the MSAR [1]. Together with the training for health "
                           "professionals, this training will be funded by the MSAR human trafficking committee [2].")
    assert all(claim.supported for claim in answer.claims)
    # Each claim's citation shows the sentence that supports it, within the text shown.
    bureau, committee = answer.citations
    assert (bureau.source, committee.source) == (MACAO, MACAO)
    assert bureau.sentence == "The training is funded by the Social Welfare Bureau of the MSAR."
    assert committee.sentence.endswith("this training will be funded by the MSAR human trafficking committee.")
    assert bureau.sentence in bureau.text and committee.sentence in committee.text
    complete = _bot(bundled_store, "The Social Welfare Bureau of the MSAR [1] and the MSAR human trafficking "
                                   "committee [1] funded them.").ask(FUNDERS)
    assert complete.text == "The Social Welfare Bureau of the MSAR and the MSAR human trafficking committee " \
                            "funded them [1]."


CASES = "How many trafficking cases had Chinese police solved since April 2009?"


def test_a_declined_answer_over_strong_evidence_is_asked_again_over_it_alone(bundled_store):
    llm = ScriptedLLM(replies=["NOT FOUND", "Chinese police had solved 9,165 trafficking cases [1]."])
    bot = ReleaseQA.from_settings(bundled_store, llm=llm)
    answer = bot.ask(CASES)
    assert not answer.abstained and answer.model == bot.model, "phrased by the model, not quoted"
    assert answer.text == "Chinese police had solved 9,165 trafficking cases [1]."
    assert answer.citations[0].source.startswith("001") and "9,165" in answer.citations[0].sentence
    first, again = llm.prompts
    assert "9,165" in again and len(again) <= len(first), "the second reading is of the strongest sentences"


def test_a_second_decline_or_an_unsupported_second_answer_stays_declined(bundled_store):
    """A sentence that scores high is not an answer: it is never quoted in place of the model's decline."""
    for second in ("NOT FOUND", "Chinese police had solved 4,000 trafficking cases [1]."):
        answer = _bot(bundled_store, "NOT FOUND", second).ask(CASES)
        assert answer.abstained and answer.citations == [] and "9,165" not in answer.text


def test_an_unsupported_claim_is_flagged_and_an_all_invented_answer_abstains(bundled_store):
    mixed = _bot(bundled_store, "The Social Welfare Bureau of the MSAR funded the first training [1]. "
                                "IOM paid $1.5 million for the venue [1].").ask(FUNDERS)
    assert not mixed.abstained
    assert [c.text for c in mixed.unsupported_claims] == ["IOM paid $1.5 million for the venue."]
    invented = _bot(bundled_store, "The budget was $1.5 million in 2015 [1].").ask("What was IOM's budget in 2015?")
    assert invented.abstained and invented.citations == []
    assert invented.text.startswith("The releases I have don't say")


def test_a_claim_must_stand_on_one_stretch_of_a_release(bundled_store):
    """Every word of "Par Liljert's e-mail is kgormanbest@iom.int" is in release 002, but far apart."""
    bot = _bot(bundled_store)
    release = next(rid for rid in bot.retriever.texts if rid.startswith("002"))
    whole = bot.evidence.whole_release(release, bot.retriever.texts, bot.retriever.metadata)
    verified = bot.verifier.verify("Par Liljert's email address is kgormanbest@iom.int [1]. "
                                   "Par Liljert is the IOM Beijing Head of Office [1].", [whole])
    assert [(claim.text, claim.supported) for claim in verified.claims] == [
        ("Par Liljert's email address is kgormanbest@iom.int.", False),
        ("Par Liljert is the IOM Beijing Head of Office.", True)]
    assert "Par Liljert" in verified.citations[0].sentence
    evidence = bot.retrieve("What is Par Liljert's email address?").passages  # the quote and the contact block
    assert bot.verifier.verify("Par Liljert's email address is kgormanbest@iom.int [1].", evidence).abstained


def test_a_contact_block_is_a_stretch_of_its_own(bundled_store):
    """Release 004 ends on Luiz Vieira's quote, then the contact block: the quote beside it does not make Angela
    Sherwood's address his, while the block itself still answers for her."""
    bot = _bot(bundled_store)
    release = next(rid for rid in bot.retriever.texts if rid.startswith("004"))
    whole = bot.evidence.whole_release(release, bot.retriever.texts, bot.retriever.metadata)
    assert bot.verifier.verify("Luiz Vieira's email address is asherwood@iom.int [1].", [whole],
                               "What is Luiz Vieira's email address?").abstained
    kept = bot.verifier.verify("Angela Sherwood's email address is asherwood@iom.int [1].", [whole],
                               "What is Angela Sherwood's email address?")
    assert not kept.abstained and "asherwood@iom.int" in kept.citations[0].sentence


def test_not_found_abstains_without_citations(bundled_store):
    answer = _bot(bundled_store, "NOT FOUND").ask("What was IOM's budget in 2015?")
    assert answer.abstained and answer.citations == [] and answer.claims == []
    assert answer.result_record()["abstained"] is True


def test_follow_up_is_condensed_with_history_before_retrieval(bundled_store):
    llm = ScriptedLLM(replies=["How many officers attended the Macao trainings?",
                               "Some 120 officers [1]."])
    bot = ReleaseQA.from_settings(bundled_store, llm=llm)
    history = [{"role": "user", "content": FUNDERS},
               {"role": "assistant", "content": "The Social Welfare Bureau of the MSAR [1]."}]
    answer = bot.ask("how many officers attended them?", history)
    assert "Conversation:\nUser: Who funded the Macao trainings?\nAssistant: The Social Welfare Bureau" in llm.prompts[0]
    assert answer.standalone_question == "How many officers attended the Macao trainings?"
    assert answer.retrieved[0] == MACAO
    assert answer.text == "Some 120 officers [1]." and answer.citations[0].source == MACAO


def test_a_rewrite_that_answers_instead_is_asked_again_for_json(bundled_store):
    llm = ScriptedLLM(replies=["The Macao trainings were attended by 120 officers.",
                               '{"question": "How many officers attended the Macao trainings?"}',
                               "Some 120 officers [1]."])
    history = [{"role": "user", "content": FUNDERS},
               {"role": "assistant", "content": "The Social Welfare Bureau of the MSAR [1]."}]
    answer = ReleaseQA.from_settings(bundled_store, llm=llm).ask("how many officers attended them?", history)
    assert "Reply in JSON" in llm.prompts[1] and "Conversation:\nUser: Who funded" in llm.prompts[1]
    assert answer.standalone_question == "How many officers attended the Macao trainings?"
    assert answer.retrieved[0] == MACAO and not answer.abstained


def test_a_follow_up_whose_rewrite_keeps_its_pronoun_is_answered_from_the_conversations_release(bundled_store):
    """The rewrite of a small model sometimes keeps "it": the previous question, searched beside it, finds what "it"
    was."""
    llm = ScriptedLLM(replies=["How many people attended it?",
                               "A group of 70 social workers were trained."])
    history = [{"role": "user", "content": FUNDERS},
               {"role": "assistant", "content": "The Social Welfare Bureau of the MSAR [1]."}]
    answer = ReleaseQA.from_settings(bundled_store, llm=llm).ask("How many attended?", history)
    assert answer.standalone_question == "How many people attended it?"
    assert answer.retrieved[0] == MACAO and "A group of 70 social workers were trained" in llm.prompts[-1]
    assert not answer.abstained and answer.citations[0].source == MACAO


def test_extractive_mode_answers_with_cited_sentences_and_abstains_when_weak(bundled_store):
    bot = ReleaseQA.from_settings(bundled_store, load_llm=False)
    answer = bot.ask(FUNDERS, mode="extractive")
    assert "Social Welfare Bureau of the MSAR" in answer.text and "human trafficking committee" in answer.text
    assert {c.source for c in answer.citations} == {MACAO} and answer.model == "extractive"
    assert bot.ask("What was IOM's budget in 2015?", mode="extractive").abstained


def test_extractive_follow_ups_are_not_mixed_with_the_question_before(bundled_store):
    """With no model to rewrite a follow-up, a question that says what it asks is searched alone; one that leans on the
    conversation ("and in Beijing?") is searched with the question before it."""
    bot = ReleaseQA.from_settings(bundled_store, load_llm=False)
    shelters = [{"role": "user", "content": "How many shelters does the Ministry of Civil Affairs run?"},
                {"role": "assistant", "content": "The Ministry runs shelters [1]."}]
    after = bot.ask(FUNDERS, shelters, mode="extractive")
    assert "Social Welfare Bureau" in after.text and {c.source for c in after.citations} == {MACAO}
    assert after.standalone_question == FUNDERS
    leaning = bot.ask("And how many?", shelters, mode="extractive")
    assert leaning.standalone_question.startswith("How many shelters") and not leaning.abstained


def test_filters_restrict_retrieval(bundled_store):
    bot = ReleaseQA.from_settings(bundled_store, load_llm=False)
    assert set(bot.ask("training", mode="extractive", filters=Filters(location="Beijing")).retrieved) == {
        "003_e2a4c6b41fadf985"}
    dated = bot.ask("training", mode="extractive", filters=Filters(date_from="2011-01-01", date_to="2011-12-31"))
    assert dated.retrieved == ["001_d2bff1149d5f886d"]
    only = bot.ask(FUNDERS, mode="extractive", filters=Filters(release_ids=["004_501e78fb8c8fe451"]))
    assert only.retrieved == ["004_501e78fb8c8fe451"]


@pytest.mark.parametrize("question, message", [
    ("", "empty"), ("   \n\t", "empty"), ("x" * 5000, "limit is 2,000"),
])
def test_bad_questions_get_clear_errors(bundled_store, question, message):
    bot = ReleaseQA.from_settings(bundled_store, load_llm=False)
    with pytest.raises(QuestionError, match=message):
        bot.ask(question, mode="extractive")


def test_missing_or_corrupt_model_names_the_fix_and_extractive_still_works(make_settings, bundled_store, tmp_path):
    missing = bundled_store.model_copy(update={"model_path": tmp_path / "nope.gguf"})
    with pytest.raises(ModelUnavailableError, match="does not exist .*extractive"):
        ReleaseQA.from_settings(missing)
    corrupt = tmp_path / "corrupt.gguf"
    corrupt.write_bytes(b"not a model at all")
    with pytest.raises(ModelUnavailableError, match="not a GGUF model file"):
        ReleaseQA.from_settings(bundled_store.model_copy(update={"model_path": corrupt}))
    bot = ReleaseQA.from_settings(missing, load_llm=False)
    assert not bot.ask(FUNDERS, mode="extractive").abstained


def test_releases_another_writer_adds_are_seen_after_the_store_check_interval(make_settings, releases_copy, tmp_path):
    from vectorstore.ingest import Ingestor

    settings = make_settings(store_check_s=3600)
    Ingestor(settings).ingest([releases_copy], report=lambda m: None, progress=False)
    bot = _bot(settings)
    penguins = tmp_path / "penguins.txt"
    penguins.write_text("IOM opens penguin shelter in Ushuaia\n"
                        "Ushuaia - IOM opened a shelter for 40 penguins on Monday, funded by the Antarctic Fund.\n")
    Ingestor(settings).ingest([penguins], report=lambda m: None, progress=False)  # another writer, as a CLI ingest
    assert "penguins" not in bot.retriever.texts  # not counted again yet: within the interval
    bot.retriever.check_s = 0
    bot.retrieve("Who funded the penguin shelter?")
    assert "penguins" in bot.retriever.texts


def test_a_quoted_contact_block_is_a_claim_of_its_own(bundled_store):
    """A contact block has no full stop: the quote after it must not merge into one claim with it."""
    answer = _bot(bundled_store).ask("Who should I contact about the visa officer trainings?", mode="extractive")
    contact = next(c for c in answer.citations if "emicallef@iom.int" in c.sentence)
    assert f"emicallef@iom.int [{contact.number}]." in answer.text and len(answer.claims) > 1
    assert all(claim.supported for claim in answer.claims), answer.claims


@pytest.mark.parametrize("question, reply", [
    # True sentences of the release that do not give what was asked: a count of male victims, a cost.
    ("How many male victims has the Macao shelter assisted?", "The Macao shelter assisted 70 male victims [1]."),
    ("How much did the social workers' training in Macao cost?",
     "The training cost for the 70 social workers was funded by the Social Welfare Bureau of the MSAR [1]."),
])
def test_a_supported_answer_that_does_not_give_what_was_asked_abstains(bundled_store, question, reply):
    answer = _bot(bundled_store, reply).ask(question)
    assert answer.abstained and answer.citations == []


@pytest.mark.parametrize("question, reply", [
    # The asker's word for what the release counts ("sites", "places"): the count is the release's, so it answers.
    ("How many sites for victims does China's civil affairs ministry run?",
     "The Ministry of Civil Affairs runs 1,400 shelters nationally [1]."),
    ("how many places for victms are run nationally by the civil affairs ministry",
     "There are 1,400 shelters [1]."),
])
def test_a_count_worded_in_the_releases_terms_answers_a_question_worded_otherwise(bundled_store, question, reply):
    answer = _bot(bundled_store, reply).ask(question)
    assert not answer.abstained and "1,400 shelters" in answer.citations[0].sentence


def test_an_answer_from_a_release_that_never_names_the_country_asked_about_abstains(bundled_store):
    """What a release on China says is not the answer to a question on Brazil, even where the claim does not repeat the
    country; the country under a former name is the same country."""
    reply = "The Ministry of Civil Affairs runs 1,400 shelters nationally [1]."
    assert _bot(bundled_store, reply).ask("How many shelters does Brazil's civil affairs ministry run?").abstained
    kept = _bot(bundled_store, "The Alola Foundation [1].").ask("Which NGO did IOM team up with in East Timor?")
    assert not kept.abstained and "Alola" in kept.citations[0].sentence


def test_a_count_next_to_the_thing_asked_about_is_an_answer(bundled_store):
    answer = _bot(bundled_store, "Some 120 officers of the MSAR Labour Department were to be trained [1].").ask(
        "How many frontline officers of the MSAR Labour Department were to be trained?")
    assert not answer.abstained and "120 officers" in answer.text and "120 officers" in answer.citations[0].sentence


def test_the_model_reads_the_releases_metadata_labelled_and_may_cite_it(bundled_store):
    llm = ScriptedLLM(replies=["It was published on 15 March 2011 [1]."])
    answer = ReleaseQA.from_settings(bundled_store, llm=llm).ask(
        "On what date was the release about the Beijing shelter managers training published?")
    assert "\nPublished: 15 March 2011\nText: " in llm.prompts[0]  # 001 has a date and no dateline place
    assert not answer.abstained and answer.citations[0].date == "2011-03-15"


def test_a_name_the_answer_repeats_of_the_question_that_the_release_never_uses_is_not_a_claim(bundled_store):
    """The asker's names ("the UN migration agency", "East Timor" for the release's IOM and Timor-Leste) are their
    wording; a name neither asked nor in the release is still an invented one, so is a country asked about that the
    release never names, and a name asked that the release holds elsewhere must stand in the cited stretch beside an
    address (below: a claim's own names anchored there let the question's place the release)."""
    bot = _bot(bundled_store)
    release = next(rid for rid in bot.retriever.texts if rid.startswith("004"))
    whole = bot.evidence.whole_release(release, bot.retriever.texts, bot.retriever.metadata)
    question = "Which NGO did the UN migration agency team up with in East Timor?"

    def verified(foundation: str, place: str = "East Timor"):
        return bot.verifier.verify(f"The UN migration agency teamed up with the {foundation} Foundation in {place} [1].",
                                   [whole], question.replace("East Timor", place))

    kept = verified("Alola")
    assert not kept.abstained and "Alola Foundation" in kept.citations[0].sentence
    assert verified("Ramos").abstained and verified("Alola", "Brazil").abstained
    # Evidence of a few sentences: a name the release uses elsewhere is no asker's wording, so it must stand there.
    contact = [s for s in whole.sentences if "asherwood@iom.int" in s.text]
    block = Passage.of(1, bot.retriever.metadata[release], contact)
    assert contact and bot.verifier.verify("Luiz Vieira's e-mail address is asherwood@iom.int [1].", [block],
                                           "What is Luiz Vieira's e-mail address?").abstained


def test_a_name_the_question_gives_places_the_release_and_need_not_stand_in_the_cited_stretch(bundled_store):
    """"Mongolia" stands in the release's second paragraph, far from the funding sentence that answers: given by the
    question, it places the release (a name of the claim's own must stand in the stretch: Par Liljert's, above).
    Beside a figure it must stand there even when asked: Thomas Sinkovits is quoted; the phone number is another's."""
    bot = _bot(bundled_store)
    whole = bot.evidence.whole_release(MACAO, bot.retriever.texts, bot.retriever.metadata)
    claim = ("The MSAR human trafficking committee paid for the training of health care professionals in Macao, where "
             "victims come from Mongolia [1].")
    kept = bot.verifier.verify(claim, [whole], "Who paid for the training of health care professionals in Macao, "
                                               "where victims come from Mongolia?")
    assert not kept.abstained and "human trafficking committee" in kept.citations[0].sentence
    release = next(rid for rid in bot.retriever.texts if rid.startswith("001"))
    other = bot.evidence.whole_release(release, bot.retriever.texts, bot.retriever.metadata)
    assert bot.verifier.verify("Thomas Sinkovits's phone number is +86 10 8532 5303 [1].", [other],
                               "What is Thomas Sinkovits's phone number?").abstained
    assert not bot.verifier.verify("Kieran Best's phone number is +86 10 8532 5303 [1].", [other],
                                   "What is Kieran Best's phone number?").abstained
    # A claim of the question's names alone must find them in its stretch: this is Thomas Sinkovits's quote.
    said = ("said physical abuse, sexual assault, deprivation and intimidation can leave victims with severe physical "
            "and psychological scars [1].")
    assert not bot.verifier.verify(f"Thomas Sinkovits {said}", [other],
                                   "What did Thomas Sinkovits say about scars?").abstained
    assert bot.verifier.verify(f"Zhang Mingliang {said}", [other], "What did Zhang Mingliang say about scars?").abstained


def test_the_ledes_evidence_window_reaches_the_next_paragraph(bundled_store):
    """A lede sums up; the paragraph after it says who and how ("co-organized by IOM and …, over 30 police officers
    from Yunnan …"), so evidence for the lede shows it too."""
    bot = _bot(bundled_store)
    passages = bot.retrieve("What does the workshop for police from China's southwestern border provinces set out "
                            "to strengthen?").passages
    workshop = next(p for p in passages if p.release_id.startswith("002"))
    assert 1 in workshop.focus and 2 not in workshop.focus and [s.index for s in workshop.sentences][:2] == [1, 2]
    assert workshop.sentences[0].paragraph != workshop.sentences[1].paragraph
    assert "Yunnan" in workshop.sentences[1].text


def test_a_claims_names_are_whole_words_as_the_release_is_read():
    """A capitalised word after a figure ("24-Hour") is one word with it, as the release's words are read: it is no
    name "Hour" that the release would lack (a list item quoting a title was refused for it)."""
    from qa.citations import names
    from qa.text import words

    title = "Jamaica Launches 24-Hour Hotline, says the Counter-Trafficking Unit of Timor-Leste"
    assert names(title) == {"launches", "hotline", "counter-trafficking", "unit", "timor-leste"}
    assert names(title) <= set(words(title))
