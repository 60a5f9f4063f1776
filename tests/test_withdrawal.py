"""Withdrawal by the sender, end to end on a real gateway (LED (EU) 2016/680 art. 7(3)): a
signal released to Liège (which pulls its inbox, in French) and to Aachen (whose webhook takes
its envelopes, in German), and still waiting for a Belgian liaison officer for Eupen, is
withdrawn: Liège and Aachen each get a notice, sealed for them like an envelope, through the
inbox and the webhook, in their language; Eupen's waiting copy is withdrawn from the desk and
never goes out; the status shows it; a second withdrawal answers the first."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from euregate_client import Problem, open_message
from jsonschema import Draft202012Validator

from gateway.edges.cli.inbox import notice_line
from gateway.edges.cli.status import status_text
from gateway.infra import seal
from gateway.infra.audit import EventKind
from tests.conftest import RunningGateway
from tests.polling import until
from tests.review_release import release_as_written
from tests.test_cli_defaults import euregate
from tests.test_message_schema import SCHEMA
from tests.test_webhooks import ReceiverFor, audit_of, set_webhook

SENDER = "nl-pol-limburg"
PULLS = "be-pol-liege"
PUSHED = "de-pol-aachen"
WAITS = "be-gem-eupen"
LANAKEN, DUTCH = "be-pol-lanaken", "nl-pol-limburg"
"""A signal from Lanaken reaches Limburg at once: both read Dutch."""


async def released_to_liege_and_aachen(
    gateway: RunningGateway,
    example: Callable[[str], dict[str, Any]],
    staff_token: Callable[..., Awaitable[str]],
) -> str:
    """The Maastricht signal, released by the Belgian desk for Liège and by the German desk
    for Aachen, sealed for both; Eupen's copy still waits. Its id."""
    body = {
        **example("nl-drug-waste-maastricht.json"),
        "recipients": {"partners": [PULLS, PUSHED, WAITS]},
    }
    async with gateway.client(SENDER) as sender:
        signal_id = str((await sender.post_signal(body))["signal_id"])
    for officer, desk, recipient in (("m.dubois", "BE", PULLS), ("k.schmidt", "DE", PUSHED)):
        token = await staff_token(officer, desk=desk)
        async with gateway.staff_client(token) as staff:
            (item,) = [i for i in await staff.queue() if i["recipient"] == recipient]
            await release_as_written(staff, item["id"])

    async def sealed() -> bool:
        envelopes = await gateway.store.envelopes_of_signal(signal_id)
        return {e.recipient_id for e in envelopes} == {PULLS, PUSHED}

    await until(sealed)
    return signal_id


def opened(gateway: RunningGateway, recipient: str, entry: dict[str, Any], keys: Any) -> Any:
    key_file = gateway.layout.partner_encryption_key(recipient)
    return open_message(
        entry,
        private_key=seal.load_private_key(key_file.read_bytes()),
        recipient_id=recipient,
        gateway_keys=keys,
    )


async def test_a_withdrawal_reaches_each_recipient_in_its_language_and_stops_what_waits(
    gateway: RunningGateway,
    example: Callable[[str], dict[str, Any]],
    staff_token: Callable[..., Awaitable[str]],
    receiver_for: ReceiverFor,
) -> None:
    async with receiver_for() as receiver:
        await set_webhook(gateway, PUSHED, receiver.url)
        signal_id = await released_to_liege_and_aachen(gateway, example, staff_token)
        async with gateway.client(SENDER) as sender:
            withdrawn = await sender.withdraw(signal_id, "data_incorrect")
            again = await sender.withdraw(signal_id, "sent_in_error")

        async def pushed_twice() -> bool:
            return len(receiver.received) == 2

        await until(pushed_twice)

    assert withdrawn == again
    assert (withdrawn["reason"], withdrawn["notices"], withdrawn["review_items"]) == (
        "data_incorrect",
        2,
        1,
    )
    assert withdrawn["cancelled"] == 0
    (entry,) = await audit_of(gateway.store, EventKind.SIGNAL_WITHDRAWN)
    assert (entry["signal_id"], entry["reason"], entry["notices"]) == (
        signal_id,
        "data_incorrect",
        2,
    )

    async with gateway.client(PUSHED) as aachen:
        keys = await aachen.gateway_keys()
    german = opened(gateway, PUSHED, receiver.received[1], keys)
    assert (german.kind, german.version, german.signal_id) == ("notice", 2, signal_id)
    assert german.notice["reason"] == "data_incorrect"
    assert german.text == f"Meldung {signal_id} vom Absender zurückgezogen: Daten unrichtig"
    assert "signal" not in german.content
    Draft202012Validator(SCHEMA).validate(german.content)

    partner = ("--url", gateway.url, "--data-dir", str(gateway.layout.root))
    code, out, err = await euregate("inbox", "pull", "--as", PULLS, *partner)
    assert (code, err) == (0, "")
    french = f"Avis : Signalement {signal_id} retiré par l'expéditeur : données inexactes"
    assert out.strip().splitlines()[-1] == french
    assert out.count("Avis :") == 1
    async with gateway.client(PULLS) as liege:
        assert (await liege.inbox_page())["envelopes"] == []

    officer = await staff_token("l.peeters", desk="BE")
    async with gateway.staff_client(officer) as desk:
        assert [i for i in await desk.queue() if i["signal_id"] == signal_id] == []
    assert {e.recipient_id for e in await gateway.store.envelopes_of_signal(signal_id)} == {
        PULLS,
        PUSHED,
    }
    assert notice_line(german.content, "de") == f"Mitteilung: {german.text}"

    async with gateway.client(SENDER) as sender:
        receipt = await sender.signal_status(signal_id)
    assert receipt["withdrawn"]["reason"] == "data_incorrect"
    shown = {r["partner"]: r for r in receipt["recipients"]}
    assert {r["state"] for r in shown.values()} == {"withdrawn"}
    assert "acknowledged_at" in shown[PULLS]["notice"]
    assert "pushed_at" in shown[PUSHED]["notice"]
    assert shown[PUSHED]["notice"]["version"] == 2
    assert shown[PUSHED]["copy"]["version"] == 1
    assert "notice" not in shown[WAITS]
    assert "copy" not in shown[WAITS]
    assert shown[WAITS]["review"]["state"] == "withdrawn"
    said = status_text(receipt, "de", ZoneInfo("Europe/Berlin"))
    assert "vom Absender zurückgezogen am " in said
    assert ": Daten unrichtig" in said
    assert "vom Absender zurückgezogen, während sie bei der Verbindungsstelle BE wartete" in said


async def test_only_the_sender_withdraws_and_only_for_a_reason_of_the_list(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    async with gateway.client(SENDER) as sender:
        signal_id = str(
            (await sender.post_signal(example("nl-drug-waste-maastricht.json")))["signal_id"]
        )
        with pytest.raises(Problem) as refused:
            await sender.withdraw(signal_id, "changed_my_mind")
    assert refused.value.status == 422
    assert refused.value.document["type"] == "urn:euregate:problem:withdrawal-reason-invalid"
    async with gateway.client(PULLS) as other:
        with pytest.raises(Problem) as foreign:
            await other.withdraw(signal_id, "data_incorrect")
    assert foreign.value.status == 404
    assert await gateway.store.withdrawal(signal_id) is None


async def test_the_command_withdraws_and_says_so_in_the_senders_language(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    async with gateway.client(SENDER) as sender:
        receipt = await sender.post_signal(example("nl-drug-waste-maastricht.json"))
    signal_id = str(receipt["signal_id"])
    partner = ("--url", gateway.url, "--data-dir", str(gateway.layout.root), "--as", SENDER)

    code, out, err = await euregate("withdraw", signal_id, "--reason", "sent_in_error", *partner)

    assert (code, err) == (0, "")
    assert out.strip().startswith(f"Signaal {signal_id} ingetrokken (per vergissing verzonden): ")
    withdrawn = await gateway.store.withdrawal(signal_id)
    assert withdrawn is not None
    assert (withdrawn.reason, withdrawn.withdrawn_by) == ("sent_in_error", SENDER)


async def test_a_rectification_is_a_new_signal_and_the_old_ones_recipients_are_told(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    first = {**example("be-cannabis-lanaken.json"), "recipients": {"partners": [DUTCH]}}
    async with gateway.client(LANAKEN) as sender:
        old = str((await sender.post_signal(first))["signal_id"])

        async def delivered() -> bool:
            return len(await gateway.store.envelopes_of_signal(old)) == 1

        await until(delivered)
        corrected = {**first, "sender_reference": first["sender_reference"] + "-v2"}
        receipt = await sender.post_version(old, corrected)
        new = str(receipt["signal_id"])

        async def told_and_sent() -> bool:
            return (
                len(await gateway.store.envelopes_of_signal(old)) == 2
                and len(await gateway.store.envelopes_of_signal(new)) == 1
            )

        await until(told_and_sent)
        status = await sender.signal_status(old)
    assert new != old
    assert receipt["status"] == "accepted"
    assert status["withdrawn"]["reason"] == "replaced"

    partner = ("--url", gateway.url, "--data-dir", str(gateway.layout.root))
    code, out, err = await euregate("inbox", "pull", "--as", DUTCH, "--json", *partner)
    assert (code, err) == (0, "")
    messages = [json.loads(line)["message"] for line in out.splitlines()]
    (notice,) = [m for m in messages if m.get("kind") == "notice"]
    Draft202012Validator(SCHEMA).validate(notice)
    assert notice["notice"]["type"] == "replaced"
    assert (notice["notice"]["replaced_by"], notice["notice"]["replaced_version"]) == (new, 2)
    assert notice["text"] == f"Signaal {old} vervangen door versie 2: signaal {new}"
    assert sorted(m["signal_id"] for m in messages if "kind" not in m) == sorted([old, new])
    (entry,) = await audit_of(gateway.store, EventKind.SIGNAL_WITHDRAWN)
    assert (entry["reason"], entry["replaced_by"]) == ("replaced", new)


async def test_only_the_sender_rectifies_its_signal(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    async with gateway.client(SENDER) as sender:
        posted = await sender.post_signal(example("nl-drug-waste-maastricht.json"))
    async with gateway.client(LANAKEN) as other:
        with pytest.raises(Problem) as refused:
            await other.post_version(posted["signal_id"], example("be-cannabis-lanaken.json"))
    assert refused.value.status == 404
    assert await gateway.store.withdrawal(posted["signal_id"]) is None
    assert len(await gateway.store.signal_ids()) == 1


async def test_a_rectification_cut_short_after_its_intake_is_completed_by_the_retry(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    """The new version is stored in one transaction and the old one withdrawn in the next; a
    process killed between the two has answered nothing, so the sender retries. The state
    the kill leaves is made here by posting the new version as a plain signal first."""
    first = {**example("be-cannabis-lanaken.json"), "recipients": {"partners": [DUTCH]}}
    corrected = {**first, "sender_reference": first["sender_reference"] + "-v2"}
    async with gateway.client(LANAKEN) as sender:
        old = str((await sender.post_signal(first))["signal_id"])
        stored = str((await sender.post_signal(corrected))["signal_id"])
        assert await gateway.store.withdrawal(old) is None
        retried = await sender.post_version(old, corrected)
        status = await sender.signal_status(old)
    assert retried["signal_id"] == stored
    assert len(await gateway.store.signal_ids()) == 2
    assert (status["withdrawn"]["reason"], status["withdrawn"]["replaced_by"]) == (
        "replaced",
        stored,
    )
    (entry,) = await audit_of(gateway.store, EventKind.SIGNAL_WITHDRAWN)
    assert entry["replaced_by"] == stored
    said = status_text(status, "fr", ZoneInfo("Europe/Brussels"))
    assert f"remplacé par le signalement {stored} le " in said
