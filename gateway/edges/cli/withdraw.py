"""``euregate withdraw ID --reason CODE --as PARTNER``: a sender withdraws its own signal
(LED (EU) 2016/680 art. 7(3)); each recipient that got it is sent a notice in its language."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Final

from euregate_client import Problem

from gateway.edges.cli.common import Subparsers, add_data_dir, output_language
from gateway.edges.cli.inbox import refusal
from gateway.edges.cli.partner_side import add_connection, partner_client
from gateway.flow.withdrawal import WithdrawalReason, reason_label
from gateway.infra.i18n import N_, translate

WITHDRAWN: Final = N_(
    "Signal {id} withdrawn ({reason}): {cancelled} copy(ies) not yet sealed cancelled, "
    "{review_items} waiting for review withdrawn, {notices} recipient(s) sent a notice."
)


def register(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "withdraw", help=N_("withdraw your signal: its recipients are told why")
    )
    add_data_dir(parser)
    add_connection(parser)
    parser.add_argument("signal_id", metavar="ID", help=N_("the signal's id from its receipt"))
    parser.add_argument(
        "--reason",
        required=True,
        choices=[str(reason) for reason in WithdrawalReason],
        help=N_("why the recipients must no longer rely on it"),
    )
    parser.add_argument("--json", action="store_true", help=N_("print the gateway's JSON answer"))
    parser.set_defaults(handler=run_withdraw)


async def run_withdraw(args: argparse.Namespace) -> int:
    language = output_language(args)
    try:
        async with partner_client(args, language=language) as client:
            withdrawn = await client.withdraw(args.signal_id, args.reason)
    except Problem as problem:
        print(f"euregate withdraw: {refusal(problem, language)}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(withdrawn, indent=2, ensure_ascii=False))
        return 0
    reason = reason_label(withdrawn["reason"], language)
    print(
        translate(
            WITHDRAWN,
            language,
            id=withdrawn["signal_id"],
            reason=reason,
            cancelled=withdrawn["cancelled"],
            review_items=withdrawn["review_items"],
            notices=withdrawn["notices"],
        )
    )
    return 0
