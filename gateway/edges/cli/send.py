"""``euregate send``: post a signal file as a partner and show the receipt or the refusal."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from gateway.edges.cli.common import Subparsers, add_data_dir, settings, unlisted_errors
from gateway.edges.cli.partner_side import known_partner
from gateway.edges.client import ClientFailure, EuregateClient, Problem, Unreachable
from gateway.infra import pki
from gateway.infra.config import DataDir
from gateway.infra.errors import FileUnreadable
from gateway.infra.i18n import negotiate


def register(commands: Subparsers) -> None:
    parser = commands.add_parser("send", help="post a signal file to the gateway")
    add_data_dir(parser)
    parser.add_argument("file", type=Path, metavar="FILE", help="the signal, as JSON")
    parser.add_argument(
        "--as",
        dest="partner",
        metavar="PARTNER",
        help="send with the credentials the data directory holds for this partner",
    )
    parser.add_argument("--cert", type=Path, help="client certificate (PEM)")
    parser.add_argument("--key", type=Path, help="client private key (PEM)")
    parser.add_argument("--ca", type=Path, help="the gateway's CA certificate (PEM)")
    parser.add_argument(
        "--url", help="gateway URL (default: https://$EUREGATE_HOST:$EUREGATE_PORT)"
    )
    parser.add_argument("--lang", choices=("nl", "fr", "de", "en"), help="language of refusals")
    parser.add_argument("--json", action="store_true", help="print the gateway's JSON answer")
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
        raise SystemExit("euregate send: give --as PARTNER, or --cert and --key (and --ca)")
    return args.cert, args.key, args.ca or data.ca_certificate


async def run_send(args: argparse.Namespace) -> int:
    config = settings(args)
    data = DataDir(config.data_dir)
    certificate, key, ca = _credentials(args, data)
    for path in (args.file, certificate, key, ca):
        if not path.is_file():
            raise FileUnreadable(path=str(path), cause="missing")
    language = args.lang or negotiate(os.environ.get("LANGUAGE") or os.environ.get("LANG", "")[:2])
    url = args.url or f"https://{config.host}:{config.port}"
    context = pki.client_ssl_context(certificate=certificate, private_key=key, server_ca=ca)
    body = args.file.read_bytes()
    try:
        receipt = await _post(url, context, language, body)
    except Problem as problem:
        _show_problem(problem, as_json=args.json, language=language)
        return 1
    except Unreachable:
        raise
    except ClientFailure as failure:
        print(f"euregate send: {failure}", file=sys.stderr)
        return 2
    _show_receipt(receipt, as_json=args.json)
    return 0


async def _post(url: str, context: Any, language: str, body: bytes) -> dict[str, Any]:
    async with EuregateClient(url, ssl_context=context, language=language) as client:
        return await client.post_signal(body)


def _show_receipt(receipt: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(receipt, indent=2, ensure_ascii=False))
        return
    print(f"Accepted: signal {receipt['signal_id']}")
    print(f"  received      {receipt['received_at']}")
    print(f"  your ref      {receipt['sender_reference']}")
    print(f"  body SHA-256  {receipt['body_sha256']}")
    print(f"  audit entry   {receipt['audit']['seq']} ({receipt['audit']['hash']})")
    if "leaf_index" in receipt["audit"]:
        audit = receipt["audit"]
        print(f"  audit leaf    {audit['leaf_index']} ({audit['leaf_hash']})")
    print("  recipients")
    for entry in receipt["recipients"]:
        rules = ", ".join(entry["rules"])
        print(f"    {entry['partner']:<20} {entry['verdict']:<8} (rules {rules})")
    if "notice" in receipt:
        print(f"  {receipt['notice']}")


def _show_problem(problem: Problem, *, as_json: bool, language: str) -> None:
    if as_json:
        print(json.dumps(problem.document, indent=2, ensure_ascii=False))
        return
    document = problem.document
    print(f"Refused ({problem.status}): {document.get('title', '')}")
    print(f"  {document.get('detail', '')}")
    for error in problem.errors:
        print(f"  {error.get('pointer') or '/'}: {error.get('detail')}")
    unlisted = unlisted_errors(document, language)
    if unlisted is not None:
        print(f"  {unlisted}")
