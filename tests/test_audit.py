"""The audit chain: every entry names its predecessor's hash, and any change shows."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from gateway.infra import audit
from gateway.infra.audit import GENESIS, AuditEntry, Verification, events, refs

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def build_chain(count: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    prev = GENESIS
    for seq in range(1, count + 1):
        event = events.InboxFetched(
            by=refs.partner("be-pol-liege"),
            about=refs.partner("be-pol-liege"),
            envelopes=(f"envelope-{seq}",),
            signals=(f"signal-{seq}",),
            after=seq,
        )
        entry = audit.chain(event, seq=seq, prev_hash=prev, at=START + timedelta(seconds=seq))
        entries.append(entry)
        prev = entry.hash
    return entries


def test_an_entry_is_canonical_json_naming_its_predecessor() -> None:
    first, second = build_chain(2)
    body = json.loads(second.canonical)
    assert body["prev"] == first.hash
    assert rfc8785.dumps(body) == second.canonical
    assert body["at"] == "2026-11-25T09:00:02.000000Z"
    assert first.prev == GENESIS


def test_an_intact_chain_verifies() -> None:
    entries = build_chain(5)
    result = audit.verify(entries)
    assert result.ok
    assert (result.checked, result.last_seq, result.last_hash) == (5, 5, entries[-1].hash)


def test_an_empty_chain_verifies() -> None:
    assert audit.verify([]).ok


@given(st.integers(min_value=0, max_value=5), st.sampled_from(["data", "actor", "hash", "at"]))
def test_changing_any_entry_is_found_at_that_entry(position: int, what: str) -> None:
    entries = build_chain(6)
    target = entries[position]
    if what == "data":
        body = json.loads(target.canonical)
        body["data"]["after"] = 999
        forged = dataclasses.replace(target, canonical=rfc8785.dumps(body))
    elif what == "actor":
        forged = dataclasses.replace(target, actor="partner:someone-else")
    elif what == "hash":
        forged = dataclasses.replace(target, hash="f" * 64)
    else:
        forged = dataclasses.replace(target, at="2020-01-01T00:00:00.000000Z")
    entries[position] = forged
    result = audit.verify(entries)
    assert not result.ok
    assert result.first_bad_seq == target.seq
    assert result.checked == position


def test_a_rehashed_forgery_is_found_at_the_next_entry() -> None:
    entries = build_chain(4)
    body = json.loads(entries[1].canonical)
    body["data"]["after"] = 42
    canonical = rfc8785.dumps(body)
    entries[1] = dataclasses.replace(
        entries[1], canonical=canonical, hash=hashlib.sha256(canonical).hexdigest()
    )
    result = audit.verify(entries)
    assert result.first_bad_seq == 3
    assert "previous entry" in (result.reason or "")


def test_a_removed_entry_is_found() -> None:
    entries = build_chain(4)
    del entries[2]
    result = audit.verify(entries)
    assert result.first_bad_seq == 4
    assert result.reason_in("en") == "expected entry 3, found 4 (an entry is missing)"
    assert result.reason_in("de") == "Eintrag 3 erwartet, 4 gefunden (ein Eintrag fehlt)"


def test_a_chain_walked_in_pages_is_judged_as_when_walked_whole() -> None:
    entries = build_chain(5)
    first_page = audit.verify(entries[:2])
    assert audit.verify(entries[2:], since=first_page) == audit.verify(entries)
    assert audit.verify(entries[3:], since=first_page) == Verification(
        checked=2,
        last_seq=2,
        last_hash=entries[1].hash,
        first_bad_seq=4,
        reason=audit.hashchain.MISSING,
    )


def test_timestamps_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match=r"^audit timestamps need a timezone-aware datetime$"):
        audit.timestamp(datetime(2026, 1, 1))


@pytest.mark.parametrize("zone", ["Europe/Brussels", "America/New_York", "UTC"])
def test_timestamps_are_utc_whatever_the_machines_own_zone(
    zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        moment = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
        assert audit.timestamp(moment) == "2026-07-01T10:00:00.000000Z"
    finally:
        monkeypatch.undo()
        time.tzset()


def _rehashed(entry: AuditEntry, canonical: bytes, **columns: object) -> AuditEntry:
    """``entry`` with other content whose hash is right: only the later checks can tell."""
    digest = hashlib.sha256(canonical).hexdigest()
    return dataclasses.replace(entry, canonical=canonical, hash=digest, **columns)  # type: ignore[arg-type]


def _body(entry: AuditEntry, **changes: object) -> bytes:
    return rfc8785.dumps(json.loads(entry.canonical) | changes)


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (
            lambda e: dataclasses.replace(e, hash="0" * 64),
            "the entry's content does not match its hash",
        ),
        (lambda e: _rehashed(e, b"{not json"), "the entry is not JSON"),
        (lambda e: _rehashed(e, b"[1, 2]"), "the entry is not a JSON object"),
        (lambda e: _rehashed(e, e.canonical + b" "), "the entry is not in canonical form"),
        (
            lambda e: _rehashed(e, _body(e, prev="f" * 64)),
            "the entry does not name the previous entry's hash",
        ),
        (
            lambda e: _rehashed(e, _body(e, actor="partner:nl-pol-limburg")),
            "the entry's indexed columns differ from its content",
        ),
        (
            lambda e: _rehashed(e, _body(e, kind="signal.refused")),
            "the entry's indexed columns differ from its content",
        ),
        (
            lambda e: _rehashed(e, _body(e, subject="signal:9")),
            "the entry's indexed columns differ from its content",
        ),
        (
            lambda e: _rehashed(e, _body(e, seq=2, at="2026-11-25T09:00:02.000000Z"), seq=3),
            "expected entry 2, found 3 (an entry is missing)",
        ),
    ],
)
def test_each_misfit_is_told_and_the_chain_is_good_up_to_the_entry_before(
    forge: Any, reason: str
) -> None:
    entries = build_chain(3)
    entries[1] = forge(entries[1])
    result = audit.verify(entries)
    told = (result.ok, result.first_bad_seq, result.reason_in("en"))
    assert told == (False, entries[1].seq, reason)
    assert (result.checked, result.last_seq, result.last_hash) == (1, 1, entries[0].hash)


def test_an_entry_is_written_at_its_moment_in_utc_with_its_event() -> None:
    moment = datetime(2026, 11, 25, 10, 30, 5, 123456, tzinfo=timezone(timedelta(hours=2)))
    event = events.PolicyAdopted(sha256="abc", previous_sha256=None, rules=12)
    entry = audit.chain(event, seq=7, prev_hash="a" * 64, at=moment)
    assert (entry.seq, entry.at, entry.kind, entry.actor, entry.subject) == (
        7,
        "2026-11-25T08:30:05.123456Z",
        "policy.adopted",
        "gateway",
        "policy:abc",
    )
    data = {"sha256": "abc", "previous_sha256": None, "rules": 12}
    assert (entry.data, entry.prev) == (data, "a" * 64)
    assert json.loads(entry.canonical) == {
        "seq": 7,
        "at": "2026-11-25T08:30:05.123456Z",
        "kind": "policy.adopted",
        "actor": "gateway",
        "subject": "policy:abc",
        "data": data,
        "prev": "a" * 64,
    }
    assert entry.hash == hashlib.sha256(entry.canonical).hexdigest()
