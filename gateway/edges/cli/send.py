"""``euregate send``: post a signal file as a partner and show the receipt or the refusal."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from euregate_client import ClientFailure, EuregateClient, Problem, Submitted, Unreachable

from gateway.decide.decision import LABELS, Verdict
from gateway.edges.cli.common import (
    Subparsers,
    add_data_dir,
    output_language,
    settings,
    unlisted_errors,
)
from gateway.edges.cli.partner_side import known_partner
from gateway.edges.cli.times import add_time_zone, shown_text
from gateway.infra import pki
from gateway.infra.config import DataDir
from gateway.infra.errors import FileUnreadable, OptionsMissing
from gateway.infra.i18n import N_, translate

ACCEPTED: Final = N_("Accepted ({status}): signal {id}")
ALREADY_RECEIVED: Final = N_(
    "Already received ({status}): signal {id} was sent before; nothing new is kept or delivered."
)
RECEIVED: Final = N_("received")
YOUR_REFERENCE: Final = N_("your ref")
BODY_SHA256: Final = N_("body SHA-256")
AUDIT_ENTRY: Final = N_("audit entry")
AUDIT_LEAF: Final = N_("audit leaf")
RECIPIENTS: Final = N_("recipients")
RULES: Final = N_("rules {rules}")
REFUSED: Final = N_("Refused ({status}): {title}")
NO_CREDENTIALS: Final = N_("give --as PARTNER, or --cert and --key (and --ca)")
VERDICTS: Final = frozenset(str(verdict) for verdict in Verdict)


def register(commands: Subparsers) -> None:
    parser = commands.add_parser("send", help=N_("post a signal file to the gateway"))
    add_data_dir(parser)
    parser.add_argument("file", type=Path, metavar="FILE", help=N_("the signal, as JSON"))
    parser.add_argument(
        "--as",
        dest="partner",
        metavar="PARTNER",
        help=N_("send with the credentials the data directory holds for this partner"),
    )
    parser.add_argument("--cert", type=Path, help=N_("client certificate (PEM)"))
    parser.add_argument("--key", type=Path, help=N_("client private key (PEM)"))
    parser.add_argument("--ca", type=Path, help=N_("the gateway's CA certificate (PEM)"))
    parser.add_argument(
        "--url", help=N_("gateway URL (default: https://$EUREGATE_HOST:$EUREGATE_PORT)")
    )
    parser.add_argument("--json", action="store_true", help=N_("print the gateway's JSON answer"))
    add_time_zone(parser)
    parser.set_defaults(handler=run_send)


def _credentials(args: argparse.Namespace, data: DataDir) -> tuple[Path, Path, Path]:
    if args.partner:
        if args.cert is None or args.key is None:
            known_partner(data, args.partner)
        return (
            args.cert or data.partner_certificate(args.partner),
            args.key or data.partner_key(args.partner),
            args.ca or data.ca_certificate,
        )
    if not (args.cert and args.key):
        raise OptionsMissing(NO_CREDENTIALS)
    return args.cert, args.key, args.ca or data.ca_certificate


async def run_send(args: argparse.Namespace) -> int:
    config = settings(args)
    data = DataDir(config.data_dir)
    certificate, key, ca = _credentials(args, data)
    for path in (args.file, certificate, key, ca):
        if not path.is_file():
            raise FileUnreadable(path=str(path), cause="missing")
    language = output_language(args)
    url = args.url or f"https://{config.host}:{config.port}"
    context = pki.client_ssl_context(certificate=certificate, private_key=key, server_ca=ca)
    body = args.file.read_bytes()
    try:
        submitted = await _post(url, context, language, body)
    except Problem as problem:
        _show_problem(problem, as_json=args.json, language=language)
        return 1
    except Unreachable:
        raise
    except ClientFailure as failure:
        print(f"euregate send: {failure}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(submitted.receipt, indent=2, ensure_ascii=False))
    else:
        print(receipt_text(submitted, language, args.time_zone))
    return 0


async def _post(url: str, context: Any, language: str, body: bytes) -> Submitted:
    async with EuregateClient(url, ssl_context=context, language=language) as client:
        return await client.submit_signal(body)


def receipt_text(submitted: Submitted, language: str, zone: ZoneInfo) -> str:
    """The receipt as a person reads it: new or received before, and who gets what."""
    receipt = submitted.receipt
    audit = receipt["audit"]
    heading = ALREADY_RECEIVED if submitted.received_before else ACCEPTED
    lines = [translate(heading, language, status=submitted.status, id=receipt["signal_id"])]
    facts = [
        (RECEIVED, shown_text(receipt["received_at"], language, zone)),
        (YOUR_REFERENCE, receipt["sender_reference"]),
        (BODY_SHA256, receipt["body_sha256"]),
        (AUDIT_ENTRY, f"{audit['seq']} ({audit['hash']})"),
    ]
    if "leaf_index" in audit:
        facts.append((AUDIT_LEAF, f"{audit['leaf_index']} ({audit['leaf_hash']})"))
    names = {label: translate(label, language) for label, _ in facts}
    width = max(len(name) for name in names.values())
    lines += [f"  {names[label].ljust(width)}  {value}" for label, value in facts]
    lines.append("  " + translate(RECIPIENTS, language))
    for entry in receipt["recipients"]:
        verdict = entry["verdict"]
        label = translate(LABELS[Verdict(verdict)], language) if verdict in VERDICTS else verdict
        rules = translate(RULES, language, rules=", ".join(entry["rules"]))
        lines.append(f"    {entry['partner']:<20} {label} ({rules})")
    if "notice" in receipt:
        lines.append(f"  {receipt['notice']}")
    return "\n".join(lines)


def _show_problem(problem: Problem, *, as_json: bool, language: str) -> None:
    if as_json:
        print(json.dumps(problem.document, indent=2, ensure_ascii=False))
        return
    document = problem.document
    print(translate(REFUSED, language, status=problem.status, title=document.get("title", "")))
    print(f"  {document.get('detail', '')}")
    for error in problem.errors:
        print(f"  {error.get('pointer') or '/'}: {error.get('detail')}")
    unlisted = unlisted_errors(document, language)
    if unlisted is not None:
        print(f"  {unlisted}")
