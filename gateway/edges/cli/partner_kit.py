"""``euregate partner-kit``: what a partner runs on its own side, never at the gateway.

``partner-kit csr`` makes the partner's private key and a PKCS #10 certificate signing request
for it. The key stays with the partner (written with mode 0600, never over an existing file);
the request goes to the gateway's administrator, who certifies its public key with
``euregate cert issue PARTNER --csr FILE`` (or ``cert webhook``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gateway.edges.cli.admin import Subparsers
from gateway.infra import pki
from gateway.infra.errors import RegistryError
from gateway.registry.datadir import write_private, write_public

USES = ("client", "webhook")


def register(commands: Subparsers[argparse.ArgumentParser]) -> None:
    group = commands.add_parser(
        "partner-kit", help="a partner's own tools: its key and certificate request"
    )
    actions = group.add_subparsers(dest="kit_command", required=True, metavar="ACTION")
    csr = actions.add_parser(
        "csr", help="make a private key and a certificate signing request for it"
    )
    csr.add_argument("partner_id", metavar="PARTNER", help="your partner id, e.g. nl-pol-limburg")
    csr.add_argument(
        "--for",
        dest="use",
        choices=USES,
        default="client",
        help="client: the certificate your system presents to the gateway (default); "
        "webhook: your webhook server's certificate",
    )
    csr.add_argument(
        "--out", type=Path, default=Path(), help="directory for the key and the request"
    )
    csr.set_defaults(handler=run_csr)


async def run_csr(args: argparse.Namespace) -> int:
    key_path = args.out / f"{args.use}.key"
    request_path = args.out / f"{args.use}.csr"
    if key_path.exists() or request_path.exists():
        raise RegistryError("{path} already exists; choose another --out", path=key_path)
    key_pem, request_pem = pki.make_request(args.partner_id)
    write_private(key_path, key_pem)
    write_public(request_path, request_pem)
    print(f"private key  {key_path}  (keep it here; it never leaves your systems)")
    print(f"request      {request_path}  (send it to the gateway's administrator)")
    return 0
