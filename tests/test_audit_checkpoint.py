"""Checkpoints (C2SP tlog-checkpoint): strict form, signed by the log's key and opened."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.infra.audit.checkpoint import (
    DEFAULT_ORIGIN,
    Checkpoint,
    open_checkpoint,
    sign_checkpoint,
)
from gateway.infra.audit.merkle import EMPTY_ROOT
from gateway.infra.audit.note import Ed25519Signer, Ed25519Verifier
from gateway.infra.errors import CheckpointMalformed, NoteSignatureInvalid, NoteUnverified
from gateway.infra.seal import Signer

EXAMPLE = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
ROOT = base64.b64encode(bytes(range(32))).decode()


def gateway_key(origin: str = DEFAULT_ORIGIN) -> Ed25519Signer:
    return Ed25519Signer(origin, Signer.generate())


def test_the_specifications_example_reads_and_writes_back() -> None:
    checkpoint = Checkpoint.parse(EXAMPLE)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert base64.b64encode(checkpoint.root).decode() == (
        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
    )
    assert checkpoint.extensions == ()
    assert checkpoint.body() == EXAMPLE


def test_extension_lines_are_kept_in_order() -> None:
    text = f"{DEFAULT_ORIGIN}\n5\n{ROOT}\nfirst extension\nsecond\n"
    assert Checkpoint.parse(text).extensions == ("first extension", "second")
    assert Checkpoint.parse(text).body() == text


@pytest.mark.parametrize(
    "text",
    [
        f"{DEFAULT_ORIGIN}\n5\n",
        f"\n5\n{ROOT}\n",
        f"{DEFAULT_ORIGIN}\n05\n{ROOT}\n",
        f"{DEFAULT_ORIGIN}\n-5\n{ROOT}\n",
        f"{DEFAULT_ORIGIN}\n+5\n{ROOT}\n",
        f"{DEFAULT_ORIGIN}\n 5\n{ROOT}\n",
        f"{DEFAULT_ORIGIN}\n\u0665\n{ROOT}\n",
        f"{DEFAULT_ORIGIN}\n{1 << 63}\n{ROOT}\n",
        f"{DEFAULT_ORIGIN}\n{'9' * 5000}\n{ROOT}\n",
        f"{DEFAULT_ORIGIN}\n5\n{ROOT[:-1]}\n",
        f"{DEFAULT_ORIGIN}\n5\n{ROOT.rstrip('=')}\n",
        f"{DEFAULT_ORIGIN}\n5\n{ROOT[:-2]}9=\n",
        f"{DEFAULT_ORIGIN}\n5\n{base64.b64encode(bytes(31)).decode()}\n",
        f"{DEFAULT_ORIGIN}\n5\n{ROOT}\n\nextension after an empty line\n",
        f"{DEFAULT_ORIGIN}\n0\n{ROOT}\n",
    ],
    ids=[
        "two lines",
        "empty origin",
        "leading zero",
        "negative",
        "plus sign",
        "space",
        "arabic digit",
        "2^63",
        "5000 digits",
        "root cut",
        "root unpadded",
        "root not canonical",
        "root of 31 bytes",
        "empty extension line",
        "empty tree with a root",
    ],
)
def test_anything_but_the_exact_form_is_refused(text: str) -> None:
    with pytest.raises(CheckpointMalformed):
        Checkpoint.parse(text)


def test_the_empty_tree_has_the_empty_root() -> None:
    empty = Checkpoint(DEFAULT_ORIGIN, 0, EMPTY_ROOT)
    assert Checkpoint.parse(empty.body()) == empty


ORIGINS = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), blacklist_characters="+"),
    min_size=1,
    max_size=40,
)


@settings(max_examples=100, deadline=None)
@given(
    origin=ORIGINS,
    size=st.integers(1, (1 << 63) - 1),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(
        st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20),
        max_size=3,
    ),
)
def test_a_signed_checkpoint_opens_to_itself(
    origin: str, size: int, root: bytes, extensions: list[str]
) -> None:
    checkpoint = Checkpoint(origin, size, root, tuple(extensions))
    key = gateway_key(origin)
    signed = sign_checkpoint(checkpoint, key)
    opened = open_checkpoint(signed.encode(), key.verifier, origin=origin)
    assert opened.checkpoint == checkpoint
    assert opened.encode() == signed.encode()


def test_a_checkpoint_of_another_log_is_refused() -> None:
    key = gateway_key("elsewhere.example/log")
    signed = sign_checkpoint(Checkpoint("elsewhere.example/log", 3, bytes(32)), key)
    with pytest.raises(CheckpointMalformed):
        open_checkpoint(signed.encode(), key.verifier, origin=DEFAULT_ORIGIN)


def test_a_checkpoint_signed_by_another_key_is_refused() -> None:
    signed = sign_checkpoint(Checkpoint(DEFAULT_ORIGIN, 3, bytes(32)), gateway_key())
    with pytest.raises(NoteUnverified):
        open_checkpoint(signed.encode(), gateway_key().verifier, origin=DEFAULT_ORIGIN)


def test_a_changed_size_or_root_breaks_the_signature() -> None:
    key = gateway_key()
    signed = sign_checkpoint(Checkpoint(DEFAULT_ORIGIN, 3, bytes(32)), key).encode()
    for changed in (
        signed.replace(b"\n3\n", b"\n4\n", 1),
        signed.replace(b"AAAA", b"AAAB", 1),
    ):
        with pytest.raises(NoteSignatureInvalid):
            open_checkpoint(changed, key.verifier, origin=DEFAULT_ORIGIN)


def test_the_verifier_key_round_trips_with_the_origin_as_its_name() -> None:
    key = gateway_key()
    assert Ed25519Verifier.parse(key.verifier.encode()) == key.verifier
    assert key.verifier.encode().startswith(DEFAULT_ORIGIN + "+")
