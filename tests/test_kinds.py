"""What kind of answer a question wants, by meaning (``qa.kinds``): the shipped probe over the real multilingual
encoder, on questions written here and not among its examples, in several languages and wordings, with the hard
contrasts (a "how many" inside one release is a fact; "how many releases" a count)."""

from __future__ import annotations

import numpy as np
import pytest

from qa import kinds


@pytest.mark.parametrize(("question", "kind"), [
    ("How many social workers did the Macao course train?", "fact"),
    ("which ngo did iom work with in east timor", "fact"),
    ("Wer hat die Schulung in Kunming finanziert?", "fact"),
    ("What is the phone number of the hotline in Chisinau?", "fact"),
    ("Which ministry hosted the Bangkok seminar?", "fact"),
    ("Which releases talk about Thailand?", "list"),
    ("Quels communiqués citent un juge ?", "list"),
    ("列出所有关于热线的新闻稿", "list"),
    ("anything in the archive on brick kilns?", "list"),
    ("How many press releases concern Cambodia?", "count"),
    ("¿Cuántos comunicados mencionan a Finlandia?", "count"),
    ("How many officers were trained altogether across all the workshops?", "total"),
    ("Combien de victimes ont été aidées au total, tous communiqués confondus ?", "total"),
    ("Who funded each of the trainings?", "compare"),
    ("Compare the Macao and Beijing workshops: who organised them?", "compare"),
])
def test_the_kind_of_answer_a_question_wants(question, kind):
    assert kinds.kind_of(question) == kind


def test_the_model_settles_a_kind_the_probe_is_unsure_of_and_is_not_asked_otherwise(monkeypatch):
    asked = []

    def reads_one(question):
        asked.append(question)
        return False

    def probe(row):
        monkeypatch.setattr(kinds, "probabilities", lambda questions: np.array([row]))

    probe([0.3, 0.7, 0, 0, 0])  # fairly sure of a list: the model decides
    assert kinds.kind_of("q", reads_one) == "fact" and kinds.kind_of("q", lambda q: True) == "list"
    assert kinds.kind_of("q") == "list"  # no model: the probe's reading
    probe([0.1, 0.9, 0, 0, 0])  # sure: the model is not asked
    assert kinds.kind_of("q", reads_one) == "list" and len(asked) == 1
    probe([0.6, 0.3, 0.1, 0, 0])  # the collection kinds together less likely than a fact: a fact
    assert kinds.kind_of("q", reads_one) == "fact" and len(asked) == 1


def test_the_shipped_probe_is_the_one_its_examples_fit():
    weights, bias = kinds.fit()
    shipped, shipped_bias = kinds._probe()
    assert np.allclose(weights, shipped, atol=1e-4) and np.allclose(bias, shipped_bias, atol=1e-4)
