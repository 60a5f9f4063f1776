"""The audit log's schema: one type per kind, built only with actors and subjects of the
kinds it names, written and read back without loss for any value, a stored entry that does
not fit refused, and docs/audit-events.md written from the types."""

from __future__ import annotations

import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Union, get_args, get_origin

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.infra.audit import GENESIS, AuditEntry, EventKind, chain, events, refs
from gateway.infra.audit.events import EVENTS, parse
from gateway.infra.audit.keys import Key
from gateway.infra.audit.reference import render
from gateway.infra.audit.refs import BARE, AuditEntryInvalid, Ref, RefKind
from gateway.infra.audit.schema import (
    ABSENT,
    Absent,
    AuditEvent,
    Record,
    SubjectRole,
    about,
    acted_by,
    datum,
    layout_of,
)
from tests.audit_entries import misfit
from tests.conftest import REPO

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Written:
    """An entry's parts exactly as some code wrote them, typed or not (the old code wrote
    the chain from such free-form parts)."""

    kind: str
    actor: str
    subject: str = ""
    data: dict[str, object] = field(default_factory=dict)


def stored(event: AuditEvent | Written) -> AuditEntry:
    return chain(event, seq=1, prev_hash=GENESIS, at=AT)  # type: ignore[arg-type]


def event_types() -> Iterator[type[AuditEvent]]:
    """Every type of event the gateway defines, however deep below AuditEvent."""
    pending = list(AuditEvent.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("gateway.") and "kind" in vars(cls):
            yield cls


def test_every_kind_has_exactly_one_type_and_every_type_a_kind() -> None:
    kinds = sorted(cls.kind for cls in event_types())
    assert kinds == sorted(EventKind)
    assert {cls.kind: cls for cls in event_types()} == dict(EVENTS)


@pytest.mark.parametrize("cls", EVENTS.values(), ids=lambda cls: cls.kind)
def test_every_type_says_what_it_never_holds_and_what_each_datum_means(
    cls: type[AuditEvent],
) -> None:
    assert cls.withheld
    assert cls.__doc__
    layout = layout_of(cls)
    assert layout.actor[1].doc
    assert all(slot.role.doc for slot in layout.data)


# --- any value, written and read back ------------------------------------------------------

ids = st.text(st.characters(codec="utf-8"), min_size=1, max_size=8)
texts = st.text(st.characters(codec="utf-8"), max_size=8)


def refs_of(kinds: tuple[RefKind, ...]) -> st.SearchStrategy[Ref]:
    return st.sampled_from(kinds).flatmap(
        lambda kind: st.just(Ref(kind)) if kind in BARE else ids.map(lambda i: Ref(kind, i))
    )


def members(hint: Any) -> tuple[Any, ...]:
    return get_args(hint) if get_origin(hint) in (Union, types.UnionType) else (hint,)


def values(hint: Any) -> st.SearchStrategy[Any]:
    if len(members(hint)) > 1:
        return st.one_of([values(m) for m in members(hint)])
    if get_origin(hint) is tuple:
        return st.lists(values(get_args(hint)[0]), max_size=3).map(tuple)
    if get_origin(hint) is dict:
        return st.dictionaries(texts, values(get_args(hint)[1]), max_size=3)
    if isinstance(hint, type) and issubclass(hint, Record):
        return records(hint)
    simple: dict[Any, st.SearchStrategy[Any]] = {
        str: texts,
        int: st.integers(-(2**53) + 1, 2**53 - 1),
        bool: st.booleans(),
        type(None): st.none(),
        Absent: st.just(ABSENT),
    }
    return simple[hint]


def records(cls: type[Record]) -> st.SearchStrategy[Any]:
    """Any instance of ``cls``, with actors and subjects of the kinds it names."""
    layout = layout_of(cls)
    made = {slot.name: values(slot.type) for slot in layout.data}
    if issubclass(cls, AuditEvent):
        made[layout.actor[0]] = refs_of(layout.actor[1].kinds)
    if layout.subject is not None:
        name, role = layout.subject
        if isinstance(role, SubjectRole):
            subject = refs_of(role.kinds)
            made[name] = st.none() | subject if layout.subject_optional else subject
        else:
            made[name] = ids
    return st.fixed_dictionaries(made).map(lambda kwargs: cls(**kwargs))


@pytest.mark.parametrize("cls", EVENTS.values(), ids=lambda cls: cls.kind)
@settings(max_examples=40)
@given(data=st.data())
def test_any_event_reads_back_from_its_entry_as_it_was(
    cls: type[AuditEvent], data: st.DataObject
) -> None:
    event = data.draw(records(cls))
    entry = stored(event)

    assert parse(entry) == event
    assert (entry.kind, entry.actor, entry.subject, entry.data) == (
        cls.kind,
        event.actor,
        event.subject,
        event.data,
    )
    assert misfit(entry) is None


def test_an_event_is_written_as_the_code_before_the_types_wrote_it() -> None:
    """The first copy of a signal to the Liège police, sealed by the gateway."""
    event = events.CopySealed(
        about=refs.signal("0193"),
        envelope="e-1",
        recipient="be-pol-liege",
        version=1,
        review="none",
        key_id="k-1",
        suite="X25519",
        language="fr",
        payload_sha256="a" * 64,
    )
    assert (event.kind, event.actor, event.subject) == ("copy.sealed", "gateway", "signal:0193")
    assert event.data == {
        "envelope": "e-1",
        "recipient": "be-pol-liege",
        "version": 1,
        "review": "none",
        "key_id": "k-1",
        "suite": "X25519",
        "language": "fr",
        "payload_sha256": "a" * 64,
    }


def test_a_datum_left_absent_is_not_written_and_null_is_written_as_null() -> None:
    common = {"about": refs.signal("s"), "envelope": "e", "recipient": "r", "attempt": 3}
    delivered = events.DeliveryAttempted(**common, status=200, error=None, state="delivered")
    dead = events.DeliveryAttempted(
        **common, status=None, error="timeout", state="dead", next_attempt_at=None
    )
    assert "next_attempt_at" not in delivered.data
    assert dead.data["next_attempt_at"] is None
    assert parse(stored(delivered)).next_attempt_at is ABSENT  # type: ignore[attr-defined]
    assert parse(stored(dead)).next_attempt_at is None  # type: ignore[attr-defined]


# --- actors and subjects ----------------------------------------------------------------------


def test_actors_and_subjects_are_written_kind_colon_id_and_the_gateway_alone() -> None:
    assert str(refs.partner("nl-pol-limburg")) == "partner:nl-pol-limburg"
    assert str(refs.staff("m.dubois")) == "staff:m.dubois"
    assert str(refs.admin("root")) == "admin:root"
    assert str(refs.signal("0193")) == "signal:0193"
    assert (str(refs.GATEWAY), str(refs.ANONYMOUS)) == ("gateway", "anonymous")
    assert Ref.parse("export:euregate-audit-20260302T090000.csv") == refs.export(
        "euregate-audit-20260302T090000.csv"
    )


def test_a_partner_written_by_its_bare_id_reads_as_a_partner() -> None:
    assert Ref.actor("be-pol-liege") == refs.partner("be-pol-liege")
    assert Ref.actor("partner:be-pol-liege") == refs.partner("be-pol-liege")
    assert Ref.actor("certificate:ab12") == refs.certificate("ab12")
    assert Ref.actor("gateway") == refs.GATEWAY


@pytest.mark.parametrize("text", ["", "partner:", "gateway:x", "robot:r2", ":x"])
def test_text_that_is_no_reference_is_refused(text: str) -> None:
    with pytest.raises(AuditEntryInvalid):
        Ref.parse(text)


def test_an_event_takes_only_the_kinds_of_actor_and_subject_it_names() -> None:
    with pytest.raises(AuditEntryInvalid, match="actor"):
        events.ReviewOpened(
            by=refs.partner("be-pol-liege"), about=refs.signal("s"), item="i", recipient="r"
        )
    with pytest.raises(AuditEntryInvalid, match="subject"):
        events.ReviewOpened(
            by=refs.staff("m.dubois"), about=refs.partner("x"), item="i", recipient="r"
        )
    with pytest.raises(AuditEntryInvalid, match="actor"):
        events.PartnerAdded(
            by="admin:root",  # type: ignore[arg-type]
            about=refs.partner("x"),
            country="BE",
            agency_type="police",
            languages=("fr",),
        )


# --- entries that do not fit ------------------------------------------------------------------

FETCHED = {"envelopes": ["e1"], "signals": ["s1"], "after": 0}
REFUSED = {"status": 422, "kind": "signal-invalid", "codes": ["enum"]}


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        (Written("signal.forwarded", "partner:x"), "no event has the kind"),
        (Written("inbox.fetched", "partner:x", "partner:x", {**FETCHED, "n": 1}), "unknown"),
        (Written("inbox.fetched", "partner:x", "partner:x", {"after": 0}), "missing"),
        (Written("inbox.fetched", "partner:x", "partner:x", {**FETCHED, "after": "0"}), "after"),
        (Written("inbox.fetched", "partner:x", "partner:x", {**FETCHED, "after": True}), "after"),
        (Written("inbox.fetched", "staff:x", "partner:x", FETCHED), "actor"),
        (Written("inbox.fetched", "partner:x", "", FETCHED), "subject"),
        (Written("inbox.fetched", "partner:x", "robot:x", FETCHED), "robot"),
        (Written("certificate.revoked", "admin:r", "certificate:b", {"fingerprint": "a"}), "data"),
        (Written("signal.refused", "partner:x", "signal:1", REFUSED), "no subject"),
    ],
)
def test_an_entry_that_does_not_fit_its_type_is_refused(written: Written, reason: str) -> None:
    with pytest.raises(AuditEntryInvalid, match=reason):
        parse(stored(written))


def test_the_suites_check_takes_an_older_actor_only_when_told() -> None:
    old = stored(Written("inbox.fetched", "be-pol-liege", "partner:be-pol-liege", FETCHED))
    assert misfit(old) is not None
    assert misfit(old, old_forms=True) is None
    assert misfit(stored(Written("signal.refused", "partner:x", "", {}))) is not None


def test_a_type_that_does_not_say_where_a_field_goes_is_refused_when_declared() -> None:
    with pytest.raises(TypeError, match="does not say where"):

        class Unplaced(Record):
            loose: str = field(default="")

    with pytest.raises(TypeError, match="not a Key"):

        class Unnamed(Record):
            colour: str = datum("no such key")

    with pytest.raises(TypeError, match="not a type the audit log writes"):

        class Inexact(Record):
            count: float = datum("a float is not exact in JSON")

    with pytest.raises(TypeError, match="names no actor"):

        class Actorless(AuditEvent):
            kind = EventKind.SIGNAL_REFUSED
            withheld = "everything"
            about: Ref = about(RefKind.SIGNAL, doc="")

    with pytest.raises(TypeError, match="two actors"):

        class TwoActors(AuditEvent):
            kind = EventKind.SIGNAL_REFUSED
            withheld = "everything"
            by: Ref = acted_by(RefKind.PARTNER)
            also: Ref = acted_by(RefKind.STAFF)


def test_every_key_a_type_writes_is_a_key_and_every_key_is_written() -> None:
    def written(cls: type[Record]) -> Iterator[Key]:
        for slot in layout_of(cls).data:
            yield slot.key
            for member in members(slot.type):
                inner = get_args(member)[0] if get_origin(member) is tuple else member
                if isinstance(inner, type) and issubclass(inner, Record):
                    yield from written(inner)

    assert {key for cls in EVENTS.values() for key in written(cls)} == set(Key)


# --- the reference ------------------------------------------------------------------------------


def test_the_committed_reference_is_the_one_the_types_write() -> None:
    committed = (REPO / "docs" / "audit-events.md").read_text(encoding="utf-8")
    assert committed == render(), "run `make audit-events` and commit docs/audit-events.md"


def test_the_reference_names_every_kind_actor_subject_and_key() -> None:
    page = render()
    for cls in EVENTS.values():
        assert f"### `{cls.kind}`" in page
        assert cls.withheld in page
        for slot in layout_of(cls).data:
            assert f"| `{slot.key}` |" in page or f".{slot.key}` |" in page
    for kind in RefKind:
        assert f"| `{kind}" in page
