"""``euregate review``: a liaison officer's queue from the command line, over the staff API.

The CLI signs in with an API token (``euregate staff token issue``), read from
``$EUREGATE_TOKEN`` or ``--token-file``, never from the command line; it checks the
gateway's certificate against the data directory's CA.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final, TypeVar

from euregate_client import ClientFailure, Problem, Unreachable

from gateway.decide.review import RejectionCategory
from gateway.edges.cli.common import (
    Handler,
    Subparsers,
    add_action,
    code_label,
    headings,
    layout,
    output_language,
    print_table,
)
from gateway.edges.cli.times import add_time_zone, shown_text
from gateway.edges.staff_client import StaffClient
from gateway.infra import pki
from gateway.infra.i18n import N_, translate
from gateway.render.renderer import memory_origin_text
from gateway.translate.types import Provenance

T = TypeVar("T")
DEFAULT_URL = "https://localhost:8444"
NO_TOKEN: Final = N_(
    "no API token; set $EUREGATE_TOKEN or pass --token-file (an administrator issues one "
    "with `euregate staff token issue`)"
)
CORRECTION_MALFORMED: Final = N_("{given}: expected POINTER=TEXT, e.g. /summary=...")
LIST_HEADINGS: Final = (
    N_("id"),
    N_("urgency"),
    N_("recipient"),
    N_("waiting since"),
    N_("why"),
)


def register(commands: Subparsers) -> None:
    group = commands.add_parser("review", help=N_("the liaison officer's review queue"))
    actions = group.add_subparsers(dest="review_command", required=True, metavar="ACTION")

    listing = _action(actions, "list", N_("what waits at your desk, most pressing first"), run_list)
    listing.add_argument("--json", action="store_true", help=N_("machine-readable output"))

    show = _action(actions, "show", N_("the original beside the recipient's rendering"), run_show)
    show.add_argument("item_id", metavar="ID")
    show.add_argument("--json", action="store_true", help=N_("machine-readable output"))

    release = _action(actions, "release", N_("release a message, with corrected text"), run_release)
    release.add_argument("item_id", metavar="ID")
    release.add_argument(
        "--correct",
        action="append",
        default=[],
        metavar="POINTER=TEXT",
        help=N_("corrected text for a field, e.g. /summary='Dépôt de déchets...' (repeatable)"),
    )
    release.add_argument(
        "--correct-file",
        action="append",
        default=[],
        metavar="POINTER=FILE",
        help=N_("corrected text for a field, read from a UTF-8 file (repeatable)"),
    )
    release.add_argument(
        "--as-written",
        action="append",
        default=[],
        metavar="POINTER",
        help=N_(
            "send this field as the sender wrote it, in a language the recipient may not read; "
            "the recipient sees it marked so (repeatable)"
        ),
    )
    release.add_argument(
        "--withhold",
        action="append",
        default=[],
        metavar="POINTER",
        help=N_("leave this field out of the recipient's copy (repeatable)"),
    )

    reject = _action(actions, "reject", N_("reject a message, with a reason"), run_reject)
    reject.add_argument("item_id", metavar="ID")
    reject.add_argument(
        "--reason",
        required=True,
        help=N_("why the message may not go out, in words only the liaison desks read"),
    )
    reject.add_argument(
        "--reason-category",
        required=True,
        choices=[str(category) for category in RejectionCategory],
        help=N_("the reason's category, which the sender is shown"),
    )

    memory = actions.add_parser("memory", help=N_("your desk's translation memory"))
    memory_actions = memory.add_subparsers(dest="memory_command", required=True, metavar="ACTION")
    entries = _action(
        memory_actions, "list", N_("what the officers of your desk taught the memory"), run_memory
    )
    entries.add_argument("--json", action="store_true", help=N_("machine-readable output"))
    confirm = _action(
        memory_actions,
        "confirm",
        N_("confirm another officer's entry, so other desks' officers may use it in review"),
        run_confirm,
    )
    confirm.add_argument("entry_id", metavar="ID")


def _action(
    actions: Subparsers,
    name: str,
    text: str,
    handler: Handler,
) -> argparse.ArgumentParser:
    parser = add_action(actions, name, text, handler)
    parser.add_argument(
        "--url",
        default=os.environ.get("EUREGATE_STAFF_URL", DEFAULT_URL),
        help=N_("the staff listener (default: $EUREGATE_STAFF_URL or %(default)s)"),
    )
    parser.add_argument(
        "--token-file",
        type=Path,
        default=None,
        help=N_("file holding your API token (default: $EUREGATE_TOKEN)"),
    )
    add_time_zone(parser)
    return parser


async def run_list(args: argparse.Namespace) -> int:
    answered = await _call(args, lambda desk: desk.queue())
    if answered is None:
        return 1
    items, language = answered
    if args.json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return 0
    if not items:
        print(translate(N_("Nothing waits at your desk."), language))
        return 0
    print_table(
        headings(LIST_HEADINGS, language),
        [
            (
                item["id"],
                code_label("urgency", item["urgency"], language),
                item["recipient"],
                shown_text(item["created_at"], language, args.time_zone),
                "; ".join(reason["label"] for reason in item["reasons"]),
            )
            for item in items
        ],
    )
    return 0


async def run_show(args: argparse.Namespace) -> int:
    answered = await _call(args, lambda desk: desk.item(args.item_id))
    if answered is None:
        return 1
    case, language = answered
    if args.json:
        print(json.dumps(case, ensure_ascii=False, indent=2))
        return 0
    print(
        translate(
            N_("Message {id} for {recipient} ({urgency}), from {sender}"),
            language,
            id=case["id"],
            recipient=case["recipient"],
            urgency=code_label("urgency", case["urgency"], language),
            sender=case["sender"],
        )
    )
    for reason in case["reasons"]:
        print(translate(N_("  waits: {reason}"), language, reason=reason["label"]))
    original, translation = case["original"], case["translation"]
    untranslated = {f["pointer"]: f["language"] for f in case.get("untranslated", ())}
    for pointer, text in original["fields"].items():
        print()
        print(f"{pointer}")
        label = translate(N_("original"), language)
        written = code_label("language", original["language"], language)
        print(f"  {label} ({written}): {text}")
        if pointer in case["held"]:
            print(
                translate(
                    N_("  held by the sharing rules: goes out only when you release it"), language
                )
            )
        translated = translation["fields"].get(pointer)
        if translated is not None:
            source = _provenance(translated, language)
            into = code_label("language", translated["language"], language)
            print(f"  {source} ({into}): {translated['text']}")
        if pointer in untranslated:
            print(_untranslated_line(pointer, untranslated[pointer], language))
    removed = case["removed"]
    for what, heading in _REMOVED:
        if removed[what]:
            print(f"\n{translate(heading, language)}: {', '.join(removed[what])}")
    rejection = case.get("rejection")
    if rejection is not None:
        print(
            "\n"
            + translate(
                N_("Rejected by {officer} ({category}): {reason}"),
                language,
                officer=case.get("officer", "?"),
                category=case.get("rejection_category", {}).get("label", "?"),
                reason=rejection["reason"],
            )
        )
    print("\n" + translate(N_("What the recipient will read:"), language) + "\n")
    print(case["rendering_text"])
    return 0


async def run_release(args: argparse.Namespace) -> int:
    try:
        corrections = _corrections(args.correct, args.correct_file)
    except CorrectionMalformed as error:
        text = translate(CORRECTION_MALFORMED, output_language(args), given=error.given)
        print(f"euregate review release: {text}", file=sys.stderr)
        return 2
    answered = await _call(
        args,
        lambda desk: desk.release(
            args.item_id, corrections, as_written=args.as_written, withheld=args.withhold
        ),
    )
    if answered is None:
        return 1
    item, language = answered
    print(
        translate(
            N_("Released {id} for {recipient}."),
            language,
            id=item["id"],
            recipient=item["recipient"],
        )
    )
    return 0


async def run_reject(args: argparse.Namespace) -> int:
    answered = await _call(
        args, lambda desk: desk.reject(args.item_id, args.reason, args.reason_category)
    )
    if answered is None:
        return 1
    item, language = answered
    print(
        translate(
            N_("Rejected {id} for {recipient}."),
            language,
            id=item["id"],
            recipient=item["recipient"],
        )
    )
    return 0


async def run_memory(args: argparse.Namespace) -> int:
    answered = await _call(args, lambda desk: desk.memory())
    if answered is None:
        return 1
    entries, language = answered
    if args.json:
        print(json.dumps(entries, ensure_ascii=False, indent=2))
        return 0
    if not entries:
        print(translate(N_("Your desk has taught the translation memory nothing yet."), language))
        return 0
    for entry in entries:
        if entry["confirmed_by"]:
            state = translate(N_("confirmed by {officer}"), language, officer=entry["confirmed_by"])
        else:
            state = translate(N_("not confirmed"), language)
        print(
            translate(
                N_("{id}  {source} → {target}, written by {officer} ({at}); {state}"),
                language,
                id=entry["id"],
                source=entry["source_language"],
                target=entry["target_language"],
                officer=entry["officer"],
                at=shown_text(entry["created_at"], language, args.time_zone),
                state=state,
            )
        )
        print(f"  {entry['source_language']}: {entry['source']}")
        print(f"  {entry['target_language']}: {entry['target']}")
    return 0


async def run_confirm(args: argparse.Namespace) -> int:
    answered = await _call(args, lambda desk: desk.confirm_memory(args.entry_id))
    if answered is None:
        return 1
    entry, language = answered
    print(
        translate(
            N_("Confirmed {id}, written by {officer}: other desks' officers may now use it."),
            language,
            id=entry["id"],
            officer=entry["officer"],
        )
    )
    return 0


_REMOVED = (
    ("withheld", N_("withheld")),
    ("generalised", N_("generalised")),
    ("pseudonymised", N_("pseudonymised")),
)


UNTRANSLATED: Final = N_(
    "  {pointer} is still in {language}, which the recipient does not read: release with "
    "--correct {pointer}=TEXT, --as-written {pointer} or --withhold {pointer}"
)


def _untranslated_line(pointer: str, written_in: str, language: str) -> str:
    return translate(
        UNTRANSLATED,
        language,
        pointer=pointer,
        language=code_label("language", written_in, language),
    )


def _provenance(text: dict[str, Any], language: str) -> str:
    provenance = text["provenance"]
    kind = str(provenance["kind"])
    if kind == "machine":
        engine = provenance.get("engine", "?")
        return translate(N_("machine translation, unreviewed ({engine})"), language, engine=engine)
    if kind == "memory":
        return memory_origin_text(Provenance(**provenance), language)
    if kind == "human":
        officer = provenance.get("officer", "?")
        return translate(N_("corrected by {officer}"), language, officer=officer)
    return translate(N_("as written"), language)


class CorrectionMalformed(ValueError):
    """A ``--correct`` that is not ``POINTER=TEXT``."""

    def __init__(self, given: str) -> None:
        super().__init__(given)
        self.given = given


def _corrections(inline: list[str], files: list[str]) -> dict[str, str]:
    corrections: dict[str, str] = {}
    for given, from_file in [(text, False) for text in inline] + [(f, True) for f in files]:
        pointer, sep, value = given.partition("=")
        if not sep or not pointer.startswith("/"):
            raise CorrectionMalformed(given)
        corrections[pointer] = (
            Path(value).read_text(encoding="utf-8").strip() if from_file else value
        )
    return corrections


def _token(args: argparse.Namespace) -> str | None:
    token_file: Path | None = args.token_file
    if token_file is not None:
        return token_file.read_text(encoding="utf-8").strip()
    return os.environ.get("EUREGATE_TOKEN")


async def _call(
    args: argparse.Namespace, call: Callable[[StaffClient], Awaitable[T]]
) -> tuple[T, str] | None:
    """Run ``call`` against the staff listener: its answer, and the language to speak (``--lang``,
    else the account's, which the gateway answers in); or, on a refusal (in the language of the
    environment when no account is known yet), None, said."""
    token = _token(args)
    if not token:
        print(f"euregate review: {translate(NO_TOKEN, output_language(args))}", file=sys.stderr)
        return None
    context = pki.client_ssl_context(
        certificate=None, private_key=None, server_ca=layout(args).ca_certificate
    )
    desk = StaffClient(
        args.url,
        token=token,
        ssl_context=context,
        language=output_language(args),
        account_language_first=args.lang is None,
    )
    try:
        async with desk:
            answer = await call(desk)
    except Problem as problem:
        title = problem.document.get("title", problem.status)
        print(f"euregate review: {title}", file=sys.stderr)
        detail = problem.document.get("detail")
        if detail:
            print(f"  {detail}", file=sys.stderr)
        spoken = output_language(args, known=desk.answered_language)
        for field in problem.document.get("untranslated", ()):
            print(_untranslated_line(field["pointer"], field["language"], spoken), file=sys.stderr)
        return None
    except Unreachable:
        raise
    except ClientFailure as failure:
        print(f"euregate review: {failure}", file=sys.stderr)
        return None
    return answer, output_language(args, known=desk.answered_language)
