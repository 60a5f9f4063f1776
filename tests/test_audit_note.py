"""Signed notes against the published examples of C2SP signed-note and Go's sumdb/note.

The keys and notes of PeterNeumann and EnochRoot are those of
``golang.org/x/mod/sumdb/note`` (``note.go``'s documentation and ``note_test.go``);
``example.com/foo`` is the example of ``c2sp.org/signed-note``.
"""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.infra.audit import note
from gateway.infra.audit.note import Ed25519Signer, Ed25519Verifier, open_note, sign_text
from gateway.infra.errors import (
    NoteMalformed,
    NoteRefused,
    NoteSignatureInvalid,
    NoteUnverified,
    VerifierKeyMalformed,
)
from gateway.infra.seal import Signer

PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotp"
    "RZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33W"
    "Wd1RvMc+QQ=\n"
)
C2SP_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
C2SP_NOTE = (
    "This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONnc"
    "AlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)


def peter_signer() -> Ed25519Signer:
    seed = base64.b64decode(PETER_SKEY.removeprefix("PRIVATE+KEY+PeterNeumann+c74f20a3+"))
    assert seed[0] == note.ED25519
    return Ed25519Signer("PeterNeumann", Signer.from_bytes(seed[1:]))


def test_a_verifier_key_reads_and_writes_as_published() -> None:
    peter = Ed25519Verifier.parse(PETER_VKEY)
    assert peter.name == "PeterNeumann"
    assert peter.key_id.hex() == "c74f20a3"
    assert peter.encode() == PETER_VKEY
    assert peter_signer().verifier == peter


def test_signing_gives_the_published_signature() -> None:
    assert sign_text(TEXT, [peter_signer()]).encode().decode() == TEXT + "\n" + PETER_SIG


def test_the_c2sp_example_note_verifies() -> None:
    opened = open_note(C2SP_NOTE.encode(), [Ed25519Verifier.parse(C2SP_VKEY)])
    assert opened.text == "This is an example message.\n"
    assert [s.name for s in opened.verified] == ["example.com/foo"]


def test_unknown_keys_are_kept_but_not_trusted() -> None:
    message = (TEXT + "\n" + PETER_SIG + ENOCH_SIG).encode()
    opened = open_note(message, [Ed25519Verifier.parse(PETER_VKEY)])
    assert [s.name for s in opened.verified] == ["PeterNeumann"]
    assert [s.name for s in opened.unverified] == ["EnochRoot"]
    both = open_note(message, [Ed25519Verifier.parse(v) for v in (PETER_VKEY, ENOCH_VKEY)])
    assert [s.name for s in both.verified] == ["PeterNeumann", "EnochRoot"]
    assert both.note.encode() == message


def test_a_note_signed_by_no_known_key_is_refused() -> None:
    with pytest.raises(NoteUnverified):
        open_note((TEXT + "\n" + ENOCH_SIG).encode(), [Ed25519Verifier.parse(PETER_VKEY)])


def test_a_key_that_shares_only_the_name_is_unknown() -> None:
    """Same name, another key: its ID differs, so the signature is not even checked."""
    stranger = Ed25519Signer("PeterNeumann", Signer.generate())
    message = sign_text(TEXT, [stranger]).encode()
    with pytest.raises(NoteUnverified):
        open_note(message, [Ed25519Verifier.parse(PETER_VKEY)])


def test_a_known_key_whose_signature_fails_refuses_the_whole_note() -> None:
    forged = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    message = (TEXT + "\n" + forged + ENOCH_SIG).encode()
    with pytest.raises(NoteSignatureInvalid) as refused:
        open_note(message, [Ed25519Verifier.parse(v) for v in (PETER_VKEY, ENOCH_VKEY)])
    assert refused.value.params == {"name": "PeterNeumann", "key_id": "c74f20a3"}


def test_a_key_signing_twice_counts_once() -> None:
    message = (TEXT + "\n" + PETER_SIG + PETER_SIG).encode()
    opened = open_note(message, [Ed25519Verifier.parse(PETER_VKEY)])
    assert len(opened.verified) == 1


@pytest.mark.parametrize(
    "message",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        TEXT + "\n" + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXg"
        "KvqfqdngotpRZb6KE6RyyBwJnAM=",
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        TEXT + "\n" + PETER_SIG.replace("— ", "- "),
        TEXT + "\n" + PETER_SIG.replace("=\n", "\n"),
        TEXT + "\n" + "— PeterNeumann AAAA\n",
        TEXT + "\n" + PETER_SIG * 101,
    ],
)
def test_malformed_notes_are_refused_as_go_refuses_them(message: str) -> None:
    with pytest.raises(NoteMalformed):
        open_note(message.encode(), [Ed25519Verifier.parse(PETER_VKEY)])


def test_a_note_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(NoteMalformed):
        open_note(b"\xff" + (TEXT + "\n" + PETER_SIG).encode(), [Ed25519Verifier.parse(PETER_VKEY)])


def test_every_mangling_of_a_verifier_key_is_refused() -> None:
    """As Go's TestNewVerifier: every proper substring and every byte changed by one."""
    for start in range(len(PETER_VKEY) + 1):
        for end in range(start + 1, len(PETER_VKEY) + 1):
            if (start, end) != (0, len(PETER_VKEY)):
                with pytest.raises(VerifierKeyMalformed):
                    Ed25519Verifier.parse(PETER_VKEY[start:end])
    for position in range(len(PETER_VKEY)):
        changed = (
            PETER_VKEY[:position] + chr(ord(PETER_VKEY[position]) + 1) + PETER_VKEY[position + 1 :]
        )
        with pytest.raises(VerifierKeyMalformed):
            Ed25519Verifier.parse(changed)


@pytest.mark.parametrize(
    "vkey",
    [
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
    ids=["wrong length", "unknown type"],
)
def test_verifier_keys_of_another_length_or_type_are_refused(vkey: str) -> None:
    with pytest.raises(VerifierKeyMalformed):
        Ed25519Verifier.parse(vkey)


@pytest.mark.parametrize("name", ["", "with space", "a+b", "tab\there", "nbsp\u00a0here"])
def test_key_names_without_spaces_or_plus(name: str) -> None:
    with pytest.raises(VerifierKeyMalformed):
        Ed25519Signer(name, Signer.generate())


def test_a_text_must_end_in_a_line_break_and_hold_no_control_character() -> None:
    with pytest.raises(NoteMalformed):
        sign_text("no line break", [peter_signer()])
    with pytest.raises(NoteMalformed):
        sign_text("a\rb\n", [peter_signer()])


TEXTS = st.lists(
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40),
    min_size=1,
    max_size=5,
).map(lambda lines: "\n".join(lines) + "\n")


@settings(max_examples=100, deadline=None)
@given(text=TEXTS, data=st.data())
def test_a_signed_note_opens_and_any_change_of_its_text_refuses_it(
    text: str, data: st.DataObject
) -> None:
    signer = peter_signer()
    message = sign_text(text, [signer]).encode()
    opened = open_note(message, [signer.verifier])
    assert opened.text == text
    position = data.draw(st.integers(0, len(text) - 2), label="position")
    replacement = data.draw(st.sampled_from("aZ0 ü—+"), label="replacement")
    changed = text[:position] + replacement + text[position + 1 :]
    if changed != text:
        with pytest.raises(NoteRefused):
            open_note(message.replace(text.encode(), changed.encode(), 1), [signer.verifier])


def test_adding_a_signature_replaces_the_same_keys_earlier_one() -> None:
    signed = sign_text(TEXT, [peter_signer()])
    enoch = note.Signature("EnochRoot", bytes.fromhex("af0cfe78"), b"x" * 64)
    again = signed.with_signatures([enoch]).with_signatures([signed.signatures[0]])
    assert [s.name for s in again.signatures] == ["EnochRoot", "PeterNeumann"]
