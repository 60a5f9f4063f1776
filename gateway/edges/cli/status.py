"""``euregate status ID``: what became of a partner's own signal, for each recipient's copy.

Asks the gateway as ``--as PARTNER`` (``GET /v1/signals/{id}``) and shows each copy: the
verdict and rules, its stay at a liaison desk (since when and why; released or rejected by
which country's desk, a rejection with its category, never by which officer nor in the
officer's words), and when it was sealed, fetched, acknowledged
or pushed; a request's deadline, and how long overdue. Times are in the user's time zone.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from typing import Any, Final
from zoneinfo import ZoneInfo

from euregate_client import Problem

from gateway.decide.decision import LABELS, Verdict
from gateway.decide.review import REASON_LABELS, REJECTION_LABELS, RejectionCategory, ReviewReason
from gateway.edges.cli.common import Subparsers, add_data_dir, output_language
from gateway.edges.cli.partner_side import add_connection, partner_client
from gateway.edges.cli.times import add_time_zone, shown_text
from gateway.flow.requests import KIND_LABELS, duration
from gateway.flow.tracking import STATE_LABELS, CopyState
from gateway.flow.withdrawal import reason_label
from gateway.infra.i18n import N_, translate

HEADING: Final = N_("Signal {id} (your ref {reference}), received {received}")
RULES: Final = N_("rules {rules}")
WAITING_AT: Final = N_("waiting at the {desk} liaison desk since {since}: {reasons}")
RELEASED_BY: Final = N_("released by the {desk} liaison desk, {at}")
REJECTED_BY: Final = N_("rejected by the {desk} liaison desk, {at}: {category}")
ERASED_WAITING: Final = N_(
    "erased under its retention terms while it waited at the {desk} liaison desk (since {since})"
)
WITHDRAWN_WAITING: Final = N_(
    "withdrawn by the sender while it waited at the {desk} liaison desk (since {since})"
)
WITHDRAWN: Final = N_("withdrawn by the sender {at}: {reason}")
REPLACED_BY: Final = N_("replaced by signal {replaced_by} on {at}")
NOTICE_SENT: Final = N_("notice of the withdrawal (version {version}):")
SENT_UNREVIEWED: Final = N_("version {version} went out before review, marked unreviewed")
QUEUED: Final = N_("queued {at}")
SEALED: Final = N_("sealed {at}")
FETCHED: Final = N_("fetched {count} time(s), last {at}")
ACKNOWLEDGED: Final = N_("acknowledged {at}")
PUSHED: Final = N_("pushed to the webhook {at}")
REQUEST: Final = N_("request for information ({kind}), deadline {deadline}")
REQUEST_OPEN: Final = N_("open")
REQUEST_OVERDUE: Final = N_("OVERDUE by {time}")
REQUEST_ANSWERED: Final = N_("answered {at}")
REFUSED: Final = N_("refused ({status}): {title}: {detail}")
Shown = Callable[[str], str]
"""A time the gateway wrote, as the user reads it."""
REVIEW_LINES: Final = {
    "pending": WAITING_AT,
    "released": RELEASED_BY,
    "rejected": REJECTED_BY,
    "erased": ERASED_WAITING,
    "withdrawn": WITHDRAWN_WAITING,
}
COPY_LINES: Final = (
    ("queued_at", QUEUED),
    ("sealed_at", SEALED),
    ("acknowledged_at", ACKNOWLEDGED),
    ("pushed_at", PUSHED),
)


def register(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "status", help=N_("what became of your signal: each recipient's copy, with times")
    )
    add_data_dir(parser)
    add_connection(parser)
    parser.add_argument("signal_id", metavar="ID", help=N_("the signal's id from its receipt"))
    parser.add_argument("--json", action="store_true", help=N_("print the gateway's JSON answer"))
    add_time_zone(parser)
    parser.set_defaults(handler=run_status)


async def run_status(args: argparse.Namespace) -> int:
    language = output_language(args)
    try:
        async with partner_client(args, language=language) as client:
            receipt = await client.signal_status(args.signal_id)
    except Problem as problem:
        document = problem.document
        refusal = translate(
            REFUSED,
            language,
            status=problem.status,
            title=document.get("title", ""),
            detail=document.get("detail", ""),
        )
        print(f"euregate status: {refusal}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(receipt, indent=2, ensure_ascii=False))
    else:
        print(status_text(receipt, language, args.time_zone))
    return 0


def status_text(receipt: Mapping[str, Any], language: str, zone: ZoneInfo) -> str:
    """The receipt as a person reads it: each recipient's copy, then a request's deadline."""

    def when(stamp: str) -> str:
        return shown_text(stamp, language, zone)

    lines = [
        translate(
            HEADING,
            language,
            id=receipt["signal_id"],
            reference=receipt["sender_reference"],
            received=when(receipt["received_at"]),
        )
    ]
    if "withdrawn" in receipt:
        withdrawn = receipt["withdrawn"]
        at = when(withdrawn["at"])
        if "replaced_by" in withdrawn:
            line = translate(REPLACED_BY, language, at=at, replaced_by=withdrawn["replaced_by"])
        else:
            reason = reason_label(withdrawn["reason"], language)
            line = translate(WITHDRAWN, language, at=at, reason=reason)
        lines.append("  " + line)
    for recipient in receipt["recipients"]:
        lines += _recipient_lines(recipient, language, when)
    if "request" in receipt:
        lines.append("  " + _request_line(receipt["request"], language, when))
    return "\n".join(lines)


def _recipient_lines(entry: Mapping[str, Any], language: str, when: Shown) -> list[str]:
    verdict = translate(LABELS[Verdict(entry["verdict"])], language)
    rules = translate(RULES, language, rules=", ".join(entry["rules"]))
    state = translate(STATE_LABELS[CopyState(entry["state"])], language)
    lines = [f"  {entry['partner']}: {state}", f"    {verdict} ({rules})"]
    if "review" in entry:
        lines.append("    " + _review_line(entry["review"], language, when))
    if "copy" in entry:
        lines += ["    " + line for line in _copy_lines(entry["copy"], language, when)]
    if "notice" in entry:
        notice = entry["notice"]
        lines.append("    " + translate(NOTICE_SENT, language, version=notice["version"]))
        lines += ["      " + line for line in _copy_lines(notice, language, when)]
    return lines


def _review_line(review: Mapping[str, Any], language: str, when: Shown) -> str:
    """Which desk has or had the copy: since when and why, or when it released it, or when it
    rejected it and in which category."""
    reasons = "; ".join(
        translate(REASON_LABELS[ReviewReason(code)], language) for code in review["reasons"]
    )
    category = review.get("rejection_category", {}).get("code", RejectionCategory.OTHER)
    return translate(
        REVIEW_LINES[review["state"]],
        language,
        desk=review["desk"],
        since=when(review["since"]),
        at=when(review.get("decided_at", review["since"])),
        reasons=reasons,
        category=translate(REJECTION_LABELS[RejectionCategory(category)], language),
    )


def _copy_lines(copy: Mapping[str, Any], language: str, when: Shown) -> list[str]:
    lines = []
    if copy["unreviewed"]:
        lines.append(translate(SENT_UNREVIEWED, language, version=copy["version"]))
    for field, line in COPY_LINES:
        if field in copy:
            lines.append(translate(line, language, at=when(copy[field])))
        if field == "sealed_at" and copy["fetch_count"]:
            last = when(copy["last_fetched_at"])
            lines.append(translate(FETCHED, language, count=copy["fetch_count"], at=last))
    return lines


def _request_line(request: Mapping[str, Any], language: str, when: Shown) -> str:
    kind = request["kind"]
    named = translate(KIND_LABELS[kind], language) if kind in KIND_LABELS else kind
    line = translate(REQUEST, language, kind=named, deadline=when(request["deadline"]))
    if request["state"] == "overdue":
        late = duration(request["seconds_overdue"], language)
        return f"{line}: {translate(REQUEST_OVERDUE, language, time=late)}"
    if request["state"] == "answered":
        return f"{line}: {translate(REQUEST_ANSWERED, language, at=when(request['answered_at']))}"
    return f"{line}: {translate(REQUEST_OPEN, language)}"
