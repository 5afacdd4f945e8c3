"""The understanding step (language and English form) and the faithfulness check of translated answers, with the
real detector (lingua) and the real multilingual encoder."""

from __future__ import annotations

import pytest

from config import Settings
from qa.translation import faithful, translate
from qa.understanding import detect_language, understand

LANGUAGES = tuple(Settings().languages)


@pytest.mark.parametrize(("question", "language"), [
    ("Who funded the Macao trainings?", "en"),
    ("which ngo did iom team up with in east timor", "en"),
    ("how many cops took part in the workshp down in the south-west?", "en"),
    ("What did Mr. Jean-Philippe Chauzy say about Timor-Leste?", "en"),
    ("Qui a financé la formation des travailleurs sociaux à Macao ?", "fr"),
    ("¿Cuántos refugios administra el Ministerio de Asuntos Civiles de China?", "es"),
    ("澳门劳工事务局的培训有多少名官员参加？", "zh"),
    ("Quantos policiais participaram do workshop em Kunming?", "pt"),
    # Short ones, whose confidence spreads over kindred languages, and names alone, which say no language.
    ("Et quand s'est-il terminé ?", "fr"),
    ("¿Qué comunicados citan a un fiscal?", "es"),
    ("who paid for teh macao trainigs", "en"),
    ("Macao", "en"),
    ("Dili?", "en"),
])
def test_the_language_a_question_is_asked_in(question, language):
    assert detect_language(question, LANGUAGES) == language


def test_an_english_question_with_no_conversation_costs_no_model_call():
    def rewrite(question, turns):
        raise AssertionError("the model was asked")

    understood = understand("Who funded the Macao trainings?", [], LANGUAGES, rewrite)
    assert (understood.language, understood.english, understood.translated) == \
        ("en", "Who funded the Macao trainings?", False)


def test_a_question_in_another_language_is_searched_in_its_english_form():
    asked = []
    understood = understand("Qui a financé la formation à Macao ?", None, LANGUAGES,
                            lambda question, turns: asked.append((question, turns)) or "Who funded the Macao training?")
    assert asked == [("Qui a financé la formation à Macao ?", [])]
    assert (understood.language, understood.english) == ("fr", "Who funded the Macao training?")


def test_a_follow_up_is_rewritten_with_its_conversation_marker_free():
    history = [{"role": "user", "content": "Who funded the Macao trainings?"},
               {"role": "assistant", "content": [{"type": "text", "text": "The Social Welfare Bureau [1]."}]}]
    seen = []
    understand("How many attended?", history, LANGUAGES, lambda q, turns: seen.extend(turns) or "How many attended "
               "the Macao trainings?")
    assert seen[-1] == {"role": "assistant", "content": "The Social Welfare Bureau."}


def test_a_follow_up_rewritten_in_its_own_language_is_then_translated():
    """The model sometimes rewrites a French follow-up in French: it is then translated like any question."""
    history = [{"role": "user", "content": "Qui a financé la formation à Macao ?"},
               {"role": "assistant", "content": "Le Social Welfare Bureau [1]."}]
    asked = []

    def rewrite(question, turns):
        asked.append((question, bool(turns)))
        return "Combien de personnes ont assisté à la formation à Macao ?" if turns else "How many attended in Macao?"

    understood = understand("Et combien de personnes ont assisté à la formation ?", history, LANGUAGES, rewrite)
    assert asked == [("Et combien de personnes ont assisté à la formation ?", True),
                     ("Combien de personnes ont assisté à la formation à Macao ?", False)]
    assert (understood.language, understood.english) == ("fr", "How many attended in Macao?")


@pytest.mark.parametrize("rewrite", [None, lambda q, turns: "How many attended it?"])
def test_a_follow_up_is_searched_beside_the_previous_question(rewrite):
    """With no model, or a rewrite that kept the pronoun, the conversation's subject is still searched."""
    history = [{"role": "user", "content": "Who funded the Macao trainings?"},
               {"role": "assistant", "content": "The Social Welfare Bureau [1]."}]
    understood = understand("How many attended?", history, LANGUAGES, rewrite)
    assert understood.english == ("How many attended it?" if rewrite else "How many attended?")
    assert understood.searched == f"Who funded the Macao trainings? {understood.english}"
    assert understand("How many attended?", [], LANGUAGES, rewrite).searched == "How many attended?"


@pytest.mark.parametrize(("english", "translated"), [
    ("70 social workers were trained in Macao.", "70 travailleurs sociaux ont été formés à Macao."),
    ("The training began on 15 March 2011.", "培训于2011年3月15日开始。"),
    ("The shelter has received 1,400 victims.", "El refugio ha recibido 1.400 víctimas."),
])
def test_a_faithful_translation_is_kept(english, translated):
    assert faithful(english, translated)


@pytest.mark.parametrize(("english", "translated"), [
    ("70 social workers were trained in Macao.", "17 travailleurs sociaux ont été formés à Macao."),  # a figure changed
    ("Contact Ana Ruiz at aruiz@iom.int.", "Contactez Ana Ruiz à ana@iom.int."),  # an address changed
    ("70 social workers were trained in Macao.", "Le gouvernement a fermé 70 écoles l'année dernière."),  # meaning
    ("The Social Welfare Bureau funded the training.", ""),
    # a name respelled: the reader could not find it in the release
    ("The Social Welfare Bureau funded the training.", "Le Bureau de la protection sociale a financé la formation."),
])
def test_an_unfaithful_translation_is_refused(english, translated):
    assert not faithful(english, translated)


def test_translation_keeps_the_english_of_a_sentence_it_would_change():
    sentences = ["70 social workers were trained in Macao.", "The Social Welfare Bureau funded the training."]
    shown = translate(sentences, lambda texts: ["17 travailleurs sociaux ont été formés à Macao.",
                                                "Le Social Welfare Bureau a financé la formation."])
    assert shown == [sentences[0], "Le Social Welfare Bureau a financé la formation."]
    assert translate(sentences, lambda texts: ["une seule"]) == sentences  # a reply of the wrong length


def test_names_reach_the_model_as_placeholders_and_come_back_as_the_release_spells_them():
    seen = []

    def model(texts):
        seen.extend(texts)
        return ["Le [N1] de la MSAR a financé la formation.", "Contactez [N1] à l’OIM."]  # a name lost

    shown = translate(["The Social Welfare Bureau of the MSAR funded the training.", "Contact Ana Ruiz at IOM Lima."],
                      model)
    assert seen == ["The [N1] of the MSAR funded the training.", "Contact [N1] at [N2]."]
    assert shown == ["Le Social Welfare Bureau de la MSAR a financé la formation.", "Contact Ana Ruiz at IOM Lima."]
