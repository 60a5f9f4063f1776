"""The audit log's tree over the real listeners: signed checkpoints with their cosignatures,
inclusion and consistency proofs, witnesses' cosignatures and reports; a partner proves only
its own entries, and every bad range is a problem document in the caller's language."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from euregate_client import Problem

from gateway.edges.cli.common import cli_actor
from gateway.infra import datafiles
from gateway.infra.audit import EventKind, merkle
from gateway.infra.audit.checkpoint import DEFAULT_ORIGIN, SignedCheckpoint, open_checkpoint
from gateway.infra.audit.cosignature import Cosigner, cosignatures
from gateway.infra.audit.note import Ed25519Verifier
from gateway.infra.audit.note import parse as parse_note
from gateway.infra.audit.tiles import MemoryTiles
from gateway.infra.config import DataDir, Settings
from gateway.registry.admin.keys import retire_witness_key
from gateway.transparency import log
from gateway.transparency.verify import decode_proof
from gateway.transparency.witness_keys import read_witness_key
from tests.conftest import RunningGateway, client_context, gateway_in_process
from tests.polling import until

LIMBURG, LIEGE = "nl-pol-limburg", "be-pol-liege"


def log_key(layout: DataDir) -> Ed25519Verifier:
    return Ed25519Verifier(DEFAULT_ORIGIN, datafiles.load_signer(layout).public_key)


def opened(gateway: RunningGateway, note: bytes) -> SignedCheckpoint:
    """The checkpoint, if the gateway's key signed it for its log."""
    return open_checkpoint(note, log_key(gateway.layout), origin=DEFAULT_ORIGIN)


def witness_of(layout: DataDir, partner_id: str) -> Cosigner:
    return read_witness_key(layout.partner_witness_key(partner_id).read_text())


async def integrated(gateway: RunningGateway, size: int | None = None) -> int:
    """Wait until the tree holds every entry written so far (or ``size``); its size."""
    wanted = size or len(await gateway.store.audit_entries())

    async def grown() -> bool:
        latest = await gateway.store.latest_checkpoint()
        return latest is not None and latest.size >= wanted

    await until(grown)
    return wanted


async def integrated_text(gateway: RunningGateway) -> tuple[int, str]:
    """Once every entry is in the tree: its size and its checkpoint's note text."""
    size = await integrated(gateway)
    checkpoint = await gateway.store.checkpoint(size)
    assert checkpoint is not None
    return size, parse_note(checkpoint.note).text


async def raw(
    gateway: RunningGateway, path: str, *, partner: str = LIMBURG, language: str = "en", **kw: Any
) -> tuple[int, str, str]:
    """A request as any HTTP client sends it: status, content type and body."""
    connector = aiohttp.TCPConnector(ssl=client_context(gateway.layout, partner))
    headers = {"Accept-Language": language, **kw.pop("headers", {})}
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.request(kw.pop("method", "GET"), gateway.url + path, headers=headers, **kw) as r,
    ):
        return r.status, r.content_type, await r.text()


async def test_the_checkpoint_is_a_signed_note_of_the_whole_log(gateway: RunningGateway) -> None:
    size = await integrated(gateway)
    async with gateway.client(LIEGE) as client:
        note = await client.checkpoint()

    signed = opened(gateway, note)
    assert signed.checkpoint.size >= size
    entries = await gateway.store.audit_entries()
    tree = MemoryTiles()
    tree.append([merkle.leaf_hash(e.canonical) for e in entries[: signed.checkpoint.size]])
    assert signed.checkpoint.root == tree.root


async def test_the_checkpoint_as_json_names_its_size_root_and_key(gateway: RunningGateway) -> None:
    await integrated(gateway)

    status, content_type, body = await raw(
        gateway, "/v1/audit/checkpoint", headers={"Accept": "application/json"}
    )

    document = json.loads(body)
    assert (status, content_type) == (200, "application/json")
    assert document["log_key"] == log_key(gateway.layout).encode()
    assert document["cosigners"] == []
    signed = opened(gateway, document["note"].encode())
    assert (signed.checkpoint.size, base64.b64encode(signed.checkpoint.root).decode()) == (
        document["size"],
        document["root"],
    )


async def test_a_receipt_names_its_leaf_and_the_status_proves_it_once_integrated(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    async with gateway.client(LIMBURG) as client:
        receipt = await client.post_signal(example("nl-drug-waste-maastricht.json"))
        entry = (await gateway.store.audit_entries(after=receipt["audit"]["seq"] - 1, limit=1))[0]
        assert receipt["audit"]["leaf_index"] == entry.seq - 1
        assert base64.b64decode(receipt["audit"]["leaf_hash"]) == merkle.leaf_hash(entry.canonical)
        await integrated(gateway, entry.seq)
        status = await client.signal_status(receipt["signal_id"])

    inclusion = status["inclusion"]
    signed = opened(gateway, inclusion["checkpoint"].encode())
    assert signed.checkpoint.size == inclusion["tree_size"] >= entry.seq
    assert status["audit"] == receipt["audit"]
    proof = decode_proof(inclusion["proof"])
    leaf = base64.b64decode(status["audit"]["leaf_hash"])
    assert merkle.verify_inclusion(
        leaf, entry.seq - 1, signed.checkpoint.size, proof, signed.checkpoint.root
    )


async def test_a_receipt_asked_again_before_any_checkpoint_is_signed_comes_without_proof(
    layout: DataDir, example: Callable[[str], dict[str, Any]]
) -> None:
    """An instance that does not sequence, on a log nobody has signed yet: the sender still
    gets its receipt back, only without the inclusion proof it will carry later."""
    settings = Settings(
        data_dir=layout.root, host="127.0.0.1", port=0, staff_port=0, audit_sequencer=False
    )
    async with gateway_in_process(settings) as gateway, gateway.client(LIMBURG) as client:
        receipt = await client.post_signal(example("nl-drug-waste-maastricht.json"))
        status = await client.signal_status(receipt["signal_id"])
        assert await gateway.store.latest_checkpoint() is None

    assert status["signal_id"] == receipt["signal_id"]
    assert status["audit"] == receipt["audit"]
    assert "inclusion" not in status


async def test_a_partner_gets_proofs_for_its_own_entries_and_404_for_anyone_elses(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    async with gateway.client(LIMBURG) as sender:
        receipt = await sender.post_signal(example("nl-drug-waste-maastricht.json"))
    index = receipt["audit"]["leaf_index"]
    size = await integrated(gateway, index + 1)

    async with gateway.client(LIMBURG) as sender:
        proof = await sender.inclusion_proof(index, size)
    assert proof["index"] == index
    assert proof["leaf_hash"] == receipt["audit"]["leaf_hash"]
    root = (await gateway.store.checkpoint(size)).root  # type: ignore[union-attr]
    assert merkle.verify_inclusion(
        base64.b64decode(proof["leaf_hash"]), index, size, decode_proof(proof["proof"]), root
    )

    async with gateway.client("de-pol-aachen") as stranger:
        with pytest.raises(Problem) as refused:
            await stranger.inclusion_proof(index, size)
    assert refused.value.status == 404
    assert refused.value.document["type"] == "urn:euregate:problem:not-found"


async def test_compliance_staff_get_any_entrys_proof_and_other_roles_are_refused(
    gateway: RunningGateway, staff_token: Callable[..., Awaitable[str]]
) -> None:
    size = await integrated(gateway)
    compliance = await staff_token("c.janssens", role="compliance")
    officer = await staff_token("m.dubois")

    async with gateway.staff_client(compliance) as client:
        proof = await client.inclusion_proof(0, size)
        note = await client.checkpoint()
        consistency = await client.consistency_proof(1, size)
    signed = opened(gateway, note)
    first = (await gateway.store.audit_entries(limit=1))[0]
    assert proof["leaf_hash"] == base64.b64encode(merkle.leaf_hash(first.canonical)).decode()
    assert consistency["to"] == size <= signed.checkpoint.size

    async with gateway.staff_client(officer) as client:
        with pytest.raises(Problem) as refused:
            await client.checkpoint()
    assert refused.value.status == 403


async def test_consistency_proofs_lead_from_each_checkpoint_to_the_next(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    old = await integrated(gateway)
    async with gateway.client(LIMBURG) as client:
        before = opened(gateway, await client.checkpoint())
        await client.explain(example("nl-drug-waste-maastricht.json"))
        await integrated(gateway, old + 1)
        after = opened(gateway, await client.checkpoint())
        proof = await client.consistency_proof(before.checkpoint.size, after.checkpoint.size)

    assert after.checkpoint.size > before.checkpoint.size
    assert merkle.verify_consistency(
        before.checkpoint.size,
        after.checkpoint.size,
        decode_proof(proof["proof"]),
        before.checkpoint.root,
        after.checkpoint.root,
    )


BAD_RANGES = [
    ("/v1/audit/proof/inclusion", 400, "query-invalid", "index"),
    ("/v1/audit/proof/inclusion?index=x", 400, "query-invalid", "index"),
    ("/v1/audit/proof/inclusion?index=-1", 400, "query-invalid", "index"),
    ("/v1/audit/proof/inclusion?index=0&size=0", 400, "query-invalid", "size"),
    ("/v1/audit/proof/inclusion?index=99999999999999999999", 400, "query-invalid", "index"),
    ("/v1/audit/proof/inclusion?index=0&size=9223372036854775807", 404, "beyond-the-log", None),
    ("/v1/audit/proof/inclusion?index=5&size=5", 400, "query-invalid", "index"),
    ("/v1/audit/proof/consistency", 400, "query-invalid", "from"),
    ("/v1/audit/proof/consistency?from=0", 400, "query-invalid", "from"),
    ("/v1/audit/proof/consistency?from=6&to=5", 400, "query-invalid", "from"),
    ("/v1/audit/proof/consistency?from=1&to=%EF%BC%95", 400, "query-invalid", "to"),
    ("/v1/audit/proof/consistency?from=1&to=1000000000", 404, "beyond-the-log", None),
    ("/v1/audit/cosignatures?size=1000000000", 404, "beyond-the-log", None),
    ("/v1/audit/cosignatures?size=3", 404, "checkpoint-not-published", None),
]


@pytest.mark.parametrize(("path", "status", "kind", "parameter"), BAD_RANGES)
@pytest.mark.parametrize("language", ["fr", "de"])
async def test_a_bad_range_is_a_problem_in_the_callers_language_never_an_error(
    gateway: RunningGateway, path: str, status: int, kind: str, parameter: str | None, language: str
) -> None:
    await integrated(gateway)
    answered, content_type, body = await raw(gateway, path, language=language)
    document = json.loads(body)

    assert (answered, content_type) == (status, "application/problem+json")
    assert document["type"] == f"urn:euregate:problem:{kind}"
    assert document.get("parameter") == parameter
    english = json.loads((await raw(gateway, path, language="en"))[2])
    assert document["detail"] != english["detail"]


async def test_a_witness_cosignature_is_verified_kept_listed_and_appended(
    gateway: RunningGateway,
) -> None:
    size, text = await integrated_text(gateway)
    witness = witness_of(gateway.layout, LIEGE)
    line = witness.cosign(text, 1_767_225_600).line()

    async with gateway.client(LIEGE) as client:
        kept = await client.post_cosignature(size, line)
        listed = await client.cosignatures(size)
    assert kept == {"size": size, "partner": LIEGE, "key_id": witness.key.key_id.hex()}
    (entry,) = listed["cosignatures"]
    assert (entry["partner"], entry["vkey"], entry["signature"]) == (
        LIEGE,
        witness.key.encode(),
        line,
    )
    assert entry["cosigned_at"] == "2026-01-01T00:00:00.000000Z"
    audited = await gateway.store.audit_entries(after=size)
    assert EventKind.CHECKPOINT_COSIGNED in [e.kind for e in audited]

    await integrated(gateway)
    latest = await gateway.store.latest_checkpoint()
    assert latest is not None
    async with gateway.client(LIMBURG) as client:
        limburg = witness_of(gateway.layout, LIMBURG)
        line = limburg.cosign(parse_note(latest.note).text, 1_767_225_700).line()
        await client.post_cosignature(latest.size, line)
        note = await client.checkpoint()
    found = cosignatures(parse_note(note), [limburg.key])
    assert [c.timestamp for c in found] == [1_767_225_700]


async def test_cosignatures_that_are_not_the_partners_or_not_on_our_checkpoint_are_refused(
    gateway: RunningGateway,
) -> None:
    size, text = await integrated_text(gateway)
    liege, limburg = witness_of(gateway.layout, LIEGE), witness_of(gateway.layout, LIMBURG)

    refusals = []
    async with gateway.client(LIEGE, language="nl") as client:
        for posted_size, line in (
            (size, limburg.cosign(text, 1).line()),
            (size, liege.cosign(text.replace(str(size), str(size + 1), 1), 1).line()),
            (size + 1000, liege.cosign(text, 1).line()),
            (size, "not a signature line"),
        ):
            with pytest.raises(Problem) as refused:
                await client.post_cosignature(posted_size, line)
            refusals.append((refused.value.status, refused.value.document["type"].split(":")[-1]))
    assert refusals == [
        (403, "witness-key-unknown"),
        (422, "cosignature-invalid"),
        (404, "checkpoint-not-published"),
        (400, "note-malformed"),
    ]

    await retire_witness_key(gateway.store, LIEGE, liege.key.key_id.hex(), actor=cli_actor())
    async with gateway.client(LIEGE) as client:
        with pytest.raises(Problem) as retired:
            await client.post_cosignature(size, liege.cosign(text, 1).line())
    assert retired.value.status == 403
    assert await gateway.store.cosignatures(size) == []


async def test_a_witness_reports_what_it_refused_with_both_checkpoints(
    gateway: RunningGateway,
) -> None:
    size = await integrated(gateway)
    checkpoint = await gateway.store.checkpoint(size)
    assert checkpoint is not None

    async with gateway.client(LIMBURG) as client:
        report = await client.report_inconsistency("checkpoint-rollback", checkpoint.note, b"x\n")
        with pytest.raises(Problem) as refused:
            await client.report_inconsistency("something-else", None, checkpoint.note)

    (kept,) = await gateway.store.inconsistencies()
    assert (kept.id, kept.partner_id, kept.kind) == (report["id"], LIMBURG, "checkpoint-rollback")
    assert (kept.previous, kept.previous_size, kept.submitted_size) == (checkpoint.note, size, None)
    assert refused.value.status == 400
    assert EventKind.INCONSISTENCY_REPORTED in [e.kind for e in await gateway.store.audit_entries()]


async def test_a_witness_has_at_most_so_many_reports_kept(
    gateway: RunningGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log, "REPORTS_PER_PARTNER", 1)
    size = await integrated(gateway)
    checkpoint = await gateway.store.checkpoint(size)
    assert checkpoint is not None

    async with gateway.client(LIMBURG, language="fr") as client:
        await client.report_inconsistency("checkpoint-rollback", checkpoint.note, b"x\n")
        with pytest.raises(Problem) as refused:
            await client.report_inconsistency("checkpoint-rollback", checkpoint.note, b"y\n")

    assert refused.value.status == 409
    assert refused.value.document["type"] == "urn:euregate:problem:too-many-reports"
    assert refused.value.document["detail"].startswith("La passerelle conserve déjà 1 ")
    assert len(await gateway.store.inconsistencies()) == 1
    reported = await gateway.store.audit_entries()
    assert [e.kind for e in reported].count(EventKind.INCONSISTENCY_REPORTED) == 1
