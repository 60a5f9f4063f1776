"""The gateway's own certificate authority, and the TLS contexts that trust it.

Partners are identified by the client certificate they present over mutual TLS,
never by anything in a request body. The gateway runs a small private CA for
that: it issues the server certificate the partners verify, and one client
certificate per partner, whose subject common name is the partner id.

Everything here is a pure function over bytes with the time passed in, except
the ``*_ssl_context`` builders, which read PEM files because :mod:`ssl` only
loads keys from paths. Keys the gateway makes are ECDSA P-256 (accepted by every
TLS 1.3 stack), signatures SHA-256.

In production a partner makes its own key and sends a PKCS #10 request
(:func:`make_request` is the partner's side, :func:`requested_key` the gateway's): the
gateway takes only the request's public key, once its signature verifies, and sets the
subject, names and usages itself. Only the demo network gets keys made by the gateway.
"""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final, TypeAlias

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from euregate_client.tls import client_ssl_context, tls13_context

__all__ = [
    "CLOCK_SKEW",
    "MIN_RSA_BITS",
    "CertificateAuthority",
    "CertificateInfo",
    "IssuedCertificate",
    "RequestRefused",
    "SignedCertificate",
    "SubjectKey",
    "certify_client_key",
    "certify_server_key",
    "client_ssl_context",
    "create_ca",
    "describe",
    "fingerprint",
    "issue_client_certificate",
    "issue_server_certificate",
    "load_authority",
    "make_request",
    "requested_key",
    "server_ssl_context",
    "strong_key",
]

CLOCK_SKEW: Final = timedelta(minutes=5)
"""How far before ``now`` a certificate becomes valid.

Partner systems' clocks drift; a certificate issued and installed at once must
not be refused as "not yet valid" by a peer whose clock runs a little behind.
"""

_CURVE: Final = ec.SECP256R1()
_HASH: Final = hashes.SHA256()

MIN_RSA_BITS: Final = 3072
"""The smallest RSA key a partner may bring (BSI TR-02102-1 and ANSSI ask for 3000 bits)."""
_STRONG_CURVES: Final = frozenset({"secp256r1", "secp384r1", "secp521r1"})

SubjectKey: TypeAlias = ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey
"""A key the gateway certifies: ECDSA on P-256, P-384 or P-521, RSA of at least
:data:`MIN_RSA_BITS` bits, or Ed25519."""


class RequestRefused(ValueError):
    """A certificate signing request the gateway will not certify; the message says why."""


@dataclass(frozen=True)
class SignedCertificate:
    """A certificate the gateway's CA signed, PEM, with what an administrator checks."""

    certificate_pem: bytes
    fingerprint: str
    serial: int
    not_before: datetime
    not_after: datetime

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(fingerprint={self.fingerprint!r}, serial={self.serial}, "
            f"not_before={self.not_before.isoformat()}, not_after={self.not_after.isoformat()})"
        )


@dataclass(frozen=True, repr=False)
class IssuedCertificate(SignedCertificate):
    """A certificate with the private key the gateway made for it (its own keys and the
    demo network's), both PEM.

    ``private_key_pem`` is unencrypted PKCS #8: whoever stores it decides how to
    protect it.
    """

    private_key_pem: bytes = b""


@dataclass(frozen=True, repr=False)
class CertificateAuthority:
    """A loaded CA certificate with its signing key."""

    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey

    def __repr__(self) -> str:
        return f"CertificateAuthority(subject={self.certificate.subject.rfc4514_string()!r})"


@dataclass(frozen=True)
class CertificateInfo:
    """What an administrator needs to know about a certificate at a glance."""

    common_name: str | None
    serial: int
    not_before: datetime
    not_after: datetime
    fingerprint: str
    issuer_common_name: str | None


def create_ca(
    *,
    common_name: str = "Euregate Root CA",
    organisation: str = "Euregate",
    now: datetime,
    valid_days: int = 3650,
) -> IssuedCertificate:
    """Create a self-signed root that may sign end-entity certificates only."""
    not_before, not_after = _validity(now, valid_days)
    key = ec.generate_private_key(_CURVE)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        ]
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, _HASH)
    )
    return _issued(certificate, key)


def issue_server_certificate(
    ca: CertificateAuthority,
    names: Sequence[str],
    *,
    now: datetime,
    valid_days: int = 397,
) -> IssuedCertificate:
    """The gateway's own TLS server certificate for ``names``, with a key made here."""
    key = ec.generate_private_key(_CURVE)
    signed = certify_server_key(ca, names, key.public_key(), now=now, valid_days=valid_days)
    return _with_key(signed, key)


def certify_server_key(
    ca: CertificateAuthority,
    names: Sequence[str],
    public_key: SubjectKey,
    *,
    now: datetime,
    valid_days: int = 397,
) -> SignedCertificate:
    """A TLS server certificate for ``names`` and ``public_key``.

    Each name that parses as an IP address (``127.0.0.1``, ``::1``) becomes an IP
    address entry of the subjectAltName, every other name a DNS entry. The first
    name is also the subject common name, for people reading the certificate,
    unless it is longer than a common name may be (64 characters); the subject is
    then empty and the subjectAltName critical, as RFC 5280 asks.
    """
    if isinstance(names, str) or not names:
        raise ValueError("a server certificate needs at least one name, given as a sequence")
    alt_names = [_general_name(name) for name in names]
    fits = len(names[0]) <= 64
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])] if fits else [])
    return _issue_leaf(
        ca,
        subject,
        public_key,
        now=now,
        valid_days=valid_days,
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
        alt_names=alt_names,
    )


MAX_COMMON_NAME = 64
"""The longest common name X.509 allows (RFC 5280, ub-common-name), so the longest partner id."""


def issue_client_certificate(
    ca: CertificateAuthority,
    partner_id: str,
    *,
    now: datetime,
    valid_days: int = 825,
    organisation: str | None = None,
    country: str | None = None,
) -> IssuedCertificate:
    """A client certificate with a key made here: the gateway's own (for webhooks) and the
    demo network's. A partner brings its key in a request (:func:`certify_client_key`)."""
    key = ec.generate_private_key(_CURVE)
    signed = certify_client_key(
        ca,
        partner_id,
        key.public_key(),
        now=now,
        valid_days=valid_days,
        organisation=organisation,
        country=country,
    )
    return _with_key(signed, key)


def certify_client_key(
    ca: CertificateAuthority,
    partner_id: str,
    public_key: SubjectKey,
    *,
    now: datetime,
    valid_days: int = 825,
    organisation: str | None = None,
    country: str | None = None,
) -> SignedCertificate:
    """A partner's client certificate for ``public_key``; its subject CN is ``partner_id``.

    ``country`` is an ISO 3166 alpha-2 code. The certificate has no
    subjectAltName: the partner is a system, not a host name.
    """
    if not partner_id or partner_id != partner_id.strip():
        raise ValueError(f"partner id {partner_id!r} is empty or has surrounding whitespace")
    if len(partner_id) > MAX_COMMON_NAME:
        raise ValueError(f"partner id longer than {MAX_COMMON_NAME} characters (X.509's limit)")
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, partner_id)]
    if organisation is not None:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    if country is not None:
        attributes.append(x509.NameAttribute(NameOID.COUNTRY_NAME, country))
    return _issue_leaf(
        ca,
        x509.Name(attributes),
        public_key,
        now=now,
        valid_days=valid_days,
        usage=ExtendedKeyUsageOID.CLIENT_AUTH,
        alt_names=None,
    )


def requested_key(request: bytes) -> SubjectKey:
    """The public key of a PKCS #10 request (PEM or DER), once its signature verifies.

    Nothing else of the request is used: its subject, names and extensions are the
    requester's claims, and the gateway decides who a certificate names. Raises
    :class:`RequestRefused` for anything that is not a request, a signature that does not
    verify (altered, or not signed by the key it carries), or a weak key.
    """
    try:
        if request.lstrip().startswith(b"-----BEGIN"):
            csr = x509.load_pem_x509_csr(request)
        else:
            csr = x509.load_der_x509_csr(request)
        key = csr.public_key()
        valid = csr.is_signature_valid
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise RequestRefused(
            "not a PKCS #10 certificate signing request in PEM or DER, or one signed with "
            "an algorithm the gateway does not accept"
        ) from exc
    if not valid:
        raise RequestRefused(
            "the request's signature does not verify: it was altered after signing, or not "
            "signed with the private key whose public key it carries"
        )
    return strong_key(key)


def strong_key(key: object) -> SubjectKey:
    """``key`` if the gateway certifies keys of its kind and size; else :class:`RequestRefused`."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in _STRONG_CURVES:
            raise RequestRefused(
                f"the request's key is on curve {key.curve.name}; "
                "use P-256, P-384 or P-521 (or Ed25519, or RSA of at least "
                f"{MIN_RSA_BITS} bits)"
            )
        return key
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise RequestRefused(
                f"the request's RSA key has {key.key_size} bits; at least {MIN_RSA_BITS} are "
                "needed (or use ECDSA P-256, which is smaller and faster)"
            )
        return key
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key
    raise RequestRefused(
        f"the request's key is {type(key).__name__.removeprefix('_')}; use ECDSA P-256, "
        f"P-384 or P-521, Ed25519, or RSA of at least {MIN_RSA_BITS} bits"
    )


def make_request(common_name: str) -> tuple[bytes, bytes]:
    """A partner's side: a fresh ECDSA P-256 key and a PKCS #10 request signed with it, both
    PEM (the key unencrypted PKCS #8). The subject is for people reading the request; the
    gateway names the certificate itself."""
    key = ec.generate_private_key(_CURVE)
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .sign(key, _HASH)
    )
    return _private_pem(key), csr.public_bytes(serialization.Encoding.PEM)


def load_authority(certificate_pem: bytes, private_key_pem: bytes) -> CertificateAuthority:
    """Load a CA from PEM, refusing a non-CA certificate or a key that does not match it."""
    certificate = x509.load_pem_x509_certificate(certificate_pem)
    key = serialization.load_pem_private_key(private_key_pem, password=None)
    if not _is_ca(certificate):
        raise ValueError("the certificate is not a CA certificate (basicConstraints CA:FALSE)")
    if (
        not isinstance(key, ec.EllipticCurvePrivateKey)
        or key.public_key() != certificate.public_key()
    ):
        raise ValueError("the private key is not the ECDSA key of the CA certificate")
    return CertificateAuthority(certificate=certificate, private_key=key)


def fingerprint(certificate: bytes) -> str:
    """SHA-256 of the DER certificate, lowercase hex without colons; DER or PEM in."""
    return _load_certificate(certificate).fingerprint(_HASH).hex()


def describe(certificate_pem: bytes) -> CertificateInfo:
    """Summarise a certificate (PEM, or DER) for display."""
    certificate = _load_certificate(certificate_pem)
    return CertificateInfo(
        common_name=_common_name(certificate.subject),
        serial=certificate.serial_number,
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        fingerprint=certificate.fingerprint(_HASH).hex(),
        issuer_common_name=_common_name(certificate.issuer),
    )


def certified_key(certificate_pem: bytes) -> SubjectKey:
    """The public key a certificate certifies (to certify it anew when the certificate is
    renewed)."""
    return strong_key(_load_certificate(certificate_pem).public_key())


def alt_names(certificate_pem: bytes) -> list[str]:
    """The DNS names and IP addresses of a certificate's subjectAltName, in its order."""
    certificate = _load_certificate(certificate_pem)
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(name.value) for name in names if isinstance(name, x509.DNSName | x509.IPAddress)]


def server_ssl_context(*, certificate: Path, private_key: Path, client_ca: Path) -> ssl.SSLContext:
    """TLS 1.3 server context that admits only clients with a certificate from ``client_ca``.

    ``PROTOCOL_TLS_SERVER`` loads no system CAs, so ``client_ca`` is the only
    trust anchor.
    """
    context = tls13_context(server_side=True)
    context.load_cert_chain(certfile=certificate, keyfile=private_key)
    context.load_verify_locations(cafile=client_ca)
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def staff_ssl_context(
    *, certificate: Path, private_key: Path, client_ca: Path | None = None
) -> ssl.SSLContext:
    """TLS 1.3 server context for the staff listener: people sign in there, not certificates;
    with ``client_ca`` a deployment also requires a client certificate from that CA."""
    if client_ca is not None:
        return server_ssl_context(
            certificate=certificate, private_key=private_key, client_ca=client_ca
        )
    context = tls13_context(server_side=True)
    context.load_cert_chain(certfile=certificate, keyfile=private_key)
    context.verify_mode = ssl.CERT_NONE
    return context


def _issue_leaf(
    ca: CertificateAuthority,
    subject: x509.Name,
    public_key: SubjectKey,
    *,
    now: datetime,
    valid_days: int,
    usage: x509.ObjectIdentifier,
    alt_names: list[x509.GeneralName] | None,
) -> SignedCertificate:
    not_before, not_after = _validity(now, valid_days)
    ca_cert = ca.certificate
    if not_before < ca_cert.not_valid_before_utc or not_after > ca_cert.not_valid_after_utc:
        raise ValueError(
            f"the certificate would be valid from {not_before.isoformat()} to "
            f"{not_after.isoformat()}, outside the CA's validity "
            f"({ca_cert.not_valid_before_utc.isoformat()} to "
            f"{ca_cert.not_valid_after_utc.isoformat()})"
        )
    public_key = strong_key(public_key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.private_key.public_key()),
            critical=False,
        )
    )
    if alt_names is not None:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(alt_names), critical=len(subject) == 0
        )
    return _signed(builder.sign(ca.private_key, _HASH))


def _signed(certificate: x509.Certificate) -> SignedCertificate:
    return SignedCertificate(
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM),
        fingerprint=certificate.fingerprint(_HASH).hex(),
        serial=certificate.serial_number,
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )


def _issued(certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> IssuedCertificate:
    return _with_key(_signed(certificate), key)


def _with_key(signed: SignedCertificate, key: ec.EllipticCurvePrivateKey) -> IssuedCertificate:
    return IssuedCertificate(
        certificate_pem=signed.certificate_pem,
        fingerprint=signed.fingerprint,
        serial=signed.serial,
        not_before=signed.not_before,
        not_after=signed.not_after,
        private_key_pem=_private_pem(key),
    )


def _private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _validity(now: datetime, valid_days: int) -> tuple[datetime, datetime]:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware; naive datetimes are ambiguous")
    if valid_days < 1:
        raise ValueError(f"valid_days must be at least 1, not {valid_days}")
    now = now.astimezone(UTC).replace(microsecond=0)
    return now - CLOCK_SKEW, now + timedelta(days=valid_days)


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _common_name(name: x509.Name) -> str | None:
    attributes = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not attributes:
        return None
    value = attributes[0].value
    return value if isinstance(value, str) else value.decode()


def _load_certificate(data: bytes) -> x509.Certificate:
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise ValueError("not an X.509 certificate in PEM or DER") from exc
