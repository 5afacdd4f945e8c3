"""The fixed words of the answers the code writes, not the model (a collection's closing count, its headings, the dates
of its items), in the asker's language: gettext catalogs in ``prompts/`` (``answers.fr.po``), read with Babel, and
Babel's dates. The English text is each message's id, so English needs no catalog.

Written once per language rather than translated by the model: the 1.5B model garbles a line of figures ("4 releases
(5 releases checked)" came back with the two counts swapped), and a count's plural is a rule of the language.
"""

from __future__ import annotations

import gettext
import io
import logging
from datetime import date
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from qa.evidence import published
from qa.understanding import ENGLISH

log = logging.getLogger(__name__)


class Wording:
    """An answer's fixed words in one language: ``say`` a message, ``count`` one whose words follow a number."""

    def __init__(self, language: str, translations: gettext.NullTranslations):
        self.language = language
        self._translations = translations

    def say(self, message: str, **values: object) -> str:
        return self._translations.gettext(message).format(**values)

    def count(self, singular: str, plural: str, n: int, **values: object) -> str:
        return self._translations.ngettext(singular, plural, n).format(n=n, **values)

    def releases(self, n: int) -> str:
        """ "1 release", "5 releases", "5 communiqués"."""
        return self.count("{n} release", "{n} releases", n)

    def checked(self, n: int) -> str:
        """ "5 releases checked": how many releases an answer went through."""
        return self.count("{n} release checked", "{n} releases checked", n)

    def date(self, iso: str) -> str:
        """A release's date: "15 March 2011", "15 mars 2011", "2011年3月15日"."""
        if self.language == ENGLISH:
            return published(iso)
        return format_date(date.fromisoformat(iso), format="long", locale=self.language)


def load_catalogs(directory: Path) -> dict[str, gettext.NullTranslations]:
    """Every ``answers.<code>.po`` of ``directory`` (ISO 639-1 code), compiled in memory: the catalogs stay text to
    review and edit, with no build step."""
    catalogs = {}
    for path in sorted(directory.glob("answers.*.po")):
        with path.open("rb") as source:
            catalog = read_po(source)
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        catalogs[path.name.split(".")[1]] = Translations(compiled)
    return catalogs


def wording(catalogs: dict[str, gettext.NullTranslations], language: str) -> Wording:
    """The fixed words in ``language``; in English where no catalog is written for it (said in the log, once)."""
    if language != ENGLISH and language not in catalogs:
        _unwritten(language)
    return Wording(language if language in catalogs else ENGLISH, catalogs.get(language, gettext.NullTranslations()))


@lru_cache(maxsize=None)  # once per language and process
def _unwritten(language: str) -> None:
    log.warning("no prompts/answers.%s.po: the fixed words of answers in %r stay in English", language, language)
