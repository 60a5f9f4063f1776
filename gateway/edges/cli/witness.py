"""``euregate witness run``: a partner's witness of the gateway's audit log, on its own side.

Each run cosigns the gateway's latest checkpoint only if it extends the one this witness
cosigned before (kept in ``--state``) and agrees with what the other witnesses cosigned at
that size (:mod:`gateway.transparency.witnessing`). A refusal keeps both checkpoints as
evidence beside the state, reports them to the gateway, says what was found in the user's
language, and ends the command with exit code 1.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Final

from euregate_client import ClientFailure, EuregateClient

from gateway.edges.cli.common import Subparsers, add_action, layout, output_language, settings
from gateway.edges.cli.partner_side import add_connection, partner_client
from gateway.edges.problems import problem_document
from gateway.infra.clock import SystemClock
from gateway.infra.errors import RegistryError, WitnessRefusal
from gateway.infra.i18n import N_, translate
from gateway.transparency.witness_keys import read_witness_key
from gateway.transparency.witnessing import Witness, Witnessed, WitnessState, keep_evidence

FIRST_RUN: Final = N_(
    "Cosigned the gateway's checkpoint of {size} entries. This was the first run: from now on "
    "only checkpoints that extend it are cosigned."
)
COSIGNED: Final = N_(
    "Cosigned the gateway's checkpoint of {size} entries: it extends the checkpoint of "
    "{previous} entries cosigned before, and {agreeing} other witness(es) cosigned the same."
)
REFUSED: Final = N_("NOT COSIGNED. {title}: {detail}")
EVIDENCE: Final = N_("Both checkpoints are kept in {folder}.")
REPORTED: Final = N_("The gateway was told (report {report}).")
NOT_REPORTED: Final = N_("The gateway could not be told: {reason}")
UNREACHABLE: Final = N_("The gateway could not be reached: {reason}")


def register(commands: Subparsers) -> None:
    group = commands.add_parser(
        "witness", help=N_("a partner's witness of the gateway's audit log")
    ).add_subparsers(dest="witness_command", required=True, metavar="ACTION")
    run = add_action(group, "run", N_("cosign the gateway's checkpoints as they grow"), run_witness)
    add_connection(run)
    run.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help=N_(
            "the checkpoint this witness cosigned last (default: witness.state beside the "
            "partner's certificate)"
        ),
    )
    run.add_argument(
        "--witness-key",
        type=Path,
        metavar="FILE",
        help=N_(
            "the witness's private key (default: witness.key beside the partner's certificate)"
        ),
    )
    run.add_argument("--once", action="store_true", help=N_("one run, then exit"))
    run.add_argument(
        "--interval", type=float, default=60.0, help=N_("seconds between runs (default 60)")
    )


async def run_witness(args: argparse.Namespace) -> int:
    language = output_language(args)
    data = layout(args)
    state_path: Path = args.state or data.partner_witness_state(args.partner)
    key_path: Path = args.witness_key or data.partner_witness_key(args.partner)
    cosigner = read_witness_key(_read(key_path))
    origin = settings(args).audit_origin
    clock = SystemClock()
    async with partner_client(args, language=language) as client:
        witness = Witness(client, cosigner, partner_id=args.partner, clock=clock)
        while True:
            state = _state(state_path, origin)
            try:
                state, witnessed = await witness.run_once(state)
            except WitnessRefusal as refusal:
                folder = keep_evidence(state_path.parent / "witness-evidence", refusal, clock.now())
                await _tell(client, refusal, folder, language)
                return 1
            except ClientFailure as failure:
                print(translate(UNREACHABLE, language, reason=failure), file=sys.stderr)
                if args.once:
                    return 2
            else:
                state.write(state_path)
                print(_cosigned(witnessed, language), flush=True)
                if args.once:
                    return 0
            await asyncio.sleep(args.interval)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RegistryError(
            N_("cannot read {path}: {cause}"), path=path, cause=exc.strerror
        ) from exc


def _state(path: Path, origin: str) -> WitnessState:
    """The witness's state, or a refusal that names the file."""
    try:
        return WitnessState.read(path, origin=origin)
    except (OSError, ValueError) as exc:
        raise RegistryError(
            N_("{path} is not a witness state: {cause}"), path=path, cause=exc
        ) from exc


def _cosigned(witnessed: Witnessed, language: str) -> str:
    if witnessed.previous_size is None:
        return translate(FIRST_RUN, language, size=witnessed.size)
    return translate(
        COSIGNED,
        language,
        size=witnessed.size,
        previous=witnessed.previous_size,
        agreeing=witnessed.agreeing,
    )


async def _tell(
    client: EuregateClient, refusal: WitnessRefusal, folder: Path, language: str
) -> None:
    """Say what was found, where the evidence is, and report it to the gateway."""
    document = problem_document(refusal, language=language)
    print(translate(REFUSED, language, title=document["title"], detail=document["detail"]))
    print(translate(EVIDENCE, language, folder=folder))
    try:
        report = await client.report_inconsistency(
            refusal.kind, refusal.previous, refusal.submitted
        )
    except ClientFailure as failure:
        print(translate(NOT_REPORTED, language, reason=failure))
    else:
        print(translate(REPORTED, language, report=report["id"]))
