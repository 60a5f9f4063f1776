"""Setting up a data directory and enrolling partners: the administrator's side of identity.

``initialise`` creates what a gateway needs to run: its own certificate authority, a
server certificate, the master key (outside the database) and the database. With
``demo`` it also enrols the demo network, each partner with a client certificate and
key on disk. Running it again keeps whatever already exists.

A real partner's certificate is issued from its certificate signing request
(:func:`issue_certificate`): the partner keeps its private key, and the gateway never
sees it. Only the demo network's keys are made here (:func:`issue_demo_certificate`).
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from gateway.contract.partners import DEMO_NETWORK, Certificate, Partner, PartnerState
from gateway.flow import at_rest
from gateway.infra import audit, pki, seal
from gateway.infra.audit import events, refs
from gateway.infra.audit.refs import Ref
from gateway.infra.config import REFERENCE_POLICY, DataDir
from gateway.infra.errors import RegistryError
from gateway.infra.seal import GatewayKey, PartnerKey, Signer, Suite
from gateway.infra.vault import MasterKey, SealedBlob, create_master_key_file, load_master_key_file
from gateway.store import Store
from gateway.transparency.witness_keys import add_witness_key, new_witness_key


@dataclass
class InitReport:
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    enrolled: list[str] = field(default_factory=list)


def cli_actor() -> Ref:
    """Who an administrator's command acts as: the operating-system account that ran it."""
    try:
        return refs.admin(getpass.getuser())
    except (KeyError, OSError):
        return refs.admin("unknown")


def write_private(path: Path, data: bytes) -> None:
    """Write a secret that only its owner may read; never overwrite one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def write_public(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


async def initialise(
    layout: DataDir,
    *,
    server_names: Sequence[str],
    now: datetime,
    demo: bool = False,
    store: Store,
    actor: Ref,
    gateway_id: str = "euregate.emr",
) -> InitReport:
    """Create whatever of the data directory is missing; with ``demo``, enrol the demo network.

    ``gateway_id`` names the gateway's own client certificate, which it presents to
    partners' webhooks."""
    report = InitReport()
    layout.root.mkdir(parents=True, exist_ok=True)
    layout.root.chmod(0o700)
    if layout.master_key.exists():
        report.kept.append(str(layout.master_key))
    else:
        layout.master_key.parent.mkdir(mode=0o700, exist_ok=True)
        create_master_key_file(layout.master_key)
        report.created.append(str(layout.master_key))
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
    await _register_signing_key(store, signer, now=now, actor=actor)
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


_SIGNING_KEY_CONTEXT = b"euregate/gateway-signing-key"


def _signing_key(layout: DataDir, report: InitReport) -> Signer:
    """The gateway's signing key, created sealed under the master key if there is none."""
    if layout.signing_key.exists():
        report.kept.append(str(layout.signing_key))
        return load_signer(layout)
    signer = Signer.generate()
    sealed = load_master_key(layout).seal(signer.to_bytes(), context=_SIGNING_KEY_CONTEXT)
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


async def _register_signing_key(store: Store, signer: Signer, *, now: datetime, actor: Ref) -> None:
    if any(key.key_id == signer.key_id for key in await store.gateway_keys()):
        return
    await store.add_gateway_key(
        GatewayKey(key_id=signer.key_id, public_key=signer.public_key, created_at=now),
        events.GatewayKeyCreated(by=actor, key_id=signer.key_id, algorithm="Ed25519"),
    )


def load_signer(layout: DataDir, master_key: MasterKey | None = None) -> Signer:
    """The gateway's signing key, unsealed with the master key (read from disk if not given)."""
    master_key = master_key or load_master_key(layout)
    blob = SealedBlob.from_bytes(layout.signing_key.read_bytes())
    return Signer.from_bytes(master_key.open(blob, context=_SIGNING_KEY_CONTEXT))


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


def load_authority(layout: DataDir) -> pki.CertificateAuthority:
    return pki.load_authority(layout.ca_certificate.read_bytes(), layout.ca_key.read_bytes())


def load_master_key(layout: DataDir) -> MasterKey:
    return load_master_key_file(layout.master_key)


async def add_partner(store: Store, partner: Partner, *, actor: Ref) -> Partner:
    return await store.add_partner(
        partner,
        events.PartnerAdded(
            by=actor,
            about=refs.partner(partner.id),
            country=partner.country,
            agency_type=partner.agency_type,
            languages=tuple(partner.languages),
        ),
    )


async def change_partner_state(
    store: Store, partner_id: str, state: PartnerState, *, actor: Ref
) -> Partner:
    def event(current: Partner) -> events.PartnerStateChanged:
        return events.PartnerStateChanged(
            by=actor, about=refs.partner(partner_id), was=str(current.state), now=str(state)
        )

    return await store.set_partner_state(partner_id, state, event)


@dataclass(frozen=True)
class IssuedFiles:
    """Where a partner's certificate went; ``key_path`` only for a demo partner, whose key
    the gateway made."""

    certificate: Certificate
    certificate_path: Path
    key_path: Path | None = None


async def issue_certificate(
    store: Store,
    layout: DataDir,
    partner_id: str,
    request: bytes,
    *,
    now: datetime,
    actor: Ref,
    out_dir: Path | None = None,
    valid_days: int = 825,
) -> IssuedFiles:
    """Certify the key of a partner's certificate signing request: register the fingerprint
    (audited) and write ``client.pem`` and ``ca.pem``. Only the request's public key is
    used; the gateway writes no private key."""
    partner, target = await _issuable(store, layout, partner_id, out_dir)
    try:
        public_key = pki.requested_key(request)
    except pki.RequestRefused as exc:
        raise RegistryError("certificate request refused: {problem}", problem=str(exc)) from exc
    signed = pki.certify_client_key(
        load_authority(layout),
        partner_id,
        public_key,
        now=now,
        valid_days=valid_days,
        country=partner.country,
    )
    certificate = await _register(store, partner_id, signed, actor=actor, key_source="request")
    certificate_path = target / "client.pem"
    write_public(certificate_path, signed.certificate_pem)
    write_public(target / "ca.pem", layout.ca_certificate.read_bytes())
    return IssuedFiles(certificate, certificate_path)


async def issue_demo_certificate(
    store: Store,
    layout: DataDir,
    partner_id: str,
    *,
    now: datetime,
    actor: Ref,
    valid_days: int = 825,
) -> IssuedFiles:
    """A demo partner's certificate with a key made here, both written beside each other:
    for ``init --demo`` only, where the data directory plays every partner."""
    partner, target = await _issuable(store, layout, partner_id, None)
    issued = pki.issue_client_certificate(
        load_authority(layout), partner_id, now=now, valid_days=valid_days, country=partner.country
    )
    certificate = await _register(store, partner_id, issued, actor=actor, key_source="generated")
    certificate_path, key_path = target / "client.pem", target / "client.key"
    write_private(key_path, issued.private_key_pem)
    write_public(certificate_path, issued.certificate_pem)
    write_public(target / "ca.pem", layout.ca_certificate.read_bytes())
    return IssuedFiles(certificate, certificate_path, key_path)


async def _issuable(
    store: Store, layout: DataDir, partner_id: str, out_dir: Path | None
) -> tuple[Partner, Path]:
    """The partner, if active, and a directory that holds no certificate or key yet."""
    partner = await store.partner(partner_id)
    if not partner.active:
        raise RegistryError("partner {id} is {state}", id=partner_id, state=partner.state)
    target = out_dir or layout.partner_dir(partner_id)
    if (target / "client.pem").exists() or (target / "client.key").exists():
        raise RegistryError("{path} already holds a certificate; choose --out", path=target)
    return partner, target


async def _register(
    store: Store,
    partner_id: str,
    signed: pki.SignedCertificate,
    *,
    actor: Ref,
    key_source: str,
) -> Certificate:
    certificate = Certificate(
        fingerprint=signed.fingerprint,
        partner_id=partner_id,
        serial=format(signed.serial, "x"),
        not_before=signed.not_before,
        not_after=signed.not_after,
    )
    await store.register_certificate(
        certificate,
        events.CertificateIssued(
            by=actor,
            about=refs.partner(partner_id),
            fingerprint=signed.fingerprint,
            serial=certificate.serial,
            key=key_source,
        ),
    )
    return certificate


async def revoke_certificate(store: Store, fingerprint: str, *, actor: Ref) -> Certificate:
    return await store.revoke_certificate(
        fingerprint,
        events.CertificateRevoked(by=actor, fingerprint=fingerprint),
    )


async def add_partner_key(
    store: Store,
    partner_id: str,
    public_key_pem: bytes,
    *,
    now: datetime,
    actor: Ref,
    suite: Suite | None = None,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> PartnerKey:
    """Register a partner's encryption public key from PEM; audited."""
    try:
        found, raw = seal.read_public_key(public_key_pem, suite)
    except ValueError as exc:
        raise RegistryError("{problem}", problem=str(exc)) from exc
    valid_from = valid_from or now
    if valid_until is not None and valid_until <= valid_from:
        raise RegistryError("the key must be valid until after it becomes valid")
    key = PartnerKey(
        partner_id=partner_id,
        key_id=seal.key_id(found, raw),
        suite=found,
        public_key=raw,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    return await store.add_partner_key(
        key,
        events.PartnerKeyAdded(
            by=actor,
            about=refs.partner(partner_id),
            key_id=key.key_id,
            suite=str(key.suite),
            valid_from=audit.timestamp(valid_from),
            valid_until=None if valid_until is None else audit.timestamp(valid_until),
        ),
    )


async def retire_partner_key(
    store: Store, partner_id: str, key_id: str, *, actor: Ref
) -> PartnerKey:
    def event(current: PartnerKey) -> events.PartnerKeyRetired:
        return events.PartnerKeyRetired(
            by=actor, about=refs.partner(partner_id), key_id=key_id, suite=str(current.suite)
        )

    return await store.retire_partner_key(partner_id, key_id, event)
