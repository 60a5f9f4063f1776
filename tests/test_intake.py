"""Intake for all inputs: valid signals accepted, anything else a 4xx problem, never a 500."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import count

import aiohttp
import pytest
from euregate_client import Problem
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.decide.decision import DataClass, Outcome
from gateway.infra.datafiles import load_master_key
from gateway.infra.vault import SealedBlob
from tests.conftest import RunningGateway, client_context, load_example
from tests.strategies import Mutation, mutations, near, valid_signals

NOW = datetime.now(UTC)
RECIPIENTS = {"partners": ["be-pol-liege", "de-pol-aachen"]}
FIXTURE_SHARED = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
references = count()


async def post_bytes(gateway: RunningGateway, body: bytes) -> tuple[int, str, object]:
    connector = aiohttp.TCPConnector(ssl=client_context(gateway.layout, "nl-pol-limburg"))
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.post(
            f"{gateway.url}/v1/signals", data=body, headers={"Content-Type": "application/json"}
        ) as response,
    ):
        return response.status, response.content_type, await response.json(content_type=None)


@FIXTURE_SHARED
@given(signal=valid_signals(NOW, recipients=RECIPIENTS))
async def test_every_valid_signal_is_accepted(
    gateway: RunningGateway, signal: dict[str, object]
) -> None:
    signal["sender_reference"] = f"PROP-{next(references)}"
    signal.pop("in_reply_to", None)  # a reply must answer a signal delivered to the sender
    async with gateway.client("nl-pol-limburg") as client:
        receipt = await client.post_signal(signal)
    assert [r["partner"] for r in receipt["recipients"]] == ["be-pol-liege", "de-pol-aachen"]
    assert all(r["verdict"] in ("deliver", "review", "deny") for r in receipt["recipients"])


@FIXTURE_SHARED
@given(mutation=mutations(NOW))
async def test_every_invalid_signal_is_refused_with_its_errors(
    gateway: RunningGateway, mutation: Mutation
) -> None:
    """Always JSON, so never a malformed body: a 422 listing an error where it was broken."""
    status, content_type, problem = await post_bytes(
        gateway, json.dumps(mutation.document).encode()
    )
    assert status == 422, problem
    assert content_type == "application/problem+json"
    assert isinstance(problem, dict)
    assert problem["type"] == "urn:euregate:problem:signal-invalid", problem
    pointers = [error["pointer"] for error in problem["errors"]]
    assert problem["error_count"] >= len(pointers) >= 1
    assert all(pointer.startswith("/") or pointer == "" for pointer in pointers)
    assert any(near(pointer, mutation.pointer) for pointer in pointers), (
        mutation.description,
        pointers,
    )


@FIXTURE_SHARED
@given(
    body=st.binary(max_size=2048)
    | st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=20,
    ).map(lambda value: json.dumps(value).encode())
)
async def test_no_body_whatever_gets_a_server_error(gateway: RunningGateway, body: bytes) -> None:
    status, content_type, problem = await post_bytes(gateway, body)
    assert 400 <= status < 500, problem
    assert content_type == "application/problem+json"


async def test_truncated_deeply_nested_and_wrongly_encoded_bodies_are_400(
    gateway: RunningGateway,
) -> None:
    valid = json.dumps(
        {"schema": "signal/1.0", "summary": "Afval van drugsproductie bij Maastricht"}
    ).encode()
    bodies = {
        "truncated": valid[: len(valid) // 2],
        "deeply nested": b"[" * 100_000 + b"]" * 100_000,
        "latin-1": '{"summary": "Lüttich"}'.encode("latin-1"),
        "utf-16": valid.decode().encode("utf-16"),
        "empty": b"",
        "NaN": b'{"x": NaN}',
        "duplicate member": b'{"schema": "signal/1.0", "schema": "signal/1.1"}',
    }
    for name, body in bodies.items():
        status, content_type, problem = await post_bytes(gateway, body)
        assert status == 400, (name, problem)
        assert content_type == "application/problem+json", name


async def test_a_signal_to_nobody_is_refused(gateway: RunningGateway) -> None:
    signal = load_example("nl-drug-waste-maastricht.json")
    signal["recipients"] = {"countries": ["DE"], "agency_types": ["tax"]}
    async with gateway.client("nl-pol-limburg") as client:
        with pytest.raises(Problem) as refused:
            await client.post_signal(signal)
    assert refused.value.status == 422
    assert refused.value.errors[0]["code"] == "no_recipients"


async def test_the_receipt_says_per_recipient_what_the_policy_decided(
    gateway: RunningGateway,
) -> None:
    signal = load_example("nl-drug-waste-maastricht.json")
    async with gateway.client("nl-pol-limburg") as client:
        receipt = await client.post_signal(signal)
    assert [(r["partner"], r["verdict"]) for r in receipt["recipients"]] == [
        ("be-pol-liege", "deliver"),
        ("de-pol-aachen", "deliver"),
    ]
    assert all("2" in r["rules"] for r in receipt["recipients"])
    assert "notice" not in receipt
    accepted = next(e for e in await gateway.store.audit_entries() if e.kind == "signal.accepted")
    assert accepted.data["policy_sha256"] == gateway.policy_digest
    assert [d["verdict"] for d in accepted.data["decisions"]] == ["deliver", "deliver"]


async def test_a_signal_nobody_may_receive_is_kept_and_the_receipt_says_so(
    gateway: RunningGateway,
) -> None:
    signal = load_example("nl-drug-waste-maastricht.json")
    signal["purpose"] = "administrative_approach"
    async with gateway.client("nl-gem-maastricht", language="nl") as client:
        receipt = await client.post_signal(signal)
    assert [(r["verdict"], r["rules"]) for r in receipt["recipients"]] == [
        ("deny", ["5"]),
        ("deny", ["5"]),
    ]
    assert receipt["notice"]
    assert receipt["signal_id"] in await gateway.store.signal_ids()
    decisions = await gateway.store.decisions(receipt["signal_id"])
    assert all(d.outcome(DataClass.PERSON_IDENTITY) is Outcome.REDACT for d in decisions)


async def test_the_signal_is_kept_compressed_and_sealed_and_opens_to_the_body_posted(
    gateway: RunningGateway,
) -> None:
    signal = load_example("be-cannabis-lanaken.json")
    async with gateway.client("be-pol-lanaken") as client:
        receipt = await client.post_signal(signal)
    sealed = await gateway.store.sealed_body(receipt["signal_id"])
    assert sealed is not None
    blob = SealedBlob.from_bytes(sealed)
    opened = load_master_key(gateway.layout).open(blob, context=receipt["signal_id"].encode())
    assert blob.compressed
    assert json.loads(opened) == signal
    assert len(sealed) < len(opened) * 0.7


async def test_explain_decides_as_a_post_would_and_keeps_nothing(
    gateway: RunningGateway,
) -> None:
    signal = load_example("de-shisha-aachen.json")
    async with gateway.client("de-stadt-aachen") as client:
        explained = await client.explain(signal)
        assert await gateway.store.signal_ids() == []
        assert [e.kind for e in await gateway.store.audit_entries()][-1] == "policy.explained"
        receipt = await client.post_signal(signal)
    stored = await gateway.store.decisions(receipt["signal_id"])
    assert explained["decisions"] == [d.as_json() for d in stored]
    assert explained["policy_sha256"] == gateway.policy_digest


@FIXTURE_SHARED
@given(
    signal=valid_signals(NOW),
    sender=st.sampled_from(
        ["nl-pol-limburg", "nl-gem-maastricht", "be-gem-eupen", "de-zoll-aachen"]
    ),
)
async def test_explain_always_equals_what_a_real_post_decides(
    gateway: RunningGateway, signal: dict[str, object], sender: str
) -> None:
    signal["sender_reference"] = f"EXPLAIN-{next(references)}"
    signal.pop("in_reply_to", None)
    async with gateway.client(sender) as client:
        try:
            explained = await client.explain(signal)
        except Problem as refused:
            explained = {"refused": refused.status}
        if "refused" in explained:
            assert explained["refused"] == 422  # routing found nobody, or named the sender
            return
        receipt = await client.post_signal(signal)
    stored = await gateway.store.decisions(receipt["signal_id"])
    assert explained["decisions"] == [d.as_json() for d in stored]


async def test_a_reply_must_answer_a_signal_delivered_to_its_sender(
    gateway: RunningGateway,
) -> None:
    original = load_example("nl-drug-waste-maastricht.json")
    original["recipients"] = {"partners": ["be-pol-lanaken"]}  # Dutch: no review, delivered
    async with gateway.client("nl-pol-limburg") as police:
        receipt = await police.post_signal(original)
    reply = load_example("be-fr-liege-stockage.json")
    reply["in_reply_to"] = receipt["signal_id"]
    reply["recipients"] = {"partners": ["nl-pol-limburg"]}
    async with gateway.client("de-zoll-aachen") as stranger:
        with pytest.raises(Problem) as refused:
            await stranger.post_signal(reply)
    assert refused.value.errors[0]["pointer"] == "/in_reply_to"
    assert refused.value.errors[0]["code"] == "unknown_reply"
    async with gateway.client("be-pol-lanaken") as recipient:
        answer = await recipient.post_signal(reply)
    assert answer["recipients"][0]["verdict"] == "deliver"


async def test_an_h2_signal_carried_on_to_a_third_partner_is_denied(
    gateway: RunningGateway,
) -> None:
    original = load_example("nl-drug-waste-maastricht.json")
    original["handling_code"] = "H2"
    original["recipients"] = {"partners": ["be-pol-lanaken"]}
    async with gateway.client("nl-pol-limburg") as police:
        receipt = await police.post_signal(original)
    forward = load_example("be-fr-liege-stockage.json")
    forward["in_reply_to"] = receipt["signal_id"]
    forward["recipients"] = {"partners": ["nl-pol-limburg", "de-zoll-aachen"]}
    async with gateway.client("be-pol-lanaken") as recipient:
        answer = await recipient.post_signal(forward)
    verdicts = {r["partner"]: (r["verdict"], r["rules"]) for r in answer["recipients"]}
    assert verdicts["nl-pol-limburg"][0] == "deliver"
    assert verdicts["de-zoll-aachen"][0] == "deny"
    assert "8" in verdicts["de-zoll-aachen"][1]


async def test_copies_in_another_language_wait_for_the_desk_of_their_country(
    gateway: RunningGateway,
) -> None:
    signal = load_example("nl-drug-waste-maastricht.json")
    signal["recipients"] = {"partners": ["be-pol-lanaken", "be-pol-liege", "de-pol-aachen"]}
    async with gateway.client("nl-pol-limburg") as client:
        receipt = await client.post_signal(signal)
    belgian = await gateway.store.pending_reviews(countries=("BE",))
    everyone = await gateway.store.pending_reviews(countries=None)
    assert [(i.recipient_id, i.reasons) for i in belgian] == [("be-pol-liege", ("language",))]
    assert {i.recipient_id for i in everyone} == {"be-pol-liege", "de-pol-aachen"}
    assert {i.signal_id for i in everyone} == {receipt["signal_id"]}
