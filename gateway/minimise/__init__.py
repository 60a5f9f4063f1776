"""Minimisation: the view of a signal each recipient gets under its sharing decision.

- :mod:`~gateway.minimise.classes`: which data class each member of a signal belongs to, and
  the outcomes each class can have: one table for minimisation, the policy engine and the UI;
- :mod:`~gateway.minimise.pseudonyms`: per-recipient keys and keyed pseudonyms;
- :mod:`~gateway.minimise.view`: :func:`apply`, the view itself.

Everything here is pure: no I/O, no clock, the same view for the same input.
"""

from gateway.minimise.classes import (
    FIELD_CLASSES,
    FREE_TEXT_POINTERS,
    NOT_FOR_RECIPIENTS,
    PERSON_IDENTIFIER_CLASSES,
    PERSON_IDENTIFIERS,
    STRUCTURE,
    SUPPORTED_OUTCOMES,
    classify,
    pattern_of,
)
from gateway.minimise.pseudonyms import PSEUDONYM_PATTERN, PSEUDONYM_SECRET, pseudonym_key
from gateway.minimise.view import (
    COORDINATE_DECIMALS,
    RecipientView,
    SignalDocument,
    apply,
    effective_outcomes,
    postal_area,
    rounded,
    signal_document,
)

__all__ = [
    "COORDINATE_DECIMALS",
    "FIELD_CLASSES",
    "FREE_TEXT_POINTERS",
    "NOT_FOR_RECIPIENTS",
    "PERSON_IDENTIFIERS",
    "PERSON_IDENTIFIER_CLASSES",
    "PSEUDONYM_PATTERN",
    "PSEUDONYM_SECRET",
    "STRUCTURE",
    "SUPPORTED_OUTCOMES",
    "RecipientView",
    "SignalDocument",
    "apply",
    "classify",
    "effective_outcomes",
    "pattern_of",
    "postal_area",
    "pseudonym_key",
    "rounded",
    "signal_document",
]
