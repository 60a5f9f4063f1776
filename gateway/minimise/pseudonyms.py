"""Keyed pseudonyms: one recipient can link signals about the same person without learning who.

A pseudonym is ``psn:`` and the first 20 bytes of an HMAC-SHA-256, in lower-case base32 without
padding (32 characters). The key is derived per recipient from the gateway's master secret, so
the same number gives every recipient a different pseudonym, and one recipient the same
pseudonym in every signal. Without the key a pseudonym reveals nothing; with it, numbers from
small spaces (a BSN has nine digits) can be found by trying them all: the master secret must
stay in the gateway.

What is hashed is normalised first, so that one person or number always gives one pseudonym:

- names: Unicode compatibility decomposition, accents removed, case folded, every run of
  characters that are not letters or digits (spaces, hyphens, apostrophes, dots) made one space:
  ``’s-Gravenvoeren`` and ``S GRAVENVOEREN`` are equal, ``Müller`` and ``Muller`` too (but not
  ``Mueller``);
- numbers (national numbers, document numbers, register and VAT numbers, IBANs): letters and
  digits only, upper case;
- vehicle registrations: upper case with single spaces, keeping the plate's dashes, which tell
  German plates apart (``A-BC 123`` is not ``AB-C 123``).

Each pseudonym hashes its kind with its parts (a JSON array), so that equal strings of different
kinds (a Belgian national number and a German tax id may share their eleven digits) never meet.

Changing anything here changes every pseudonym and breaks what recipients have linked so far;
``tests/test_minimise.py`` pins known answers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import unicodedata
from collections.abc import Mapping
from typing import Any, Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gateway.decide.decision import DataClass

PSEUDONYM_SECRET: Final = b"euregate pseudonym secret v1"
"""What the master key derives the secret of the per-recipient pseudonym keys from."""

PSEUDONYM_PREFIX: Final = "psn:"
PSEUDONYM_PATTERN: Final = "^psn:[a-z2-7]{32}$"
KEY_BYTES: Final = 32
_DIGEST_BYTES: Final = 20
_KEY_PURPOSE: Final = b"euregate minimise pseudonym key v1"


def pseudonym_key(master_secret: bytes, recipient_id: str) -> bytes:
    """The recipient's 32-byte pseudonym key: HKDF-SHA256 of the master secret.

    The HKDF ``info`` binds the purpose and the recipient id, so no other use of the master
    secret and no other recipient arrives at the same key.
    """
    if len(master_secret) < KEY_BYTES:
        raise ValueError(f"the master secret must be at least {KEY_BYTES} random bytes")
    info = _KEY_PURPOSE + b"\x00" + recipient_id.encode("utf-8")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info)
    return hkdf.derive(master_secret)


def pseudonym(key: bytes, kind: str, *parts: str) -> str:
    """The pseudonym of ``parts`` (already normalised) of a thing of ``kind``, under ``key``."""
    message = json.dumps([kind, *parts], ensure_ascii=False, separators=(",", ":"))
    digest = hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()[:_DIGEST_BYTES]
    return PSEUDONYM_PREFIX + base64.b32encode(digest).decode("ascii").lower()


def name_words(text: str) -> str:
    """The words of a name, letters and digits only, case-folded and without accents, one
    space between them (see the module's docstring; not :func:`gateway.flow.subjects.name_letters`,
    which keeps letters only, run together)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join("".join(c if c.isalnum() else " " for c in bare).split())


def compact_number(value: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", value) if c.isalnum()).upper()


def normal_registration(value: str) -> str:
    return " ".join(value.upper().split())


def person(key: bytes, member: Mapping[str, Any]) -> str | None:
    """A person by family name, given names and date of birth, or None if one is missing.

    All three are needed: a family name alone, or with a year of birth only, would give many
    people one pseudonym and let a recipient link signals about different people. The date of
    birth is hashed as given, so ``1984`` and ``1984-03-01`` give different pseudonyms.
    """
    family, given, born = (member.get(k) for k in ("family_name", "given_names", "date_of_birth"))
    if family is None or given is None or born is None:
        return None
    return pseudonym(key, "person", name_words(family), name_words(given), born)


def person_identifier(key: bytes, identifier: Mapping[str, Any], data_class: DataClass) -> str:
    """A national number by type and number; a document also by the country that issued it."""
    kind, value = identifier["type"], compact_number(identifier["value"])
    if data_class is DataClass.PERSON_NATIONAL_ID:
        return pseudonym(key, "person_identifier", kind, value)
    return pseudonym(key, "person_identifier", kind, identifier["issuing_country"], value)


def organisation(key: bytes, member: Mapping[str, Any]) -> str | None:
    name = member.get("name")
    return None if name is None else pseudonym(key, "organisation", name_words(name))


def organisation_identifier(key: bytes, identifier: Mapping[str, Any]) -> str:
    kind, value = identifier["type"], compact_number(identifier["value"])
    return pseudonym(key, "organisation_identifier", kind, value)


def vehicle(key: bytes, member: Mapping[str, Any]) -> str | None:
    """A vehicle by its registration and the country that issued it; None without one."""
    registration = member.get("registration")
    if registration is None:
        return None
    country = member.get("registration_country", "")
    return pseudonym(key, "vehicle", country, normal_registration(registration))


def account(key: bytes, member: Mapping[str, Any]) -> str:
    return pseudonym(key, "account", compact_number(member["iban"]))
