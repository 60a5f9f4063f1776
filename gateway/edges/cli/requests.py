"""``euregate requests``: requests for information (Directive (EU) 2023/977, art. 5) of every
partner, open, overdue or answered, read from the data directory's store; for administrators
and compliance staff. Overdue ones are marked; times are in the user's time zone (``--tz``)."""

from __future__ import annotations

import argparse
import json
from zoneinfo import ZoneInfo

from gateway.edges.cli.common import (
    Subparsers,
    add_data_dir,
    headings,
    open_store,
    output_language,
    print_table,
)
from gateway.edges.cli.times import add_time_zone, shown
from gateway.flow.requests import (
    KIND_LABELS,
    STATE_LABELS,
    STATES,
    RequestStatus,
    duration,
    status,
)
from gateway.infra.audit import timestamp
from gateway.infra.clock import SystemClock
from gateway.infra.i18n import N_, translate
from gateway.store import RequestState

NOTHING = {
    RequestState.OPEN: N_("No open requests."),
    RequestState.OVERDUE: N_("No overdue requests."),
    RequestState.ANSWERED: N_("No answered requests."),
}
HEADINGS = (
    N_("signal"),
    N_("sender"),
    N_("recipients"),
    N_("kind"),
    N_("received"),
    N_("deadline"),
    N_("state"),
    N_("time"),
    N_("answered by"),
)


def register(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "requests", help=N_("requests for information: open, overdue or answered, all partners'")
    )
    add_data_dir(parser)
    parser.add_argument(
        "--state",
        choices=STATES,
        default=str(RequestState.OPEN),
        help=N_("open (overdue ones included, marked), overdue, or answered (default: open)"),
    )
    parser.add_argument("--json", action="store_true", help=N_("machine-readable output"))
    add_time_zone(parser)
    parser.set_defaults(handler=run_requests)


async def run_requests(args: argparse.Namespace) -> int:
    state = RequestState(args.state)
    now = SystemClock().now()
    async with open_store(args) as store:
        found = [status(request, now) for request in await store.requests(state, now=now)]
    if args.json:
        document = {
            "state": str(state),
            "now": timestamp(now),
            "requests": [item.as_json() for item in found],
        }
        print(json.dumps(document, ensure_ascii=False, indent=2))
        return 0
    language = output_language(args)
    if not found:
        print(translate(NOTHING[state], language))
        return 0
    print_table(
        headings(HEADINGS, language),
        [_row(item, language, args.time_zone) for item in found],
    )
    return 0


def _row(item: RequestStatus, language: str, zone: ZoneInfo) -> tuple[str, ...]:
    request = item.request
    label = translate(STATE_LABELS[item.state], language)
    if item.state is RequestState.OVERDUE:
        label = f"!! {label.upper()}"
    elif item.answered_late:
        label = translate(N_("answered late"), language)
    if item.seconds_overdue is not None:
        time = translate(
            N_("{time} overdue"), language, time=duration(item.seconds_overdue, language)
        )
    elif item.seconds_left is not None:
        left = duration(item.seconds_left, language)
        time = translate(N_("{time} left"), language, time=left)
    else:
        time = "-"
    kind = request.deadline_kind
    return (
        request.signal_id,
        request.sender_id,
        ", ".join(request.recipients),
        translate(KIND_LABELS[kind], language) if kind in KIND_LABELS else kind,
        shown(request.received_at, language, zone),
        shown(request.deadline, language, zone),
        label,
        time,
        "-" if request.replied_by is None else f"{request.replied_by} ({request.answered_by})",
    )
