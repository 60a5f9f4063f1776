"""The ``euregate`` command: one sub-module per command group, each registering its parsers.

Every handler is a coroutine; :func:`main` runs the one chosen, with ``asyncio.run``, once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Sequence
from importlib.metadata import version

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
    retention,
    review,
    schema,
    send,
    serve,
    staff,
    status,
    store_move,
    subject,
    upkeep,
    withdraw,
    witness,
)
from gateway.edges.cli.common import KNOWN_LANGUAGE, Handler, output_language
from gateway.edges.cli.failures import explained
from gateway.edges.cli.language import TranslatedParser, chosen_language, language_of_argv, speaking
from gateway.edges.cli.partner_side import partner_language
from gateway.edges.problems import problem_document
from gateway.infra.errors import CommandMistake
from gateway.infra.i18n import N_
from gateway.infra.logs import leave_library_records_unsaid
from gateway.infra.vault import VaultError

DEBUG = "--debug"

COMMAND_GROUPS = (
    admin,
    partner_kit,
    serve,
    send,
    status,
    withdraw,
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
    retention,
    subject,
    store_move,
    key_lifecycle,
)


def build_parser() -> argparse.ArgumentParser:
    """Every command's parser; its help is printed in the language :func:`speaking` sets."""
    parser = TranslatedParser(
        prog="euregate",
        description=N_("Euregate, the information-exchange gateway of the Meuse-Rhine Euregio."),
    )
    parser.add_argument(
        DEBUG,
        action="store_true",
        help=N_("show the traceback of an error (anywhere on the line)"),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {version('euregate')}",
        help=N_("show the version of Euregate and exit"),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(commands)
    return parser


async def _run(handler: Handler, args: argparse.Namespace) -> int:
    """``handler`` on ``args``, once what the gateway knows of a ``--as`` partner's language
    is on them: every command that acts as a partner speaks by the same rule, and so do the
    refusals :func:`main` tells."""
    if getattr(args, "lang", None) is None and getattr(args, "partner", None):
        setattr(args, KNOWN_LANGUAGE, await partner_language(args))
    return await handler(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command ``argv`` asks for; its exit code. What stops it is said in one line of
    the user's language (exit code 2 for a mistake in what was given, 1 otherwise), or shown
    with its traceback under ``--debug`` (anywhere on the line) or ``$EUREGATE_DEBUG``."""
    if argv is None:
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `euregate ... | head` ends quietly
    leave_library_records_unsaid()
    given = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG in given or bool(os.environ.get("EUREGATE_DEBUG"))
    with speaking(chosen_language(language_of_argv(given))):
        args = build_parser().parse_args([arg for arg in given if arg != DEBUG])
    try:
        code = asyncio.run(_run(args.handler, args))
    except KeyboardInterrupt:
        return 130
    except VaultError as error:
        if debug:
            raise
        print(f"euregate: {error}", file=sys.stderr)
        return 1
    except Exception as failure:
        if debug:
            raise
        told = explained(failure)
        detail = problem_document(told, language=output_language(args))["detail"]
        print(f"euregate: {detail}", file=sys.stderr)
        return told.exit_code if isinstance(told, CommandMistake) else 1
    return code
