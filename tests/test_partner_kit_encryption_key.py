"""``euregate partner-kit encryption-key``: the partner's own key pair for its envelopes, made on
its side (its own process here); for the post-quantum suite also as X-Wing's 32-byte seed, the
private key format of draft-connolly-cfrg-xwing-kem, which expands to the same key.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519

from gateway.infra import seal
from gateway.infra.seal import PartnerKey, Signer, Suite
from tests.conftest import REPO

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
VECTORS = REPO / "docs" / "test-vectors"


def kit(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", "partner-kit", "encryption-key", "be-pol-liege",
         "--out", str(out), *args],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def round_trip(private_pem: bytes, public_pem: bytes) -> bytes:
    """A message sealed by the gateway to ``public_pem``, opened with ``private_pem``."""
    suite, raw = seal.read_public_key(public_pem)
    public = PartnerKey("be-pol-liege", seal.key_id(suite, raw), suite, raw, valid_from=NOW)
    signer = Signer.generate()
    envelope = seal.seal(
        b"Proces-verbaal 2026/041877",
        recipient_key=public,
        signer=signer,
        now=NOW,
        gateway_id="euregate-euregio",
        signal_id="0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        recipient_id="be-pol-liege",
    )
    return seal.open_envelope(
        envelope,
        private_key=seal.load_private_key(private_pem),
        recipient_id="be-pol-liege",
        signal_id="0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        gateway_public_keys={signer.key_id: signer.public_key},
    )


def xwing_expanded(seed: bytes) -> tuple[bytes, bytes]:
    """X-Wing's expansion of its seed, written out: (ML-KEM-768 public key, X25519 public key)."""
    shake = hashes.Hash(hashes.SHAKE256(digest_size=96))
    shake.update(seed)
    expanded = shake.finalize()
    quantum = mlkem.MLKEM768PrivateKey.from_seed_bytes(expanded[:64])
    classical = x25519.X25519PrivateKey.from_private_bytes(expanded[64:])
    return (
        quantum.public_key().public_bytes_raw(),
        classical.public_key().public_bytes_raw(),
    )


def test_the_hybrid_key_comes_with_its_x_wing_seed(tmp_path: Path) -> None:
    done = kit(tmp_path, "--suite", "MLKEM768_X25519", "--lang", "de")
    assert done.returncode == 0, done.stderr
    key, public, seed = (tmp_path / f"encryption.{end}" for end in ("key", "pub", "xwing"))
    assert "encryption.xwing" in done.stdout
    for secret in (key, seed):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    seed_bytes = bytes.fromhex(seed.read_text().strip())
    assert len(seed_bytes) == 32

    suite, raw = seal.read_public_key(public.read_bytes())
    assert suite is Suite.MLKEM768_X25519
    assert raw == b"".join(xwing_expanded(seed_bytes))
    assert seal.xwing_key_pair(seed_bytes) == (key.read_bytes(), public.read_bytes())
    assert round_trip(key.read_bytes(), public.read_bytes()) == b"Proces-verbaal 2026/041877"


def test_an_x25519_key_has_no_seed_file(tmp_path: Path) -> None:
    done = kit(tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["encryption.key", "encryption.pub"]
    key, public = (tmp_path / "encryption.key").read_bytes(), (tmp_path / "encryption.pub")
    assert seal.read_public_key(public.read_bytes())[0] is Suite.X25519
    assert round_trip(key, public.read_bytes()) == b"Proces-verbaal 2026/041877"


def test_an_existing_key_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "encryption.xwing").write_text("kept\n")
    done = kit(tmp_path, "--suite", "MLKEM768_X25519")
    assert done.returncode != 0
    assert (tmp_path / "encryption.xwing").read_text() == "kept\n"
    assert not (tmp_path / "encryption.key").exists()


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_the_vectors_hybrid_key_is_its_x_wing_seed(version: str) -> None:
    vector: dict[str, Any] = json.loads(
        (VECTORS / f"envelope-{version}-mlkem768_x25519.json").read_text()
    )
    recipient = vector["recipient"]
    private, public = seal.xwing_key_pair(bytes.fromhex(recipient["xwing_seed_hex"]))
    assert private.decode() == recipient["private_key_pem"]
    assert public.decode() == recipient["public_key_pem"]


@pytest.mark.parametrize("size", [0, 31, 33, 64])
def test_a_seed_of_another_size_is_refused(size: int) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        seal.xwing_key_pair(bytes(size))
