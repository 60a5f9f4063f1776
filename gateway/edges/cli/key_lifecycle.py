"""``euregate keys``: the gateway's own keys over their life: the master key's versions and
their rotation, the signing key's rotation, and a master key made inside an HSM."""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Final

from gateway.edges.cli import common
from gateway.flow.rewrap import Progress
from gateway.infra.clock import SystemClock
from gateway.infra.errors import RegistryError
from gateway.infra.hsm import TokenUri, create_token_key
from gateway.infra.i18n import N_, translate
from gateway.infra.keyring import State, read_keyring
from gateway.infra.vault import VaultError
from gateway.registry.admin.master_key import rotate_master_key
from gateway.registry.admin.signing_key import rotate_signing_key

STARTED = N_("master key version {version} seals from now on; re-wrapping what older ones sealed")
RESUMED = N_("finishing the rotation to master key version {version}")
BATCH = N_("{count} value(s) re-wrapped")
ROTATED = N_(
    "done: {count} value(s) re-wrapped in this run; master key version {version} is the only "
    "one in use"
)
RETIRED = N_("version {version} is retired: delete {key} once no backup made before today needs it")
SIGNING_ROTATED = N_(
    "signing key {new} signs from now on; {old} stays listed until {retires_at}. Restart the "
    "gateway (or each instance) for it to sign with the new key."
)
HSM_KEY_MADE = N_("made AES-256 key {object} in token {token}; it never leaves the token")
MASTER_KEY_STATES: Final[Mapping[State, str]] = {
    "current": N_("current (seals)"),
    "draining": N_("draining (being re-wrapped)"),
    "retired": N_("retired"),
}
"""A master key version's state in the key ring, as ``keys list`` shows it."""


def register(commands: common.Subparsers) -> None:
    group = commands.add_parser(
        "keys", help=N_("the gateway's own keys: rotate the master and signing keys")
    ).add_subparsers(dest="keys_command", required=True, metavar="ACTION")

    master = common.add_action(
        group,
        "rotate-master",
        N_("re-wrap every data key under a new master key version (run again to resume)"),
        run_rotate_master,
    )
    master.add_argument(
        "--to",
        metavar="PKCS11_URI",
        default=None,
        help=N_("the new version is this key in an HSM (default: a new key file in keys/)"),
    )
    master.add_argument("--batch", type=_positive, default=500, help=N_("values per transaction"))
    master.add_argument(
        "--pause",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help=N_("wait between batches, to go easy on a gateway that serves meanwhile"),
    )

    common.add_action(group, "list", N_("the master key's versions and their state"), run_list)

    signing = common.add_action(
        group,
        "rotate-signing",
        N_("a new signing key signs from now on; the old one retires after the grace period"),
        run_rotate_signing,
    )
    signing.add_argument(
        "--grace-days",
        type=_positive,
        default=None,
        help=N_(
            "days the old key stays listed as valid (default: the signing_key_grace_days setting)"
        ),
    )

    hsm = common.add_action(
        group, "hsm-create", N_("make a master key inside an HSM token (PKCS#11)"), run_hsm_create
    )
    hsm.add_argument("uri", metavar="PKCS11_URI")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


@contextmanager
def _refused() -> Iterator[None]:
    """A key that cannot be read or used is the administrator's to fix: said, not a trace."""
    try:
        yield
    except VaultError as exc:
        raise RegistryError(str(exc)) from exc


async def run_rotate_master(args: argparse.Namespace) -> int:
    language = common.output_language(args)
    data = common.layout(args)
    with _refused():
        before = read_keyring(data)
        if before.draining:
            print(translate(RESUMED, language, version=before.current.version), flush=True)
        else:
            print(translate(STARTED, language, version=before.next_version), flush=True)

        def on_batch(progress: Progress) -> None:
            print(translate(BATCH, language, count=progress.total), flush=True)

        async with common.open_store(args) as store:
            rotated = await rotate_master_key(
                data,
                store,
                actor=common.cli_actor(),
                to=args.to,
                batch=args.batch,
                pause=args.pause,
                on_batch=on_batch,
            )
    print(
        translate(ROTATED, language, count=rotated.progress.total, version=rotated.version),
        flush=True,
    )
    after = read_keyring(data)
    for entry in after.versions:
        if entry.version in rotated.retired:
            key = entry.key.removeprefix("file:")
            shown = str(data.master_key.parent / key) if key != entry.key else entry.key
            print(translate(RETIRED, language, version=entry.version, key=shown))
    return 0


async def run_list(args: argparse.Namespace) -> int:
    with _refused():
        keyring = read_keyring(common.layout(args))
    language = common.output_language(args)
    common.print_table(
        common.headings((N_("version"), N_("state"), N_("key")), language),
        [
            (v.version, translate(MASTER_KEY_STATES[v.state], language), v.key)
            for v in keyring.versions
        ],
    )
    return 0


async def run_rotate_signing(args: argparse.Namespace) -> int:
    language = common.output_language(args)
    settings = common.settings(args)
    data = common.layout(args)
    grace = timedelta(days=args.grace_days or settings.signing_key_grace_days)
    with _refused():
        async with common.open_store(args) as store:
            rotated = await rotate_signing_key(
                data, store, now=SystemClock().now(), grace=grace, actor=common.cli_actor()
            )
    print(
        translate(
            SIGNING_ROTATED,
            language,
            new=rotated.new.key_id,
            old=rotated.old.key_id,
            retires_at=rotated.retires_at.isoformat(),
        )
    )
    return 0


async def run_hsm_create(args: argparse.Namespace) -> int:
    with _refused():
        named = TokenUri.parse(args.uri)
        create_token_key(args.uri)
    language = common.output_language(args)
    print(translate(HSM_KEY_MADE, language, object=named.object, token=named.token))
    return 0
