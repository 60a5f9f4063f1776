"""Encryption at rest: what a sealed signal body guarantees, and how the master key is kept."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.infra.vault import (
    KEY_SIZE,
    FileKey,
    MasterKey,
    SealedBlob,
    VaultError,
    create_master_key_file,
    load_master_key_file,
)

KEY = MasterKey.generate()
BODY = b'{"summary": "cannabis plantation above a shop in Kerkrade"}'
CONTEXT = b"sig-0190f5c3-7b1e-7d8a-9f00-3c4a5b6c7d8e"
OLD_FORMAT_BLOB = (
    "45475601000000017d3480716e0f8ddaeb364aceef44ae5dc145ac33da4407dbd4997abf219e9fa4318"
    "49aa0b3a0641503fa9c8c708133c6441008af25c0aaef87ee9781dc5aef31c16c1d87bf0180d3e97298"
    "9f063c06467d7fbecd42a4c168b49939d8452ffb0027509421e4239973930a17361fde0cfbfc8e95d4e"
    "3703cb2899d27a9f0f9c688e07bbb7a88c29f5d1dac4da7490d675258c1"
)


@given(plaintext=st.binary(max_size=4096), context=st.binary(max_size=128))
def test_what_is_sealed_opens_with_the_same_key_and_context(
    plaintext: bytes, context: bytes
) -> None:
    blob = KEY.seal(plaintext, context=context)
    assert KEY.open(blob, context=context) == plaintext


@given(plaintext=st.binary(max_size=1024), context=st.binary(max_size=64))
def test_the_framed_blob_round_trips(plaintext: bytes, context: bytes) -> None:
    blob = KEY.seal(plaintext, context=context)
    assert SealedBlob.from_bytes(blob.to_bytes()) == blob
    assert KEY.open(SealedBlob.from_bytes(blob.to_bytes()), context=context) == plaintext


@given(plaintext=st.binary(max_size=4096), context=st.binary(max_size=128))
def test_what_is_compressed_and_sealed_opens_as_it_was_given(
    plaintext: bytes, context: bytes
) -> None:
    blob = KEY.seal(plaintext, context=context, compress=True)
    framed = SealedBlob.from_bytes(blob.to_bytes())
    assert framed == blob
    assert framed.compressed
    assert KEY.open(framed, context=context) == plaintext


@given(
    document=st.recursive(
        st.text(max_size=40) | st.integers() | st.booleans() | st.none(),
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner),
        max_leaves=60,
    )
)
def test_a_json_document_compressed_and_sealed_opens_to_the_same_document(
    document: object,
) -> None:
    plaintext = json.dumps(document, ensure_ascii=False).encode()
    opened = KEY.open(KEY.seal(plaintext, context=CONTEXT, compress=True), context=CONTEXT)
    assert json.loads(opened) == document


def test_a_compressed_body_is_format_2_and_smaller_than_the_plain_one() -> None:
    document = json.dumps([{"summary": BODY.decode(), "n": n} for n in range(40)]).encode()
    plain = KEY.seal(document, context=CONTEXT).to_bytes()
    compressed = KEY.seal(document, context=CONTEXT, compress=True).to_bytes()
    assert (plain[3], compressed[3]) == (1, 2)
    assert len(compressed) < len(plain) / 4


def test_a_blob_sealed_before_compression_existed_still_opens() -> None:
    """Format 1, as every version before format 2 wrote it (this blob was made by one)."""
    raw = bytes.fromhex(OLD_FORMAT_BLOB)
    assert raw[3] == 1
    opened = MasterKey(bytes(range(32))).open(SealedBlob.from_bytes(raw), context=b"sig-1")
    assert opened == b'{"summary": "hennepkwekerij boven een winkel in Kerkrade"}'


def test_a_flipped_bit_anywhere_in_a_compressed_blob_is_detected() -> None:
    """The format byte too: a compressed body is authenticated as one, so it cannot be
    passed off as plain or the other way round."""
    raw = KEY.seal(BODY * 4, context=CONTEXT, compress=True).to_bytes()
    for bit in range(len(raw) * 8):
        tampered = bytearray(raw)
        tampered[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(VaultError):
            KEY.open(SealedBlob.from_bytes(bytes(tampered)), context=CONTEXT)


def test_the_format_byte_of_a_plain_blob_cannot_be_changed_to_compressed() -> None:
    raw = bytearray(KEY.seal(BODY, context=CONTEXT).to_bytes())
    raw[3] = 2
    with pytest.raises(VaultError):
        KEY.open(SealedBlob.from_bytes(bytes(raw)), context=CONTEXT)


def test_rewrapping_keeps_a_compressed_body_compressed() -> None:
    material = os.urandom(KEY_SIZE)
    old = MasterKey(material)
    ring = MasterKey.of(
        [FileKey(material), FileKey(os.urandom(KEY_SIZE), version=2)], root=material
    )
    blob = old.seal(BODY, context=CONTEXT, compress=True)
    rewrapped = SealedBlob.from_bytes(ring.rewrap(blob, context=CONTEXT).to_bytes())
    assert (rewrapped.key_version, rewrapped.compressed) == (2, True)
    assert rewrapped.ciphertext == blob.ciphertext
    assert ring.open(rewrapped, context=CONTEXT) == BODY


def test_the_body_is_not_stored_in_the_clear() -> None:
    assert BODY not in KEY.seal(BODY, context=CONTEXT).to_bytes()


def test_a_flipped_bit_anywhere_in_the_framed_blob_is_detected() -> None:
    raw = KEY.seal(BODY, context=CONTEXT).to_bytes()
    for bit in range(len(raw) * 8):
        tampered = bytearray(raw)
        tampered[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(VaultError):
            KEY.open(SealedBlob.from_bytes(bytes(tampered)), context=CONTEXT)


@given(raw=st.binary(max_size=256))
def test_arbitrary_bytes_never_open(raw: bytes) -> None:
    with pytest.raises(VaultError):
        KEY.open(SealedBlob.from_bytes(raw), context=CONTEXT)


def test_a_truncated_blob_is_refused() -> None:
    raw = KEY.seal(BODY, context=CONTEXT).to_bytes()
    for length in range(len(raw)):
        with pytest.raises(VaultError):
            KEY.open(SealedBlob.from_bytes(raw[:length]), context=CONTEXT)


def test_a_blob_does_not_open_under_another_context() -> None:
    """A blob copied into another signal's row stays shut."""
    blob = KEY.seal(BODY, context=CONTEXT)
    with pytest.raises(VaultError):
        KEY.open(blob, context=CONTEXT + b"x")
    with pytest.raises(VaultError):
        KEY.open(blob, context=b"")


def test_a_blob_does_not_open_under_another_master_key() -> None:
    blob = KEY.seal(BODY, context=CONTEXT)
    with pytest.raises(VaultError):
        MasterKey.generate().open(blob, context=CONTEXT)


def test_a_blob_names_the_master_key_version_that_sealed_it() -> None:
    material = os.urandom(KEY_SIZE)
    blob = MasterKey(material, version=2).seal(BODY, context=CONTEXT)
    assert blob.key_version == 2
    assert SealedBlob.from_bytes(blob.to_bytes()).key_version == 2
    with pytest.raises(VaultError, match="version 2"):
        MasterKey(material, version=1).open(blob, context=CONTEXT)


def test_each_seal_uses_a_fresh_data_key_and_nonces() -> None:
    first = KEY.seal(BODY, context=CONTEXT)
    second = KEY.seal(BODY, context=CONTEXT)
    assert first.wrapped_key[:12] != second.wrapped_key[:12]
    assert first.nonce != second.nonce
    assert first.wrapped_key != second.wrapped_key
    assert first.ciphertext != second.ciphertext
    # Were the data keys equal, the first key would open the second body.
    crossed = SealedBlob(first.wrapped_key, second.nonce, second.ciphertext)
    with pytest.raises(VaultError):
        KEY.open(crossed, context=CONTEXT)


def test_destroying_the_wrapped_key_erases_the_body() -> None:
    blob = KEY.seal(BODY, context=CONTEXT)
    shredded = SealedBlob(bytes(len(blob.wrapped_key)), blob.nonce, blob.ciphertext)
    with pytest.raises(VaultError):
        KEY.open(shredded, context=CONTEXT)


@pytest.mark.parametrize(
    "fields",
    [
        {"wrapped_key": b"short"},
        {"nonce": bytes(8)},
        {"ciphertext": bytes(15)},
        {"key_version": 0},
        {"key_version": 2**32},
    ],
)
def test_a_sealed_blob_refuses_impossible_fields(fields: dict[str, object]) -> None:
    valid: dict[str, object] = {
        "wrapped_key": bytes(60),
        "nonce": bytes(12),
        "ciphertext": bytes(16),
        "key_version": 1,
    }
    with pytest.raises(ValueError):  # noqa: PT011 - any of several messages
        SealedBlob(**(valid | fields))  # type: ignore[arg-type]


def test_the_master_key_never_shows_its_bytes() -> None:
    material = bytes(range(KEY_SIZE))
    key = MasterKey(material)
    shown = repr(key) + str(key) + f"{key}" + repr([key])
    for encoding in (
        repr(material),
        material.hex(),
        material.hex().upper(),
        base64.b64encode(material).decode(),
    ):
        assert encoding not in shown


def test_a_master_key_is_exactly_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        MasterKey(bytes(16))


def test_a_new_key_file_is_private_and_holds_the_key(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    created = create_master_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.stat().st_size == KEY_SIZE
    assert load_master_key_file(path).open(created.seal(BODY, context=CONTEXT), context=CONTEXT)
    assert sorted(tmp_path.iterdir()) == [path]


def test_a_new_key_file_is_private_even_under_a_permissive_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        create_master_key_file(tmp_path / "master.key")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "master.key").stat().st_mode) == 0o600


def test_an_existing_key_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    create_master_key_file(path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        create_master_key_file(path)
    assert path.read_bytes() == before
    assert sorted(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o602])
def test_a_key_file_others_can_read_or_write_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "master.key"
    create_master_key_file(path)
    path.chmod(mode)
    with pytest.raises(VaultError, match=f"{path}.*{mode:04o}"):
        load_master_key_file(path)


@pytest.mark.parametrize("size", [0, 31, 33, 64])
def test_a_key_file_of_the_wrong_size_is_refused(tmp_path: Path, size: int) -> None:
    path = tmp_path / "master.key"
    path.write_bytes(os.urandom(size))
    path.chmod(0o600)
    with pytest.raises(VaultError, match="exactly 32 bytes"):
        load_master_key_file(path)


def test_a_missing_key_file_is_reported_as_such(tmp_path: Path) -> None:
    with pytest.raises(VaultError, match="cannot be opened"):
        load_master_key_file(tmp_path / "absent.key")


def test_a_key_file_must_be_a_regular_file(tmp_path: Path) -> None:
    directory = tmp_path / "master.key"
    directory.mkdir(mode=0o700)
    with pytest.raises(VaultError, match="not a regular file"):
        load_master_key_file(directory)


def test_derived_secrets_differ_by_purpose_and_key_and_reveal_no_key_bytes() -> None:
    key = MasterKey.generate()
    first = key.derive(b"euregate pseudonyms v1")
    assert first == key.derive(b"euregate pseudonyms v1")
    assert first != key.derive(b"another purpose")
    assert first != MasterKey.generate().derive(b"euregate pseudonyms v1")
    assert len(first) == 32
    assert key.root() not in first
