"""The partner's TLS: TLS 1.3 only, the gateway's CA alone trusted, the partner's certificate
presented. A partner's id is its certificate's subject common name."""

from __future__ import annotations

import ssl
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID


def client_ssl_context(
    *, certificate: Path | None, private_key: Path | None, server_ca: Path
) -> ssl.SSLContext:
    """TLS 1.3 client context that trusts only ``server_ca`` and checks the host name.

    With ``certificate`` and ``private_key`` both ``None`` no client certificate is
    presented (the gateway will refuse the connection).
    """
    if (certificate is None) != (private_key is None):
        raise ValueError("give both the client certificate and its private key, or neither")
    context = tls13_context(server_side=False)
    context.load_verify_locations(cafile=server_ca)
    if certificate is not None:
        context.load_cert_chain(certfile=certificate, keyfile=private_key)
    return context


def tls13_context(*, server_side: bool) -> ssl.SSLContext:
    """A context of TLS 1.3 alone, with strict X.509 checks; the gateway's listeners use it too."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server_side else ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.maximum_version = ssl.TLSVersion.TLSv1_3
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    return context


def partner_id_of(certificate: Path) -> str:
    """The partner id a client certificate (PEM) names: its subject's common name."""
    subject = x509.load_pem_x509_certificate(certificate.read_bytes()).subject
    names = subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not names:
        raise ValueError(f"{certificate} names no partner (no common name)")
    return str(names[0].value)
