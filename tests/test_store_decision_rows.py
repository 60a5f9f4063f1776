"""Decisions as both backends keep them: the row holds the decision's own facts, each rule's
reason and legal basis are kept once per policy and rule (``rule_texts``), and every
decision reads back exactly as it was given: rows written before (the whole JSON in the
row) as well as rows whose texts differ from those kept first."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psycopg
import pytest

from gateway.decide.decision import DataClass, Decision, FiredRule, Outcome, Verdict
from gateway.infra.clock import FixedClock
from gateway.store import NewSignal, Store
from tests.store_backends import BACKENDS, START, open_backend
from tests.test_store_contract_signals import (
    AACHEN,
    LANAKEN,
    LIEGE,
    accepted,
    new_signal,
    with_partners,
)

POLICY = "a" * 64
CROSS_BORDER = FiredRule(
    "cross-border-police",
    {
        "nl": "Politie deelt over de grens binnen de Euregio.",
        "fr": "La police partage au-delà de la frontière dans l'Euregio.",
        "de": "Die Polizei teilt grenzüberschreitend in der Euregio.",
        "en": "Police share across the border within the Euregio.",
    },
    {
        "nl": "Verdrag van Prüm, art. 39",
        "fr": "Traité de Prüm, art. 39",
        "de": "Prümer Vertrag, Art. 39",
        "en": "Prüm Convention, Art. 39",
    },
)
SPECIAL = FiredRule(
    "special-category-review",
    {"nl": "Bijzondere persoonsgegevens: eerst beoordelen.", "en": "Special categories."},
    {"en": "Directive (EU) 2016/680, Art. 10"},
)


@dataclass(frozen=True)
class Kept:
    """A store of one backend and a way to its tables underneath, for what only rows show."""

    store: Store
    backend: str
    location: str

    def query(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        """``sql`` (with ``?`` placeholders) on the store's database, committed."""
        if self.backend == "sqlite":
            with sqlite3.connect(self.location) as conn:
                return conn.execute(sql, params).fetchall()
        with psycopg.connect(self.location, autocommit=True) as pg:
            cursor = pg.execute(sql.replace("?", "%s"), params)
            return cursor.fetchall() if cursor.description else []

    def decision_rows(self, signal_id: str) -> list[dict[str, Any]]:
        rows = self.query("SELECT decision FROM decisions WHERE signal_id = ?", signal_id)
        return [row[0] if isinstance(row[0], dict) else json.loads(row[0]) for row in rows]


@pytest.fixture(params=BACKENDS)
async def kept(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Kept]:
    async with open_backend(request.param, request, tmp_path, FixedClock(START)) as store:
        location = (
            str(tmp_path / "euregate.db")
            if request.param == "sqlite"
            else request.getfixturevalue("postgres_url")
        )
        yield Kept(await with_partners(store), request.param, location)


def decided(recipient_id: str, verdict: Verdict, *rules: FiredRule) -> Decision:
    outcomes = dict.fromkeys(DataClass, Outcome.REDACT) | {DataClass.VEHICLE: Outcome.SHARE}
    return Decision(recipient_id, verdict, outcomes, rules, POLICY)


def with_decisions(number: int, *decisions: Decision) -> NewSignal:
    signal = new_signal(number, LIEGE, AACHEN, LANAKEN)
    return replace(signal, decisions=decisions)


THREE = (
    decided(LIEGE.id, Verdict.DELIVER, CROSS_BORDER),
    decided(AACHEN.id, Verdict.REVIEW, CROSS_BORDER, SPECIAL),
    decided(LANAKEN.id, Verdict.DENY),
)


async def test_decisions_read_back_as_given_with_their_rules_texts_kept_once(kept: Kept) -> None:
    first, second = with_decisions(1, *THREE), with_decisions(2, *THREE)
    for signal in (first, second):
        await kept.store.accept_signal(signal, accepted(signal))

    assert await kept.store.decisions(first.id) == list(THREE)
    assert await kept.store.decisions(second.id) == list(THREE)
    assert sorted(kept.query("SELECT policy_sha256, rule_id FROM rule_texts")) == [
        (POLICY, CROSS_BORDER.id),
        (POLICY, SPECIAL.id),
    ]
    rows = kept.decision_rows(second.id)
    assert [rule for row in rows for rule in row["rules"]] == [
        {"id": CROSS_BORDER.id},
        {"id": CROSS_BORDER.id},
        {"id": SPECIAL.id},
    ]
    assert "Prüm" not in json.dumps(rows, ensure_ascii=False)


async def test_a_row_written_before_the_texts_were_kept_apart_reads_the_same(
    kept: Kept,
) -> None:
    """The row as an earlier version wrote it, the whole decision's JSON with its texts, and
    nothing in ``rule_texts``: it reads back as the same decision as the row of today."""
    signal = with_decisions(1, *THREE)
    await kept.store.accept_signal(signal, accepted(signal))
    today = await kept.store.decisions(signal.id)

    for decision in THREE:
        old_form = json.dumps(decision.as_json(), ensure_ascii=False)
        kept.query(
            "UPDATE decisions SET decision = ? WHERE signal_id = ? AND recipient_id = ?",
            old_form,
            signal.id,
            decision.recipient_id,
        )
    kept.query("DELETE FROM rule_texts")

    assert "Prüm" in json.dumps(kept.decision_rows(signal.id), ensure_ascii=False)
    assert await kept.store.decisions(signal.id) == today == list(THREE)


async def test_texts_unlike_those_kept_for_their_rule_stay_in_their_row(kept: Kept) -> None:
    reworded = replace(CROSS_BORDER, reason={"en": "Police share with police next door."})
    later = (decided(LIEGE.id, Verdict.DELIVER, reworded, SPECIAL),)
    first, second = with_decisions(1, *THREE), with_decisions(2, *later)
    for signal in (first, second):
        await kept.store.accept_signal(signal, accepted(signal))

    assert await kept.store.decisions(first.id) == list(THREE)
    assert await kept.store.decisions(second.id) == list(later)
    (row,) = kept.decision_rows(second.id)
    assert row["rules"] == [
        {
            "id": reworded.id,
            "reason": dict(reworded.reason),
            "legal_basis": CROSS_BORDER.legal_basis,
        },
        {"id": SPECIAL.id},
    ]
