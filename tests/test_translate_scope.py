"""Which remembered translations may serve which copy (gateway.translate.scope), for every
entry and every copy: pure functions, so hypothesis draws them all.

The rule: an entry serves its own desk's recipients; another desk's copy only once confirmed,
and only when that copy is reviewed; the recipient's own desk's entry wins over another's.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gateway.contract.partners import DEMO_NETWORK
from gateway.staff.accounts import Desk
from gateway.translate.matching import PairMemory, Remembered
from gateway.translate.scope import may_serve, own_desk, usable
from gateway.translate.types import MemoryScope

DESKS = ("NL", "BE", "DE", "be-gem-eupen", "be-pol-liege,be-gem-eupen", "de-pol-aachen", "", "*")
SENTENCES = ("De bus stond er.", "Twee mannen laadden vaten uit.", "Hij reed naar Kanne.")

scopes = st.builds(
    lambda partner, reviewed: MemoryScope(partner.id, partner.country, reviewed),
    st.sampled_from(DEMO_NETWORK),
    st.booleans(),
)
entries = st.builds(
    lambda source, n, desk, confirmed: Remembered(
        source, f"vertaling {n} door {desk or '?'}", f"officer-{n}", None, desk, confirmed
    ),
    st.sampled_from(SENTENCES),
    st.integers(0, 99),
    st.sampled_from(DESKS),
    st.none() | st.sampled_from(("second-officer", "another")),
)


def serves_recipient(desk: str, scope: MemoryScope) -> bool:
    """The desk's own word on it (staff.accounts.Desk), independently of the module; no
    officer serves every desk, so ``*`` is nobody's."""
    if desk in ("", "*"):
        return False
    return Desk.parse(desk).admits(partner_id=scope.recipient_id, country=scope.country)


@given(st.lists(entries, max_size=12), scopes)
def test_an_unreviewed_copy_gets_only_its_own_desks_entries(
    remembered: list[Remembered], scope: MemoryScope
) -> None:
    unreviewed = MemoryScope(scope.recipient_id, scope.country, reviewed=False)
    for entry in usable(remembered, unreviewed):
        assert serves_recipient(entry.desk, unreviewed)


@given(st.lists(entries, max_size=12), scopes)
def test_another_desks_entry_serves_only_once_confirmed_and_in_review(
    remembered: list[Remembered], scope: MemoryScope
) -> None:
    for entry in usable(remembered, scope):
        if not serves_recipient(entry.desk, scope):
            assert scope.reviewed
            assert entry.confirmed_by is not None


@given(st.lists(entries, max_size=12), scopes)
def test_every_entry_the_rule_admits_is_kept_and_no_other(
    remembered: list[Remembered], scope: MemoryScope
) -> None:
    kept = usable(remembered, scope)
    admitted = [e for e in remembered if may_serve(e, scope)]
    assert sorted(kept, key=id) == sorted(admitted, key=id)


@given(st.lists(entries, min_size=1, max_size=12), scopes)
def test_the_recipients_own_desk_wins_over_another_desks_entry(
    remembered: list[Remembered], scope: MemoryScope
) -> None:
    memory = PairMemory(usable(remembered, scope))
    for sentence in SENTENCES:
        hit = memory.exact(sentence)
        candidates = [e for e in remembered if e.source == sentence and may_serve(e, scope)]
        own = [e for e in candidates if own_desk(e.desk, scope)]
        if not candidates:
            assert hit is None
        elif own:
            assert hit is not None
            assert hit.target == own[-1].target
        else:
            assert hit is not None
            assert hit.target == candidates[-1].target


@given(st.lists(entries, max_size=12))
def test_no_scope_means_no_officers_entry(remembered: list[Remembered]) -> None:
    assert usable(remembered, None) == []


def test_an_entry_of_no_known_desk_serves_nobody() -> None:
    orphan = Remembered("De bus stond er.", "Der Bus stand da.", "old", None, "", "someone")
    for partner in DEMO_NETWORK:
        for reviewed in (False, True):
            scope = MemoryScope(partner.id, partner.country, reviewed)
            assert may_serve(orphan, scope) is reviewed  # confirmed: other desks' reviews only
    assert not own_desk("", MemoryScope("de-pol-aachen", "DE", reviewed=True))


def test_a_belgian_entry_serves_eupen_unreviewed_and_aachen_never_unreviewed() -> None:
    belgian = Remembered("De bus stond er.", "Der Bus stand da.", "m.dubois", None, "BE")
    confirmed = Remembered(
        "De bus stond er.", "Der Bus stand da.", "m.dubois", None, "BE", "j.peeters"
    )
    eupen = MemoryScope("be-gem-eupen", "BE", reviewed=False)
    aachen = MemoryScope("de-pol-aachen", "DE", reviewed=False)
    aachen_reviewed = MemoryScope("de-pol-aachen", "DE", reviewed=True)

    assert may_serve(belgian, eupen)
    assert not may_serve(belgian, aachen)
    assert not may_serve(belgian, aachen_reviewed)
    assert not may_serve(confirmed, aachen)
    assert may_serve(confirmed, aachen_reviewed)
