"""The certificates in use, with when each runs out, and renewing the gateway's own
(``euregate cert renew``).

Renewing certifies the same key anew under the data directory's CA, for the same names (or
those given), and replaces the certificate file whole: a crash leaves the old certificate or the
new one, each matching the key beside it. A running gateway presents the new server certificate
from its next SIGHUP (or start); the client certificate for webhooks from its next start.
Partners' certificates are renewed as they were issued: the partner sends a new request and
``cert issue`` certifies it while the old certificate still works, then ``cert revoke`` ends the
old one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from gateway.contract.partners import CertificateState
from gateway.infra import pki
from gateway.infra.audit import events
from gateway.infra.audit.refs import Ref
from gateway.infra.config import DataDir
from gateway.infra.datafiles import load_authority
from gateway.infra.errors import RegistryError
from gateway.infra.expiry import GATEWAY, CertificateDue, Use
from gateway.infra.i18n import N_
from gateway.infra.keyring import replace_file
from gateway.store import Store

SERVER_DAYS = 397
CLIENT_DAYS = 825


@dataclass(frozen=True)
class Renewed:
    use: Use
    fingerprint: str
    not_after: datetime


async def certificates_due(layout: DataDir, store: Store) -> list[CertificateDue]:
    """Every certificate in use: the gateway's CA, server and client certificates, and each
    active partner's active client certificates."""
    found = [_due(GATEWAY, use, path.read_bytes()) for use, path in _own(layout) if path.exists()]
    for partner in await store.partners():
        if not partner.active:
            continue
        found.extend(
            CertificateDue(partner.id, "client", c.fingerprint, c.not_after)
            for c in await store.certificates(partner.id)
            if c.state == CertificateState.ACTIVE
        )
    return found


async def renew_gateway_certificates(
    layout: DataDir,
    store: Store,
    *,
    now: datetime,
    actor: Ref,
    server_names: Sequence[str] | None = None,
) -> list[Renewed]:
    """The gateway's server and client certificates certified anew (same keys; the server's
    for ``server_names`` if given, else for the names it has); audited."""
    authority = load_authority(layout)
    server_pem = layout.server_certificate.read_bytes()
    names = list(server_names or pki.alt_names(server_pem))
    if not names:
        raise RegistryError(N_("the server certificate names no host; give --server-name"))
    signed: list[tuple[Use, Path, pki.SignedCertificate]] = [
        (
            "server",
            layout.server_certificate,
            pki.certify_server_key(
                authority, names, pki.certified_key(server_pem), now=now, valid_days=SERVER_DAYS
            ),
        )
    ]
    if layout.gateway_client_certificate.exists():
        client_pem = layout.gateway_client_certificate.read_bytes()
        gateway_id = pki.describe(client_pem).common_name
        if gateway_id is None:
            raise RegistryError(N_("the gateway's client certificate names no gateway"))
        signed.append(
            (
                "client",
                layout.gateway_client_certificate,
                pki.certify_client_key(
                    authority,
                    gateway_id,
                    pki.certified_key(client_pem),
                    now=now,
                    valid_days=CLIENT_DAYS,
                ),
            )
        )
    renewed = []
    for use, path, certificate in signed:
        replace_file(path, certificate.certificate_pem, mode=0o644)
        info = pki.describe(certificate.certificate_pem)
        await store.record(
            events.GatewayCertificateRenewed(
                by=actor,
                use=use,
                fingerprint=info.fingerprint,
                serial=f"{info.serial:x}",
                not_after=info.not_after.isoformat(),
            )
        )
        renewed.append(Renewed(use, info.fingerprint, info.not_after))
    return renewed


def _own(layout: DataDir) -> list[tuple[Use, Path]]:
    return [
        ("ca", layout.ca_certificate),
        ("server", layout.server_certificate),
        ("client", layout.gateway_client_certificate),
    ]


def _due(holder: str, use: Use, pem: bytes) -> CertificateDue:
    info = pki.describe(pem)
    return CertificateDue(holder, use, info.fingerprint, info.not_after)
