"""``euregate delivery``: the push outbox, for administrators: what waits, what arrived, what
died, and putting a dead push back."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import datetime

from gateway.edges.cli import common
from gateway.infra.audit import timestamp
from gateway.registry.admin.deliveries import retry
from gateway.store import Delivery, DeliveryState

STATES = tuple(str(state) for state in DeliveryState)


def register(commands: common.Subparsers) -> None:
    group = commands.add_parser("delivery", help="webhook pushes: list and retry")
    actions = group.add_subparsers(dest="delivery_command", required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="pushes in the outbox, oldest envelope first")
    common.add_data_dir(listing)
    listing.add_argument("--state", choices=STATES, default=None, help="only pushes in this state")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(handler=run_list)

    again = actions.add_parser("retry", help="push a dead envelope again, attempts counted anew")
    common.add_data_dir(again)
    again.add_argument("envelope_id", metavar="ENVELOPE_ID")
    again.set_defaults(handler=run_retry)


async def run_list(args: argparse.Namespace) -> int:
    async with common.open_store(args) as store:
        deliveries = await store.deliveries(
            state=None if args.state is None else DeliveryState(args.state)
        )
    if args.json:
        print(json.dumps([_delivery_json(d) for d in deliveries], indent=2, ensure_ascii=False))
        return 0
    if not deliveries:
        print(f"no {args.state + ' ' if args.state else ''}pushes in the outbox")
        return 0
    common.print_table(
        ("ENVELOPE", "RECIPIENT", "STATE", "ATTEMPTS", "LAST", "NEXT ATTEMPT", "URL"),
        [
            (
                d.envelope_id,
                d.recipient_id,
                d.state,
                d.attempts,
                d.last_status or d.last_error or "-",
                "-" if d.next_attempt_at is None else timestamp(d.next_attempt_at),
                d.url,
            )
            for d in deliveries
        ],
    )
    return 0


def _delivery_json(delivery: Delivery) -> dict[str, object]:
    def when(moment: datetime | None) -> str | None:
        return None if moment is None else timestamp(moment)

    return {
        **asdict(delivery),
        "next_attempt_at": when(delivery.next_attempt_at),
        "delivered_at": when(delivery.delivered_at),
    }


async def run_retry(args: argparse.Namespace) -> int:
    async with common.open_store(args) as store:
        delivery = await retry(store, args.envelope_id, actor=common.cli_actor())
    print(f"{delivery.envelope_id} is pending again for {delivery.recipient_id} ({delivery.url})")
    return 0
