"""``euregate serve``: run the gateway's HTTPS API."""

from __future__ import annotations

import argparse
import sys

from gateway.decide.sharing import PolicyRefused
from gateway.edges import server
from gateway.edges.cli.common import Subparsers, add_data_dir, settings


def register(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "serve", help="run the gateway: partners over mutual TLS, staff over TLS"
    )
    add_data_dir(parser)
    parser.add_argument(
        "--host", default=None, help="address (default: $EUREGATE_HOST or localhost)"
    )
    parser.add_argument(
        "--port", type=int, default=None, help="port (default: $EUREGATE_PORT or 8443)"
    )
    parser.add_argument(
        "--staff-port",
        type=int,
        default=None,
        help="port of the staff listener (default: $EUREGATE_STAFF_PORT or 8444)",
    )
    parser.add_argument(
        "--max-body-bytes", type=int, default=None, help="largest accepted body (default 262144)"
    )
    parser.add_argument(
        "--migrate",
        dest="migrate_on_start",
        action="store_const",
        const=True,
        default=None,
        help="bring an out-of-date store schema forward first, as `euregate migrate` does "
        "(default: $EUREGATE_MIGRATE_ON_START, else refuse to start)",
    )
    parser.set_defaults(handler=run_serve)


async def run_serve(args: argparse.Namespace) -> int:
    config = settings(args)

    def announce(url: str, staff_url: str) -> None:
        print(f"Staff listener (review API) on {staff_url}", flush=True)
        print(f"Euregate listening on {url} (data directory: {config.data_dir})", flush=True)

    try:
        await server.run(config, announce=announce)
    except PolicyRefused as refusal:
        print("euregate serve: the sharing policy cannot come into force:", file=sys.stderr)
        for problem in refusal.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    return 0
