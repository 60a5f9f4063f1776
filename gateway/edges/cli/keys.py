"""``euregate partner key``: partners' encryption public keys, added, listed and retired."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from gateway.edges.cli import common
from gateway.infra.audit import timestamp
from gateway.infra.clock import SystemClock
from gateway.infra.errors import RegistryError
from gateway.infra.i18n import N_, translate
from gateway.infra.seal import PartnerKey, Suite
from gateway.registry.admin.keys import add_partner_key, retire_partner_key

KEY_ADDED: Final = N_("added key {key} ({suite}) for {partner}")
KEY_RETIRED: Final = N_("retired key {key} of {partner}")
KEY_STATES: Final = {
    "valid": N_("valid"),
    "not yet valid": N_("not yet valid"),
    "expired": N_("expired"),
    "retired": N_("retired"),
}
KEY_HEADINGS: Final = (N_("key id"), N_("suite"), N_("valid from"), N_("valid until"), N_("state"))


def register(partner_actions: common.Subparsers) -> None:
    """Add ``key`` with its actions under ``partner``."""
    group = partner_actions.add_parser(
        "key", help=N_("a partner's encryption public keys")
    ).add_subparsers(dest="key_command", required=True, metavar="ACTION")

    add = group.add_parser("add", help=N_("register an encryption public key (PEM)"))
    common.add_data_dir(add)
    add.add_argument("partner_id", metavar="PARTNER")
    add.add_argument("--public-key", type=Path, required=True, metavar="FILE")
    add.add_argument(
        "--suite",
        choices=[str(suite) for suite in Suite],
        default=None,
        help=N_(
            "expected suite (default: as the file says; X25519 is one PEM key, "
            "MLKEM768_X25519 an ML-KEM-768 and an X25519 key)"
        ),
    )
    add.add_argument("--valid-from", type=_moment, default=None, metavar="WHEN")
    add.add_argument("--valid-until", type=_moment, default=None, metavar="WHEN")
    add.set_defaults(handler=run_key_add)

    listing = group.add_parser("list", help=N_("a partner's keys, retired ones too"))
    common.add_data_dir(listing)
    listing.add_argument("partner_id", metavar="PARTNER")
    listing.add_argument("--json", action="store_true", help=N_("machine-readable output"))
    listing.set_defaults(handler=run_key_list)

    retire = group.add_parser("retire", help=N_("seal nothing more to a key"))
    common.add_data_dir(retire)
    retire.add_argument("partner_id", metavar="PARTNER")
    retire.add_argument("key_id", metavar="KEY_ID")
    retire.set_defaults(handler=run_key_retire)


def _moment(text: str) -> datetime:
    """ISO 8601 date or date and time; without a zone it is UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date or time: {text!r}") from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def run_key_add(args: argparse.Namespace) -> int:
    try:
        pem = args.public_key.read_bytes()
    except OSError as exc:
        raise RegistryError(
            N_("cannot read {path}: {cause}"), path=args.public_key, cause=exc.strerror or exc
        ) from exc
    async with common.open_store(args) as store:
        key = await add_partner_key(
            store,
            args.partner_id,
            pem,
            now=SystemClock().now(),
            actor=common.cli_actor(),
            suite=None if args.suite is None else Suite(args.suite),
            valid_from=args.valid_from,
            valid_until=args.valid_until,
        )
    print(
        translate(
            KEY_ADDED,
            common.output_language(args),
            key=key.key_id,
            suite=key.suite,
            partner=key.partner_id,
        )
    )
    return 0


def _key_json(key: PartnerKey, now: datetime) -> dict[str, object]:
    def when(moment: datetime | None) -> str | None:
        return None if moment is None else timestamp(moment)

    return {
        "partner_id": key.partner_id,
        "key_id": key.key_id,
        "suite": str(key.suite),
        "valid_from": when(key.valid_from),
        "valid_until": when(key.valid_until),
        "added_at": when(key.added_at),
        "retired_at": when(key.retired_at),
        "state": key.state_at(now),
    }


async def run_key_list(args: argparse.Namespace) -> int:
    async with common.open_store(args) as store:
        keys = await store.partner_keys(args.partner_id)
    now = SystemClock().now()
    documents = [_key_json(key, now) for key in keys]
    if args.json:
        print(json.dumps(documents, indent=2))
        return 0
    language = common.output_language(args)
    common.print_table(
        common.headings(KEY_HEADINGS, language),
        [
            (
                d["key_id"],
                d["suite"],
                d["valid_from"],
                d["valid_until"] or "-",
                translate(KEY_STATES.get(str(d["state"]), str(d["state"])), language),
            )
            for d in documents
        ],
    )
    return 0


async def run_key_retire(args: argparse.Namespace) -> int:
    async with common.open_store(args) as store:
        key = await retire_partner_key(
            store, args.partner_id, args.key_id, actor=common.cli_actor()
        )
    print(
        translate(KEY_RETIRED, common.output_language(args), key=key.key_id, partner=key.partner_id)
    )
    return 0
