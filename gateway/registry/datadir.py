"""Setting up a data directory: what a gateway needs before it first runs (``euregate init``).

``initialise`` creates its own certificate authority, a server certificate, the gateway's
client certificate for webhooks, the master key (outside the database), the signing key
sealed under it, the sharing policy and the database. With ``demo`` it also enrols the demo
network, each partner with a client certificate and keys on disk: only there does the
gateway make partners' private keys. Running it again keeps whatever already exists.

Enrolling a real partner, certifying its request and every other change to the registry are
the administration's (:mod:`gateway.registry.admin`).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from gateway.contract.partners import DEMO_NETWORK
from gateway.flow import at_rest
from gateway.infra import pki, seal
from gateway.infra.audit import events
from gateway.infra.audit.refs import Ref
from gateway.infra.config import REFERENCE_POLICY, DataDir
from gateway.infra.datafiles import (
    SIGNING_KEY_CONTEXT,
    load_authority,
    load_master_key,
    load_signer,
    write_private,
    write_public,
)
from gateway.infra.keyring import (
    Keyring,
    KeyVersion,
    seal_derivation_root,
    wrapping_key,
    write_keyring,
)
from gateway.infra.seal import Signer, Suite
from gateway.infra.vault import KEY_SIZE, MasterKey, create_master_key_file
from gateway.registry.admin.certificates import issue_demo_certificate
from gateway.registry.admin.keys import add_partner_key, add_witness_key, register_gateway_key
from gateway.registry.admin.partners import add_partner
from gateway.store import Store
from gateway.transparency.witness_keys import new_witness_key


@dataclass
class InitReport:
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    enrolled: list[str] = field(default_factory=list)


async def initialise(
    layout: DataDir,
    *,
    server_names: Sequence[str],
    now: datetime,
    demo: bool = False,
    store: Store,
    actor: Ref,
    gateway_id: str = "euregate.emr",
    master_key: str | None = None,
) -> InitReport:
    """Create whatever of the data directory is missing; with ``demo``, enrol the demo network.

    ``gateway_id`` names the gateway's own client certificate, which it presents to
    partners' webhooks; ``master_key`` (the setting) a PKCS#11 URI of the first master key
    in an HSM, else it is a new file."""
    report = InitReport()
    layout.root.mkdir(parents=True, exist_ok=True)
    layout.root.chmod(0o700)
    _master_key(layout, master_key, report)
    if layout.policy.exists():
        report.kept.append(str(layout.policy))
    else:
        write_public(layout.policy, REFERENCE_POLICY.read_bytes())
        report.created.append(str(layout.policy))
    signer = _signing_key(layout, report)
    authority = _authority(layout, now, report)
    if layout.server_certificate.exists():
        report.kept.append(str(layout.server_certificate))
    else:
        server = pki.issue_server_certificate(authority, server_names, now=now)
        write_private(layout.server_key, server.private_key_pem)
        write_public(layout.server_certificate, server.certificate_pem)
        report.created.append(str(layout.server_certificate))
    _gateway_client_certificate(layout, authority, gateway_id, now=now, report=report)
    if report.created:
        await store.record(
            events.GatewayInitialised(by=actor, created=tuple(Path(p).name for p in report.created))
        )
    await register_gateway_key(store, signer, now=now, actor=actor)
    await at_rest.upgrade(store, load_master_key(layout), actor=actor)
    if demo:
        known = {partner.id for partner in await store.partners()}
        for partner in DEMO_NETWORK:
            if partner.id not in known:
                await add_partner(store, partner, actor=actor)
                await issue_demo_certificate(store, layout, partner.id, now=now, actor=actor)
                report.enrolled.append(partner.id)
            if await _demo_encryption_key(store, layout, partner.id, now=now, actor=actor):
                report.created.append(str(layout.partner_encryption_key(partner.id)))
            if await _demo_witness_key(store, layout, partner.id, actor=actor):
                report.created.append(str(layout.partner_witness_key(partner.id)))
    return report


def _master_key(layout: DataDir, uri: str | None, report: InitReport) -> None:
    """The first master key: a new file, or the HSM key ``uri`` names, with a derivation root
    of its own sealed under it. A data directory that has one keeps it."""
    for kept in (layout.keyring, layout.master_key):
        if kept.exists():
            report.kept.append(str(kept))
            return
    layout.master_key.parent.mkdir(mode=0o700, exist_ok=True)
    if uri is None:
        create_master_key_file(layout.master_key)
        report.created.append(str(layout.master_key))
        return
    token_key = wrapping_key(uri, 1, layout.master_key.parent)
    seal_derivation_root(layout, MasterKey.of([token_key], root=secrets.token_bytes(KEY_SIZE)))
    write_keyring(layout, Keyring((KeyVersion(1, uri, "current"),)))
    report.created.extend([str(layout.derivation_key), str(layout.keyring)])


def _signing_key(layout: DataDir, report: InitReport) -> Signer:
    """The gateway's signing key, created sealed under the master key if there is none."""
    if layout.signing_key.exists():
        report.kept.append(str(layout.signing_key))
        return load_signer(layout)
    signer = Signer.generate()
    sealed = load_master_key(layout).seal(signer.to_bytes(), context=SIGNING_KEY_CONTEXT)
    # Whole or not at all: written beside, then linked into place (never over another).
    partial = layout.signing_key.with_name(f".{layout.signing_key.name}.{os.getpid()}.tmp")
    partial.unlink(missing_ok=True)
    write_private(partial, sealed.to_bytes())
    try:
        os.link(partial, layout.signing_key)
    finally:
        partial.unlink()
    report.created.append(str(layout.signing_key))
    return signer


async def _demo_encryption_key(
    store: Store, layout: DataDir, partner_id: str, *, now: datetime, actor: Ref
) -> bool:
    """Give an active demo partner without keys a key pair beside its certificate."""
    private_path = layout.partner_encryption_key(partner_id)
    if private_path.exists() or not (await store.partner(partner_id)).active:
        return False
    if await store.partner_keys(partner_id):
        return False
    private_pem, public_pem = seal.generate_key_pair(Suite.X25519)
    await add_partner_key(store, partner_id, public_pem, now=now, actor=actor)
    write_private(private_path, private_pem)
    write_public(layout.partner_encryption_public_key(partner_id), public_pem)
    return True


async def _demo_witness_key(store: Store, layout: DataDir, partner_id: str, *, actor: Ref) -> bool:
    """Give an active demo partner without a witness key one beside its certificate, and
    register its verifier key (``witness.vkey``)."""
    private_path = layout.partner_witness_key(partner_id)
    if private_path.exists() or not (await store.partner(partner_id)).active:
        return False
    if await store.witness_keys(partner_id):
        return False
    private, vkey = new_witness_key(f"{partner_id}/witness")
    await add_witness_key(store, partner_id, vkey, actor=actor)
    write_private(private_path, private.encode() + b"\n")
    write_public(private_path.with_suffix(".vkey"), vkey.encode() + b"\n")
    return True


def _gateway_client_certificate(
    layout: DataDir,
    authority: pki.CertificateAuthority,
    gateway_id: str,
    *,
    now: datetime,
    report: InitReport,
) -> None:
    """The certificate the gateway presents to partners' webhooks (issued by its own CA)."""
    if layout.gateway_client_certificate.exists():
        report.kept.append(str(layout.gateway_client_certificate))
        return
    client = pki.issue_client_certificate(authority, gateway_id, now=now)
    layout.gateway_client_key.unlink(missing_ok=True)  # a key left without its certificate
    write_private(layout.gateway_client_key, client.private_key_pem)
    write_public(layout.gateway_client_certificate, client.certificate_pem)
    report.created.append(str(layout.gateway_client_certificate))


def _authority(layout: DataDir, now: datetime, report: InitReport) -> pki.CertificateAuthority:
    if layout.ca_certificate.exists():
        report.kept.append(str(layout.ca_certificate))
    else:
        ca = pki.create_ca(now=now)
        write_private(layout.ca_key, ca.private_key_pem)
        write_public(layout.ca_certificate, ca.certificate_pem)
        report.created.append(str(layout.ca_certificate))
    return load_authority(layout)
