"""The ``euregate`` command: one sub-module per command group, each registering its parsers.

Every handler is a coroutine; :func:`main` runs the one chosen, with ``asyncio.run``, once.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence

from gateway.edges.cli import (
    admin,
    audit,
    delivery,
    doctor,
    inbox,
    key_lifecycle,
    partner_kit,
    policy,
    requests,
    review,
    schema,
    send,
    serve,
    staff,
    store_move,
    upkeep,
    witness,
)
from gateway.edges.cli.common import output_language
from gateway.edges.problems import problem_document
from gateway.infra.errors import EuregateError
from gateway.infra.vault import VaultError

COMMAND_GROUPS = (
    admin,
    partner_kit,
    serve,
    send,
    inbox,
    delivery,
    requests,
    schema,
    policy,
    staff,
    review,
    audit,
    witness,
    doctor,
    upkeep,
    store_move,
    key_lifecycle,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="euregate",
        description="Euregate, the information-exchange gateway of the Meuse-Rhine Euregio.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `euregate ... | head` ends quietly
    args = build_parser().parse_args(argv)
    try:
        code: int = asyncio.run(args.handler(args))
    except EuregateError as error:
        detail = problem_document(error, language=output_language(args))["detail"]
        print(f"euregate: {detail}", file=sys.stderr)
        return 1
    except VaultError as error:
        print(f"euregate: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return code
