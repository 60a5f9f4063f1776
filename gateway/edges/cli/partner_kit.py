"""``euregate partner-kit``: what a partner runs on its own side, never at the gateway.

``partner-kit csr`` makes the partner's private key and a PKCS #10 certificate signing request
for it. The key stays with the partner (written with mode 0600, never over an existing file);
the request goes to the gateway's administrator, who certifies its public key with
``euregate cert issue PARTNER --csr FILE`` (or ``cert webhook``). ``partner-kit witness-key``
makes the key the partner's witness cosigns checkpoints with, the same way: the administrator
registers its verifier key with ``euregate partner witness-key add``. ``partner-kit
encryption-key`` makes the key pair the gateway seals the partner's envelopes to: the public
key goes to the administrator (``euregate partner key add``); for the post-quantum suite it
writes the private key also as X-Wing's own 32-byte seed, for libraries that take only that
(``docs/envelope.md``).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Final

from gateway.edges.cli.common import Subparsers, output_language, print_table
from gateway.infra import pki, seal
from gateway.infra.datafiles import write_private, write_public
from gateway.infra.errors import RegistryError
from gateway.infra.i18n import LANGUAGES, N_, translate
from gateway.transparency.witness_keys import new_witness_key

USES = ("client", "webhook")


PRIVATE_KEY: Final = N_("private key")
REQUEST: Final = N_("request")
VERIFIER_KEY: Final = N_("verifier key")
KEEP_KEY: Final = N_("{path}  (keep it here; it never leaves your systems)")
KEEP_WITNESS_KEY: Final = N_("{path}  (keep it here; your witness signs with it)")
HAND_IN: Final = N_("{path}  (send it to the gateway's administrator)")
PUBLIC_KEY: Final = N_("public key")
XWING_SEED: Final = N_("X-Wing seed")
KEEP_SEED: Final = N_("{path}  (the same private key as X-Wing's 32-byte seed, in hex; keep it)")


def register(commands: Subparsers) -> None:
    group = commands.add_parser(
        "partner-kit", help=N_("a partner's own tools: its key and certificate request")
    )
    actions = group.add_subparsers(dest="kit_command", required=True, metavar="ACTION")
    csr = actions.add_parser(
        "csr", help=N_("make a private key and a certificate signing request for it")
    )
    csr.add_argument(
        "partner_id", metavar="PARTNER", help=N_("your partner id, e.g. nl-pol-limburg")
    )
    csr.add_argument(
        "--for",
        dest="use",
        choices=USES,
        default="client",
        help=N_(
            "client: the certificate your system presents to the gateway (default); "
            "webhook: your webhook server's certificate"
        ),
    )
    csr.add_argument(
        "--out", type=Path, default=Path(), help=N_("directory for the key and the request")
    )
    csr.add_argument("--lang", choices=LANGUAGES, help=N_("language of the messages"))
    csr.set_defaults(handler=run_csr)
    witness = actions.add_parser(
        "witness-key", help=N_("make your witness's key and the verifier key to hand in")
    )
    witness.add_argument("partner_id", metavar="PARTNER", help=N_("your partner id"))
    witness.add_argument(
        "--out", type=Path, default=Path(), help=N_("directory for witness.key and witness.vkey")
    )
    witness.add_argument("--lang", choices=LANGUAGES, help=N_("language of the messages"))
    witness.set_defaults(handler=run_witness_key)
    encryption = actions.add_parser(
        "encryption-key",
        help=N_("make the key pair the gateway seals your envelopes to"),
    )
    encryption.add_argument("partner_id", metavar="PARTNER", help=N_("your partner id"))
    encryption.add_argument(
        "--suite",
        choices=[str(suite) for suite in seal.Suite],
        default=str(seal.Suite.X25519),
        help=N_("X25519 (default), or MLKEM768_X25519: X-Wing, post-quantum"),
    )
    encryption.add_argument(
        "--out",
        type=Path,
        default=Path(),
        help=N_("directory for encryption.key, encryption.pub and encryption.xwing"),
    )
    encryption.add_argument("--lang", choices=LANGUAGES, help=N_("language of the messages"))
    encryption.set_defaults(handler=run_encryption_key)


async def run_csr(args: argparse.Namespace) -> int:
    key_path = args.out / f"{args.use}.key"
    request_path = args.out / f"{args.use}.csr"
    if key_path.exists() or request_path.exists():
        raise RegistryError(N_("{path} already exists; choose another --out"), path=key_path)
    key_pem, request_pem = pki.make_request(args.partner_id)
    write_private(key_path, key_pem)
    write_public(request_path, request_pem)
    language = output_language(args)
    print_table(
        ("", ""),
        [
            (translate(PRIVATE_KEY, language), translate(KEEP_KEY, language, path=key_path)),
            (translate(REQUEST, language), translate(HAND_IN, language, path=request_path)),
        ],
    )
    return 0


async def run_witness_key(args: argparse.Namespace) -> int:
    key_path, vkey_path = args.out / "witness.key", args.out / "witness.vkey"
    if key_path.exists() or vkey_path.exists():
        raise RegistryError(N_("{path} already exists; choose another --out"), path=key_path)
    private, vkey = new_witness_key(f"{args.partner_id}/witness")
    write_private(key_path, private.encode() + b"\n")
    write_public(vkey_path, vkey.encode() + b"\n")
    language = output_language(args)
    print_table(
        ("", ""),
        [
            (
                translate(PRIVATE_KEY, language),
                translate(KEEP_WITNESS_KEY, language, path=key_path),
            ),
            (translate(VERIFIER_KEY, language), translate(HAND_IN, language, path=vkey_path)),
        ],
    )
    return 0


async def run_encryption_key(args: argparse.Namespace) -> int:
    """The key pair in the PEM form the gateway's tools read; for MLKEM768_X25519 made from an
    X-Wing seed, which is written beside it (``encryption.xwing``, 64 hex digits)."""
    suite = seal.Suite(args.suite)
    key_path, public_path = args.out / "encryption.key", args.out / "encryption.pub"
    seed_path = args.out / "encryption.xwing"
    for path in (key_path, public_path, seed_path):
        if path.exists():
            raise RegistryError(N_("{path} already exists; choose another --out"), path=path)
    language = output_language(args)
    rows = []
    if suite is seal.Suite.MLKEM768_X25519:
        seed = os.urandom(seal.XWING_SEED_SIZE)
        private, public = seal.xwing_key_pair(seed)
        write_private(seed_path, seed.hex().encode() + b"\n")
    else:
        private, public = seal.generate_key_pair(suite)
    write_private(key_path, private)
    write_public(public_path, public)
    rows.append((translate(PRIVATE_KEY, language), translate(KEEP_KEY, language, path=key_path)))
    if suite is seal.Suite.MLKEM768_X25519:
        rows.append(
            (translate(XWING_SEED, language), translate(KEEP_SEED, language, path=seed_path))
        )
    rows.append((translate(PUBLIC_KEY, language), translate(HAND_IN, language, path=public_path)))
    print_table(("", ""), rows)
    return 0
