"""The gateway's certificate authority, and mutual TLS 1.3 built on it."""

from __future__ import annotations

import hashlib
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import DNSName, IPAddress
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import (
    ClientVerifier,
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.infra.pki import (
    CLOCK_SKEW,
    CertificateAuthority,
    IssuedCertificate,
    client_ssl_context,
    create_ca,
    describe,
    fingerprint,
    issue_client_certificate,
    issue_server_certificate,
    load_authority,
    server_ssl_context,
)

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
NAIVE = NOW.replace(tzinfo=None)
SERVER_NAMES = ("gateway.euregate.test", "localhost", "127.0.0.1", "::1")


def authority(issued: IssuedCertificate) -> CertificateAuthority:
    return load_authority(issued.certificate_pem, issued.private_key_pem)


def certificate(issued: IssuedCertificate) -> x509.Certificate:
    return x509.load_pem_x509_certificate(issued.certificate_pem)


def client_verifier(ca: IssuedCertificate, at: datetime = NOW) -> ClientVerifier:
    """A verifier for client certificates, which carry no subjectAltName.

    The web PKI defaults demand a subjectAltName on every leaf; partner systems
    are identified by their subject instead, so the policy lets it be absent.
    """
    leaf_policy = ExtensionPolicy.webpki_defaults_ee().may_be_present(
        x509.SubjectAlternativeName, Criticality.AGNOSTIC, None
    )
    return (
        PolicyBuilder()
        .store(Store([certificate(ca)]))
        .time(at)
        .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=leaf_policy)
        .build_client_verifier()
    )


@pytest.fixture(scope="module")
def root() -> IssuedCertificate:
    return create_ca(now=NOW)


@pytest.fixture(scope="module")
def ca(root: IssuedCertificate) -> CertificateAuthority:
    return authority(root)


@pytest.fixture(scope="module")
def partner(ca: CertificateAuthority) -> IssuedCertificate:
    return issue_client_certificate(
        ca, "nl-pol-limburg", now=NOW, organisation="Politie Limburg", country="NL"
    )


@pytest.fixture(scope="module")
def server(ca: CertificateAuthority) -> IssuedCertificate:
    return issue_server_certificate(ca, SERVER_NAMES, now=NOW)


# The authority


def test_the_root_is_a_self_signed_ca_that_signs_only_end_entities(root: IssuedCertificate) -> None:
    cert = certificate(root)
    cert.verify_directly_issued_by(cert)
    constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical
    assert constraints.value.ca
    assert constraints.value.path_length == 0
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.key_cert_sign
    assert usage.value.crl_sign
    assert cert.subject.rfc4514_string() == "O=Euregate,CN=Euregate Root CA"


def test_keys_are_p256_in_unencrypted_pkcs8(
    root: IssuedCertificate, partner: IssuedCertificate
) -> None:
    for issued in (root, partner):
        assert issued.private_key_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
        key = serialization.load_pem_private_key(issued.private_key_pem, password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        assert isinstance(key.curve, ec.SECP256R1)
        assert key.public_key() == certificate(issued).public_key()


def test_an_authority_must_be_a_ca_with_its_own_key(
    root: IssuedCertificate, partner: IssuedCertificate
) -> None:
    with pytest.raises(ValueError, match="not a CA"):
        load_authority(partner.certificate_pem, partner.private_key_pem)
    with pytest.raises(ValueError, match="not the ECDSA key"):
        load_authority(root.certificate_pem, create_ca(now=NOW).private_key_pem)


# Client certificates


def test_a_client_certificate_verifies_against_its_ca(
    root: IssuedCertificate, partner: IssuedCertificate
) -> None:
    verified = client_verifier(root).verify(certificate(partner), [])
    assert verified.chain == [certificate(partner), certificate(root)]


def test_a_client_certificate_does_not_verify_against_another_ca(
    partner: IssuedCertificate,
) -> None:
    with pytest.raises(VerificationError):
        client_verifier(create_ca(now=NOW)).verify(certificate(partner), [])


def test_a_client_certificate_names_the_partner_and_serves_only_client_auth(
    root: IssuedCertificate, partner: IssuedCertificate
) -> None:
    cert = certificate(partner)
    assert cert.subject.rfc4514_string() == "C=NL,O=Politie Limburg,CN=nl-pol-limburg"
    assert cert.issuer == certificate(root).subject
    extensions = cert.extensions
    assert extensions.get_extension_for_class(x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage(
        [ExtendedKeyUsageOID.CLIENT_AUTH]
    )
    constraints = extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical
    assert not constraints.value.ca
    usage = extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature
    assert not usage.value.key_cert_sign
    root_ski = certificate(root).extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    aki = extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    assert aki.value.key_identifier == root_ski.value.digest


def test_organisation_and_country_are_optional(ca: CertificateAuthority) -> None:
    issued = issue_client_certificate(ca, "de-zoll-aachen", now=NOW)
    assert certificate(issued).subject.rfc4514_string() == "CN=de-zoll-aachen"


@settings(max_examples=25, deadline=None)
@given(
    partner_id=st.from_regex(
        r"[a-z]{2}-[a-z0-9]{1,20}(-[a-z0-9]{1,20}){0,2}", fullmatch=True
    ).filter(lambda partner_id: len(partner_id) <= 64)
)
def test_the_partner_id_is_the_subject_common_name(partner_id: str) -> None:
    issued = issue_client_certificate(authority(create_ca(now=NOW)), partner_id, now=NOW)
    assert describe(issued.certificate_pem).common_name == partner_id


@pytest.mark.parametrize(
    "partner_id", ["", " nl-pol-limburg", "nl-pol-limburg\n", "nl-" + "a" * 62]
)
def test_a_blank_padded_or_overlong_partner_id_is_refused(
    ca: CertificateAuthority, partner_id: str
) -> None:
    with pytest.raises(ValueError, match="partner id"):
        issue_client_certificate(ca, partner_id, now=NOW)


def test_a_client_certificate_is_not_a_server_certificate(
    root: IssuedCertificate, partner: IssuedCertificate
) -> None:
    verifier = PolicyBuilder().store(Store([certificate(root)])).time(NOW)
    with pytest.raises(VerificationError):
        verifier.build_server_verifier(DNSName("nl-pol-limburg")).verify(certificate(partner), [])


# Server certificates


def test_the_server_certificate_carries_dns_names_and_ip_addresses(
    server: IssuedCertificate,
) -> None:
    names = certificate(server).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert names.value.get_values_for_type(x509.DNSName) == ["gateway.euregate.test", "localhost"]
    assert names.value.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    ]
    assert certificate(server).extensions.get_extension_for_class(
        x509.ExtendedKeyUsage
    ).value == x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH])


@pytest.mark.parametrize(
    "name",
    [
        DNSName("gateway.euregate.test"),
        DNSName("localhost"),
        IPAddress(ipaddress.ip_address("127.0.0.1")),
        IPAddress(ipaddress.ip_address("::1")),
    ],
    ids=str,
)
def test_the_server_certificate_verifies_for_each_of_its_names(
    root: IssuedCertificate, server: IssuedCertificate, name: DNSName | IPAddress
) -> None:
    verifier = PolicyBuilder().store(Store([certificate(root)])).time(NOW)
    verifier.build_server_verifier(name).verify(certificate(server), [])


def test_the_server_certificate_does_not_verify_for_another_name(
    root: IssuedCertificate, server: IssuedCertificate
) -> None:
    verifier = PolicyBuilder().store(Store([certificate(root)])).time(NOW)
    with pytest.raises(VerificationError):
        verifier.build_server_verifier(DNSName("evil.example")).verify(certificate(server), [])


def test_a_name_too_long_for_a_common_name_leaves_the_subject_empty(
    root: IssuedCertificate, ca: CertificateAuthority
) -> None:
    name = ".".join(["segment"] * 10) + ".euregate.test"
    cert = certificate(issue_server_certificate(ca, [name], now=NOW))
    assert len(cert.subject) == 0
    assert cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).critical
    verifier = PolicyBuilder().store(Store([certificate(root)])).time(NOW)
    verifier.build_server_verifier(DNSName(name)).verify(cert, [])


def test_a_server_certificate_needs_a_name(ca: CertificateAuthority) -> None:
    with pytest.raises(ValueError, match="at least one name"):
        issue_server_certificate(ca, [], now=NOW)
    with pytest.raises(ValueError, match="at least one name"):
        issue_server_certificate(ca, "localhost", now=NOW)


# Time


def test_validity_starts_a_little_before_now_and_runs_the_given_days(
    ca: CertificateAuthority,
) -> None:
    issued = issue_client_certificate(ca, "be-pol-liege", now=NOW, valid_days=30)
    assert issued.not_before == NOW - CLOCK_SKEW
    assert issued.not_after == NOW + timedelta(days=30)
    assert certificate(issued).not_valid_before_utc == issued.not_before
    assert certificate(issued).not_valid_after_utc == issued.not_after


def test_the_default_lifetimes(root: IssuedCertificate, server: IssuedCertificate) -> None:
    assert root.not_after == NOW + timedelta(days=3650)
    assert server.not_after == NOW + timedelta(days=397)


def test_a_client_certificate_verifies_throughout_its_validity_only(
    root: IssuedCertificate, partner: IssuedCertificate
) -> None:
    cert = certificate(partner)
    client_verifier(root, at=NOW - CLOCK_SKEW).verify(cert, [])
    client_verifier(root, at=partner.not_after).verify(cert, [])
    with pytest.raises(VerificationError):
        client_verifier(root, at=partner.not_after + timedelta(seconds=1)).verify(cert, [])


def test_other_time_zones_are_converted_to_utc(ca: CertificateAuthority) -> None:
    cet = timezone(timedelta(hours=1))
    issued = issue_client_certificate(ca, "be-gem-eupen", now=NOW.astimezone(cet))
    assert issued.not_before == NOW - CLOCK_SKEW
    assert issued.not_before.tzinfo == UTC


@pytest.mark.parametrize(
    "issue",
    [
        lambda ca: create_ca(now=NAIVE),
        lambda ca: issue_server_certificate(ca, ["localhost"], now=NAIVE),
        lambda ca: issue_client_certificate(ca, "nl-pol-limburg", now=NAIVE),
    ],
    ids=["ca", "server", "client"],
)
def test_a_naive_datetime_is_refused(
    ca: CertificateAuthority, issue: Callable[[CertificateAuthority], object]
) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        issue(ca)


def test_a_certificate_cannot_outlive_its_ca(ca: CertificateAuthority) -> None:
    with pytest.raises(ValueError, match="outside the CA's validity"):
        issue_client_certificate(ca, "nl-pol-limburg", now=NOW + timedelta(days=3000))
    with pytest.raises(ValueError, match="outside the CA's validity"):
        issue_client_certificate(ca, "nl-pol-limburg", now=NOW - timedelta(days=1))


def test_serials_are_random_positive_and_fit_in_159_bits(ca: CertificateAuthority) -> None:
    serials = {issue_client_certificate(ca, "nl-pol-limburg", now=NOW).serial for _ in range(20)}
    assert len(serials) == 20
    assert all(0 < serial < 2**159 for serial in serials)


# Fingerprints and descriptions


def test_the_fingerprint_is_the_sha256_of_the_der_certificate(partner: IssuedCertificate) -> None:
    der = certificate(partner).public_bytes(serialization.Encoding.DER)
    expected = hashlib.sha256(der).hexdigest()
    assert partner.fingerprint == expected
    assert fingerprint(der) == expected
    assert fingerprint(partner.certificate_pem) == expected
    assert fingerprint(partner.certificate_pem) == fingerprint(partner.certificate_pem)
    assert len(expected) == 64
    assert expected == expected.lower()


def test_a_fingerprint_needs_a_certificate() -> None:
    with pytest.raises(ValueError, match=r"not an X\.509 certificate"):
        fingerprint(b"not a certificate")
    with pytest.raises(ValueError, match=r"not an X\.509 certificate"):
        fingerprint(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")


def test_describe_summarises_a_certificate(partner: IssuedCertificate) -> None:
    info = describe(partner.certificate_pem)
    assert info.common_name == "nl-pol-limburg"
    assert info.issuer_common_name == "Euregate Root CA"
    assert info.serial == partner.serial
    assert info.not_before == partner.not_before
    assert info.not_after == partner.not_after
    assert info.fingerprint == partner.fingerprint


def test_the_certificate_repr_shows_no_private_key(partner: IssuedCertificate) -> None:
    assert b"PRIVATE" not in repr(partner).encode()
    assert partner.fingerprint in repr(partner)


# TLS contexts


@dataclass(frozen=True)
class Pems:
    """PEM files on disk, for :mod:`ssl`, which loads keys only from paths."""

    ca: Path
    certificate: Path
    key: Path


def write_pems(directory: Path, ca: IssuedCertificate, issued: IssuedCertificate) -> Pems:
    directory.mkdir()
    pems = Pems(directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
    pems.ca.write_bytes(ca.certificate_pem)
    pems.certificate.write_bytes(issued.certificate_pem)
    pems.key.write_bytes(issued.private_key_pem)
    return pems


@dataclass(frozen=True)
class Network:
    """Certificates issued today: the TLS stack checks validity against the real clock."""

    server: Pems
    partner: Pems
    partner_fingerprint: str
    stranger: Pems
    impostor: Pems


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Network:
    now = datetime.now(UTC)
    root = create_ca(now=now)
    ca = authority(root)
    directory = tmp_path_factory.mktemp("tls")
    partner = issue_client_certificate(ca, "nl-pol-limburg", now=now)
    other_root = create_ca(common_name="Impostor CA", now=now)
    stranger = issue_client_certificate(authority(other_root), "nl-pol-limburg", now=now)
    return Network(
        server=write_pems(
            directory / "server", root, issue_server_certificate(ca, SERVER_NAMES, now=now)
        ),
        partner=write_pems(directory / "partner", root, partner),
        partner_fingerprint=partner.fingerprint,
        stranger=write_pems(directory / "stranger", other_root, stranger),
        impostor=write_pems(
            directory / "impostor",
            other_root,
            issue_server_certificate(authority(other_root), SERVER_NAMES, now=now),
        ),
    )


class OneConnectionServer:
    """Accepts one TLS connection on 127.0.0.1 and answers with the client's fingerprint.

    ``peer_fingerprint`` is set when the handshake succeeded, ``error`` when the
    server refused it.
    """

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(10)
        self.port: int = self._listener.getsockname()[1]
        self.peer_fingerprint: str | None = None
        self.error: Exception | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        try:
            connection, _ = self._listener.accept()
            with connection:
                connection.settimeout(10)
                with self._context.wrap_socket(connection, server_side=True) as tls:
                    der = tls.getpeercert(binary_form=True)
                    assert der is not None
                    self.peer_fingerprint = fingerprint(der)
                    tls.sendall(self.peer_fingerprint.encode())
        except (ssl.SSLError, OSError) as exc:
            self.error = exc

    def __enter__(self) -> OneConnectionServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._thread.join(timeout=10)
        self._listener.close()
        assert not self._thread.is_alive()


REFUSED = (ssl.SSLError, ConnectionError)
"""How a refusal reaches a TLS 1.3 client.

The server checks the client's certificate after the client has finished its
side of the handshake, so the client learns of it on its first read: usually
as the server's alert, possibly as a reset.
"""


def exchange(context: ssl.SSLContext, port: int, *, server_hostname: str = "127.0.0.1") -> bytes:
    """Connect, read the server's answer; ``b""`` when the server closed without one."""
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=server_hostname) as tls,
    ):
        return tls.recv(1024)


@pytest.fixture
def gateway_context(network: Network) -> ssl.SSLContext:
    return server_ssl_context(
        certificate=network.server.certificate,
        private_key=network.server.key,
        client_ca=network.partner.ca,
    )


def test_the_server_context_speaks_only_tls13_and_requires_a_client_certificate(
    gateway_context: ssl.SSLContext,
) -> None:
    assert gateway_context.minimum_version == ssl.TLSVersion.TLSv1_3
    assert gateway_context.maximum_version == ssl.TLSVersion.TLSv1_3
    assert gateway_context.verify_mode == ssl.CERT_REQUIRED
    assert [ca["subject"] for ca in gateway_context.get_ca_certs()] == [
        ((("commonName", "Euregate Root CA"),), (("organizationName", "Euregate"),))
    ]


def test_the_client_context_speaks_only_tls13_and_checks_the_server(network: Network) -> None:
    context = client_ssl_context(certificate=None, private_key=None, server_ca=network.partner.ca)
    assert context.minimum_version == ssl.TLSVersion.TLSv1_3
    assert context.maximum_version == ssl.TLSVersion.TLSv1_3
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert len(context.get_ca_certs()) == 1


def test_a_client_certificate_needs_its_key(network: Network) -> None:
    with pytest.raises(ValueError, match="both"):
        client_ssl_context(
            certificate=network.partner.certificate, private_key=None, server_ca=network.partner.ca
        )


# A real handshake over loopback


def test_a_partner_with_a_certificate_from_the_ca_is_admitted_and_identified(
    network: Network, gateway_context: ssl.SSLContext
) -> None:
    client = client_ssl_context(
        certificate=network.partner.certificate,
        private_key=network.partner.key,
        server_ca=network.partner.ca,
    )
    with OneConnectionServer(gateway_context) as server:
        answer = exchange(client, server.port)
    assert server.error is None
    assert server.peer_fingerprint == network.partner_fingerprint
    assert answer == network.partner_fingerprint.encode()


def test_a_client_without_a_certificate_is_refused(
    network: Network, gateway_context: ssl.SSLContext
) -> None:
    client = client_ssl_context(certificate=None, private_key=None, server_ca=network.partner.ca)
    with OneConnectionServer(gateway_context) as server, pytest.raises(REFUSED):
        exchange(client, server.port)
    assert isinstance(server.error, ssl.SSLError)
    assert "PEER_DID_NOT_RETURN_A_CERTIFICATE" in str(server.error)
    assert server.peer_fingerprint is None


def test_a_client_with_a_certificate_from_another_ca_is_refused(
    network: Network, gateway_context: ssl.SSLContext
) -> None:
    client = client_ssl_context(
        certificate=network.stranger.certificate,
        private_key=network.stranger.key,
        server_ca=network.partner.ca,
    )
    with OneConnectionServer(gateway_context) as server, pytest.raises(REFUSED):
        exchange(client, server.port)
    assert isinstance(server.error, ssl.SSLCertVerificationError)
    assert server.peer_fingerprint is None


def test_a_client_forcing_tls12_is_refused(
    network: Network, gateway_context: ssl.SSLContext
) -> None:
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.minimum_version = ssl.TLSVersion.TLSv1_2
    client.maximum_version = ssl.TLSVersion.TLSv1_2
    client.load_verify_locations(cafile=network.partner.ca)
    client.load_cert_chain(certfile=network.partner.certificate, keyfile=network.partner.key)
    with (
        OneConnectionServer(gateway_context) as server,
        pytest.raises(ssl.SSLError, match="PROTOCOL_VERSION"),
    ):
        exchange(client, server.port)
    assert isinstance(server.error, ssl.SSLError)
    assert "UNSUPPORTED_PROTOCOL" in str(server.error)
    assert server.peer_fingerprint is None


def test_a_client_refuses_a_server_from_another_ca(network: Network) -> None:
    impostor = server_ssl_context(
        certificate=network.impostor.certificate,
        private_key=network.impostor.key,
        client_ca=network.partner.ca,
    )
    client = client_ssl_context(
        certificate=network.partner.certificate,
        private_key=network.partner.key,
        server_ca=network.partner.ca,
    )
    with OneConnectionServer(impostor) as server, pytest.raises(ssl.SSLCertVerificationError):
        exchange(client, server.port)
    assert server.peer_fingerprint is None


def test_a_client_refuses_a_server_under_another_name(
    network: Network, gateway_context: ssl.SSLContext
) -> None:
    client = client_ssl_context(
        certificate=network.partner.certificate,
        private_key=network.partner.key,
        server_ca=network.partner.ca,
    )
    with (
        OneConnectionServer(gateway_context) as server,
        pytest.raises(ssl.SSLCertVerificationError, match="mismatch"),
    ):
        exchange(client, server.port, server_hostname="gateway.elsewhere.test")
    assert server.peer_fingerprint is None
