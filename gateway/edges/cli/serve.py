"""``euregate serve``: run the gateway's HTTPS API."""

from __future__ import annotations

import argparse
import sys
from typing import Final

from gateway.decide.sharing import PolicyRefused
from gateway.edges import server, workers
from gateway.edges.cli.common import Subparsers, add_data_dir, output_language, settings
from gateway.infra.config import DataDir
from gateway.infra.i18n import N_, translate
from gateway.infra.logs import configure

STAFF_LISTENING: Final = N_("Staff listener (review API) on {url}")
LISTENING: Final = N_("Euregate listening on {url} (data directory: {path})")
POLICY_REFUSED: Final = N_("the sharing policy cannot come into force:")


def register(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "serve",
        help=N_(
            "run the gateway: partners over mutual TLS, staff over TLS, monitoring on loopback"
        ),
    )
    add_data_dir(parser)
    parser.add_argument(
        "--host", default=None, help=N_("address (default: $EUREGATE_HOST or localhost)")
    )
    parser.add_argument(
        "--port", type=int, default=None, help=N_("port (default: $EUREGATE_PORT or 8443)")
    )
    parser.add_argument(
        "--staff-port",
        type=int,
        default=None,
        help=N_("port of the staff listener (default: $EUREGATE_STAFF_PORT or 8444)"),
    )
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=None,
        help=N_("largest accepted body (default 262144)"),
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help=N_(
            "gateway processes sharing the listeners and the store (default: $EUREGATE_WORKERS "
            "or 1; one per core uses them all)"
        ),
    )
    parser.add_argument(workers.INHERIT_OPTION, dest="inherit_listeners", help=argparse.SUPPRESS)
    parser.add_argument(
        "--operations-host",
        default=None,
        help=N_(
            "address of the operations listener, /healthz /readyz /metrics in plain HTTP, "
            "loopback only (default: $EUREGATE_OPERATIONS_HOST or 127.0.0.1)"
        ),
    )
    parser.add_argument(
        "--operations-port",
        type=int,
        default=None,
        help=N_("port of the operations listener (default: $EUREGATE_OPERATIONS_PORT or 9443)"),
    )
    parser.add_argument(
        "--log-format",
        choices=("console", "json"),
        default=None,
        help=N_(
            "operational logs as lines for people or JSON for machines (default: "
            "$EUREGATE_LOG_FORMAT, else console at a terminal and json otherwise)"
        ),
    )
    parser.add_argument(
        "--migrate",
        dest="migrate_on_start",
        action="store_const",
        const=True,
        default=None,
        help=N_(
            "bring an out-of-date store schema forward first, as `euregate migrate` does "
            "(default: $EUREGATE_MIGRATE_ON_START, else refuse to start)"
        ),
    )
    parser.set_defaults(handler=run_serve)


async def run_serve(args: argparse.Namespace) -> int:
    config = settings(args)
    language = output_language(args)

    def announce(url: str, staff_url: str) -> None:
        print(translate(STAFF_LISTENING, language, url=staff_url), flush=True)
        print(translate(LISTENING, language, url=url, path=config.data_dir), flush=True)

    try:
        if args.inherit_listeners:
            inherited = workers.inherited(args.inherit_listeners)
            workers.stop_with_parent(inherited)
            await server.run(config, announce=lambda *_: None, listeners=inherited)
        elif config.workers > 1:
            configure(config.log_level)
            await server.prepare(config)
            return await workers.supervise(
                sys.argv[1:],
                host=config.host,
                ports=(config.port, config.staff_port),
                count=config.workers,
                operations=config.operations_port,
                pid_file=DataDir(config.data_dir).pid_file,
                announce=announce,
            )
        else:
            await server.run(config, announce=announce)
    except PolicyRefused as refusal:
        print(f"euregate serve: {translate(POLICY_REFUSED, language)}", file=sys.stderr)
        for problem in refusal.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    return 0
