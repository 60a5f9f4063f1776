"""``euregate inbox pull``: a partner's messages, verified, decrypted, shown and acknowledged.

Each envelope is checked against the gateway's signing keys, opened with the partner's own
private key, printed in the partner's language, and only then acknowledged; an envelope
that does not verify or open is reported and left unacknowledged, so it comes again.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Final

from euregate_client import ClientFailure, EuregateClient, Problem, Unreachable, open_message

from gateway.edges.cli.common import Subparsers, add_data_dir, output_language, settings
from gateway.edges.cli.partner_side import (
    add_connection,
    known_partner,
    partner_client,
)
from gateway.edges.problems import problem_document
from gateway.flow.withdrawal import notice_text
from gateway.infra import seal
from gateway.infra.config import DataDir
from gateway.infra.errors import EnvelopeRefused
from gateway.infra.i18n import N_, translate

NO_NEW_MESSAGES: Final = N_("No new messages.")
CANNOT_REACH: Final = N_("cannot reach the gateway: {reason}")
REFUSAL: Final = N_("refused ({status}): {title}: {detail}")
NOTICE: Final = N_("Notice: {text}")


def register(commands: Subparsers) -> None:
    group = commands.add_parser("inbox", help=N_("a partner's inbox: pull, decrypt, acknowledge"))
    actions = group.add_subparsers(dest="inbox_command", required=True, metavar="ACTION")
    pull = actions.add_parser("pull", help=N_("fetch, verify, decrypt, print and acknowledge"))
    add_data_dir(pull)
    add_connection(pull)
    pull.add_argument(
        "--decryption-key",
        type=Path,
        help=N_("the partner's HPKE private key (default: encryption.key beside its certificate)"),
    )
    pull.add_argument("--after", type=int, default=0, help=N_("start after this inbox position"))
    pull.add_argument("--limit", type=int, default=100, help=N_("at most this many per fetch"))
    pull.add_argument("--watch", action="store_true", help=N_("keep long-polling for new messages"))
    pull.add_argument("--no-ack", action="store_true", help=N_("show, but do not acknowledge"))
    pull.add_argument("--json", action="store_true", help=N_("one JSON message per line"))
    pull.set_defaults(handler=run_pull)


async def run_pull(args: argparse.Namespace) -> int:
    data = DataDir(settings(args).data_dir)
    if args.decryption_key is None:
        known_partner(data, args.partner)
    key_file: Path = args.decryption_key or data.partner_encryption_key(args.partner)
    private_key = seal.load_private_key(key_file.read_bytes())
    language = output_language(args)
    try:
        return await _pull(args, partner_client(args, language=language), private_key, language)
    except Problem as problem:
        print(f"euregate inbox: {refusal(problem, language)}", file=sys.stderr)
    except Unreachable:
        raise
    except ClientFailure as failure:
        print(
            "euregate inbox: " + translate(CANNOT_REACH, language, reason=failure),
            file=sys.stderr,
        )
    except KeyboardInterrupt:
        return 130
    return 1


def refusal(problem: Problem, language: str) -> str:
    """A refusal from the gateway, as one line in ``language``."""
    document = problem.document
    return translate(
        REFUSAL,
        language,
        status=problem.status,
        title=document.get("title", ""),
        detail=document.get("detail", ""),
    )


async def _pull(
    args: argparse.Namespace,
    client: EuregateClient,
    private_key: seal.RecipientPrivateKey,
    language: str,
) -> int:
    refused = shown = 0
    async with client:
        keys = await client.gateway_keys()
        after = args.after
        while True:
            answer = await client.inbox_page(
                after=after, limit=args.limit, wait=30 if args.watch else 0
            )
            for entry in answer["envelopes"]:
                try:
                    message = open_message(
                        entry, private_key=private_key, recipient_id=args.partner, gateway_keys=keys
                    )
                except EnvelopeRefused as error:
                    refused += 1
                    detail = problem_document(error, language=language)["detail"]
                    print(f"euregate inbox: {entry['id']}: {detail}", file=sys.stderr)
                    continue
                _show(message.content, entry, args, language)
                shown += 1
                if not args.no_ack:
                    await client.acknowledge(message.envelope_id)
            after = int(answer["cursor"])
            if not args.watch and not answer["envelopes"]:
                break
    if not shown and not refused and not args.json:
        print(translate(NO_NEW_MESSAGES, language))
    return 1 if refused else 0


def notice_line(content: dict[str, Any], language: str) -> str:
    """A notice about a signal sent before, as one line in the reader's ``language``."""
    text = notice_text(content.get("notice") or {}, str(content["signal_id"]), language)
    return translate(NOTICE, language, text=text)


def _show(
    content: dict[str, Any], entry: dict[str, Any], args: argparse.Namespace, language: str
) -> None:
    if args.json:
        print(json.dumps({"envelope": entry["id"], "message": content}, ensure_ascii=False))
        return
    if content.get("kind") == "notice":
        print(notice_line(content, language))
        return
    heading = translate(
        N_("Message {envelope} (signal {signal}, version {version}, from {sender})"),
        language,
        envelope=entry["id"],
        signal=content["signal_id"],
        version=content["version"],
        sender=content["sender"],
    )
    print(heading)
    if content["review"] == "pending":
        print(
            translate(
                N_("The free text is not yet reviewed; a reviewed version follows."), language
            )
        )
    print()
    print(content["text"])
