"""Certificates from the gateway's CA: a partner's client certificate, certified from its own
certificate signing request (the demo network's made here with their keys), a webhook
server's certificate, and revoking one.

Only a request's public key is used: the subject, the names, the usage and the validity are
the gateway's, and the partner keeps its private key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from gateway.contract.partners import Certificate, Partner
from gateway.infra import pki
from gateway.infra.audit import events, refs
from gateway.infra.audit.refs import Ref
from gateway.infra.config import DataDir
from gateway.infra.datafiles import load_authority, write_private, write_public
from gateway.infra.errors import RegistryError
from gateway.infra.i18n import N_
from gateway.store import Store


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
        raise RegistryError(N_("certificate request refused: {problem}"), problem=str(exc)) from exc
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
        raise RegistryError(N_("partner {id} is {state}"), id=partner_id, state=partner.state)
    target = out_dir or layout.partner_dir(partner_id)
    if (target / "client.pem").exists() or (target / "client.key").exists():
        raise RegistryError(N_("{path} already holds a certificate; choose --out"), path=target)
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


@dataclass(frozen=True)
class WebhookCertificate:
    certificate_path: Path
    ca_path: Path
    fingerprint: str


async def issue_webhook_certificate(
    store: Store,
    layout: DataDir,
    partner_id: str,
    names: Sequence[str],
    request: bytes,
    *,
    now: datetime,
    actor: Ref,
    out_dir: Path | None = None,
) -> WebhookCertificate:
    """A TLS server certificate from the gateway's CA (which the gateway trusts by default)
    for ``names`` and the key of the partner's certificate signing request, with the CA
    beside it to check the gateway's client certificate by; audited. Only the request's
    public key is used: the names are the administrator's, and the partner keeps its key."""
    partner = await store.partner(partner_id)
    if not partner.active:
        raise RegistryError(N_("partner {id} is {state}"), id=partner_id, state=partner.state)
    target = out_dir or layout.partner_dir(partner_id)
    certificate_path = target / "webhook.pem"
    if certificate_path.exists():
        raise RegistryError(
            N_("{path} already holds a webhook certificate; choose --out"), path=target
        )
    try:
        public_key = pki.requested_key(request)
        issued = pki.certify_server_key(load_authority(layout), names, public_key, now=now)
    except pki.RequestRefused as exc:
        raise RegistryError(N_("certificate request refused: {problem}"), problem=str(exc)) from exc
    except ValueError as exc:
        raise RegistryError(N_("{problem}"), problem=str(exc)) from exc
    await store.record(
        events.CertificateIssued(
            by=actor,
            about=refs.partner(partner_id),
            fingerprint=issued.fingerprint,
            serial=format(issued.serial, "x"),
            purpose="webhook",
            names=tuple(names),
            key="request",
        )
    )
    write_public(certificate_path, issued.certificate_pem)
    write_public(target / "ca.pem", layout.ca_certificate.read_bytes())
    return WebhookCertificate(certificate_path, target / "ca.pem", issued.fingerprint)
