"""Does a claim give what the question asks for? A true sentence is not an answer to "how many" without a count.

The form of value asked for (a count, a sum, a date, a length of time, an address) is read from the question by meaning
(``qa.forms``); the claim and the evidence it stands on must both carry it. A count must also count what its evidence
counts at that figure: "70 male victims" drawn from "70 social workers" is not the release's count, while "40 beds"
answers "how many people can sleep there" when the release says "40 beds". The claim is compared with its evidence,
not with the question's wording, so it holds however and in whatever language the question was asked.
"""

from __future__ import annotations

from qa.forms import FIGURE, OTHER, carries, figures, is_year, undated
from qa.text import words
from vectorstore.multilingual import similarity

# The words at a claim's figure and at the same figure in its evidence name the same thing at this similarity
# (USE-multilingual): "cops" and "police officers" 0.84, "officials" and "officers" 0.80; different things
# ("male victims" and "social workers", "judges" and "police officers") 0.35-0.43.
SAME_THING = 0.6
# What a figure counts: the words right after it ("70 social workers trained" → "social workers trained").
_AT = 3


def _at_figures(text: str) -> dict[str, list[list[str]]]:
    """Each figure of ``text`` that counts something (no year, no day of a date: ``qa.forms.undated``), with the
    words after each place it stands."""
    text = undated(text)
    found: dict[str, list[list[str]]] = {}
    for match in FIGURE.finditer(text):
        figure = match.group().rstrip(".,")
        if not is_year(figure):
            found.setdefault(figure.replace(",", ""), []).append(words(text[match.end():])[:_AT])
    return found


def counts_alike(claim: str, evidence: str, given: str = "") -> bool:
    """Whether a figure of ``claim`` that ``given`` (the question) does not state counts what ``evidence`` counts at
    the same figure: a bare figure ("97") names nothing and leaves it to the evidence; otherwise the words after it
    name what the evidence's do, word for word or by meaning."""
    held = _at_figures(evidence)
    stated = {figure.replace(",", "") for figure in figures(given)}
    for figure, places in _at_figures(claim).items():
        if figure in stated:
            continue
        for words in places:
            if not words:
                return True
            for theirs in held.get(figure, []):
                if words[0] in theirs or theirs and similarity(" ".join(words), " ".join(theirs)) >= SAME_THING:
                    return True
    return False


def gives_what_was_asked(form: str, claim: str, evidence: str, question: str = "") -> bool:
    """Whether ``claim`` and the ``evidence`` it stands on carry the form of value asked for (``qa.forms``) beyond
    what ``question`` states; True where the form is none in particular. Of a count, the claim's figure counts what
    the evidence's does."""
    if form == OTHER:
        return True
    if not (carries(form, claim, question) and carries(form, evidence, question)):
        return False
    return form != "count" or counts_alike(claim, evidence, question)
