"""Policy benchmark: decisions per second of the reference policy on the example signals.

Each example signal (``examples/*.json``, validated with ``validate_signal``) is decided
for 2, 9 and 50 recipients with ``gateway.decide.policy.decide``, from the sender that would post
it. The 50 recipients are made from the demo partners by varying their countries and
agency types, so every country and agency type is among them and every kind of rule fires.
After a warm-up, each round times every level for at least ``--seconds`` of wall clock;
the table gives the median over the rounds. Single-threaded, so decisions per second is
also decisions per second of one core (the CPU time is recorded to show it).

Also measured once: loading the reference policy and ``check_policy`` on it.

    .venv/bin/python bench/policy.py            # about 20 seconds
    .venv/bin/python bench/policy.py --quick    # about 3 seconds
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import cycle, product
from typing import Any

from common import REPO, describe_machine, machine_summary, median

from gateway.contract.partners import AGENCY_TYPES, COUNTRIES, DEMO_NETWORK, Partner
from gateway.contract.signal import Signal
from gateway.contract.validate import validate_signal
from gateway.decide.policy import Policy, check_policy, decide, load_policy

REFERENCE = REPO / "deploy" / "policy" / "euregio.toml"
RESULTS = REPO / "bench" / "results"
LEVELS = (2, 9, 50)
VERDICTS = ("deliver", "review", "deny")
GOAL_PER_SECOND = 2000  # "thousands of decisions per second per core"
SENDERS = {  # who would post each example
    "be-cannabis-lanaken.json": "be-pol-lanaken",
    "be-fr-liege-stockage.json": "be-pol-liege",
    "de-shisha-aachen.json": "de-stadt-aachen",
    "nl-care-vulnerable-youth-maastricht.json": "nl-pol-limburg",
    "nl-drug-waste-maastricht.json": "nl-pol-limburg",
}


def signals() -> list[tuple[str, Signal, Partner]]:
    by_id = {partner.id: partner for partner in DEMO_NETWORK}
    now = datetime.now(UTC)
    found = []
    for path in sorted((REPO / "examples").glob("*.json")):
        signal = validate_signal(json.loads(path.read_bytes()), now=now)
        found.append((path.name, signal, by_id[SENDERS[path.name]]))
    return found


def recipients(count: int) -> list[Partner]:
    """``count`` partners: the demo network's, then variations over every country and type."""
    made = list(DEMO_NETWORK)
    kinds = cycle(product(COUNTRIES, AGENCY_TYPES))
    while len(made) < count:
        country, agency = next(kinds)
        template = DEMO_NETWORK[len(made) % len(DEMO_NETWORK)]
        slug = f"{country.lower()}-{agency.replace('_', '')}-{len(made)}"
        made.append(Partner(slug, template.name, country, agency, template.languages))
    return made[:count]


@dataclass
class Round:
    level: int
    decisions: int
    wall_s: float
    cpu_s: float

    @property
    def per_second(self) -> float:
        return self.decisions / self.wall_s

    @property
    def per_cpu_second(self) -> float:
        return self.decisions / self.cpu_s if self.cpu_s else 0.0


def cases(level: int) -> list[tuple[Signal, Partner, list[Partner]]]:
    """Every example with its sender and ``level`` recipients other than the sender."""
    return [
        (signal, sender, [r for r in recipients(level + 1) if r.id != sender.id][:level])
        for _, signal, sender in signals()
    ]


def verdicts(policy: Policy, level: int) -> tuple[dict[str, int], dict[str, int]]:
    """How the decisions of one pass at ``level`` come out, and which rules fire how often."""
    decisions = [
        decide(signal, sender, recipient, policy)
        for signal, sender, chosen in cases(level)
        for recipient in chosen
    ]
    tally = Counter(str(decision.verdict) for decision in decisions)
    rules = Counter(rule for decision in decisions for rule in decision.rule_ids)
    return dict(sorted(tally.items())), dict(sorted(rules.items()))


def time_level(policy: Policy, level: int, seconds: float) -> Round:
    """Decide every example for ``level`` recipients, over and over, for ``seconds``."""
    work = cases(level)
    decisions = 0
    cpu, started = time.process_time(), time.perf_counter()
    while decisions == 0 or time.perf_counter() - started < seconds:  # at least one pass
        for signal, sender, chosen in work:
            for recipient in chosen:
                decide(signal, sender, recipient, policy)
            decisions += len(chosen)
    return Round(level, decisions, time.perf_counter() - started, time.process_time() - cpu)


def once(seconds_per_level: float, rounds: int) -> dict[str, Any]:
    started = time.perf_counter()
    policy = load_policy(REFERENCE)
    load_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    findings = check_policy(policy)
    check_ms = (time.perf_counter() - started) * 1000
    cold = time_level(load_policy(REFERENCE), LEVELS[-1], 0.0)  # one pass, nothing remembered
    for level in LEVELS:  # warm-up: imports, the policy's remembered decisions
        time_level(policy, level, seconds_per_level / 4)
    runs = [time_level(policy, level, seconds_per_level) for _ in range(rounds) for level in LEVELS]
    return {
        "policy": policy,
        "load_ms": load_ms,
        "check_ms": check_ms,
        "findings": [str(f) for f in findings],
        "cold_us_per_decision": cold.wall_s * 1e6 / cold.decisions,
        "runs": runs,
    }


def report(measured: dict[str, Any], machine: dict[str, object], rounds: int) -> dict[str, Any]:
    policy: Policy = measured["policy"]
    print(f"Machine: {machine_summary(machine).removesuffix('; data dir on ?')}")
    print(
        f"Policy {REFERENCE.relative_to(REPO)} (sha256 {policy.digest[:12]}…), "
        f"{len(policy.rules)} rules: load {measured['load_ms']:.1f} ms, "
        f"check {measured['check_ms']:.1f} ms, "
        f"findings: {'; '.join(measured['findings']) or 'none'}."
    )
    print(
        f"First pass at {LEVELS[-1]} recipients, nothing remembered yet: "
        f"{measured['cold_us_per_decision']:.1f} µs per decision.\n"
    )
    print(
        f"| recipients | deliver / review / deny per pass | decisions/s, median of {rounds} "
        "| min | max | µs/decision | µs/signal | decisions/CPU-s |"
    )
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    levels = [_level(policy, level, measured["runs"]) for level in LEVELS]
    slowest = min(level["median_per_second"] for level in levels)
    fired = ", ".join(f"{k} ×{n}" for k, n in levels[-1]["rules_fired_per_pass"].items())
    print(f"\nRules fired per pass at {LEVELS[-1]} recipients: {fired}.")
    met = "met" if slowest >= GOAL_PER_SECOND else "NOT met"
    print(f"Goal ≥ {GOAL_PER_SECOND:,} decisions/s per core: {met} (slowest {slowest:,}/s)")
    return {
        "machine": machine,
        "policy_sha256": policy.digest,
        "load_ms": measured["load_ms"],
        "check_ms": measured["check_ms"],
        "findings": measured["findings"],
        "cold_us_per_decision": measured["cold_us_per_decision"],
        "levels": levels,
        "goal_met": slowest >= GOAL_PER_SECOND,
    }


def _level(policy: Policy, level: int, runs: list[Round]) -> dict[str, Any]:
    """One row of the table, printed, and everything behind it."""
    mine = [run for run in runs if run.level == level]
    rates = [run.per_second for run in mine]
    rate, cpu_rate = median(rates), median([run.per_cpu_second for run in mine])
    mix, rules = verdicts(policy, level)
    cells = [
        str(level),
        " / ".join(str(mix.get(verdict, 0)) for verdict in VERDICTS),
        *(f"{r:,.0f}" for r in (rate, min(rates), max(rates))),
        f"{1e6 / rate:.1f}",
        f"{level * 1e6 / rate:.0f}",
        f"{cpu_rate:,.0f}",
    ]
    print(f"| {' | '.join(cells)} |")
    return {
        "recipients": level,
        "verdicts_per_pass": mix,
        "rules_fired_per_pass": rules,
        "median_per_second": round(rate),
        "median_per_cpu_second": round(cpu_rate),
        "rounds": [vars(run) for run in mine],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0, help="per level and round")
    parser.add_argument("--quick", action="store_true", help="2 rounds of 0.2 s")
    args = parser.parse_args(argv)
    rounds, seconds = (2, 0.2) if args.quick else (args.rounds, args.seconds)
    machine = describe_machine()
    results = report(once(seconds, rounds), machine, rounds)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"policy-{stamp}.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"Written to {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
