"""Withdrawal by the sender, end to end on a real gateway (LED (EU) 2016/680 art. 7(3)): a
signal released to Liège (which pulls its inbox, in French) and to Aachen (whose webhook takes
its envelopes, in German), and still waiting for a Belgian liaison officer for Eupen, is
withdrawn: Liège and Aachen each get a notice, sealed for them like an envelope, through the
inbox and the webhook, in their language; Eupen's waiting copy is withdrawn from the desk and
never goes out; the status shows it; a second withdrawal answers the first."""

from __future__ import annotations

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
