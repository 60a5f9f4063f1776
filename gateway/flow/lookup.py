"""Data-subject lookup for compliance staff: which signals mention this person?

Staff give a national or document number, or a family name with a date of birth; the
lookup computes the keyed hashes of :mod:`gateway.flow.subjects` and finds the signals indexed
under them. A match on the year of birth alone (the signal gave only a year, or only the
year agrees) is reported as possible, not certain. Every lookup is an audit event with the
kind of lookup and the signals found, never with what was looked up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, Literal

from gateway.flow.subjects import SUBJECT_SECRET, identifier_key, name_key
from gateway.infra.audit import events, refs
from gateway.infra.errors import LookupInvalid
from gateway.infra.vault import MasterKey
from gateway.staff import Permission, StaffAccount, require
from gateway.store import Store

Certainty = Literal["certain", "possible"]


@dataclass(frozen=True)
class Found:
    signal_id: str
    sender_id: str
    received_at: datetime
    category: str
    certainty: Certainty


class SubjectLookup:
    def __init__(self, *, store: Store, master_key: MasterKey) -> None:
        self._store = store
        self._secret = master_key.derive(SUBJECT_SECRET)

    async def lookup(
        self,
        account: StaffAccount,
        *,
        identifier: str | None = None,
        family_name: str | None = None,
        date_of_birth: str | None = None,
    ) -> list[Found]:
        require(account, Permission.SUBJECT_LOOKUP)
        certain, possible = lookup_keys(
            self._secret,
            identifier=identifier,
            family_name=family_name,
            date_of_birth=date_of_birth,
        )
        by = "identifier" if identifier else "name"
        matches = await self._store.signals_with_keys(certain | possible)
        found = [
            Found(
                m.signal_id,
                m.sender_id,
                m.received_at,
                m.category,
                "certain" if m.keys & certain else "possible",
            )
            for m in matches
        ]
        await self._store.record(
            events.SubjectLookedUp(
                by=refs.staff(account.id),
                looked_up_by=by,
                found=tuple(f.signal_id for f in found),
            )
        )
        return found


def lookup_keys(
    secret: bytes,
    *,
    identifier: str | None = None,
    family_name: str | None = None,
    date_of_birth: str | None = None,
) -> tuple[frozenset[str], frozenset[str]]:
    """The keys that find a person for certain, and those that find them possibly (the year
    of birth alone agrees), from a number or a family name with a date of birth as typed;
    :class:`LookupInvalid` if neither is given in a usable form."""
    if identifier:
        key = identifier_key(secret, identifier)
        if key is None:
            raise LookupInvalid()
        return frozenset({key}), frozenset()
    born = date_in_iso(date_of_birth or "")
    if born is None:
        raise LookupInvalid()
    full = name_key(secret, family_name or "", born)
    year = name_key(secret, family_name or "", born[:4])
    if full is None or year is None:
        raise LookupInvalid()
    if len(born) == 4:
        return frozenset({year}), frozenset()
    return frozenset({full}), frozenset({year})


ISO_DATE: Final = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
DAY_FIRST: Final = re.compile(r"(\d{1,2})([./-])(\d{1,2})\2(\d{4})")
"""A date as officials of all four languages write it, the day first: ``02/06/1987`` (fr, nl,
English as written in Europe), ``2.6.1987`` (de), ``02-06-1987`` (nl)."""
YEAR: Final = re.compile(r"\d{4}")


def date_in_iso(text: str) -> str | None:
    """A date of birth as typed (ISO ``YYYY-MM-DD``, the day first with ``/``, ``.`` or ``-``,
    or the year alone) as ``YYYY-MM-DD`` or ``YYYY``; None if it is none of these, or no day of
    the calendar."""
    typed = text.strip()
    if YEAR.fullmatch(typed):
        return typed
    if iso := ISO_DATE.fullmatch(typed):
        year, month, day = iso.groups()
    elif day_first := DAY_FIRST.fullmatch(typed):
        day, _, month, year = day_first.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None
