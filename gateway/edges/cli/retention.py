"""``euregate retention``: ``run`` erases the signals whose time is up under the policy's
retention terms (:mod:`gateway.flow.retention`), or with ``--dry-run`` lists them; ``hold``,
``lift`` and ``holds`` keep a signal past its terms (:mod:`gateway.flow.holds`)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Final

from gateway.decide import sharing
from gateway.edges.cli.common import (
    Subparsers,
    add_action,
    cli_actor,
    layout,
    open_store,
    output_language,
    print_table,
    settings,
)
from gateway.edges.cli.progress import Progress
from gateway.flow.holds import MAX_LISTED_HOLDS, lift_hold, place_hold, review_due
from gateway.flow.retention import RetentionRun, run_retention
from gateway.infra.clock import SystemClock
from gateway.infra.errors import RegistryError
from gateway.infra.i18n import N_, translate

UNUSABLE: Final = N_("the policy cannot be used: {reason}")
ON_WITHOUT_DRY_RUN: Final = N_("--on goes with --dry-run: a real run erases what is due today")
LIMIT_TOO_LOW: Final = N_("--limit must be at least 1")
NO_TERMS: Final = N_("the policy has no retention terms: nothing is erased")
SIGNALS: Final = N_("signals examined")
HEADERS: Final = (N_("signal"), N_("retention rule"), N_("erase on"))
WOULD_ERASE: Final = N_(
    "{examined} signal(s) examined on {day}: {due} would be erased (dry run: nothing was changed)."
)
ERASED: Final = N_(
    "{examined} signal(s) examined on {day}: {erased} erased, with {envelopes} envelope(s), "
    "{review_items} review item(s) and {subject_keys} data-subject index entries; the audit log "
    "keeps its entries."
)
MEMORY_ERASED: Final = N_(
    "{memory_segments} translation memory entries learnt only from the erased signals were "
    "deleted, and {translation_jobs} eTranslation job(s) sent for them deleted or cancelled."
)
UNSOURCED: Final = N_(
    "{count} translation memory entries date from before the gateway recorded which signal "
    "taught each one: erasing a signal does not reach them."
)

SETTLED_WOULD: Final = N_(
    "{count} acknowledged envelope(s) kept past their re-delivery days would be erased."
)
SETTLED_ERASED: Final = N_(
    "{count} acknowledged envelope(s) kept past their re-delivery days were erased."
)
PURGE_POSTPONED: Final = N_(
    "The old versions of {tables} could not be purged now (the gateway was busy writing to "
    "them): the next run purges them."
)

HELD: Final = N_("signal {id} is on hold until the hold is lifted; review it on {day}")
LIFTED: Final = N_("signal {id} is no longer on hold: its retention terms apply again")
NO_HOLDS: Final = N_("no signal is on hold")
HOLD_HEADERS: Final = (N_("signal"), N_("review on"), N_("placed by"), N_("reason"))
REVIEW_DUE: Final = N_("due")


def register(commands: Subparsers) -> None:
    group = commands.add_parser(
        "retention", help=N_("retention: erase what the policy keeps no longer")
    ).add_subparsers(dest="retention_command", required=True, metavar="ACTION")
    run = add_action(
        group, "run", N_("erase the signals whose time is up (the gateway does it daily)"), run_now
    )
    run.add_argument(
        "--dry-run", action="store_true", help=N_("list what would be erased; change nothing")
    )
    run.add_argument(
        "--on",
        type=dt.date.fromisoformat,
        metavar="YYYY-MM-DD",
        help=N_("with --dry-run: what would be erased by this day (default: today)"),
    )
    run.add_argument(
        "--limit", type=int, metavar="N", help=N_("erase at most N signals in this run")
    )
    hold = add_action(group, "hold", N_("keep a signal past its retention terms"), run_hold)
    hold.add_argument("signal_id", metavar="SIGNAL_ID")
    hold.add_argument("--reason", required=True, help=N_("why it is kept (not in the audit log)"))
    hold.add_argument(
        "--review-on",
        required=True,
        type=dt.date.fromisoformat,
        metavar="YYYY-MM-DD",
        help=N_("the day the hold is to be reviewed"),
    )
    lift = add_action(group, "lift", N_("lift a signal's hold"), run_lift)
    lift.add_argument("signal_id", metavar="SIGNAL_ID")
    add_action(group, "holds", N_("the signals on hold, the earliest review first"), run_holds)


async def run_now(args: argparse.Namespace) -> int:
    language = output_language(args)
    if args.on is not None and not args.dry_run:
        raise RegistryError(ON_WITHOUT_DRY_RUN)
    if args.limit is not None and args.limit < 1:
        raise RegistryError(LIMIT_TOO_LOW)
    try:
        policy, _ = sharing.read_checked(settings(args).policy_file or layout(args).policy)
    except sharing.PolicyRefused as refusal:
        said = translate(UNUSABLE, language, reason=refusal)
        print(f"euregate retention run: {said}", file=sys.stderr)
        return 2
    if policy.retention is None:
        print(translate(NO_TERMS, language))
        return 0
    today = args.on or SystemClock().now().date()
    async with open_store(args) as store:
        progress = Progress(await store.count_kept(), translate(SIGNALS, language))
        done = await run_retention(
            store,
            policy,
            today=today,
            dry_run=args.dry_run,
            limit=args.limit,
            actor=cli_actor(),
            progress=progress,
        )
        progress.finish()
    report(done, today, language)
    return 0


def report(done: RetentionRun, today: dt.date, language: str) -> None:
    """What a run found and did, in ``language``, on standard output."""
    if done.due:
        print_table(
            tuple(translate(header, language) for header in HEADERS),
            [(due.signal_id, due.rule, due.due.isoformat()) for due in done.due],
        )
    if done.dry_run:
        print(
            translate(WOULD_ERASE, language, examined=done.examined, day=today, due=len(done.due))
        )
        print(translate(SETTLED_WOULD, language, count=len(done.settled)))
        return
    print(
        translate(
            ERASED,
            language,
            examined=done.examined,
            day=today,
            erased=len(done.erased),
            envelopes=done.envelopes,
            review_items=done.review_items,
            subject_keys=done.subject_keys,
        )
    )
    print(
        translate(
            MEMORY_ERASED,
            language,
            memory_segments=done.memory_segments,
            translation_jobs=done.translation_jobs,
        )
    )
    print(translate(SETTLED_ERASED, language, count=done.settled_erased))
    if done.unsourced_memory:
        print(translate(UNSOURCED, language, count=done.unsourced_memory))
    if done.postponed:
        print(translate(PURGE_POSTPONED, language, tables=", ".join(done.postponed)))


async def run_hold(args: argparse.Namespace) -> int:
    language = output_language(args)
    async with open_store(args) as store:
        hold = await place_hold(
            store,
            SystemClock(),
            signal_id=args.signal_id,
            reason=args.reason,
            review_on=args.review_on,
            by=cli_actor(),
        )
    print(translate(HELD, language, id=hold.signal_id, day=hold.review_on.isoformat()))
    return 0


async def run_lift(args: argparse.Namespace) -> int:
    language = output_language(args)
    async with open_store(args) as store:
        await lift_hold(store, signal_id=args.signal_id, by=cli_actor())
    print(translate(LIFTED, language, id=args.signal_id))
    return 0


async def run_holds(args: argparse.Namespace) -> int:
    language = output_language(args)
    today = SystemClock().now().date()
    async with open_store(args) as store:
        holds = await store.legal_holds(limit=MAX_LISTED_HOLDS)
    if not holds:
        print(translate(NO_HOLDS, language))
        return 0
    print_table(
        tuple(translate(header, language) for header in HOLD_HEADERS),
        [
            (
                hold.signal_id,
                hold.review_on.isoformat()
                + (f" ({translate(REVIEW_DUE, language)})" if review_due(hold, today) else ""),
                hold.placed_by,
                hold.reason,
            )
            for hold in holds
        ],
    )
    return 0
