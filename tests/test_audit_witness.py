"""A witness's decision against every way of tampering with the log that the issue names.

Each test plays the gateway with a log of its own (entries, their tree in tiles, a signed
checkpoint and consistency proofs computed from that log, as a gateway that tampered with
its database would compute them) and a partner's witness that cosigned an earlier one.
"""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from gateway.infra.audit import merkle, witness
from gateway.infra.audit.checkpoint import (
    DEFAULT_ORIGIN,
    Checkpoint,
    SignedCheckpoint,
    open_checkpoint,
    sign_checkpoint,
)
from gateway.infra.audit.cosignature import Cosigner, cosignatures
from gateway.infra.audit.note import Ed25519Signer
from gateway.infra.audit.tiles import MemoryTiles, TileHashReader
from gateway.infra.errors import (
    CheckpointRollback,
    CheckpointSplitView,
    CheckpointUnverified,
    ConsistencyUnproven,
    WitnessRefusal,
)
from gateway.infra.i18n import LANGUAGES, translate
from gateway.infra.seal import Signer

NOW = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
GATEWAY_RAW_KEY = Signer.generate()
GATEWAY_KEY = Ed25519Signer(DEFAULT_ORIGIN, GATEWAY_RAW_KEY)
WITNESS = Cosigner("witness.nl-pol-limburg.example/euregate", Signer.generate())


def entries(count: int) -> list[bytes]:
    return [f'{{"seq":{n},"kind":"signal.accepted"}}'.encode() for n in range(1, count + 1)]


class Gateway:
    """A log as the gateway holds it, honest or not: what it signs is what it has."""

    def __init__(self, log: Sequence[bytes], key: Ed25519Signer = GATEWAY_KEY) -> None:
        self.key = key
        self.tiles = MemoryTiles()
        self.tiles.append([merkle.leaf_hash(entry) for entry in log])

    def checkpoint(self) -> bytes:
        checkpoint = Checkpoint(DEFAULT_ORIGIN, self.tiles.size, self.tiles.root)
        return sign_checkpoint(checkpoint, self.key).encode()

    def proof(self, old_size: int) -> list[bytes]:
        if not 0 < old_size <= self.tiles.size:
            return []
        reader = TileHashReader(self.tiles)
        return asyncio.run(merkle.consistency_proof(reader, old_size, self.tiles.size))


def cosigned(log: Sequence[bytes]) -> SignedCheckpoint:
    """What the witness stored after cosigning ``log`` on its first run."""
    gateway = Gateway(log)
    done = run(None, gateway)
    return open_checkpoint(done.encode(), GATEWAY_KEY.verifier, origin=DEFAULT_ORIGIN)


def run(previous: SignedCheckpoint | None, gateway: Gateway) -> witness.Cosigned:
    old_size = 0 if previous is None else previous.checkpoint.size
    return witness.witness(
        previous=previous,
        submitted=gateway.checkpoint(),
        log_key=GATEWAY_KEY.verifier,
        origin=DEFAULT_ORIGIN,
        proof=gateway.proof(old_size),
        cosigner=WITNESS,
        now=NOW,
    )


def refusal(previous: SignedCheckpoint, gateway: Gateway) -> WitnessRefusal:
    with pytest.raises(WitnessRefusal) as refused:
        run(previous, gateway)
    assert refused.value.previous == previous.encode()
    assert refused.value.submitted == gateway.checkpoint()
    return refused.value


# --- an honest log ---------------------------------------------------------------------------


def test_on_its_first_run_a_witness_cosigns_what_it_is_shown() -> None:
    done = run(None, Gateway(entries(10)))
    assert done.checkpoint.checkpoint.size == 10
    stored = open_checkpoint(done.encode(), GATEWAY_KEY.verifier, origin=DEFAULT_ORIGIN)
    found = cosignatures(stored.note, [WITNESS.key])
    assert [(c.witness, c.timestamp) for c in found] == [(WITNESS.key.name, int(NOW.timestamp()))]
    assert done.line().startswith("\u2014 " + WITNESS.key.name + " ")


def test_a_log_that_grew_is_cosigned_with_the_proof() -> None:
    previous = cosigned(entries(10))
    for size in (11, 16, 17, 300):
        done = run(previous, Gateway(entries(size)))
        assert done.checkpoint.checkpoint.size == size
        previous = open_checkpoint(done.encode(), GATEWAY_KEY.verifier, origin=DEFAULT_ORIGIN)


def test_the_same_checkpoint_is_cosigned_again() -> None:
    previous = cosigned(entries(10))
    assert run(previous, Gateway(entries(10))).checkpoint.checkpoint == previous.checkpoint


def test_after_an_empty_log_no_proof_is_needed() -> None:
    previous = cosigned([])
    assert previous.checkpoint.size == 0
    assert run(previous, Gateway(entries(4))).checkpoint.checkpoint.size == 4


# --- tampering -------------------------------------------------------------------------------


def test_deleting_the_last_entry_is_a_rollback() -> None:
    previous = cosigned(entries(10))
    refused = refusal(previous, Gateway(entries(9)))
    assert isinstance(refused, CheckpointRollback)
    assert refused.params == {"old_size": 10, "new_size": 9}


def test_restoring_an_older_backup_is_a_rollback() -> None:
    backup = entries(10)
    previous = cosigned(entries(25))
    refused = refusal(previous, Gateway(backup))
    assert isinstance(refused, CheckpointRollback)
    assert refused.params == {"old_size": 25, "new_size": 10}


def test_deleting_the_last_entry_then_writing_on_is_unproven() -> None:
    previous = cosigned(entries(10))
    rewritten = [
        *entries(9),
        b'{"seq":10,"kind":"review.released","forged":true}',
        *entries(14)[10:],
    ]
    refused = refusal(previous, Gateway(rewritten))
    assert isinstance(refused, ConsistencyUnproven)
    assert refused.params == {"old_size": 10, "new_size": 14}


def test_deleting_a_middle_entry_and_recomputing_everything_after_it() -> None:
    log = entries(20)
    previous = cosigned(log[:10])
    without = log[:4] + log[5:]
    assert isinstance(refusal(previous, Gateway(without[:10])), CheckpointSplitView)
    assert isinstance(refusal(previous, Gateway(without)), ConsistencyUnproven)


def test_changing_one_byte_of_any_entry() -> None:
    log = entries(12)
    previous = cosigned(log)
    for position in range(12):
        changed = list(log)
        changed[position] = changed[position].replace(b"signal", b"sIgnal")
        assert isinstance(refusal(previous, Gateway(changed)), CheckpointSplitView)
        assert isinstance(
            refusal(previous, Gateway(changed + entries(15)[12:])), ConsistencyUnproven
        )


def test_reordering_two_entries() -> None:
    log = entries(16)
    previous = cosigned(log)
    swapped = list(log)
    swapped[3], swapped[11] = swapped[11], swapped[3]
    refused = refusal(previous, Gateway(swapped))
    assert isinstance(refused, CheckpointSplitView)
    assert refused.params["size"] == 16
    assert isinstance(refusal(previous, Gateway(swapped + entries(20)[16:])), ConsistencyUnproven)


def test_a_split_view_two_logs_of_one_size() -> None:
    shown_to_liege = entries(20)
    shown_to_aachen = [*entries(19), b'{"seq":20,"kind":"signal.accepted","other":true}']
    previous = cosigned(shown_to_liege)
    refused = refusal(previous, Gateway(shown_to_aachen))
    assert isinstance(refused, CheckpointSplitView)
    assert refused.params["old_root"] != refused.params["new_root"]


def test_a_wrong_proof_for_an_honest_log_is_refused() -> None:
    previous = cosigned(entries(10))
    gateway = Gateway(entries(30))
    for proof in (
        [],
        gateway.proof(10)[:-1],
        [bytes(32)] * len(gateway.proof(10)),
        gateway.proof(9),
    ):
        with pytest.raises(ConsistencyUnproven):
            witness.witness(
                previous=previous,
                submitted=gateway.checkpoint(),
                log_key=GATEWAY_KEY.verifier,
                origin=DEFAULT_ORIGIN,
                proof=proof,
                cosigner=WITNESS,
                now=NOW,
            )


# --- checkpoints the gateway did not sign ----------------------------------------------------


def unverified(submitted: bytes) -> CheckpointUnverified:
    previous = cosigned(entries(10))
    with pytest.raises(CheckpointUnverified) as refused:
        witness.witness(
            previous=previous,
            submitted=submitted,
            log_key=GATEWAY_KEY.verifier,
            origin=DEFAULT_ORIGIN,
            proof=[],
            cosigner=WITNESS,
            now=NOW,
        )
    assert refused.value.previous == previous.encode()
    assert refused.value.submitted == submitted
    return refused.value


def test_a_checkpoint_signed_by_another_key_is_refused() -> None:
    impostor = Gateway(entries(12), key=Ed25519Signer(DEFAULT_ORIGIN, Signer.generate()))
    assert unverified(impostor.checkpoint()).params == {"reason": witness.UNSIGNED}


def test_a_checkpoint_changed_after_signing_is_refused() -> None:
    changed = Gateway(entries(12)).checkpoint().replace(b"\n12\n", b"\n13\n")
    assert unverified(changed).params == {"reason": witness.BAD_SIGNATURE}


def test_a_note_that_is_no_checkpoint_or_of_another_log_is_refused() -> None:
    assert unverified(b"not a note").params == {"reason": witness.NOT_A_NOTE}
    other = Checkpoint("elsewhere.example/log", 12, bytes(32))
    other_log = sign_checkpoint(other, Ed25519Signer(DEFAULT_ORIGIN, GATEWAY_RAW_KEY)).encode()
    assert unverified(other_log).params == {"reason": witness.NOT_A_CHECKPOINT}


# --- what a refusal says, and keeps ------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_refusal_says_what_happened_in_each_language(language: str) -> None:
    previous = cosigned(entries(10))
    refusals = [
        refusal(previous, Gateway(entries(9))),
        refusal(previous, Gateway([*entries(9), b"forged"])),
        refusal(previous, Gateway([*entries(9), b"forged", *entries(12)[10:]])),
        unverified(b"not a note"),
    ]
    for refused in refusals:
        params = {
            name: translate(value, language) if name == "reason" else value
            for name, value in refused.params.items()
        }
        detail = translate(refused.detail_id, language, **params)
        title = translate(refused.title, language)
        if language != "en":
            assert detail != translate(refused.detail_id, "en", **refused.params)
            assert title != refused.title
        for name in ("old_size", "new_size", "size"):
            if name in refused.params:
                assert str(refused.params[name]) in detail


def test_a_refusal_keeps_both_checkpoints_through_pickling() -> None:
    previous = cosigned(entries(10))
    refused = refusal(previous, Gateway(entries(9)))
    restored = pickle.loads(pickle.dumps(refused))
    assert isinstance(restored, CheckpointRollback)
    assert (restored.previous, restored.submitted) == (refused.previous, refused.submitted)
    assert restored.params == refused.params
    assert restored.extensions() == {"old_size": 10, "new_size": 9}
