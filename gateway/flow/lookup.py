"""Data-subject lookup for compliance staff: which signals mention this person?

Staff give a national or document number, or a family name with a date of birth; the
lookup computes the keyed hashes of :mod:`gateway.flow.subjects` and finds the signals indexed
under them. A match on the year of birth alone (the signal gave only a year, or only the
year agrees) is reported as possible, not certain. Every lookup is an audit event with the
kind of lookup and the signals found, never with what was looked up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

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
        certain: set[str] = set()
        possible: set[str] = set()
        by = "identifier" if identifier else "name"
        if identifier:
            key = identifier_key(self._secret, identifier)
            if key is None:
                raise LookupInvalid()
            certain.add(key)
        else:
            born = (date_of_birth or "").strip()
            full = name_key(self._secret, family_name or "", born)
            year = name_key(self._secret, family_name or "", born[:4])
            if full is None or year is None or not _is_date(born):
                raise LookupInvalid()
            (certain if len(born) == 4 else possible).add(year)
            if len(born) > 4:
                certain.add(full)
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


def _is_date(text: str) -> bool:
    """``YYYY`` or ``YYYY-MM-DD``."""
    parts = text.split("-")
    return (len(parts) == 1 and len(text) == 4 and text.isdigit()) or (
        [len(p) for p in parts] == [4, 2, 2] and all(p.isdigit() for p in parts)
    )
