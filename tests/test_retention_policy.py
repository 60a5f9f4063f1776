"""Retention terms in the sharing policy: which terms a signal is kept under, the check that no
signal is left without terms or given two, and what a recipient is told."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.contract import codelists
from gateway.contract.partners import Partner
from gateway.decide.decision import Decision, Verdict
from gateway.decide.policy import PolicyError, check_policy, load_policy, parse_policy
from gateway.decide.policy.retention import (
    Described,
    applies,
    erase_on,
    every_signal,
    recipient_keeps_until,
    terms_for,
)
from gateway.edges.cli import main
from gateway.infra.config import DataDir
from gateway.minimise import RecipientView
from gateway.render.renderer import render
from tests.conftest import EXAMPLES, REPO

REFERENCE = load_policy(REPO / "deploy" / "policy" / "euregio.toml")
TEXTS = 'nl = "n"\nfr = "f"\nde = "d"\nen = "e"\n'
SHARING = f"""version = 1
[default]
id = "10"
title = "deny"
[default.reason]
{TEXTS}[default.legal_basis]
{TEXTS}"""


def terms(table: str, term_id: str, days: tuple[int, int, int, int] = (90, 180, 365, 7)) -> str:
    keep, review, recipient, acknowledged = days
    return (
        f'[{table}]\nid = "{term_id}"\ntitle = "t"\nkeep_days = {keep}\n'
        f"review_days = {review}\nrecipient_days = {recipient}\n"
        f"acknowledged_days = {acknowledged}\n[{table}.legal_basis]\n{TEXTS}"
    )


def rule(term_id: str, match: str, days: tuple[int, int, int, int] = (90, 180, 365, 7)) -> str:
    return (
        terms("[retention.rule", term_id, days)
        .replace(
            "[[retention.rule.legal_basis]",
            f"[retention.rule.match]\n{match}\n[retention.rule.legal_basis]",
        )
        .replace("[[retention.rule]", "[[retention.rule]]")
    )


def policy_with(*tables: str) -> bytes:
    return (SHARING + "\n".join(tables)).encode()


def errors(text: bytes) -> list[str]:
    return [
        f"{f.rule_id}: {f.message}"
        for f in check_policy(parse_policy(text))
        if f.severity == "error"
    ]


def test_the_reference_keeps_care_signals_shortest_and_the_rest_by_default() -> None:
    assert REFERENCE.retention is not None
    care = terms_for(REFERENCE.retention, Described("care.vulnerable_youth", "prevention", "H1"))
    other = terms_for(REFERENCE.retention, Described("drugs.dumping", "prevention", "H0"))
    assert care is not None
    assert other is not None
    assert (care.id, care.keep_days, care.recipient_days) == ("K1", 30, 180)
    assert (other.id, other.keep_days, other.recipient_days) == ("K0", 90, 365)
    assert [f for f in check_policy(REFERENCE) if f.severity == "error"] == []


def test_a_signal_no_rule_is_for_without_a_default_is_a_missing_rule() -> None:
    found = errors(policy_with(rule("K1", 'category = "care.*"')))
    assert len(found) == 1
    assert found[0].startswith("retention: no retention rule and no [retention.default] for ")
    first = next(s for s in every_signal() if not s.category.startswith("care."))
    assert str(first) in found[0]
    assert "more)" in found[0]
    assert "care." not in found[0]


def test_two_rules_for_the_same_signals_with_other_terms_contradict() -> None:
    found = errors(
        policy_with(
            terms("retention.default", "K0"),
            rule("K1", 'category = "care.*"', (30, 60, 180, 3)),
            rule("K2", 'purpose = "vital_interest"', (14, 30, 30, 3)),
        )
    )
    assert len(found) == 1
    assert found[0].startswith("K2: contradicts retention rule K1: both hold for category care.")
    assert "purpose vital_interest" in found[0]
    assert "keep_days 30" in found[0]
    assert "keep_days 14" in found[0]


def test_overlapping_rules_that_agree_are_no_contradiction() -> None:
    same = (30, 60, 180, 3)
    text = policy_with(
        terms("retention.default", "K0"),
        rule("K1", 'category = "care.*"', same),
        rule("K2", 'purpose = "care_coordination"', same),
    )
    assert errors(text) == []


def test_an_acknowledged_envelope_may_not_outlive_the_content() -> None:
    found = errors(policy_with(terms("retention.default", "K0", (5, 10, 30, 7))))
    assert found == [
        "K0: acknowledged_days (7) is longer than keep_days (5): an acknowledged envelope "
        "would outlive the content it seals"
    ]


def test_a_policy_without_retention_is_warned_about_not_refused() -> None:
    findings = check_policy(parse_policy(policy_with()))
    assert [(f.severity, f.rule_id) for f in findings] == [("warning", "retention")]


def test_a_period_of_zero_days_is_refused_where_it_is() -> None:
    with pytest.raises(PolicyError) as refused:
        parse_policy(policy_with(terms("retention.default", "K0", (0, 10, 30, 0))))
    locations = {problem.location for problem in refused.value.problems}
    assert locations == {"retention.default.keep_days", "retention.default.acknowledged_days"}


def test_erasure_counts_from_the_last_delivery_or_else_from_intake() -> None:
    care = REFERENCE.retention and REFERENCE.retention.rule[0]
    assert care is not None
    received, delivered = date(2026, 3, 1), date(2026, 3, 4)
    assert erase_on(care, received=received, last_delivery=delivered) == date(2026, 4, 3)
    assert erase_on(care, received=received, last_delivery=None) == date(2026, 4, 30)
    assert recipient_keeps_until(care, received=received) == date(2026, 8, 28)


CATEGORIES = codelists.codes("category")
PURPOSES = codelists.codes("purpose")
CODES = codelists.codes("handling_code")
DAYS = st.sampled_from([(30, 60, 180, 3), (90, 180, 365, 7)])


@st.composite
def retention_rules(draw: st.DrawFn) -> str:
    tables = ["[retention]"]
    if draw(st.booleans()):
        tables.append(terms("retention.default", "K0", draw(DAYS)))
    for index in range(draw(st.integers(0, 3))):
        conditions = []
        for name, values in (
            ("category", CATEGORIES),
            ("purpose", PURPOSES),
            ("handling_code", CODES),
        ):
            if draw(st.booleans()):
                chosen = draw(st.lists(st.sampled_from(values), min_size=1, max_size=3))
                conditions.append(f"{name} = {json.dumps(chosen)}")
        if not conditions:
            conditions.append(f"handling_code = {json.dumps(list(CODES))}")
        tables.append(rule(f"K{index + 1}", "\n".join(conditions), draw(DAYS)))
    return "\n".join(tables)


@settings(max_examples=40, deadline=None)
@given(retention_rules())
def test_a_policy_that_checks_clean_gives_every_signal_exactly_one_set_of_terms(
    tables: str,
) -> None:
    policy = parse_policy(policy_with(tables))
    assert policy.retention is not None
    clean = not [f for f in check_policy(policy) if f.severity == "error"]
    unambiguous = True
    for signal in every_signal():
        holding = {r.periods() for r in policy.retention.rule if applies(r.match, signal)}
        if not holding and policy.retention.default is not None:
            holding = {policy.retention.default.periods()}
        chosen = terms_for(policy.retention, signal)
        if len(holding) != 1 or chosen is None or chosen.periods() not in holding:
            unambiguous = False
    assert clean == unambiguous


def test_explain_shows_the_signals_retention_terms(
    layout: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    signal = str(EXAMPLES / "nl-drug-waste-maastricht.json")
    d = ("--data-dir", str(layout.root))
    assert main(["policy", "explain", signal, "--as", "nl-pol-limburg", "--json", *d]) == 0
    explained = json.loads(capsys.readouterr().out)
    assert explained["retention"]["id"] == "K0"
    assert explained["retention"]["keep_days"] == 90
    assert main(["policy", "explain", signal, "--as", "nl-pol-limburg", "--lang", "de", *d]) == 0
    out = capsys.readouterr().out
    assert "Speicherregel K0: Signals in general" in out
    assert "ein Empfänger darf seine Kopie 365 Tage speichern" in out
    assert "Art. 5 Richtlinie (EU) 2016/680" in out


def test_check_names_a_contradiction_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "policy.toml"
    file.write_bytes(
        policy_with(
            terms("retention.default", "K0"),
            rule("K1", 'category = "care.*"', (30, 60, 180, 3)),
            rule("K2", 'handling_code = "H3"', (14, 30, 30, 3)),
        )
    )
    assert main(["policy", "check", str(file), "--lang", "fr"]) == 1
    out = capsys.readouterr().out
    assert "erreur : règle K2 : contradicts retention rule K1" in out


@pytest.mark.parametrize(
    ("language", "label", "value"),
    [
        ("nl", "Bewaren tot en met", "28 augustus 2026"),
        ("fr", "À conserver jusqu’au", "28 août 2026"),
        ("de", "Aufbewahren bis", "28. August 2026"),
        ("en", "Keep until", "28 August 2026"),
    ],
)
def test_the_recipient_reads_until_when_it_may_keep_its_copy(
    language: str, label: str, value: str
) -> None:
    recipient = Partner("be-pol-reader", "Reader", "BE", "police", (language,))
    care = REFERENCE.retention and REFERENCE.retention.rule[0]
    assert care is not None
    view = RecipientView(recipient.id, {}, (), (), (), ())
    decision = Decision(recipient.id, Verdict.DELIVER, {}, (), "0" * 64)
    received = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    document = render(view, recipient, decision, received_at=received, retention=care)
    kept = [field for field in document.header if field.code == "2026-08-28"]
    assert len(kept) == 1
    assert (kept[0].label, kept[0].value) == (label, value)
    assert kept[0].note is not None
    assert "K1" in kept[0].note
    assert "180" in kept[0].note
    assert f"{label}: {value}" in document.as_text().replace("\u00a0:", ":")
    without = render(view, recipient, decision, received_at=received)
    assert all(field.code != "2026-08-28" for field in without.header)
