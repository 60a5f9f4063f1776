"""``euregate subject``: ``restrict`` stops further delivery of every signal about a person
pending a decision (LED art. 16(3)), ``lift`` lifts a restriction with its decision, and
``restrictions`` lists those in force (:mod:`gateway.flow.restriction`). The person is named
as a data-subject lookup names them; only keyed hashes are kept."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Final

from gateway.edges.cli.common import (
    Subparsers,
    add_action,
    cli_actor,
    layout,
    open_store,
    output_language,
    print_table,
)
from gateway.flow.restriction import (
    DECISIONS,
    MAX_LISTED_RESTRICTIONS,
    REASONS,
    Restrictions,
    decision_due,
)
from gateway.infra.clock import SystemClock
from gateway.infra.datafiles import load_master_key
from gateway.infra.i18n import N_, translate

RESTRICTED: Final = N_(
    "restriction {id} placed ({reason}): {signals} signal(s) about the person held, and every "
    "later one, until it is lifted; the decision is due on {day}"
)
LIFTED: Final = N_(
    "restriction {id} lifted: {signals} signal(s) released; what was held is delivered now"
)
NO_RESTRICTIONS: Final = N_("no restriction of processing is in force")
HEADERS: Final = (
    N_("restriction"),
    N_("reason"),
    N_("decision due on"),
    N_("signals"),
    N_("placed by"),
    N_("note"),
)
DUE: Final = N_("due")


def register(commands: Subparsers) -> None:
    group = commands.add_parser(
        "subject", help=N_("data subjects' rights: restrict processing for a person")
    ).add_subparsers(dest="subject_command", required=True, metavar="ACTION")
    restrict = add_action(
        group,
        "restrict",
        N_("stop delivering signals about a person until a decision is taken"),
        run_restrict,
    )
    restrict.add_argument(
        "--identifier", metavar="NUMBER", help=N_("a national or document number of the person")
    )
    restrict.add_argument("--family-name", metavar="NAME", help=N_("the person's family name"))
    restrict.add_argument(
        "--date-of-birth",
        metavar="DATE",
        help=N_("with --family-name: the date of birth (DD/MM/YYYY, YYYY-MM-DD or YYYY)"),
    )
    restrict.add_argument(
        "--reason", required=True, choices=tuple(REASONS), help=N_("why processing is restricted")
    )
    restrict.add_argument(
        "--note", default="", help=N_("a note kept with the restriction (not in the audit log)")
    )
    restrict.add_argument(
        "--due-on",
        required=True,
        type=dt.date.fromisoformat,
        metavar="YYYY-MM-DD",
        help=N_("the day the decision is due"),
    )
    lift = add_action(group, "lift", N_("lift a restriction: delivery resumes"), run_lift)
    lift.add_argument("restriction_id", metavar="RESTRICTION_ID")
    lift.add_argument(
        "--decision",
        default="lifted",
        choices=tuple(DECISIONS),
        help=N_("the decision taken (default: lifted)"),
    )
    add_action(
        group,
        "restrictions",
        N_("the restrictions in force, the earliest decision due first"),
        run_restrictions,
    )


async def run_restrict(args: argparse.Namespace) -> int:
    language = output_language(args)
    async with open_store(args) as store:
        placed = await Restrictions(
            store=store, master_key=load_master_key(layout(args)), clock=SystemClock()
        ).restrict(
            by=cli_actor(),
            reason=args.reason,
            note=args.note,
            due_on=args.due_on,
            identifier=args.identifier,
            family_name=args.family_name,
            date_of_birth=args.date_of_birth,
        )
    reason = translate(REASONS[placed.reason], language)
    print(
        translate(
            RESTRICTED,
            language,
            id=placed.id,
            reason=reason,
            signals=placed.signals,
            day=placed.due_on.isoformat(),
        )
    )
    return 0


async def run_lift(args: argparse.Namespace) -> int:
    language = output_language(args)
    async with open_store(args) as store:
        lifted = await Restrictions(
            store=store, master_key=load_master_key(layout(args)), clock=SystemClock()
        ).lift(args.restriction_id, by=cli_actor(), decision=args.decision)
    print(translate(LIFTED, language, id=lifted.restriction.id, signals=lifted.signals))
    return 0


async def run_restrictions(args: argparse.Namespace) -> int:
    language = output_language(args)
    today = SystemClock().now().date()
    async with open_store(args) as store:
        listed = await store.active_restrictions(limit=MAX_LISTED_RESTRICTIONS)
    if not listed:
        print(translate(NO_RESTRICTIONS, language))
        return 0
    print_table(
        tuple(translate(header, language) for header in HEADERS),
        [
            (
                r.id,
                translate(REASONS[r.reason], language),
                r.due_on.isoformat()
                + (f" ({translate(DUE, language)})" if decision_due(r, today) else ""),
                r.signals,
                r.placed_by,
                r.note,
            )
            for r in listed
        ],
    )
    return 0
