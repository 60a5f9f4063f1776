"""``euregate policy``: check a policy file, explain a signal's decisions, reload, show."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

from gateway.decide import sharing
from gateway.decide.decision import LABELS, DataClass, Decision, Verdict
from gateway.decide.policy import PolicyError, check_policy, parse_policy
from gateway.edges.cli.common import Subparsers, add_data_dir, layout, open_store, print_table
from gateway.edges.problems import problem_document
from gateway.flow.intake import Checked, check_signal, examine
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.infra.datafiles import load_master_key
from gateway.infra.errors import ClientError, RegistryError
from gateway.infra.i18n import negotiate, translate
from gateway.minimise import PSEUDONYM_SECRET, apply, pseudonym_key

RELOAD_WAIT_SECONDS = 10.0


def register(commands: Subparsers) -> None:
    group = commands.add_parser("policy", help="the sharing policy").add_subparsers(
        dest="policy_command", required=True, metavar="ACTION"
    )
    check = group.add_parser("check", help="check a policy file: syntax, names, dead rules")
    check.add_argument("file", type=Path, metavar="FILE")
    check.set_defaults(handler=run_check)

    explain = group.add_parser("explain", help="what each recipient would get of a signal, and why")
    add_data_dir(explain)
    explain.add_argument("file", type=Path, metavar="SIGNAL_FILE")
    explain.add_argument("--as", dest="partner", required=True, metavar="SENDER")
    explain.add_argument(
        "--policy", type=Path, help="a policy file (default: the data directory's)"
    )
    explain.add_argument("--lang", choices=("nl", "fr", "de", "en"), help="language of the texts")
    explain.add_argument("--json", action="store_true", help="machine-readable output")
    explain.add_argument(
        "--views", action="store_true", help="also print what each recipient would see"
    )
    explain.set_defaults(handler=run_explain)

    reload = group.add_parser("reload", help="make the running gateway re-read its policy")
    add_data_dir(reload)
    reload.set_defaults(handler=run_reload)

    show = group.add_parser("show", help="the policy in force: file and digest")
    add_data_dir(show)
    show.set_defaults(handler=run_show)


async def run_check(args: argparse.Namespace) -> int:
    try:
        policy = parse_policy(args.file.read_bytes(), source=str(args.file))
    except OSError as error:
        print(f"euregate policy check: {error}", file=sys.stderr)
        return 2
    except PolicyError as error:
        for problem in error.problems:
            print(f"{args.file}: error: {problem}")
        return 1
    findings = check_policy(policy)
    for finding in findings:
        print(f"{args.file}: {finding.severity}: rule {finding.rule_id}: {finding.message}")
    errors = sum(1 for finding in findings if finding.severity == "error")
    warnings = len(findings) - errors
    print(
        f"{args.file}: {len(policy.rules)} rules, {errors} error(s), {warnings} warning(s); "
        f"sha256 {policy.digest}"
    )
    return 1 if errors else 0


async def run_explain(args: argparse.Namespace) -> int:
    data = layout(args)
    language = args.lang or negotiate(os.environ.get("LANGUAGE") or os.environ.get("LANG", "")[:2])
    try:
        policy, _ = sharing.read_checked(args.policy or data.policy)
    except sharing.PolicyRefused as refusal:
        print(f"euregate policy explain: the policy cannot be used: {refusal}", file=sys.stderr)
        return 2
    async with open_store(args) as store:
        registry = await store.partners()
        sender = next((p for p in registry if p.id == args.partner), None)
        if sender is None:
            raise RegistryError("no partner {id}", id=args.partner)
        try:
            checked = await check_signal(
                examine(args.file.read_bytes(), SystemClock().now()),
                sender=sender,
                registry=registry,
                policy=policy,
                forwarded=store.forwarded,
            )
        except ClientError as error:
            document = problem_document(error, language=language)
            print(json.dumps(document, indent=2, ensure_ascii=False))
            return 1
    views = recipient_views(checked, data) if args.views else {}
    if args.json:
        output: dict[str, object] = {
            "policy_sha256": policy.digest,
            "decisions": [d.as_json() for d in checked.decisions],
        }
        if args.views:
            output["views"] = views
        print(json.dumps(output, indent=2, ensure_ascii=False))
        return 0
    print(f"policy sha256 {policy.digest}")
    by_id = {partner.id: partner for partner in registry}
    for decision in checked.decisions:
        recipient = by_id[decision.recipient_id]
        print()
        print(
            f"{recipient.id} ({recipient.agency_type}, {recipient.country}): "
            f"{translate(LABELS[decision.verdict], language)}"
        )
        if decision.verdict is not Verdict.DENY:
            _print_outcomes(decision, language)
        for rule in decision.rules:
            print(f"  rule {rule.id}: {rule.reason.get(language, rule.reason.get('en', ''))}")
            print(f"    {rule.legal_basis.get(language, rule.legal_basis.get('en', ''))}")
        if decision.recipient_id in views:
            print(json.dumps(views[decision.recipient_id], indent=2, ensure_ascii=False))
    if not checked.decisions:
        print("no recipients")
    return 0


def recipient_views(checked: Checked, data: DataDir) -> dict[str, object]:
    """What each recipient that is not denied would see of the signal (before translation)."""
    secret = load_master_key(data).derive(PSEUDONYM_SECRET)
    views: dict[str, object] = {}
    for decision in checked.decisions:
        if decision.verdict is Verdict.DENY:
            continue
        view = apply(
            checked.signal, decision, pseudonym_key=pseudonym_key(secret, decision.recipient_id)
        )
        views[decision.recipient_id] = {
            "document": view.document,
            "withheld": [str(c) for c in view.withheld],
            "held": list(view.held),
        }
    return views


def _print_outcomes(decision: Decision, language: str) -> None:
    rows = [
        (f"  {translate(LABELS[c], language)}", translate(LABELS[decision.outcome(c)], language))
        for c in DataClass
    ]
    print_table(("", ""), rows)


async def run_reload(args: argparse.Namespace) -> int:
    data = layout(args)
    try:
        pid = int(data.pid_file.read_text().strip())
    except (OSError, ValueError):
        print(
            f"euregate policy reload: no running gateway found ({data.pid_file})", file=sys.stderr
        )
        return 2
    try:
        wanted, _ = sharing.read_checked(data.policy)
    except sharing.PolicyRefused as refusal:
        os.kill(pid, signal.SIGHUP)
        print("the policy file is refused; the policy in force stays:")
        for problem in refusal.problems:
            print(f"  {problem}")
        return 1
    os.kill(pid, signal.SIGHUP)
    async with open_store(args) as store:
        deadline = time.monotonic() + RELOAD_WAIT_SECONDS
        while await store.policy_in_force() != wanted.digest:
            if time.monotonic() > deadline:
                print("the gateway did not confirm the reload in time", file=sys.stderr)
                return 1
            await asyncio.sleep(0.1)
    print(f"policy in force: sha256 {wanted.digest} ({len(wanted.rules)} rules)")
    return 0


async def run_show(args: argparse.Namespace) -> int:
    data = layout(args)
    async with open_store(args) as store:
        digest = await store.policy_in_force()
    print(f"file      {data.policy}")
    print(f"in force  {digest or 'none yet (the gateway adopts the file when it starts)'}")
    return 0
