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
from typing import Final

from gateway.decide import sharing
from gateway.decide.decision import LABELS, DataClass, Decision, Verdict
from gateway.decide.policy import PolicyError, RetentionTerms, check_policy, parse_policy
from gateway.decide.policy.retention import described, terms_for
from gateway.edges.cli.common import (
    Subparsers,
    add_data_dir,
    code_label,
    layout,
    open_store,
    output_language,
    print_table,
)
from gateway.edges.cli.failures import explained
from gateway.edges.problems import problem_document
from gateway.flow.intake import Checked, check_signal, examine
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.infra.datafiles import load_master_key
from gateway.infra.errors import ClientError, RegistryError
from gateway.infra.i18n import LANGUAGES, N_, translate
from gateway.minimise import PSEUDONYM_SECRET, apply, pseudonym_key

RELOAD_WAIT_SECONDS = 10.0
FILE_ERROR: Final = N_("{file}: error: {problem}")
FINDING: Final = N_("{file}: {severity}: rule {rule}: {message}")
SEVERITIES: Final = {"error": N_("error"), "warning": N_("warning")}
CHECKED: Final = N_(
    "{file}: {rules} rules, {errors} error(s), {warnings} warning(s); sha256 {digest}"
)
UNUSABLE: Final = N_("the policy cannot be used: {reason}")
NO_SENDER: Final = N_("no partner {id}")
POLICY_DIGEST: Final = N_("policy sha256 {digest}")
RULE: Final = N_("  rule {id}: {reason}")
NO_RECIPIENTS: Final = N_("no recipients")
NO_GATEWAY_RUNNING: Final = N_("no running gateway found ({file})")
RELOAD_REFUSED: Final = N_("the policy file is refused; the policy in force stays:")
RELOAD_UNCONFIRMED: Final = N_("the gateway did not confirm the reload in time")
IN_FORCE: Final = N_("policy in force: sha256 {digest} ({rules} rules)")
SHOWN_FILE: Final = N_("file")
SHOWN_IN_FORCE: Final = N_("in force")
NONE_IN_FORCE: Final = N_("none yet (the gateway adopts the file when it starts)")
RETENTION_RULE: Final = N_("retention rule {id}: {title}")
RETENTION_TERMS: Final = N_(
    "  kept at the gateway {keep} days after the last delivery, {review} days while no copy "
    "is delivered; a recipient may keep its copy {recipient} days; an acknowledged envelope "
    "is kept {acknowledged} days"
)
NO_RETENTION: Final = N_("no retention terms: the content is kept until it is erased by hand")


def register(commands: Subparsers) -> None:
    group = commands.add_parser("policy", help=N_("the sharing policy")).add_subparsers(
        dest="policy_command", required=True, metavar="ACTION"
    )
    check = group.add_parser("check", help=N_("check a policy file: syntax, names, dead rules"))
    check.add_argument("file", type=Path, metavar="FILE")
    check.add_argument("--lang", choices=LANGUAGES, help=N_("language of the messages"))
    check.set_defaults(handler=run_check)

    explain = group.add_parser(
        "explain", help=N_("what each recipient would get of a signal, and why")
    )
    add_data_dir(explain)
    explain.add_argument("file", type=Path, metavar="SIGNAL_FILE")
    explain.add_argument("--as", dest="partner", required=True, metavar="SENDER")
    explain.add_argument(
        "--policy", type=Path, help=N_("a policy file (default: the data directory's)")
    )
    explain.add_argument("--json", action="store_true", help=N_("machine-readable output"))
    explain.add_argument(
        "--views", action="store_true", help=N_("also print what each recipient would see")
    )
    explain.set_defaults(handler=run_explain)

    reload = group.add_parser("reload", help=N_("make the running gateway re-read its policy"))
    add_data_dir(reload)
    reload.set_defaults(handler=run_reload)

    show = group.add_parser("show", help=N_("the policy in force: file and digest"))
    add_data_dir(show)
    show.set_defaults(handler=run_show)


async def run_check(args: argparse.Namespace) -> int:
    language = output_language(args)
    try:
        policy = parse_policy(args.file.read_bytes(), source=str(args.file))
    except OSError as error:
        raise explained(error) from error
    except PolicyError as error:
        for problem in error.problems:
            print(translate(FILE_ERROR, language, file=args.file, problem=problem))
        return 1
    findings = check_policy(policy)
    for finding in findings:
        severity = SEVERITIES.get(finding.severity, finding.severity)
        print(
            translate(
                FINDING,
                language,
                file=args.file,
                severity=translate(severity, language),
                rule=finding.rule_id,
                message=finding.message,
            )
        )
    errors = sum(1 for finding in findings if finding.severity == "error")
    warnings = len(findings) - errors
    print(
        translate(
            CHECKED,
            language,
            file=args.file,
            rules=len(policy.rules),
            errors=errors,
            warnings=warnings,
            digest=policy.digest,
        )
    )
    return 1 if errors else 0


async def run_explain(args: argparse.Namespace) -> int:
    data = layout(args)
    language = output_language(args)
    try:
        policy, _ = sharing.read_checked(args.policy or data.policy)
    except sharing.PolicyRefused as refusal:
        said = translate(UNUSABLE, language, reason=refusal)
        print(f"euregate policy explain: {said}", file=sys.stderr)
        return 2
    async with open_store(args) as store:
        registry = await store.partners()
        sender = next((p for p in registry if p.id == args.partner), None)
        if sender is None:
            raise RegistryError(NO_SENDER, id=args.partner)
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
    retention = (
        None if policy.retention is None else terms_for(policy.retention, described(checked.signal))
    )
    if args.json:
        output: dict[str, object] = {
            "policy_sha256": policy.digest,
            "decisions": [d.as_json() for d in checked.decisions],
            "retention": None if retention is None else retention.model_dump(mode="json"),
        }
        if args.views:
            output["views"] = views
        print(json.dumps(output, indent=2, ensure_ascii=False))
        return 0
    print(translate(POLICY_DIGEST, language, digest=policy.digest))
    by_id = {partner.id: partner for partner in registry}
    for decision in checked.decisions:
        recipient = by_id[decision.recipient_id]
        print()
        print(
            f"{recipient.id} ({code_label('agency_type', recipient.agency_type, language)}, "
            f"{code_label('country', recipient.country, language)}): "
            f"{translate(LABELS[decision.verdict], language)}"
        )
        if decision.verdict is not Verdict.DENY:
            _print_outcomes(decision, language)
        for rule in decision.rules:
            reason = rule.reason.get(language, rule.reason.get("en", ""))
            print(translate(RULE, language, id=rule.id, reason=reason))
            print(f"    {rule.legal_basis.get(language, rule.legal_basis.get('en', ''))}")
        if decision.recipient_id in views:
            print(json.dumps(views[decision.recipient_id], indent=2, ensure_ascii=False))
    if not checked.decisions:
        print(translate(NO_RECIPIENTS, language))
    print()
    _print_retention(retention, language)
    return 0


def _print_retention(terms: RetentionTerms | None, language: str) -> None:
    if terms is None:
        print(translate(NO_RETENTION, language))
        return
    print(translate(RETENTION_RULE, language, id=terms.id, title=terms.title))
    print(
        translate(
            RETENTION_TERMS,
            language,
            keep=terms.keep_days,
            review=terms.review_days,
            recipient=terms.recipient_days,
            acknowledged=terms.acknowledged_days,
        )
    )
    print(f"    {terms.legal_basis.by_language()[language]}")


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
    language = output_language(args)
    try:
        pid = int(data.pid_file.read_text().strip())
    except (OSError, ValueError):
        said = translate(NO_GATEWAY_RUNNING, language, file=data.pid_file)
        print(f"euregate policy reload: {said}", file=sys.stderr)
        return 2
    try:
        wanted, _ = sharing.read_checked(data.policy)
    except sharing.PolicyRefused as refusal:
        os.kill(pid, signal.SIGHUP)
        print(translate(RELOAD_REFUSED, language))
        for problem in refusal.problems:
            print(f"  {problem}")
        return 1
    os.kill(pid, signal.SIGHUP)
    async with open_store(args) as store:
        deadline = time.monotonic() + RELOAD_WAIT_SECONDS
        while await store.policy_in_force() != wanted.digest:
            if time.monotonic() > deadline:
                print(translate(RELOAD_UNCONFIRMED, language), file=sys.stderr)
                return 1
            await asyncio.sleep(0.1)
    print(translate(IN_FORCE, language, digest=wanted.digest, rules=len(wanted.rules)))
    return 0


async def run_show(args: argparse.Namespace) -> int:
    data = layout(args)
    async with open_store(args) as store:
        digest = await store.policy_in_force()
    language = output_language(args)
    print_table(
        ("", ""),
        [
            (translate(SHOWN_FILE, language), data.policy),
            (translate(SHOWN_IN_FORCE, language), digest or translate(NONE_IN_FORCE, language)),
        ],
    )
    return 0
