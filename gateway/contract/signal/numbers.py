"""National numbers, register numbers and IBANs: how each kind is written and checked.

Values are stored exactly as given. Identifiers, registry numbers and IBANs must therefore be
sent in their one canonical form (no spaces, dots or dashes, capitals), so that equal numbers
are equal strings for the recipient, the audit log and keyed pseudonyms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from stdnum import iban as stdnum_iban
from stdnum.be import nn as stdnum_be_nn
from stdnum.be import vat as stdnum_be_vat
from stdnum.de import handelsregisternummer as stdnum_handelsregister
from stdnum.de import idnr as stdnum_de_idnr
from stdnum.eu import vat as stdnum_eu_vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat
from stdnum.exceptions import ValidationError as NumberInvalid
from stdnum.nl import bsn as stdnum_nl_bsn

from gateway.contract.signal.fields import compiled
from gateway.contract.signal.messages import rule_error


@dataclass(frozen=True)
class NumberRule:
    """How one kind of number is written and checked.

    ``check`` is python-stdnum's ``validate``, which returns the canonical form; a value
    that passes but is written another way is refused with ``format_code`` (or with
    ``component_code``, for a register court spelt another way).
    """

    pattern: str
    format_code: str
    checksum_code: str | None = None
    component_code: str | None = None
    check: Callable[[str], str] | None = None
    country: str | None = None

    def verify(self, value: str) -> str:
        if not compiled(self.pattern).fullmatch(value):
            raise rule_error(self.format_code)
        if self.check is None:
            return value
        try:
            canonical = self.check(value)
        except InvalidChecksum:
            raise rule_error(self.checksum_code or self.format_code) from None
        except InvalidComponent:
            raise rule_error(self.component_code or self.format_code) from None
        except NumberInvalid:
            raise rule_error(self.format_code) from None
        if canonical != value:
            raise rule_error(self.component_code or self.format_code)
        return value


_DOCUMENT = NumberRule(pattern="^[A-Z0-9]{5,20}$", format_code="document_number_format")

PERSON_NUMBERS: Final[Mapping[str, NumberRule]] = {
    "nl.bsn": NumberRule(
        "^[0-9]{9}$", "bsn_format", "bsn_checksum", check=stdnum_nl_bsn.validate, country="NL"
    ),
    "be.nn": NumberRule(
        "^[0-9]{11}$", "be_nn_format", "be_nn_checksum", check=stdnum_be_nn.validate, country="BE"
    ),
    "de.idnr": NumberRule(
        "^[1-9][0-9]{10}$",
        "de_idnr_format",
        "de_idnr_checksum",
        check=stdnum_de_idnr.validate,
        country="DE",
    ),
    "passport": _DOCUMENT,
    "id_card": _DOCUMENT,
    "driving_licence": _DOCUMENT,
}

ORGANISATION_NUMBERS: Final[Mapping[str, NumberRule]] = {
    "nl.kvk": NumberRule("^[0-9]{8}$", "kvk_format"),
    "be.kbo": NumberRule(
        "^[01][0-9]{9}$", "kbo_format", "kbo_checksum", check=stdnum_be_vat.validate
    ),
    "de.handelsregister": NumberRule(
        "^[^ ].* (HRA|HRB|GnR|PR|VR) [1-9][0-9]{0,5}( [A-Z]{1,3})?$",
        "handelsregister_format",
        component_code="handelsregister_court",
        check=stdnum_handelsregister.validate,
    ),
    "vat": NumberRule(
        "^[A-Z]{2}[0-9A-Z+*]{2,13}$", "vat_format", "vat_checksum", check=stdnum_eu_vat.validate
    ),
}


def _validate_iban(value: str) -> str:
    """stdnum's IBAN check, but an IBAN of the wrong length or structure is a format error.

    stdnum tests the check digits first, so a number that is too short fails as a checksum;
    it is a format error when correct check digits would not make it valid for another reason.
    """
    try:
        return str(stdnum_iban.validate(value))
    except InvalidChecksum:
        repaired = value[:2] + stdnum_iban.calc_check_digits(value) + value[4:]
        try:
            stdnum_iban.validate(repaired)
        except InvalidChecksum:
            pass
        except NumberInvalid:
            raise InvalidFormat from None
        raise


IBAN_RULE: Final = NumberRule(
    "^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$", "iban_format", "iban_checksum", check=_validate_iban
)
