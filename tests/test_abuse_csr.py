"""A partner's private key never exists at the gateway: certificates are issued from the
partner's own PKCS #10 request, and only the request's public key is taken from it.

Everything runs for real: the ``euregate`` commands on a demo data directory, requests made
with ``cryptography`` (as ``euregate partner-kit csr`` or ``openssl req`` make them on the
partner's side), and the issued certificate used for mutual TLS against the real gateway.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from euregate_client import EuregateClient

from gateway.edges.cli import main
from gateway.infra import pki
from gateway.infra.config import DataDir
from tests.conftest import RunningGateway

PARTNER = "nl-bibob-limburg"
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def add_partner(capsys: pytest.CaptureFixture[str], layout: DataDir) -> None:
    code, _, err = run(
        capsys, "partner", "add", PARTNER, "--name", "Bibob-bureau Limburg", "--country", "NL",
        "--agency-type", "municipality", "--languages", "nl", "--data-dir", str(layout.root),
    )  # fmt: skip
    assert code == 0, err


def request_for(
    key: PrivateKey, *, common_name: str = PARTNER, claims: bool = False
) -> x509.CertificateSigningRequest:
    """A request signed by ``key``; with ``claims``, one that asks for much more than a
    partner's client certificate: another partner's name, a host name, a CA's powers."""
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    )
    if claims:
        builder = (
            builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName("gateway.euregate.example")]),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        )
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(key, algorithm)


def write_request(directory: Path, csr: x509.CertificateSigningRequest | bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "client.csr"
    data = csr if isinstance(csr, bytes) else csr.public_bytes(serialization.Encoding.PEM)
    path.write_bytes(data)
    return path


def issue(
    capsys: pytest.CaptureFixture[str], layout: DataDir, request: Path, *extra: str
) -> tuple[int, str, str]:
    return run(
        capsys, "cert", "issue", PARTNER, "--csr", str(request), "--data-dir", str(layout.root),
        *extra,
    )  # fmt: skip


def certificates_of(layout: DataDir, partner_id: str) -> list[str]:
    with sqlite3.connect(layout.database) as conn:
        rows = conn.execute(
            "SELECT fingerprint FROM certificates WHERE partner_id = ?", (partner_id,)
        ).fetchall()
    return [row[0] for row in rows]


def private_keys_under(directory: Path) -> list[Path]:
    return [
        path
        for path in directory.rglob("*")
        if path.is_file() and b"PRIVATE KEY" in path.read_bytes()
    ]


def public_der(key: object) -> bytes:
    assert isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey)
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# --- the request's key, and nothing else of it -------------------------------------------------


def test_the_certificate_carries_the_requests_key_and_no_private_key_reaches_the_gateway(
    layout: DataDir, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_partner(capsys, layout)
    partner_side = tmp_path / "bibob"
    assert run(capsys, "partner-kit", "csr", PARTNER, "--out", str(partner_side))[0] == 0
    own_key = serialization.load_pem_private_key(
        (partner_side / "client.key").read_bytes(), password=None
    )

    code, out, err = issue(capsys, layout, partner_side / "client.csr")

    assert code == 0, err
    issued = layout.partner_dir(PARTNER)
    certificate = x509.load_pem_x509_certificate((issued / "client.pem").read_bytes())
    assert public_der(certificate.public_key()) == public_der(own_key.public_key())
    assert sorted(p.name for p in issued.iterdir()) == ["ca.pem", "client.pem"]
    assert private_keys_under(issued) == []
    assert certificates_of(layout, PARTNER) == [certificate.fingerprint(hashes.SHA256()).hex()]
    assert "private key" not in out


def test_the_gateway_names_the_certificate_whatever_the_request_claims(
    layout: DataDir, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_partner(capsys, layout)
    key = ec.generate_private_key(ec.SECP256R1())
    request = write_request(tmp_path, request_for(key, common_name="de-pol-aachen", claims=True))

    assert issue(capsys, layout, request)[0] == 0

    certificate = x509.load_pem_x509_certificate(layout.partner_certificate(PARTNER).read_bytes())
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == PARTNER
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    usages = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usages) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    with pytest.raises(x509.ExtensionNotFound):
        certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)


# --- refused requests --------------------------------------------------------------------------


def tampered_subject(csr: x509.CertificateSigningRequest) -> bytes:
    """The request with its common name changed after signing (same length)."""
    der = csr.public_bytes(serialization.Encoding.DER)
    assert der.count(PARTNER.encode()) == 1
    return der.replace(PARTNER.encode(), b"nl-pol-limburg--")


def swapped_key(csr: x509.CertificateSigningRequest) -> bytes:
    """The request with someone else's public key put in place of the one that signed it."""
    der = csr.public_bytes(serialization.Encoding.DER)
    mine = public_der(csr.public_key())
    theirs = public_der(ec.generate_private_key(ec.SECP256R1()).public_key())
    assert der.count(mine) == 1
    assert len(mine) == len(theirs)
    return der.replace(mine, theirs)


@pytest.mark.parametrize("tamper", [tampered_subject, swapped_key])
def test_a_tampered_request_is_refused_and_nothing_is_issued(
    layout: DataDir,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    tamper: Callable[[x509.CertificateSigningRequest], bytes],
) -> None:
    add_partner(capsys, layout)
    csr = request_for(ec.generate_private_key(ec.SECP256R1()))
    request = write_request(tmp_path, tamper(csr))

    code, _, err = issue(capsys, layout, request)

    assert code == 1
    assert "signature does not verify" in err
    assert not layout.partner_dir(PARTNER).exists()
    assert certificates_of(layout, PARTNER) == []


@pytest.mark.parametrize(
    ("make_key", "reason"),
    [
        (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), "2048 bits"),
        (lambda: ec.generate_private_key(ec.SECP256K1()), "curve secp256k1"),
    ],
    ids=["rsa-2048", "secp256k1"],
)
def test_a_weak_or_unusual_key_is_refused_with_the_reason(
    layout: DataDir,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make_key: Callable[[], PrivateKey],
    reason: str,
) -> None:
    add_partner(capsys, layout)
    request = write_request(tmp_path, request_for(make_key()))

    code, _, err = issue(capsys, layout, request)

    assert code == 1
    assert reason in err
    assert certificates_of(layout, PARTNER) == []


def test_what_is_not_a_request_is_refused(
    layout: DataDir, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_partner(capsys, layout)
    request = write_request(tmp_path, layout.ca_certificate.read_bytes())

    code, _, err = issue(capsys, layout, request)

    assert code == 1
    assert "not a PKCS #10 certificate signing request" in err


def test_cert_issue_without_a_request_makes_no_key_and_points_to_csr(
    layout: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    add_partner(capsys, layout)

    code, _, err = run(capsys, "cert", "issue", PARTNER, "--data-dir", str(layout.root))

    assert code == 1
    assert "--csr FILE" in err
    assert "partner-kit csr" in err
    assert not layout.partner_dir(PARTNER).exists()
    assert certificates_of(layout, PARTNER) == []


def test_cert_webhook_certifies_the_requests_key_for_the_names_given(
    layout: DataDir, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    request = write_request(tmp_path, request_for(key, common_name="evil.example", claims=True))
    target = tmp_path / "issued"

    code, _, err = run(
        capsys, "cert", "webhook", "nl-pol-limburg", "--name", "hooks.politie.example",
        "--csr", str(request), "--out", str(target), "--data-dir", str(layout.root),
    )  # fmt: skip

    assert code == 0, err
    certificate = x509.load_pem_x509_certificate((target / "webhook.pem").read_bytes())
    assert public_der(certificate.public_key()) == public_der(key.public_key())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["hooks.politie.example"]
    assert sorted(p.name for p in target.iterdir()) == ["ca.pem", "webhook.pem"]
    code, _, err = run(
        capsys, "cert", "webhook", "nl-pol-limburg", "--name", "hooks.politie.example",
        "--out", str(tmp_path / "again"), "--data-dir", str(layout.root),
    )  # fmt: skip
    assert code == 1
    assert "--csr FILE" in err


# --- the issued certificate at work ------------------------------------------------------------


@pytest.mark.parametrize(
    "make_key",
    [
        lambda: ec.generate_private_key(ec.SECP256R1()),
        lambda: ec.generate_private_key(ec.SECP384R1()),
        lambda: rsa.generate_private_key(public_exponent=65537, key_size=3072),
        ed25519.Ed25519PrivateKey.generate,
    ],
    ids=["p256", "p384", "rsa-3072", "ed25519"],
)
async def test_a_certificate_issued_from_a_request_opens_mutual_tls_with_the_partners_own_key(
    gateway: RunningGateway,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make_key: Callable[[], PrivateKey],
) -> None:
    layout = gateway.layout
    key = make_key()
    partner_side = tmp_path / "bibob"
    request = write_request(partner_side, request_for(key))
    (partner_side / "client.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    await asyncio.to_thread(add_partner, capsys, layout)
    code, _, err = await asyncio.to_thread(issue, capsys, layout, request)
    assert code == 0, err

    context = pki.client_ssl_context(
        certificate=layout.partner_certificate(PARTNER),
        private_key=partner_side / "client.key",
        server_ca=layout.partner_dir(PARTNER) / "ca.pem",
    )
    async with EuregateClient(gateway.url, ssl_context=context) as partner:
        answer = await partner.inbox_page()

    assert answer["envelopes"] == []
    assert private_keys_under(layout.partner_dir(PARTNER)) == []
