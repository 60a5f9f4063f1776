"""``euregate delivery``: the push outbox, for administrators: what waits, what arrived, what
died, and putting a dead push back."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import datetime
from typing import Final

from gateway.edges.cli import common
from gateway.edges.cli.times import add_time_zone, shown
from gateway.infra.audit import timestamp
from gateway.infra.i18n import N_, translate
from gateway.registry.admin.deliveries import retry
from gateway.store import Delivery, DeliveryState

STATES = tuple(str(state) for state in DeliveryState)
STATE_LABELS: Final = {
    DeliveryState.PENDING: N_("pending"),
    DeliveryState.DELIVERED: N_("delivered"),
    DeliveryState.DEAD: N_("dead"),
}
NOTHING: Final = N_("No pushes in the outbox.")
NOTHING_IN: Final = {
    str(DeliveryState.PENDING): N_("No pending pushes in the outbox."),
    str(DeliveryState.DELIVERED): N_("No delivered pushes in the outbox."),
    str(DeliveryState.DEAD): N_("No dead pushes in the outbox."),
}
HEADINGS: Final = (
    N_("envelope"),
    N_("recipient"),
    N_("state"),
    N_("attempts"),
    N_("last"),
    N_("next attempt"),
    N_("URL"),
)
PENDING_AGAIN: Final = N_("{envelope} is pending again for {recipient} ({url})")


def register(commands: common.Subparsers) -> None:
    group = commands.add_parser("delivery", help=N_("webhook pushes: list and retry"))
    actions = group.add_subparsers(dest="delivery_command", required=True, metavar="ACTION")

    listing = actions.add_parser("list", help=N_("pushes in the outbox, oldest envelope first"))
    common.add_data_dir(listing)
    listing.add_argument(
        "--state", choices=STATES, default=None, help=N_("only pushes in this state")
    )
    listing.add_argument("--json", action="store_true", help=N_("machine-readable output"))
    add_time_zone(listing)
    listing.set_defaults(handler=run_list)

    again = actions.add_parser(
        "retry", help=N_("push a dead envelope again, attempts counted anew")
    )
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
    language = common.output_language(args)
    if not deliveries:
        print(translate(NOTHING_IN[args.state] if args.state else NOTHING, language))
        return 0
    common.print_table(
        common.headings(HEADINGS, language),
        [
            (
                d.envelope_id,
                d.recipient_id,
                translate(STATE_LABELS[d.state], language),
                d.attempts,
                d.last_status or d.last_error or "-",
                "-"
                if d.next_attempt_at is None
                else shown(d.next_attempt_at, language, args.time_zone),
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
    print(
        translate(
            PENDING_AGAIN,
            common.output_language(args),
            envelope=delivery.envelope_id,
            recipient=delivery.recipient_id,
            url=delivery.url,
        )
    )
    return 0
