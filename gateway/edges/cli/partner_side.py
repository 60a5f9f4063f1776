"""What the partner-side commands share: the partner's credentials and a client of the gateway.

The demo data directory plays every partner: ``--as PARTNER`` takes its certificate and key
from ``partners/PARTNER/`` and the gateway's CA from ``ca/``; a real partner names its own
files with ``--cert``, ``--key`` and ``--ca``.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Final

from euregate_client import EuregateClient

from gateway.edges.cli.common import open_store, settings
from gateway.edges.cli.failures import unknown_partner
from gateway.infra import pki
from gateway.infra.config import DataDir
from gateway.infra.datafiles import require_data_dir
from gateway.infra.errors import EuregateError
from gateway.infra.i18n import N_


def add_connection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as",
        dest="partner",
        required=True,
        metavar="PARTNER",
        help=N_(
            "the partner you act as: its id, whose certificate and keys the data directory holds"
        ),
    )
    parser.add_argument("--cert", type=Path, help=N_("client certificate (default: the demo one)"))
    parser.add_argument("--key", type=Path, help=N_("client private key (default: the demo one)"))
    parser.add_argument("--ca", type=Path, help=N_("the gateway's CA certificate (PEM)"))
    parser.add_argument(
        "--url", help=N_("gateway URL (default: https://$EUREGATE_HOST:$EUREGATE_PORT)")
    )


def known_partner(data: DataDir, partner: str) -> str:
    """``partner``, if the data directory holds its credentials; else what ``--as`` should
    have said (:class:`~gateway.infra.errors.UnknownPartnerName`)."""
    require_data_dir(data)
    if not data.partner_dir(partner).is_dir():
        folder = data.partner_dir(partner).parent
        known = [p.name for p in folder.iterdir() if p.is_dir()] if folder.is_dir() else []
        raise unknown_partner(partner, str(data.root), known)
    return partner


LANGUAGE_LOOKUP_WAIT: Final = 2.0
"""Seconds the partner's language is looked for in a store before the command goes on
without it: a partner-side command talks to the gateway, not to its database."""


async def partner_language(args: argparse.Namespace) -> str | None:
    """The first language of ``--as`` in the registry, where the data directory holds the
    gateway's store (the demo's does); None where it holds only the partner's own files, or
    where the store does not answer within :data:`LANGUAGE_LOOKUP_WAIT`."""
    try:
        async with asyncio.timeout(LANGUAGE_LOOKUP_WAIT), open_store(args) as store:
            partner = await store.partner(args.partner)
    except (EuregateError, OSError, TimeoutError):
        return None
    return partner.languages[0] if partner.languages else None


def partner_client(args: argparse.Namespace, *, language: str) -> EuregateClient:
    """A client of the gateway as ``--as`` (with its own files where given)."""
    config = settings(args)
    data = DataDir(config.data_dir)
    if args.cert is None or args.key is None:
        known_partner(data, args.partner)
    context = pki.client_ssl_context(
        certificate=args.cert or data.partner_certificate(args.partner),
        private_key=args.key or data.partner_key(args.partner),
        server_ca=args.ca or data.ca_certificate,
    )
    url = args.url or f"https://{config.host}:{config.port}"
    return EuregateClient(url, ssl_context=context, language=language)
