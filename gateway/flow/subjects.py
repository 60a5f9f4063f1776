"""Finding the signals that mention a person, without keeping who the person is.

At intake every person in a signal leaves keyed hashes (HMAC-SHA-256 under a key derived
from the master key): one per identifier (the number with everything but letters and digits
taken out, upper case, whatever its type) and one for family name with date of birth
(the name case-folded, accents and punctuation dropped). A data-subject lookup computes the
same hashes from what compliance staff type in and finds the signals by them. The hashes
are kept beside the signals, never in the audit log; without the master key they cannot be
reversed or tried against a list of numbers.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from typing import Final

from gateway.contract.signal import Signal

SUBJECT_SECRET: Final = b"euregate subject lookup v1"
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
_NOT_LETTER = re.compile(r"[^a-z]")


def normal_identifier(value: str) -> str:
    """``"314 159 265"`` and ``"314.159.265"`` are the same number: ``"314159265"``."""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", value).upper())


def name_letters(name: str) -> str:
    """``"Van den Berg-Müller"`` → ``"vandenbergmuller"``: case, accents, spaces and
    punctuation do not make another person.

    Only the letters a to z are kept, run together. Pseudonyms normalise names their own way
    (:func:`gateway.minimise.pseudonyms.name_words`); each is fixed by what is already kept
    (lookup keys beside stored signals, pseudonyms recipients have linked), so neither may
    follow the other."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return _NOT_LETTER.sub("", "".join(c for c in decomposed if not unicodedata.combining(c)))


def identifier_key(secret: bytes, value: str) -> str | None:
    normal = normal_identifier(value)
    return _keyed(secret, "identifier", normal) if normal else None


def name_key(secret: bytes, family_name: str, date_of_birth: str) -> str | None:
    """The key of a family name with a date of birth (``YYYY-MM-DD`` or ``YYYY``)."""
    name, born = name_letters(family_name), date_of_birth.strip()
    return _keyed(secret, "name", f"{name}|{born}") if name and born else None


def subject_keys(signal: Signal, secret: bytes) -> frozenset[str]:
    """Every key by which a lookup may find ``signal``."""
    keys: set[str | None] = set()
    for person in signal.persons:
        keys.update(identifier_key(secret, i.value) for i in person.identifiers)
        if person.family_name and person.date_of_birth:
            keys.add(name_key(secret, person.family_name, person.date_of_birth))
            if len(person.date_of_birth) >= 4:
                keys.add(name_key(secret, person.family_name, person.date_of_birth[:4]))
    return frozenset(key for key in keys if key is not None)


def _keyed(secret: bytes, kind: str, normal: str) -> str:
    return hmac.new(secret, f"{kind}|{normal}".encode(), hashlib.sha256).hexdigest()
