"""Rotating the gateway's signing key (``euregate keys rotate-signing``).

A new Ed25519 key is made and sealed under the master key beside the old one
(``keys/signing.key.next``), registered (so ``GET /v1/gateway/keys`` lists it) while the old
key is set to retire at the end of the grace period, and only then put in place of the old
key's file. A gateway signs with the new key from its next start; until the old key retires,
partners verify envelopes, receipts and checkpoints signed by either (both are listed, the old
with its ``retired_at``). A crash before the file is in place leaves ``signing.key.next``,
which the next run takes up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.infra import audit
from gateway.infra.audit import events
from gateway.infra.audit.refs import Ref
from gateway.infra.config import DataDir
from gateway.infra.datafiles import SIGNING_KEY_CONTEXT, load_master_key, load_signer
from gateway.infra.keyring import replace_file
from gateway.infra.seal import GatewayKey, Signer
from gateway.infra.vault import SealedBlob, fsync_directory
from gateway.store import Store


@dataclass(frozen=True)
class SigningRotated:
    new: GatewayKey
    old: GatewayKey
    retires_at: datetime


async def rotate_signing_key(
    layout: DataDir, store: Store, *, now: datetime, grace: timedelta, actor: Ref
) -> SigningRotated:
    """A new signing key in place of the current one, which retires after ``grace``; audited."""
    master_key = load_master_key(layout)
    old = load_signer(layout, master_key)
    pending = layout.signing_key.with_name(layout.signing_key.name + ".next")
    if pending.exists():
        new = Signer.from_bytes(
            master_key.open(
                SealedBlob.from_bytes(pending.read_bytes()), context=SIGNING_KEY_CONTEXT
            )
        )
    else:
        new = Signer.generate()
        sealed = master_key.seal(new.to_bytes(), context=SIGNING_KEY_CONTEXT)
        replace_file(pending, sealed.to_bytes())
    retires_at = now + grace
    key = GatewayKey(key_id=new.key_id, public_key=new.public_key, created_at=now)
    listed = {listed.key_id: listed for listed in await store.gateway_keys()}
    if new.key_id not in listed:  # else a run cut short registered it already
        await store.rotate_gateway_key(
            key,
            replaces=old.key_id,
            retires_at=retires_at,
            event=events.GatewayKeyRotated(
                by=actor,
                key_id=new.key_id,
                replaces=old.key_id,
                retires_at=audit.timestamp(retires_at),
            ),
        )
        listed = {listed.key_id: listed for listed in await store.gateway_keys()}
    pending.replace(layout.signing_key)
    fsync_directory(layout.signing_key.parent)
    retiring = listed[old.key_id]
    return SigningRotated(
        new=listed[new.key_id], old=retiring, retires_at=retiring.retired_at or retires_at
    )
