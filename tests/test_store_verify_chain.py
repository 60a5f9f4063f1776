"""Walking the kept chain in pages finds exactly what one walk over all of it finds."""

from __future__ import annotations

import asyncio
import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from gateway.infra import audit
from gateway.infra.audit import AuditEntry
from gateway.store import verify_chain
from tests.test_audit import build_chain


class KeptChain:
    """An :class:`~gateway.store.AuditReader` over a list, damaged as the test likes."""

    def __init__(self, entries: list[AuditEntry]) -> None:
        self.entries = entries

    async def audit_entries(self, *, after: int = 0, limit: int | None = None) -> list[AuditEntry]:
        later = [e for e in self.entries if e.seq > after]
        return later if limit is None else later[:limit]


@given(
    length=st.integers(min_value=0, max_value=12),
    page=st.integers(min_value=1, max_value=13),
    damage=st.one_of(
        st.none(),
        st.tuples(st.integers(min_value=0, max_value=11), st.sampled_from(["drop", "alter"])),
    ),
)
def test_pages_of_any_size_find_the_same_first_misfit(
    length: int, page: int, damage: tuple[int, str] | None
) -> None:
    entries = build_chain(length)
    if damage is not None and damage[0] < length:
        position, how = damage
        if how == "drop":
            del entries[position]
        else:
            entries[position] = dataclasses.replace(entries[position], hash="0" * 64)
    counted: list[int] = []

    paged = asyncio.run(verify_chain(KeptChain(entries), checked=counted.append, page=page))

    assert paged == audit.verify(entries)
    assert counted == sorted(counted)
    assert counted[-1:] in ([], [paged.checked])
