"""The HTTP API over real mutual TLS: receipts, refusals as problem documents, identity."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
import rfc8785
from euregate_client import Problem, Unreachable

from gateway.contract.partners import PartnerState
from gateway.infra import audit, datafiles, pki
from gateway.infra.audit import refs
from gateway.registry.admin.certificates import revoke_certificate
from gateway.registry.admin.partners import change_partner_state
from tests.conftest import RunningGateway, client_context

Example = Callable[[str], dict[str, Any]]
DRUG_WASTE = "nl-drug-waste-maastricht.json"


async def raw_post(
    gateway: RunningGateway,
    body: bytes,
    *,
    partner: str = "nl-pol-limburg",
    content_type: str = "application/json",
    language: str = "en",
) -> tuple[int, dict[str, Any], str]:
    """POST bytes as they are; the status, the JSON answer and its content type."""
    connector = aiohttp.TCPConnector(ssl=client_context(gateway.layout, partner))
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.post(
            f"{gateway.url}/v1/signals",
            data=body,
            headers={"Content-Type": content_type, "Accept-Language": language},
        ) as response,
    ):
        return response.status, await response.json(content_type=None), response.content_type


async def test_a_partner_posts_a_signal_and_gets_a_receipt(
    gateway: RunningGateway, example: Example
) -> None:
    signal = example(DRUG_WASTE)
    async with gateway.client("nl-pol-limburg") as client:
        receipt = await client.post_signal(signal)
        status = await client.signal_status(receipt["signal_id"])
    assert receipt["sender"] == "nl-pol-limburg"
    assert receipt["sender_reference"] == signal["sender_reference"]
    assert receipt["body_sha256"] == hashlib.sha256(rfc8785.dumps(signal)).hexdigest()
    assert {r["partner"] for r in receipt["recipients"]} == set(signal["recipients"]["partners"])
    entries = list(await gateway.store.audit_entries())
    accepted = next(e for e in entries if e.seq == receipt["audit"]["seq"])
    assert accepted.hash == receipt["audit"]["hash"]
    assert accepted.kind == "signal.accepted"
    assert status == receipt


async def test_the_signal_id_is_a_time_ordered_uuid(
    gateway: RunningGateway, example: Example
) -> None:
    ids = []
    async with gateway.client("nl-pol-limburg") as client:
        for n in range(3):
            signal = example(DRUG_WASTE)
            signal["sender_reference"] = f"ORDER-{n}"
            ids.append((await client.post_signal(signal))["signal_id"])
    assert ids == sorted(ids)
    assert all(i[14] == "7" for i in ids)


async def test_a_retry_returns_the_original_receipt_and_stores_nothing_new(
    gateway: RunningGateway, example: Example
) -> None:
    signal = example(DRUG_WASTE)
    body = json.dumps(signal).encode()
    first_status, first, _ = await raw_post(gateway, body)
    # The same document with other whitespace and member order is the same canonical body.
    reordered = json.dumps(dict(reversed(list(signal.items()))), indent=4).encode()
    again_status, again, _ = await raw_post(gateway, reordered)
    assert (first_status, again_status) == (202, 200)
    assert again == first
    assert len(await gateway.store.signal_ids()) == 1


async def test_a_reused_reference_with_another_body_is_a_conflict(
    gateway: RunningGateway, example: Example
) -> None:
    signal = example(DRUG_WASTE)
    async with gateway.client("nl-pol-limburg") as client:
        receipt = await client.post_signal(signal)
        changed = copy.deepcopy(signal)
        changed["summary"] = "Another summary under the same reference"
        with pytest.raises(Problem) as caught:
            await client.post_signal(changed)
    assert caught.value.status == 409
    assert caught.value.document["type"] == "urn:euregate:problem:idempotency-conflict"
    assert caught.value.document["signal_id"] == receipt["signal_id"]


async def test_no_partner_sees_another_partners_signal(
    gateway: RunningGateway, example: Example
) -> None:
    async with gateway.client("nl-pol-limburg") as sender:
        receipt = await sender.post_signal(example(DRUG_WASTE))
    async with gateway.client("be-pol-liege") as recipient:
        with pytest.raises(Problem) as caught:
            await recipient.signal_status(receipt["signal_id"])
    assert caught.value.status == 404


async def test_the_body_cannot_claim_another_identity(
    gateway: RunningGateway, example: Example
) -> None:
    signal = example(DRUG_WASTE)
    signal["sender"] = "be-pol-liege"
    status, problem, _ = await raw_post(gateway, json.dumps(signal).encode())
    assert status == 422
    assert {"pointer": "/sender", "code": "extra_forbidden"}.items() <= problem["errors"][0].items()


@pytest.mark.parametrize(
    ("state", "reason"),
    [(PartnerState.SUSPENDED, "partner suspended"), (PartnerState.REVOKED, "partner revoked")],
)
async def test_suspended_and_revoked_partners_are_refused_at_once(
    gateway: RunningGateway, example: Example, state: PartnerState, reason: str
) -> None:
    await change_partner_state(gateway.store, "nl-pol-limburg", state, actor=refs.admin("test"))
    status, problem, content_type = await raw_post(
        gateway, json.dumps(example(DRUG_WASTE)).encode()
    )
    assert (status, content_type) == (403, "application/problem+json")
    assert problem["type"] == "urn:euregate:problem:not-authenticated"
    assert reason in problem["detail"]


async def test_a_revoked_certificate_is_refused(gateway: RunningGateway, example: Example) -> None:
    fingerprint = pki.fingerprint(gateway.layout.partner_certificate("be-pol-liege").read_bytes())
    await revoke_certificate(gateway.store, fingerprint, actor=refs.admin("test"))
    status, problem, _ = await raw_post(
        gateway, json.dumps(example(DRUG_WASTE)).encode(), partner="be-pol-liege"
    )
    assert status == 403
    assert "certificate revoked" in problem["detail"]


async def test_a_certificate_of_our_ca_that_is_not_registered_is_refused(
    gateway: RunningGateway, example: Example
) -> None:
    from datetime import UTC, datetime

    authority = datafiles.load_authority(gateway.layout)
    stray = pki.issue_client_certificate(authority, "nl-pol-limburg", now=datetime.now(UTC))
    folder = gateway.layout.partner_dir("stray")
    datafiles.write_private(folder / "client.key", stray.private_key_pem)
    datafiles.write_public(folder / "client.pem", stray.certificate_pem)
    status, problem, _ = await raw_post(
        gateway, json.dumps(example(DRUG_WASTE)).encode(), partner="stray"
    )
    assert status == 403
    assert "unknown certificate" in problem["detail"]


async def test_a_client_without_a_certificate_gets_no_answer(gateway: RunningGateway) -> None:
    from euregate_client import EuregateClient

    async with EuregateClient(gateway.url, ssl_context=client_context(gateway.layout, None)) as c:
        with pytest.raises(Unreachable):
            await c.signal_status("anything")


async def test_a_wrong_content_type_is_415(gateway: RunningGateway, example: Example) -> None:
    body = json.dumps(example(DRUG_WASTE)).encode()
    status, problem, _ = await raw_post(gateway, body, content_type="text/plain")
    assert status == 415
    assert problem["type"] == "urn:euregate:problem:unsupported-media-type"
    status, _, _ = await raw_post(gateway, body, content_type="application/json; charset=latin-1")
    assert status == 415


async def test_an_oversized_body_is_413(gateway: RunningGateway, example: Example) -> None:
    signal = example(DRUG_WASTE)
    signal["description"] = "x" * (300 * 1024)
    status, problem, _ = await raw_post(gateway, json.dumps(signal).encode())
    assert status == 413
    assert problem["type"] == "urn:euregate:problem:body-too-large"
    assert "262144" in problem["detail"]


async def test_malformed_json_is_400_with_line_and_column(gateway: RunningGateway) -> None:
    status, problem, _ = await raw_post(gateway, b'{\n  "schema": "signal/1.0",\n  "x": }')
    assert status == 400
    assert problem["type"] == "urn:euregate:problem:malformed-json"
    assert (problem["line"], problem["column"]) == (3, 8)


async def test_every_validation_error_is_listed_with_its_pointer(
    gateway: RunningGateway, example: Example
) -> None:
    signal = example(DRUG_WASTE)
    signal["urgency"] = "whenever"
    signal["location"]["municipality_code"] = "0935"
    signal["colour"] = "red"
    status, problem, _ = await raw_post(gateway, json.dumps(signal).encode())
    assert status == 422
    assert problem["type"] == "urn:euregate:problem:signal-invalid"
    pointers = {error["pointer"] for error in problem["errors"]}
    assert {"/urgency", "/location/municipality_code", "/colour"} <= pointers
    assert all(error["detail"] for error in problem["errors"])


async def test_unknown_recipients_are_422_at_their_pointer(
    gateway: RunningGateway, example: Example
) -> None:
    signal = example(DRUG_WASTE)
    signal["recipients"] = {"partners": ["be-pol-liege", "xx-nobody"]}
    status, problem, _ = await raw_post(gateway, json.dumps(signal).encode())
    assert status == 422
    assert problem["type"] == "urn:euregate:problem:recipients-invalid"
    assert problem["errors"][0]["pointer"] == "/recipients/partners/1"


@pytest.mark.parametrize("language", ["nl", "fr", "de"])
async def test_refusals_speak_the_callers_language(
    gateway: RunningGateway, example: Example, language: str
) -> None:
    signal = example(DRUG_WASTE)
    signal["urgency"] = "whenever"
    _, english, _ = await raw_post(gateway, json.dumps(signal).encode())
    _, translated, _ = await raw_post(gateway, json.dumps(signal).encode(), language=language)
    assert translated["type"] == english["type"]
    assert translated["title"] != english["title"]
    assert translated["errors"][0]["detail"] != english["errors"][0]["detail"]


async def test_refusals_are_audited_without_the_body(
    gateway: RunningGateway, example: Example
) -> None:
    signal = example(DRUG_WASTE)
    signal["urgency"] = "whenever"
    await raw_post(gateway, json.dumps(signal).encode())
    last = list(await gateway.store.audit_entries())[-1]
    assert last.kind == "signal.refused"
    assert last.data == {"status": 422, "kind": "signal-invalid", "codes": ["enum"]}
    assert audit.verify(await gateway.store.audit_entries()).ok


async def test_the_database_alone_reveals_no_signal_content(
    gateway: RunningGateway, example: Example
) -> None:
    signal = example(DRUG_WASTE)
    async with gateway.client("nl-pol-limburg") as client:
        await client.post_signal(signal)
    await gateway.store.close()
    raw = b"".join(
        path.read_bytes() for path in gateway.layout.root.glob("euregate.db*") if path.is_file()
    )
    secrets = [signal["summary"], signal["description"]]
    secrets += [person["family_name"] for person in signal.get("persons", [])]
    assert secrets
    for secret in secrets:
        assert secret.encode() not in raw


async def test_a_suspended_recipient_is_named_as_such(
    gateway: RunningGateway, example: Example
) -> None:
    await change_partner_state(
        gateway.store, "de-pol-aachen", PartnerState.SUSPENDED, actor=refs.admin("test")
    )
    signal = example(DRUG_WASTE)
    signal["recipients"] = {"partners": ["be-pol-liege", "de-pol-aachen"]}
    status, problem, _ = await raw_post(gateway, json.dumps(signal).encode())
    assert status == 422
    assert [(e["pointer"], e["code"]) for e in problem["errors"]] == [
        ("/recipients/partners/1", "recipient_inactive")
    ]
