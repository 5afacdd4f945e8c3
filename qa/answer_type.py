"""Does a claim give what the question asks for? A true sentence is not an answer to "how many" without a count.

Written by hand: the checks are a few patterns over the question's wh-phrase; no library parses questions into
expected answer types without a model. Only questions whose answer has a recognisable form are checked (counts,
amounts, durations, dates, e-mail addresses, names of a kind: "which ministry"); "who" and "where" answers pass.
"""

from __future__ import annotations

import re

from vectorstore.contacts import ROLE
from vectorstore.multilingual import similarity

# The thing a question counts and the words after a figure name the same thing at this similarity (USE-multilingual):
# "cops" and "police officers" 0.84, "officials" and "officers" 0.80; different things ("shelters" and "social
# workers", "judges" and "police officers") 0.35-0.43.
SAME_THING = 0.6

_NUMBER_WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty"
                 r"|hundred|thousand|million|billion|dozen|half")
_COUNT = re.compile(rf"\b(\d[\d,.]*|{_NUMBER_WORDS})\b", re.I)
_MONTHS = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
           r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")
_DATE = re.compile(rf"\b({_MONTHS}|(?:19|20)\d\d|monday|tuesday|wednesday|thursday|friday|saturday|sunday|today"
                   r"|yesterday|tomorrow|this (?:week|month|year)|last (?:week|month|year)|next (?:week|month|year)"
                   r"|\d{1,2}[/.-]\d{1,2})\b", re.I)
_DURATION = re.compile(rf"\b(\d+|{_NUMBER_WORDS}|a)[- ](?:and[- ]a[- ]half[- ])?(minute|hour|day|week|month|year)s?\b",
                       re.I)
_MONEY = re.compile(r"[$€£¥]|\b(usd|eur|dollars?|euros?|pounds?|yuan|rmb|patacas?|mop|francs?|chf)\b", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# "how many <thing> were ...": the thing counted ends where the verb begins.
HOW_MANY = re.compile(r"\bhow many ((?:[\w-]+ ){0,3}?[\w-]+?)(?= (?:were|was|are|is|did|do|does|has|have|had|will|"
                       r"would|can|could|should|took|take|attended|received|got)\b|\?|$)", re.I)
# "How many people …" is answered by a count of any kind of person ("70 social workers"), not of shelters.
_PEOPLE = {"people", "persons", "participants", "attendees", "individuals"}
PERSON_NOUNS = {"people", "person", "participant", "attendee", "individual", "worker", "officer", "professional",
                 "manager", "women", "men", "children", "child", "victim", "staff", "police", "official", "student",
                 "journalist", "member", "expert", "trainee", "delegate", "representative", "applicant", "migrant",
                 "employee", "volunteer", "inspector", "guard", "nurse", "doctor", "teacher", "leader"}
# "Which ministry …" is answered by a name holding that word ("the Ministry of Civil Affairs"), not by a bureau's.
_NAMED_KIND = re.compile(r"\b(?:which|what) (ministry|ministries|bureaus?|departments?|foundations?|committees?"
                         r"|commissions?|councils?|embass(?:y|ies)|agency|agencies|universit(?:y|ies))\b", re.I)
_SCALE = re.compile(r"\d[\d,.]*\s*(million|billion|thousand|m|bn|k)\b", re.I)


def stem(word: str) -> str:
    return re.sub(r"(ies|es|s)$", "", word.lower())


def _is_date_part(claim: str, match: re.Match) -> bool:
    """A year, or a day of the month ("21 October", "October 21"), is not a count."""
    if re.fullmatch(r"(?:19|20)\d\d", match.group()):
        return True
    around = claim[max(0, match.start() - 10):match.end() + 10]
    return bool(match.group()[0].isdigit() and re.search(rf"\b({_MONTHS})\b", around, re.I))


def _counts(claim: str, thing: str | None) -> bool:
    """A number that is no date, next to the thing counted ("70 social workers", "shelters: 1,400")."""
    numbers = [m for m in _COUNT.finditer(claim) if not _is_date_part(claim, m)]
    if not numbers:
        return False
    if not thing:
        return True
    counted = stem(thing.split()[-1])
    wanted = {stem(noun) for noun in PERSON_NOUNS} if counted in {stem(p) for p in _PEOPLE} else {counted}
    for match in numbers:
        after = re.findall(r"[\w-]+", claim[match.end():])[:4]
        before = re.findall(r"[\w-]+", claim[:match.start()])[-3:]
        if wanted & {stem(word) for word in after + before}:
            return True
        # the asker's word for what the release counts ("cops" for "police officers"), by meaning
        if after and similarity(thing, " ".join(after[:3])) >= SAME_THING:
            return True
    return False


def gives_what_was_asked(question: str, claim: str) -> bool:
    """Whether ``claim`` has the form of an answer to ``question``; True where the question's form is not checked.

    Applied to the claim and to the evidence it stands on: "70 male victims" drawn from "70 social workers" fails.
    """
    q = question.lower()
    if re.search(r"\bhow much\b.*\b(cost|spend|spent|pay|paid|price|budget|worth|fund(?:ing)?)\b|\bbudget\b", q):
        return bool(_MONEY.search(claim) or _SCALE.search(claim))
    if re.search(r"\bhow long\b", q):
        return bool(_DURATION.search(claim) or _DATE.search(claim))
    if match := HOW_MANY.search(question):
        return _counts(claim, match.group(1))
    if re.search(r"\bhow many\b", q):
        return _counts(claim, None)
    if re.search(r"^\s*when\b|\b(what|which) (date|day|year|month)\b|\bwhen (was|were|did|will|is)\b", q):
        return bool(_DATE.search(claim))
    if kind := _NAMED_KIND.search(q):
        return bool(re.search(rf"\b{re.sub(r'(y|ies|s)$', '', kind.group(1).lower())}", claim, re.I))
    if re.search(r"\b(job|title|role|position)\b", q) and re.search(r"^\s*what\b", q):
        return bool(ROLE.search(claim))
    if re.search(r"\be-?mail\b", q) and not re.search(r"\b(contact|reach)\b", q):
        return bool(_EMAIL.search(claim))
    return True
