"""The sharing policy: the reference rules 1-10 case by case, the semantics as properties, loading.

The reference table reads as: who sends what to whom → the verdict, the outcome of the
classes the rule speaks of, and the rules that fired. The properties hold for any policy:
random small policies are decided by an oracle written from the semantics alone.
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.contract import codelists
from gateway.contract.partners import AGENCY_TYPES, COUNTRIES, DEMO_NETWORK, Partner
from gateway.contract.validate import validate_signal
from gateway.decide.decision import DataClass, Exchange, Forwarded, Outcome, Verdict
from gateway.decide.policy import (
    EVERY_CLASS,
    Outcomes,
    Policy,
    PolicyError,
    Texts,
    allowed_outcomes,
    decide,
    decide_exchange,
    load_policy,
    parse_policy,
)
from tests.conftest import EXAMPLES, REPO

REFERENCE = REPO / "deploy" / "policy" / "euregio.toml"
POLICY = load_policy(REFERENCE)
PARTNERS = {p.id: p for p in DEMO_NETWORK} | {
    p.id: p
    for p in (
        Partner("nl-bd-limburg", "Belastingdienst Limburg", "NL", "tax", ("nl",)),
        Partner("be-cls-liege", "Contrôle des lois sociales", "BE", "labour_inspection", ("fr",)),
        Partner("nl-zvh-maastricht", "Zorg- en Veiligheidshuis", "NL", "safety_house", ("nl",)),
        Partner("be-ariec-limburg", "ARIEC Limburg", "BE", "expertise_centre", ("nl",)),
    )
}
C, S, G, P = DataClass, Outcome.SHARE, Outcome.GENERALISE, Outcome.PSEUDONYMISE
H, R = Outcome.HOLD, Outcome.REDACT
ALL, NONE = dict.fromkeys(DataClass, S), dict.fromkeys(DataClass, R)
LAW_ENFORCEMENT = dict.fromkeys(DataClass, S) | {C.PERSON_NATIONAL_ID: P}
PERSONS = (C.PERSON_IDENTITY, C.PERSON_NATIONAL_ID, C.PERSON_DOCUMENT)
POLICE_TO_GEM = {
    C.OPERATIONAL: S,
    C.ORGANISATION: S,
    C.LOCATION_PRECISE: S,
    C.INDICATOR: S,
    C.FREE_TEXT: H,
} | dict.fromkeys((*PERSONS, C.VEHICLE, C.FINANCIAL, C.SPECIAL_CATEGORY), R)
ADMINISTRATIVE = POLICE_TO_GEM | {C.LOCATION_PRECISE: G}
EXPERTISE = ADMINISTRATIVE | {C.PERSON_IDENTITY: P}
INSPECTION = (
    {C.ORGANISATION: S, C.FINANCIAL: S, C.OPERATIONAL: S, C.INDICATOR: S, C.FREE_TEXT: H}
    | dict.fromkeys(PERSONS, P)
    | dict.fromkeys((C.LOCATION_PRECISE, C.VEHICLE, C.SPECIAL_CATEGORY), R)
)
SPECIAL = {"special_category": True, "category": "care.confused_behaviour"}
VITAL = {**SPECIAL, "purpose": "vital_interest", "urgency": "immediate"}
CARE = {"purpose": "care_coordination", "category": "nuisance.youth"}
CRIME = {"purpose": "criminal_investigation"}
VITAL_OUTCOMES = dict.fromkeys((C.PERSON_NATIONAL_ID, C.PERSON_DOCUMENT), R) | {
    C.PERSON_IDENTITY: S,
    C.SPECIAL_CATEGORY: S,
}
VITAL_TO_GEM = POLICE_TO_GEM | {C.SPECIAL_CATEGORY: S}
# be-pol-liege's signals, replied to or forwarded by nl-pol-limburg
H2_FROM_LIEGE = Forwarded("f1", "H2", "be-pol-liege", ("nl-pol-limburg", "nl-gem-maastricht"))
H1_FROM_LIEGE = Forwarded("f1", "H1", "be-pol-liege", ("nl-pol-limburg",))
NOT_THE_ANSWERED = "^forwarded must be the signal named by in_reply_to, and only that$"


def exchange(
    sender: str, recipient: str, forwarded: Forwarded | None = None, **codes: Any
) -> Exchange:
    signal = {"purpose": "prevention", "urgency": "routine", "handling_code": "H0"}
    signal |= {"category": "undermining.drug_waste", "special_category": False} | codes
    return Exchange(PARTNERS[sender], PARTNERS[recipient], forwarded=forwarded, **signal)


def case(
    route: str,
    verdict: str,
    rules: str,
    outcomes: dict[DataClass, Outcome],
    *,
    forwarded: Forwarded | None = None,
    **codes: Any,
) -> Any:
    """One row: ``route`` is "sender recipient"; ``rules`` the fired ids, space-separated."""
    sender, recipient = route.split()
    ex = exchange(sender, recipient, forwarded, **codes)
    given = [f"{k}={v}" for k, v in codes.items()]
    if forwarded is not None:
        given.append(f"forwards {forwarded.handling_code} of {forwarded.sender_id}")
    name = f"{sender} -> {recipient}" + (f" ({', '.join(given)})" if given else "")
    return pytest.param(ex, verdict, outcomes, tuple(rules.split()), id=name)


# fmt: off
REFERENCE_CASES = [
    # 0: the same country shares everything, special-category data included
    case("nl-pol-limburg nl-gem-maastricht", "deliver", "0", ALL),
    case("de-pol-aachen de-stadt-aachen", "deliver", "0", ALL, **SPECIAL),
    # 1: special categories do not cross a border ...
    case("nl-pol-limburg de-pol-aachen", "deny", "1 2 2a", NONE, **SPECIAL),
    case("nl-pol-limburg de-pol-aachen", "deny", "1 2 2a", NONE, **VITAL | {"urgency": "urgent"}),
    # 1a: ... unless a person's vital interests need it now: reviewed, no numbers
    case("nl-pol-limburg de-pol-aachen", "review", "1a 2 2a", VITAL_OUTCOMES, **VITAL),
    case("nl-gem-maastricht be-pol-liege", "deny", "1a 5", NONE, **VITAL),
    case("be-pol-liege nl-gem-maastricht", "review", "1a 3", VITAL_TO_GEM, **VITAL),
    # 2, 2a: law enforcement shares all; national numbers pseudonymised outside investigations
    case("be-pol-liege de-zoll-aachen", "deliver", "2 2a", LAW_ENFORCEMENT),
    case("de-zoll-aachen nl-pol-limburg", "deliver", "2", ALL, **CRIME),
    # 3: police to a foreign municipality: facts, organisations, location; text held
    case("de-pol-aachen nl-gem-maastricht", "review", "3", POLICE_TO_GEM),
    # 4: municipality to a foreign municipality or expertise centre: location generalised
    case("be-gem-eupen de-stadt-aachen", "review", "4", ADMINISTRATIVE),
    case("de-stadt-aachen nl-riec-limburg", "review", "4", ADMINISTRATIVE),
    # 5: municipality to foreign police: route through your national police
    case("de-stadt-aachen nl-pol-limburg", "deny", "5", NONE),
    # 6: tax and labour inspection to any foreign partner: persons pseudonymised
    case("nl-bd-limburg be-pol-liege", "review", "6", INSPECTION),
    case("be-cls-liege de-stadt-aachen", "review", "6", INSPECTION),
    # 7: expertise centres: as 4, with person_identity pseudonymised
    case("nl-riec-limburg be-ariec-limburg", "review", "7", EXPERTISE),
    # 8: H2 is not passed on to a third partner, at home or abroad
    case("nl-pol-limburg de-pol-aachen", "deny", "2 2a 8", NONE, forwarded=H2_FROM_LIEGE),
    case("nl-pol-limburg nl-riec-limburg", "deny", "0 8", NONE, forwarded=H2_FROM_LIEGE),
    case("nl-pol-limburg be-pol-liege", "deliver", "2", ALL, forwarded=H2_FROM_LIEGE, **CRIME),
    case("nl-pol-limburg nl-gem-maastricht", "deliver", "0", ALL, forwarded=H2_FROM_LIEGE),
    case("nl-pol-limburg de-pol-aachen", "deliver", "2", ALL, forwarded=H1_FROM_LIEGE, **CRIME),
    # 9: care coordination only to a safety house or municipality at home
    case("nl-pol-limburg nl-zvh-maastricht", "deliver", "0", ALL, **CARE),
    case("nl-pol-limburg nl-gem-maastricht", "deliver", "0", ALL, **CARE),
    case("nl-gem-maastricht nl-pol-limburg", "deny", "0 9", NONE, **CARE),
    case("be-gem-eupen nl-gem-maastricht", "deny", "4 9", NONE, **CARE),
    # 10: nothing allows it
    case("nl-riec-limburg be-gem-eupen", "deny", "10", NONE),
    case("de-zoll-aachen be-gem-eupen", "deny", "10", NONE),
]
# fmt: on


@pytest.mark.parametrize(("ex", "verdict", "outcomes", "rules"), REFERENCE_CASES)
def test_reference_rule(
    ex: Exchange, verdict: str, outcomes: dict[DataClass, Outcome], rules: tuple[str, ...]
) -> None:
    decision = decide_exchange(ex, POLICY)
    assert decision.verdict == verdict
    assert {c: decision.outcome(c) for c in outcomes} == outcomes
    assert decision.rule_ids == rules


def test_rule_5_tells_the_municipality_to_route_through_its_police() -> None:
    [rule] = decide_exchange(exchange("be-gem-eupen", "nl-pol-limburg"), POLICY).rules
    assert "national police" in rule.reason["en"]
    assert "police nationale" in rule.reason["fr"]
    assert "nationale politie" in rule.reason["nl"]
    assert "nationale Polizei" in rule.reason["de"]


def test_every_fired_rule_carries_its_texts_in_four_languages() -> None:
    policy = load_policy(REFERENCE)
    texts = {
        rule.id: (dict(rule.reason.by_language()), dict(rule.legal_basis.by_language()))
        for rule in (*policy.rules, policy.default)
    }
    for row in REFERENCE_CASES:
        for rule in decide_exchange(row.values[0], policy).rules:
            assert set(rule.reason) == set(rule.legal_basis) == {"nl", "fr", "de", "en"}
            assert (dict(rule.reason), dict(rule.legal_basis)) == texts[rule.id]
            assert rule.reason != rule.legal_basis


def test_decide_reads_a_real_signal_and_records_the_policy() -> None:
    document = json.loads((EXAMPLES / "nl-care-vulnerable-youth-maastricht.json").read_bytes())
    signal = validate_signal(document, now=datetime(2026, 11, 25, tzinfo=UTC))
    police = PARTNERS["nl-pol-limburg"]
    home = decide(signal, police, PARTNERS["nl-gem-maastricht"], POLICY)
    abroad = decide(signal, police, PARTNERS["be-gem-eupen"], POLICY)
    assert (home.verdict, home.rule_ids) == ("deliver", ("0",))
    assert (abroad.verdict, abroad.rule_ids) == ("deny", ("1", "3", "9"))
    assert home.policy_digest == hashlib.sha256(REFERENCE.read_bytes()).hexdigest()
    assert (home.recipient_id, abroad.recipient_id) == ("nl-gem-maastricht", "be-gem-eupen")
    with pytest.raises(ValueError, match=NOT_THE_ANSWERED):
        decide(signal, police, PARTNERS["be-gem-eupen"], POLICY, forwarded=H2_FROM_LIEGE)


def test_an_exchange_with_codes_outside_the_code_lists_is_refused_naming_each() -> None:
    """Validation keeps such codes out; deciding on one would match no rule on it."""
    unknown = exchange("nl-pol-limburg", "be-pol-liege", purpose="gossip", category="x.y")
    refusal = "^not in the code lists: purpose 'gossip', category 'x.y'$"
    with pytest.raises(ValueError, match=refusal):
        decide_exchange(unknown, POLICY)


@pytest.mark.parametrize(
    ("verdict", "free_text", "decided"),
    [("deliver", "hold", "review"), ("deliver", "share", "deliver"), ("review", "hold", "review")],
)
def test_held_free_text_turns_deliver_into_review(
    verdict: str, free_text: str, decided: str
) -> None:
    outcomes = {"*": "share", "free_text": free_text}
    rule = {"id": "r0", "title": "t", "match": {}, "verdict": verdict, "outcomes": outcomes}
    policy = parse_policy(policy_text([rule | {"reason": TEXTS, "legal_basis": TEXTS}]))
    decision = decide_exchange(exchange("nl-pol-limburg", "be-pol-liege"), policy)
    assert (decision.verdict, decision.outcome(DataClass.FREE_TEXT)) == (
        Verdict(decided),
        Outcome(free_text),
    )


def test_a_reply_is_decided_with_the_signal_it_answers_and_never_without() -> None:
    """Rule 8 looks at the answered signal's handling code: deciding a reply without it, or
    with another signal, would let an H2 signal be passed on unseen."""
    document = json.loads((EXAMPLES / "nl-drug-waste-maastricht.json").read_bytes())
    document["in_reply_to"] = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
    document["purpose"] = "prevention"
    reply = validate_signal(document, now=datetime(2026, 11, 25, tzinfo=UTC))
    answered = Forwarded(reply.in_reply_to or "", "H2", "be-pol-liege", ("nl-pol-limburg",))
    police, aachen = PARTNERS["nl-pol-limburg"], PARTNERS["de-pol-aachen"]

    decision = decide(reply, police, aachen, POLICY, forwarded=answered)

    assert (decision.verdict, decision.rule_ids[-1]) == ("deny", "8")
    passed_on = Forwarded(answered.signal_id, "H1", "be-pol-liege", ("nl-pol-limburg",))
    assert "8" not in decide(reply, police, aachen, POLICY, forwarded=passed_on).rule_ids
    another = Forwarded("0193a1b2-0000-7000-8000-000000000000", "H0", "be-pol-liege", ())
    for wrong in (None, another):
        with pytest.raises(ValueError, match=NOT_THE_ANSWERED):
            decide(reply, police, aachen, POLICY, forwarded=wrong)


def test_the_format_covers_every_language_and_data_class() -> None:
    assert set(Texts.model_fields) == {"nl", "fr", "de", "en"}
    assert {f.alias or n for n, f in Outcomes.model_fields.items()} == {*DataClass, EVERY_CLASS}
    assert allowed_outcomes(C.FREE_TEXT) == {S, H, R}
    assert allowed_outcomes(C.PERSON_IDENTITY) == {S, G, P, R}


# --- properties, against an oracle written from the semantics alone ----------------------

TEXTS = dict.fromkeys(("nl", "fr", "de", "en"), "t")
DEFAULT = {"id": "10", "title": "default", "reason": TEXTS, "legal_basis": TEXTS}
CATEGORIES = codelists.codes("category")
HANDLING = codelists.codes("handling_code")
PATTERNS = ("care.*", "undermining.*", "*.drug*", *CATEGORIES[:4])


def some(values: tuple[str, ...], most: int) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(values), min_size=1, max_size=most, unique=True)


VALUES: dict[str, st.SearchStrategy[Any]] = {
    "border": st.sampled_from(["cross", "same"]),
    "special_category": st.booleans(),
    "sender_country": some(COUNTRIES, 2),
    "recipient_country": some(COUNTRIES, 2),
    "sender_agency_type": some(AGENCY_TYPES, 5),
    "recipient_agency_type": some(AGENCY_TYPES, 5),
    "purpose": some(codelists.codes("purpose"), 4),
    "urgency": st.sampled_from(codelists.codes("urgency")),
    "handling_code": some(HANDLING, 3),
    "category": some(PATTERNS, 2),
    "forwards_handling_code": st.sampled_from(HANDLING),
}


def toml(value: Any) -> str:
    """Enough TOML for test policies: strings, booleans, lists and inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml(v)}" for k, v in value.items()) + "}"


def policy_text(rules: list[dict[str, Any]], default: dict[str, Any] = DEFAULT) -> bytes:
    lines = ["version = 1", f"default = {toml(default)}"]
    for rule in rules:
        lines += ["[[rule]]", *(f"{key} = {toml(value)}" for key, value in rule.items())]
    return "\n".join(lines).encode()


def conditions(draw: st.DrawFn, most: int) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(sorted(VALUES)), max_size=most, unique=True))
    return {name: draw(VALUES[name]) for name in names}


def outcomes(draw: st.DrawFn) -> dict[str, str]:
    classes = draw(st.lists(st.sampled_from([EVERY_CLASS, *DataClass]), unique=True))
    return {
        str(c): draw(st.sampled_from(sorted({S, R} if c == EVERY_CLASS else allowed_outcomes(c))))
        for c in classes
    }


@st.composite
def random_rules(draw: st.DrawFn) -> list[dict[str, Any]]:
    """2 to 5 rules, each with a few conditions, perhaps an unless, a verdict, outcomes."""
    drawn = []
    for index in range(draw(st.integers(2, 5))):
        rule: dict[str, Any] = {"id": f"r{index}", "title": "t", "match": conditions(draw, 2)}
        if draw(st.booleans()):
            rule["unless"] = conditions(draw, 2) or {"urgency": "immediate"}
        if draw(st.booleans()):
            rule["verdict"] = str(draw(st.sampled_from(list(Verdict))))
        rule["outcomes"] = outcomes(draw)
        drawn.append(rule | {"reason": TEXTS, "legal_basis": TEXTS})
    return drawn


@st.composite
def partners(draw: st.DrawFn) -> Partner:
    country, agency = draw(st.sampled_from(COUNTRIES)), draw(st.sampled_from(AGENCY_TYPES))
    slug = f"{country.lower()}-{agency.replace('_', '')}-{draw(st.integers(1, 3))}"
    return Partner(slug, slug, country, agency, ("en",))


@st.composite
def forwarded(draw: st.DrawFn, sender: Partner, recipient: Partner) -> Forwarded:
    """A signal replied to: sometimes by or to this recipient, sometimes to a third."""
    to = draw(st.lists(st.sampled_from([recipient.id, sender.id, "be-pol-9"]), max_size=2))
    by = draw(st.sampled_from([recipient.id, "de-pol-9"]))
    return Forwarded("f1", draw(st.sampled_from(HANDLING)), by, tuple(to))


@st.composite
def exchanges(draw: st.DrawFn) -> Exchange:
    """Exchanges a valid signal can make (every ``care.*`` category is special)."""
    sender, recipient = draw(partners()), draw(partners())
    category = draw(st.sampled_from(CATEGORIES))
    return Exchange(
        sender,
        recipient,
        purpose=draw(st.sampled_from(codelists.codes("purpose"))),
        urgency=draw(st.sampled_from(codelists.codes("urgency"))),
        handling_code=draw(st.sampled_from(HANDLING)),
        category=category,
        special_category=category.startswith("care.") or draw(st.booleans()),
        forwarded=draw(st.none() | forwarded(sender, recipient)),
    )


def value(ex: Exchange, name: str) -> object:
    if name == "forwards_handling_code":
        f = ex.forwarded
        third = f is not None and ex.recipient.id not in (f.sender_id, *f.recipient_ids)
        return f.handling_code if f is not None and third else None
    if name == "border":
        return "cross" if ex.cross_border else "same"
    if name.startswith(("sender_", "recipient_")):
        party, attribute = name.split("_", 1)
        return getattr(getattr(ex, party), attribute)
    return getattr(ex, name)


def holds(condition: dict[str, Any], ex: Exchange) -> bool:
    def one(name: str, wanted: Any) -> bool:
        wanted = wanted if isinstance(wanted, list) else [wanted]
        if name == "category":
            return any(fnmatchcase(ex.category, pattern) for pattern in wanted)
        return value(ex, name) in wanted

    return all(one(name, wanted) for name, wanted in condition.items())


def fired(rules: list[dict[str, Any]], ex: Exchange) -> list[dict[str, Any]]:
    return [
        r for r in rules if holds(r["match"], ex) and not ("unless" in r and holds(r["unless"], ex))
    ]


def expected(rules: list[dict[str, Any]], ex: Exchange) -> tuple[Verdict, dict[C, Outcome]]:
    """The semantics as written: restrictive wins, default deny, deny redacts, hold reviews,
    and whatever is delivered carries its operational data."""
    firing = fired(rules, ex)
    verdicts = [Verdict(r["verdict"]) for r in firing if "verdict" in r]
    verdict = max(verdicts, key=lambda v: v.rank, default=Verdict.DENY)
    result = {}
    for c in DataClass:
        said = [r["outcomes"].get(c, r["outcomes"].get(EVERY_CLASS)) for r in firing]
        stated = [Outcome(o) for o in said if o is not None]
        strictest = max(stated, key=lambda o: o.rank, default=R)
        result[c] = R if verdict is Verdict.DENY else strictest
    if verdict is not Verdict.DENY:
        result[DataClass.OPERATIONAL] = S  # a delivered message always carries its operational data
    if verdict is Verdict.DELIVER and H in result.values():
        verdict = Verdict.REVIEW
    return verdict, result


def decided(policy: Policy, ex: Exchange) -> tuple[Verdict, dict[C, Outcome]]:
    decision = decide_exchange(ex, policy)
    return decision.verdict, dict(decision.outcomes)


@settings(max_examples=150, deadline=None)
@given(random_rules(), st.lists(exchanges(), min_size=1, max_size=8), st.randoms())
def test_restrictive_wins_whatever_the_order(
    rules: list[dict[str, Any]], cases: list[Exchange], rng: random.Random
) -> None:
    shuffled = rng.sample(rules, len(rules))
    policy, reordered = parse_policy(policy_text(rules)), parse_policy(policy_text(shuffled))
    for ex in cases:
        assert decided(policy, ex) == decided(reordered, ex) == expected(rules, ex)
        fired_ids = {r["id"] for r in fired(rules, ex)}
        assert set(decide_exchange(ex, reordered).rule_ids) - {"10"} == fired_ids


@settings(max_examples=150, deadline=None)
@given(random_rules(), st.lists(exchanges(), min_size=1, max_size=8))
def test_what_holds_for_every_decision(rules: list[dict[str, Any]], cases: list[Exchange]) -> None:
    text = policy_text(rules)
    policy = parse_policy(text)
    for ex in cases:
        decision = decide_exchange(ex, policy)
        if not any("verdict" in r for r in fired(rules, ex)):
            assert (decision.verdict, decision.rule_ids[-1]) == (Verdict.DENY, "10")
        if decision.verdict is Verdict.DENY:
            assert set(decision.outcomes.values()) == {R}
        if H in decision.outcomes.values():
            assert decision.verdict is not Verdict.DELIVER
        assert decision.policy_digest == hashlib.sha256(text).hexdigest()


@settings(max_examples=300, deadline=None)
@given(exchanges())
def test_what_holds_for_every_reference_decision(ex: Exchange) -> None:
    """Default deny; deny redacts; hold reviews; a special signal goes whole or not at all."""
    decision = decide_exchange(ex, POLICY)
    with_verdict = {r.id for r in POLICY.rules if r.verdict is not None}
    assert (decision.rule_ids[-1] == "10") == with_verdict.isdisjoint(decision.rule_ids)
    if decision.verdict is Verdict.DENY:
        assert set(decision.outcomes.values()) == {R}
    if H in decision.outcomes.values():
        assert decision.verdict is Verdict.REVIEW
    if ex.special_category and decision.verdict is not Verdict.DENY:  # it is the whole signal
        assert decision.outcome(DataClass.SPECIAL_CATEGORY) is S


# --- loading: every problem, with its rule and line ------------------------------------------

RULE = """\
version = 1

[default]
id = "10"
title = "Default deny"
reason = {nl = "n", fr = "f", de = "d", en = "e"}
legal_basis = {nl = "n", fr = "f", de = "d", en = "e"}

[[rule]]
id = "x"
title = "A rule"
verdict = "deliver"
reason = {nl = "n", fr = "f", de = "d", en = "e"}
legal_basis = {nl = "n", fr = "f", de = "d", en = "e"}

[rule.match]
border = "cross"
MATCH

[rule.outcomes]
operational = "share"
OUTCOMES
"""


def problems(match: str = "", outcomes: str = "", text: str = RULE) -> list[tuple[int | None, str]]:
    source = text.replace("MATCH", match).replace("OUTCOMES", outcomes).encode()
    with pytest.raises(PolicyError) as caught:
        parse_policy(source, source="test.toml")
    assert "test.toml" in str(caught.value)
    return [(p.line, f"{p.location}: {p.message}") for p in caught.value.problems]


def test_the_reference_loads_with_the_digest_of_its_bytes() -> None:
    assert POLICY.digest == hashlib.sha256(REFERENCE.read_bytes()).hexdigest()
    assert [r.id for r in POLICY.rules] == [
        "0",
        "1",
        "1a",
        "2",
        "2a",
        "3",
        "4",
        "5",
        "6",
        "7",
        "8",
        "9",
    ]
    assert POLICY.default.id == "10"
    assert parse_policy(RULE.replace("MATCH", "").replace("OUTCOMES", "").encode())


def test_a_syntax_error_gives_its_line_and_column() -> None:
    [(line, problem)] = problems(match='purpose = "prevention\nurgency = "routine"')
    assert line == 18
    assert problem.startswith("syntax: ")
    assert "column" in problem


def test_unknown_codes_are_each_reported_with_their_rule_and_line() -> None:
    found = problems(
        match='sender_agency_type = "polis"\nrecipient_country = ["BE", "FR"]\ncategory = "car.*"',
        outcomes='person_idnetity = "redact"',
    )
    assert found == [
        (18, 'rule[0] (id "x").match.sender_agency_type[0]: unknown agency type "polis" '
         "(expected one of " + ", ".join(AGENCY_TYPES) + ")"),
        (19, 'rule[0] (id "x").match.recipient_country[1]: unknown country "FR" '
         "(expected one of NL, BE, DE)"),
        (20, 'rule[0] (id "x").match.category[0]: category pattern "car.*" matches no category'),
        (24, 'rule[0] (id "x").outcomes.person_idnetity: unknown data class'),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("match", "message"),
    [
        ('purpose = "fun"', 'match.purpose[0]: unknown purpose "fun"'),
        ('urgency = ["routine", "now"]', 'match.urgency[1]: unknown urgency "now"'),
        ('forwards_handling_code = "H9"', "match.forwards_handling_code[0]: unknown handling"),
        ("special_category = 1", "match.special_category: Input should be a valid boolean"),
        ('colour = "red"', "match.colour: unknown attribute"),
        ('verdict = "deny"', "match.verdict: unknown attribute"),  # written below [rule.match]
    ],
)
def test_each_mistake_in_a_match_is_named(match: str, message: str) -> None:
    [(line, problem)] = problems(match=match)
    assert line == 18
    assert problem.startswith(f'rule[0] (id "x").{message}')


@pytest.mark.parametrize(
    ("outcome", "allowed"),
    [
        ('vehicle = "hold"', "share, pseudonymise, redact"),
        ('financial = "generalise"', "share, pseudonymise, redact"),
        ('free_text = "pseudonymise"', "share, hold, redact"),
        ('free_text = "generalise"', "share, hold, redact"),
        ('location_precise = "pseudonymise"', "share, generalise, redact"),
        ('special_category = "pseudonymise"', "share, redact"),
        ('indicator = "pseudonymise"', "share, redact"),
        ('indicator = "generalise"', "share, redact"),
        ('"*" = "pseudonymise"', "share, redact"),
    ],
)
def test_outcomes_a_class_cannot_have_are_refused(outcome: str, allowed: str) -> None:
    [(line, problem)] = problems(outcomes=outcome)
    assert line == 22
    assert problem.endswith(f"; it can be {allowed}")


def test_duplicate_ids_and_missing_translations_are_all_reported() -> None:
    second = RULE.split("[[rule]]")[1].replace('id = "x"', 'id = "10"')
    third = second.replace('id = "10"', 'id = "x"').replace('fr = "f", ', "", 1)
    found = problems(text=RULE + "[[rule]]" + second + "[[rule]]" + third)
    assert found == [
        (24, 'rule[1] (id "10").id: duplicate id "10": the default has it too'),
        (38, 'rule[2] (id "x").id: duplicate id "x": rule[0] has it too'),
        (41, 'rule[2] (id "x").reason.fr: missing translation'),
    ]


def test_an_empty_unless_and_bytes_that_are_not_utf8_are_refused() -> None:
    [(line, problem)] = problems(text=RULE + "[rule.unless]\n")
    assert (line, problem) == (23, 'rule[0] (id "x").unless: ' + EMPTY_UNLESS)
    with pytest.raises(PolicyError) as caught:
        parse_policy(b"version = 1\n# caf\xe9\n")
    assert [(p.line, p.location) for p in caught.value.problems] == [(2, "file")]


BARE = RULE.replace("MATCH", "").replace("OUTCOMES", "")
SECOND = BARE.split("[[rule]]")[1].replace('id = "x"', 'id = "10"')
PURPOSES = ", ".join(codelists.codes("purpose"))


@pytest.mark.parametrize(
    ("text", "listed"),
    [
        pytest.param("", ["version: missing", "default: missing"], id="empty"),
        pytest.param(
            BARE.replace("version = 1\n\n[default]\n", "[default]\nversion = 1\n"),
            ["line 2: default.version: unknown key", "version: missing"],
            id="version-under-the-default",
        ),
        pytest.param(
            "colour = 1\n" + BARE, ["line 1: colour: unknown key"], id="unknown-top-level-key"
        ),
        pytest.param(
            "colour = 1\n" + BARE.replace("version = 1\n", ""),
            ["line 1: colour: unknown key", "version: missing"],
            id="lines-first-then-the-problems-without-one",
        ),
        pytest.param(
            BARE.replace('id = "x"', "id = 5") + ("[[rule]]" + SECOND.replace('"10"', '"y"')) * 2,
            [
                "line 10: rule[0].id: Input should be a valid string",
                'line 38: rule[2] (id "y").id: duplicate id "y": rule[1] has it too',
            ],
            id="a-duplicate-after-an-id-that-is-no-text",
        ),
        pytest.param(
            "a = ", ["syntax: Invalid value (at end of document)"], id="syntax-at-the-end"
        ),
        pytest.param(
            b"version = 1\n# caf\xe9\n", ["line 2: file: not UTF-8 (byte 17)"], id="latin-1"
        ),
        pytest.param(
            "default = 3\n",
            [
                "line 1: default: Input should be a valid dictionary or instance of DefaultRule",
                "version: missing",
            ],
            id="default-not-a-table",
        ),
        pytest.param(
            "version = 1\nrule = 3\n",
            ["default: missing", "rule: Input should be a valid tuple"],
            id="rules-not-a-list",
        ),
        pytest.param(
            "version = 1\nrule = [3]\n",
            ["default: missing", "rule[0]: Input should be a valid dictionary or instance of Rule"],
            id="rule-not-a-table",
        ),
        pytest.param(
            BARE.replace('en = "e"}\n\n[[rule]]', 'en = "e", pl = "p"}\n\n[[rule]]'),
            [
                "line 7: default.legal_basis.pl: "
                "unknown language (the languages are nl, fr, de, en)"
            ],
            id="unknown-language",
        ),
        pytest.param(
            BARE.replace('title = "A rule"\n', "").replace('id = "x"', "id = 5"),
            [
                "line 9: rule[0].title: missing",
                "line 10: rule[0].id: Input should be a valid string",
            ],
            id="rule-without-title-or-text-id",
        ),
        pytest.param(
            BARE.replace("[rule.match]", '[ rule . "match" ]').replace(
                'border = "cross"', 'border = "cross"\n# purpose = "x" # old\npurpose = "fun"'
            ),
            [f'line 19: rule[0] (id "x").match.purpose[0]: unknown purpose "fun" '
             f"(expected one of {PURPOSES})"],
            id="spaced-quoted-header-and-a-comment",
        ),
        pytest.param(
            BARE.replace("[rule.match]", "['rule'.'match']").replace(
                'border = "cross"', 'border = "cross"\npurpose = "fun"'
            ),
            [f'line 18: rule[0] (id "x").match.purpose[0]: unknown purpose "fun" '
             f"(expected one of {PURPOSES})"],
            id="single-quoted-header",
        ),
        pytest.param(
            BARE.replace("[[rule]]", '[[note]]\ntext = "n"\n\n[[rule]]').replace(
                'border = "cross"', 'border = "cross"\npurpose = "fun"'
            ),
            [
                "line 9: note: unknown key",
                f'line 21: rule[0] (id "x").match.purpose[0]: unknown purpose "fun" '
                f"(expected one of {PURPOSES})",
            ],
            id="another-array-of-tables-first",
        ),
    ],
)  # fmt: skip
def test_a_refusal_names_the_file_and_lists_each_problem_with_its_line_when_known(
    text: str | bytes, listed: list[str]
) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text if isinstance(text, bytes) else text.encode(), source="test.toml")
    assert caught.value.source == "test.toml"
    assert str(caught.value).splitlines() == [
        f"test.toml: {len(listed)} problem(s) in the policy",
        *(f"  {problem}" for problem in listed),
    ]


def test_a_policy_file_is_loaded_under_its_path(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(BARE, encoding="utf-8")
    policy = load_policy(path)
    assert (policy.source, policy.digest) == (str(path), hashlib.sha256(BARE.encode()).hexdigest())
    assert parse_policy(BARE.encode()).source == "<policy>"
    assert policy.default.id == "10"
    path.write_text("colour = 1\n" + BARE, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert caught.value.source == str(path)
    assert str(caught.value).startswith(f"{path}: 1 problem(s) in the policy\n")


EMPTY_UNLESS = "an empty unless always holds, so the rule would never fire"
