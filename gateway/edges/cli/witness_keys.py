"""``euregate partner witness-key``: the keys partners' witnesses cosign checkpoints with.

A partner makes its witness key on its own side (``euregate partner-kit witness-key``) and
hands in only the verifier key; the administrator registers it here, audited like an
encryption key. A retired key's cosignatures are refused from then on.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Final

from gateway.edges.cli import common
from gateway.infra.audit import timestamp
from gateway.infra.errors import RegistryError
from gateway.infra.i18n import N_, translate
from gateway.registry.admin.keys import add_witness_key, retire_witness_key
from gateway.store import RegisteredWitnessKey

WITNESS_KEY_ADDED: Final = N_("added witness key {name} ({key}) for {partner}")
WITNESS_KEY_RETIRED: Final = N_("retired witness key {name} ({key}) of {partner}")
WITNESS_KEY_HEADINGS: Final = (N_("key id"), N_("name"), N_("added"), N_("retired"))


def register(partner_actions: common.Subparsers) -> None:
    """Add ``witness-key`` with its actions under ``partner``."""
    group = partner_actions.add_parser(
        "witness-key", help=N_("the keys a partner's witness cosigns checkpoints with")
    ).add_subparsers(dest="witness_key_command", required=True, metavar="ACTION")

    add = group.add_parser("add", help=N_("register a witness's verifier key"))
    common.add_data_dir(add)
    add.add_argument("partner_id", metavar="PARTNER")
    given = add.add_mutually_exclusive_group(required=True)
    given.add_argument(
        "--key", type=Path, metavar="FILE", help=N_("a file holding the verifier key")
    )
    given.add_argument("--vkey", metavar="STRING", help=N_("the verifier key itself (name+id+key)"))
    add.set_defaults(handler=run_witness_key_add)

    listing = group.add_parser("list", help=N_("a partner's witness keys, retired ones too"))
    common.add_data_dir(listing)
    listing.add_argument("partner_id", metavar="PARTNER")
    listing.add_argument("--json", action="store_true", help=N_("machine-readable output"))
    listing.set_defaults(handler=run_witness_key_list)

    retire = group.add_parser("retire", help=N_("refuse this key's cosignatures from now on"))
    common.add_data_dir(retire)
    retire.add_argument("partner_id", metavar="PARTNER")
    retire.add_argument("key_id", metavar="KEY_ID", help=N_("the key's 4-byte ID, in hexadecimal"))
    retire.set_defaults(handler=run_witness_key_retire)


async def run_witness_key_add(args: argparse.Namespace) -> int:
    if args.key is not None:
        try:
            vkey = args.key.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise RegistryError(
                N_("cannot read {path}: {cause}"), path=args.key, cause=exc.strerror or exc
            ) from exc
    else:
        vkey = args.vkey
    async with common.open_store(args) as store:
        key = await add_witness_key(store, args.partner_id, vkey, actor=common.cli_actor())
    print(
        translate(
            WITNESS_KEY_ADDED,
            common.output_language(args),
            name=key.name,
            key=key.key_id,
            partner=key.partner_id,
        )
    )
    return 0


def _key_json(key: RegisteredWitnessKey) -> dict[str, object]:
    return {
        "partner_id": key.partner_id,
        "name": key.name,
        "key_id": key.key_id,
        "vkey": key.vkey,
        "added_at": None if key.added_at is None else timestamp(key.added_at),
        "retired_at": None if key.retired_at is None else timestamp(key.retired_at),
    }


async def run_witness_key_list(args: argparse.Namespace) -> int:
    async with common.open_store(args) as store:
        keys = await store.witness_keys(args.partner_id)
    documents = [_key_json(key) for key in keys]
    if args.json:
        print(json.dumps(documents, indent=2))
        return 0
    common.print_table(
        common.headings(WITNESS_KEY_HEADINGS, common.output_language(args)),
        [(d["key_id"], d["name"], d["added_at"], d["retired_at"] or "-") for d in documents],
    )
    return 0


async def run_witness_key_retire(args: argparse.Namespace) -> int:
    async with common.open_store(args) as store:
        key = await retire_witness_key(
            store, args.partner_id, args.key_id, actor=common.cli_actor()
        )
    print(
        translate(
            WITNESS_KEY_RETIRED,
            common.output_language(args),
            name=key.name,
            key=key.key_id,
            partner=key.partner_id,
        )
    )
    return 0
