"""The audit chain: every entry names its predecessor's hash, and any change shows."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from gateway.infra import audit
from gateway.infra.audit import GENESIS, AuditEntry, events, refs

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
    import hashlib

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
    assert "missing" in (result.reason or "")


def test_timestamps_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone"):
        audit.timestamp(datetime(2026, 1, 1))
