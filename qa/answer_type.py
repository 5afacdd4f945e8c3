"""Does a claim give what the question asks for? A true sentence is not an answer to "how many" without a count.

The form of value asked for (a count, a sum, a date, a length of time, an address) is read by meaning
(``qa.forms``). What a count counts is checked on the question's English form: the thing after "how many" and the
words at the claim's figure must name the same thing, by meaning ("cops" and "police officers"), or be a kind of
person where the question counts people.
"""

from __future__ import annotations

import re

from text_to_num import alpha2digit

from qa.forms import FIGURE, OTHER, carries, form_of, is_year
from vectorstore.multilingual import similarity

# The thing a question counts and the words after a figure name the same thing at this similarity (USE-multilingual):
# "cops" and "police officers" 0.84, "officials" and "officers" 0.80; different things ("shelters" and "social
# workers", "judges" and "police officers") 0.35-0.43.
SAME_THING = 0.6
# "how many <thing> were ...": the thing counted ends where the verb begins.
HOW_MANY = re.compile(r"\bhow many ((?:[\w-]+ ){0,3}?[\w-]+?)(?= (?:were|was|are|is|did|do|does|has|have|had|will|"
                       r"would|can|could|should|took|take|attended|received|got)\b|\?|$)", re.I)
# "How many people …" is answered by a count of any kind of person ("70 social workers"), not of shelters.
_PEOPLE = {"people", "persons", "participants", "attendees", "individuals"}
PERSON_NOUNS = {"people", "person", "participant", "attendee", "individual", "worker", "officer", "professional",
                 "manager", "women", "men", "children", "child", "victim", "staff", "police", "official", "student",
                 "journalist", "member", "expert", "trainee", "delegate", "representative", "applicant", "migrant",
                 "employee", "volunteer", "inspector", "guard", "nurse", "doctor", "teacher", "leader"}


def stem(word: str) -> str:
    return re.sub(r"(ies|es|s)$", "", word.lower())


def _counts(claim: str, thing: str) -> bool:
    """A figure that is no year next to the thing counted ("70 social workers", "shelters: 1,400")."""
    text = alpha2digit(claim, "en", threshold=0)  # "eight operators" → "8 operators"
    counted = stem(thing.split()[-1])
    wanted = {stem(noun) for noun in PERSON_NOUNS} if counted in {stem(p) for p in _PEOPLE} else {counted}
    for match in FIGURE.finditer(text):
        if is_year(match.group()):
            continue
        after = re.findall(r"[\w-]+", text[match.end():])[:4]
        before = re.findall(r"[\w-]+", text[:match.start()])[-3:]
        if not after and not before:  # a bare figure ("97") names nothing: what it counts is its evidence's to say
            return True
        if wanted & {stem(word) for word in after + before}:
            return True
        # the asker's word for what the release counts ("cops" for "police officers"), by meaning
        if after and similarity(thing, " ".join(after[:3])) >= SAME_THING:
            return True
    return False


def gives_what_was_asked(question: str, claim: str, form: str | None = None) -> bool:
    """Whether ``claim`` carries the form of value ``question`` asks for (``form``, read from it when not given);
    True where the form is none in particular. Applied to the claim and to the evidence it stands on: "70 male
    victims" drawn from "70 social workers" fails."""
    form = form or form_of(question)
    if form == OTHER or not carries(form, claim):
        return form == OTHER
    if form == "count" and (match := HOW_MANY.search(question)):
        return _counts(claim, match.group(1))
    return True
