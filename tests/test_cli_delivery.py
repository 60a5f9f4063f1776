"""The administrator's side of push delivery: ``euregate partner webhook``, ``euregate cert
webhook``, ``euregate delivery list`` and ``euregate delivery retry``, run as commands on a real
demo data directory (beside a running gateway when there is an outbox to look at)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gateway.contract.partners import Partner
from gateway.edges.cli import main
from gateway.edges.cli.common import cli_actor
from gateway.infra import pki
from gateway.infra.audit import EventKind
from gateway.infra.clock import FixedClock
from gateway.infra.config import DataDir
from gateway.store import Store
from tests.conftest import RunningGateway, webhook_receiver, with_store
from tests.test_webhooks import LANAKEN, ReceiverFor, outbox, stepper, waiting_push

HOOK = "https://hooks.politie-limburg.example/euregate"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def run_beside(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """A command run while the gateway serves in this process, as an operator's shell would."""
    return await asyncio.to_thread(run, capsys, *argv)


async def audit_in(store: Store, kind: EventKind) -> list[tuple[str, dict[str, object]]]:
    return [(e.actor, e.data) for e in await store.audit_entries() if e.kind == str(kind)]


def audit_of(layout: DataDir, kind: EventKind) -> list[tuple[str, dict[str, object]]]:
    return with_store(layout, lambda store: audit_in(store, kind))


def webhook_of(layout: DataDir, partner_id: str) -> str | None:
    async def read(store: Store) -> str | None:
        return (await store.partner(partner_id)).webhook_url

    return with_store(layout, read)


# --- partner webhook --------------------------------------------------------------------------


def test_a_partner_gets_a_webhook_and_loses_it_again_each_change_audited(
    layout: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ("--data-dir", str(layout.root))

    code, out, _ = run(capsys, "partner", "webhook", "nl-pol-limburg", HOOK, *data)
    assert code == 0
    assert HOOK in out
    assert webhook_of(layout, "nl-pol-limburg") == HOOK
    _, out, _ = run(capsys, "partner", "show", "nl-pol-limburg", *data)
    assert HOOK in out

    code, _, _ = run(capsys, "partner", "webhook", "nl-pol-limburg", "--none", *data)
    assert code == 0
    assert webhook_of(layout, "nl-pol-limburg") is None

    changes = audit_of(layout, EventKind.PARTNER_WEBHOOK_CHANGED)
    assert [data for _, data in changes] == [
        {"from": None, "to": HOOK, "outbox_changed": 0},
        {"from": HOOK, "to": None, "outbox_changed": 0},
    ]
    assert all(actor.startswith("admin:") for actor, _ in changes)


@pytest.mark.parametrize(
    "argv",
    [
        ("partner", "webhook", "nl-pol-limburg", "http://hooks.example/in"),
        ("partner", "add", "nl-bibob-limburg", "--name", "Bibob-bureau Limburg", "--country",
         "NL", "--agency-type", "municipality", "--languages", "nl",
         "--webhook-url", "http://hooks.example/in"),
    ],
)  # fmt: skip
def test_a_webhook_that_is_not_https_is_refused(
    layout: DataDir, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    code, _, err = run(capsys, *argv, "--data-dir", str(layout.root))

    assert code == 1
    assert "https://" in err
    assert audit_of(layout, EventKind.PARTNER_WEBHOOK_CHANGED) == []

    async def registry(store: Store) -> list[Partner]:
        return await store.partners()

    partners = {partner.id: partner for partner in with_store(layout, registry)}
    assert "nl-bibob-limburg" not in partners
    assert partners["nl-pol-limburg"].webhook_url is None


def test_a_webhook_for_an_unknown_partner_is_refused(
    layout: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "partner", "webhook", "nl-nobody", HOOK, "--data-dir", str(layout.root)
    )

    assert code == 1
    assert "nl-nobody" in err


# --- cert webhook -----------------------------------------------------------------------------


def partner_request(directory: Path) -> Path:
    """The webhook server's key and certificate request, made on the partner's side (its own
    directory, ``partner-side``); the request's path."""
    key, request = pki.make_request("hooks.politie-limburg.example")
    own = directory / "partner-side"
    own.mkdir(parents=True, exist_ok=True)
    (own / "webhook.key").write_bytes(key)
    (own / "webhook.csr").write_bytes(request)
    return own / "webhook.csr"


async def test_a_webhook_server_with_a_certificate_from_cert_webhook_gets_its_pushes(
    quiet_gateway: RunningGateway,
    example: Callable[[str], dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    layout = quiet_gateway.layout
    directory = layout.partner_dir("nl-pol-limburg")
    request = partner_request(directory)
    code, out, _ = await run_beside(
        capsys, "cert", "webhook", "nl-pol-limburg", "--name", "127.0.0.1",
        "--csr", str(request), "--data-dir", str(layout.root),
    )  # fmt: skip
    assert code == 0
    assert str(directory / "webhook.pem") in out
    issued_events = await audit_in(quiet_gateway.store, EventKind.CERTIFICATE_ISSUED)
    (issued,) = [d for _, d in issued_events if "purpose" in d]
    assert issued["purpose"] == "webhook"

    async with webhook_receiver(
        directory / "from-cert-webhook",
        certificate=(directory / "webhook.pem", directory / "partner-side" / "webhook.key"),
        client_ca=directory / "ca.pem",
    ) as receiver:
        await waiting_push(quiet_gateway, example(LANAKEN), receiver.url)
        pusher = stepper(layout, quiet_gateway.store, FixedClock(datetime.now(UTC)))
        await pusher.push_due()

    (delivery,) = await outbox(quiet_gateway.store)
    assert delivery.state == "delivered"
    assert [body["id"] for body in receiver.received] == [delivery.envelope_id]


def test_cert_webhook_keeps_an_existing_certificate(
    layout: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    request = partner_request(layout.partner_dir("nl-pol-limburg"))
    argv = ("cert", "webhook", "nl-pol-limburg", "--name", "localhost", "--csr", str(request))
    argv += ("--data-dir",)
    assert run(capsys, *argv, str(layout.root))[0] == 0
    before = layout.partner_dir("nl-pol-limburg").joinpath("webhook.pem").read_bytes()

    code, _, err = run(capsys, *argv, str(layout.root))

    assert code == 1
    assert "--out" in err
    assert layout.partner_dir("nl-pol-limburg").joinpath("webhook.pem").read_bytes() == before


# --- delivery list and retry ------------------------------------------------------------------


def test_an_empty_outbox_says_so(layout: DataDir, capsys: pytest.CaptureFixture[str]) -> None:
    data = ("--data-dir", str(layout.root))

    assert run(capsys, "delivery", "list", *data)[:2] == (0, "No pushes in the outbox.\n")
    assert run(capsys, "delivery", "list", "--state", "dead", *data)[1] == (
        "No dead pushes in the outbox.\n"
    )
    assert run(capsys, "delivery", "list", "--json", *data)[1] == "[]\n"


async def test_a_dead_push_is_listed_and_a_retry_puts_it_back(
    quiet_gateway: RunningGateway,
    example: Callable[[str], dict[str, Any]],
    receiver_for: ReceiverFor,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = ("--data-dir", str(quiet_gateway.layout.root))
    async with receiver_for(status=500) as receiver:
        delivery = await waiting_push(quiet_gateway, example(LANAKEN), receiver.url)
        code, out, _ = await run_beside(capsys, "delivery", "list", "--state", "pending", *data)
        assert code == 0
        assert delivery.envelope_id in out
        pusher = stepper(
            quiet_gateway.layout,
            quiet_gateway.store,
            FixedClock(datetime.now(UTC)),
            max_attempts=1,
        )
        await pusher.push_due()

    _, pending, _ = await run_beside(capsys, "delivery", "list", "--state", "pending", *data)
    assert delivery.envelope_id not in pending
    code, listed, _ = await run_beside(
        capsys, "delivery", "list", "--state", "dead", "--json", *data
    )
    assert code == 0
    (dead,) = json.loads(listed)
    assert dead["envelope_id"] == delivery.envelope_id
    assert (dead["state"], dead["attempts"], dead["last_status"], dead["last_error"]) == (
        "dead",
        1,
        500,
        "status",
    )
    assert dead["url"] == receiver.url

    code, out, _ = await run_beside(capsys, "delivery", "retry", delivery.envelope_id, *data)

    assert code == 0
    assert "pending again" in out
    (back,) = await outbox(quiet_gateway.store)
    assert (back.state, back.attempts) == ("pending", 0)
    ((actor, retried),) = await audit_in(quiet_gateway.store, EventKind.DELIVERY_RETRIED)
    assert actor == str(cli_actor())
    assert retried == {"envelope": delivery.envelope_id, "recipient": "nl-pol-limburg"}


def test_retrying_an_unknown_envelope_is_refused(
    layout: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "delivery", "retry", "0190-nothing", "--data-dir", str(layout.root))

    assert code == 1
    assert "no envelope 0190-nothing" in err
    assert audit_of(layout, EventKind.DELIVERY_RETRIED) == []
