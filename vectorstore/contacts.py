"""Parse a release's "For more information please contact" block into contacts."""

from __future__ import annotations

import re

from vectorstore.records import Contact

CONTACT_MARKER = re.compile(
    r"^(?:for (?:more|further) information,?(?: please)?,? contact|media contacts?|press contacts?)\b:?\s*", re.I
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")  # an address: a pattern is the clearest tool
_PHONE_LABEL = re.compile(r"^(?:tel|phone|mobile|mob|fax|cell)\.?\s*[:.]?\s*", re.I)
_PHONE = re.compile(r"^\+?[\d][\d .()/-]{5,}(?:,?\s*ext\.?\s*\d+)?$", re.I)
ROLE = re.compile(
    r"\b(officer|manager|head|director|coordinator|spokesperson|chief|assistant|specialist|advis[eo]r|consultant)\b", re.I
)
_OFFICE = re.compile(r"^(IOM|UN)\b|\b(office|mission|ministry|embassy|bureau)\b", re.I)
_INLINE_SPLIT = re.compile(r",\s*(?=(?:tel|phone|mobile|fax|e-?mail)\b)|\s+at\s+", re.I)


def is_contact_detail(line: str) -> bool:
    """An e-mail address or a phone number: the contact block's details, which no site menu carries."""
    line = line.strip()
    return bool(EMAIL.search(line) or _PHONE_LABEL.match(line) or _PHONE.match(line))


def parse_contacts(block: list[str]) -> list[Contact]:
    """Contacts from the block's lines (the marker line first), in order of appearance."""
    if not block:
        return []
    head = CONTACT_MARKER.sub("", block[0]).strip()
    fields = [part.strip() for part in _INLINE_SPLIT.split(head) if part.strip()] + block[1:]
    contacts: list[Contact] = []
    current = Contact()

    def start_new() -> Contact:
        if current.model_dump(exclude_none=True):
            contacts.append(current)
        return Contact()

    for field in fields:
        field = field.strip().rstrip(",;")
        if field.lower() in {"or", "and"}:
            current = start_new()
        elif email := EMAIL.search(field):
            if current.email:
                current = start_new()
            current.email = email.group(0)
        elif _PHONE_LABEL.match(field) or _PHONE.match(field):
            current.phone = _PHONE_LABEL.sub("", field).strip()
        elif ROLE.search(field) and not current.role:
            current.role = field
        elif _OFFICE.search(field) and not current.office:
            current.office = field
        else:
            if current.name:
                current = start_new()
            current.name = field
    start_new()
    return contacts
