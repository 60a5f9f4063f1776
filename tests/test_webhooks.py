"""Push delivery: each envelope POSTed to its recipient's webhook over real mutual TLS, from the
durable outbox, with backoff, a dead letter and a retry.

Receivers are real aiohttp HTTPS servers with certificates from the data directory's CA; the
gateway presents the client certificate ``euregate init`` gave it. Where a test steps through
the retry schedule it runs the gateway with pushing off (``quiet_gateway``) and drives its
own :class:`Pusher` with a clock that stands still and a fixed random draw.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from euregate_client import open_message
from hypothesis import given
from hypothesis import strategies as st

from gateway.contract.partners import PartnerState
from gateway.flow.pusher import Backoff, Pusher, push_body, webhook_ssl_context
from gateway.infra import pki, seal
from gateway.infra.audit import EventKind, refs
from gateway.infra.clock import FixedClock, SystemClock
from gateway.infra.config import DataDir, Settings
from gateway.infra.errors import RegistryError
from gateway.registry import datadir
from gateway.registry.admin.deliveries import retry
from gateway.registry.admin.partners import change_partner_state, change_webhook, webhook_problems
from gateway.store import Delivery, Store
from gateway.store.sqlite import SqliteStore
from tests.conftest import RunningGateway, WebhookReceiver, free_port, gateway_in_process

LANAKEN = "be-cannabis-lanaken.json"
TO_LIMBURG = ("be-pol-lanaken", "nl-pol-limburg")  # sealed at once, no review
TO_LANAKEN = ("nl-pol-limburg", "be-pol-lanaken")  # likewise, the other way
PATIENCE = 30

ReceiverFor = Callable[..., AbstractAsyncContextManager[WebhookReceiver]]


async def post(
    gateway: RunningGateway, route: tuple[str, str], document: dict[str, Any], reference: str
) -> str:
    sender, recipient = route
    body = {**document, "recipients": {"partners": [recipient]}, "sender_reference": reference}
    async with gateway.client(sender) as partner:
        return str((await partner.post_signal(body))["signal_id"])


async def set_webhook(gateway: RunningGateway, partner_id: str, url: str | None) -> None:
    await change_webhook(gateway.store, partner_id, url, actor=refs.admin("test"))


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    """Wait for ``check`` to hold, at most ``PATIENCE`` seconds: a bound, not a claim about
    speed. It polls: what it waits for is in the database, with no event to wait on."""
    async with asyncio.timeout(PATIENCE):
        while not await check():  # noqa: ASYNC110 - see the docstring
            await asyncio.sleep(0.05)


async def outbox(store: Store, state: str | None = None) -> list[Delivery]:
    return await store.deliveries(state=state)


async def audit_of(store: Store, kind: EventKind) -> list[dict[str, object]]:
    return [e.data for e in await store.audit_entries() if e.kind == str(kind)]


def stepper(layout: DataDir, store: Store, clock: FixedClock, **options: Any) -> Pusher:
    """A pusher the test drives with ``push_due``: time stands still until the test moves it,
    every random draw is one half."""
    settings = Settings(data_dir=layout.root, webhook_ca_file=options.pop("ca_file", None))
    return Pusher(
        store=store,
        clock=clock,
        ssl_context=webhook_ssl_context(settings, layout),
        random=lambda: 0.5,
        **options,
    )


async def waiting_push(gateway: RunningGateway, document: dict[str, Any], url: str) -> Delivery:
    await set_webhook(gateway, "nl-pol-limburg", url)
    await post(gateway, TO_LIMBURG, document, "PUSH-1")

    async def queued() -> bool:
        return len(await outbox(gateway.store)) == 1

    await until(queued)
    (delivery,) = await outbox(gateway.store)
    return delivery


# --- the gateway's client certificate ---------------------------------------------------------


def test_init_gives_the_gateway_a_client_certificate_from_its_own_ca(layout: DataDir) -> None:
    certificate = x509.load_pem_x509_certificate(layout.gateway_client_certificate.read_bytes())
    authority = x509.load_pem_x509_certificate(layout.ca_certificate.read_bytes())

    assert certificate.issuer == authority.subject
    certificate.verify_directly_issued_by(authority)
    usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    (name,) = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert name.value == Settings().gateway_id
    assert layout.gateway_client_key.stat().st_mode & 0o077 == 0


async def test_an_existing_data_directory_gets_the_client_certificate_on_the_next_init(
    layout: DataDir,
) -> None:
    layout.gateway_client_certificate.unlink()
    layout.gateway_client_key.unlink()
    before = layout.ca_certificate.read_bytes()

    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        report = await datadir.initialise(
            layout,
            server_names=["localhost"],
            now=datetime.now(UTC),
            store=store,
            actor=refs.admin("test"),
            gateway_id="euregate.test",
        )

    assert str(layout.gateway_client_certificate) in report.created
    assert layout.ca_certificate.read_bytes() == before
    info = pki.describe(layout.gateway_client_certificate.read_bytes())
    assert info.common_name == "euregate.test"


def test_without_its_client_certificate_the_gateway_says_to_run_init(layout: DataDir) -> None:
    layout.gateway_client_certificate.unlink()

    with pytest.raises(RegistryError, match="run `euregate init` to create it") as refused:
        webhook_ssl_context(Settings(data_dir=layout.root), layout)
    assert str(layout.gateway_client_certificate) in refused.value.params["reason"]


# --- pushed, delivered, acknowledged ----------------------------------------------------------


async def test_an_envelope_is_pushed_over_mutual_tls_and_counts_as_acknowledged(
    gateway: RunningGateway,
    example: Callable[[str], dict[str, Any]],
    receiver_for: ReceiverFor,
) -> None:
    async with receiver_for() as receiver:
        await set_webhook(gateway, "nl-pol-limburg", receiver.url)
        signal_id = await post(gateway, TO_LIMBURG, example(LANAKEN), "PUSH-1")

        async def delivered() -> bool:
            return len(await outbox(gateway.store, "delivered")) == 1

        await until(delivered)

    (body,) = receiver.received
    assert receiver.peers == [Settings().gateway_id]
    assert set(body) == {"id", "position", "signal_id", "version", "created_at", "envelope"}
    assert body["signal_id"] == signal_id
    async with gateway.client("nl-pol-limburg") as client:
        keys = await client.gateway_keys()
        message = open_message(
            body,
            private_key=seal.load_private_key(
                gateway.layout.partner_encryption_key("nl-pol-limburg").read_bytes()
            ),
            recipient_id="nl-pol-limburg",
            gateway_keys=keys,
        )
        assert (await client.inbox_page())["envelopes"] == []
    assert message.content["signal"]["summary"] == example(LANAKEN)["summary"]

    (delivery,) = await outbox(gateway.store)
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 1, 200)
    (attempt,) = await audit_of(gateway.store, EventKind.DELIVERY_ATTEMPTED)
    assert attempt == {
        "envelope": body["id"],
        "recipient": "nl-pol-limburg",
        "attempt": 1,
        "status": 200,
        "error": None,
        "state": "delivered",
    }
    (ack,) = await audit_of(gateway.store, EventKind.INBOX_ACKNOWLEDGED)
    assert ack == {"envelope": body["id"], "recipient": "nl-pol-limburg", "by": "webhook"}


async def test_the_body_is_the_entry_the_inbox_gives(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    signal_id = await post(gateway, TO_LIMBURG, example(LANAKEN), "BODY-1")
    async with gateway.client("nl-pol-limburg") as client:
        (entry,) = (await client.inbox_page(wait=10))["envelopes"]
    (kept,) = await gateway.store.envelopes_of_signal(signal_id)

    assert json.loads(push_body(kept)) == entry


async def test_a_partner_without_a_webhook_gets_nothing_pushed(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    signal_id = await post(gateway, TO_LIMBURG, example(LANAKEN), "PULL-1")

    async def sealed() -> bool:
        return len(await gateway.store.envelopes_of_signal(signal_id)) == 1

    await until(sealed)
    assert await outbox(gateway.store) == []


# --- failures, backoff, the dead letter, retry ------------------------------------------------


async def test_failed_pushes_back_off_then_die_and_a_retry_delivers(
    quiet_gateway: RunningGateway,
    example: Callable[[str], dict[str, Any]],
    receiver_for: ReceiverFor,
) -> None:
    store = quiet_gateway.store
    async with receiver_for(status=503) as receiver:
        delivery = await waiting_push(quiet_gateway, example(LANAKEN), receiver.url)
        assert delivery.next_attempt_at is not None
        clock = FixedClock(delivery.next_attempt_at + timedelta(seconds=1))
        pusher = stepper(quiet_gateway.layout, store, clock, max_attempts=3)
        backoff = Backoff()

        schedule = []
        for failures in (1, 2):
            assert await pusher.push_due() == 1
            (waiting,) = await outbox(store, "pending")
            assert (waiting.attempts, waiting.last_status, waiting.last_error) == (
                failures,
                503,
                "status",
            )
            due = waiting.next_attempt_at
            assert due is not None
            assert due == clock.now() + backoff.pause(failures, 0.5)
            schedule.append(due - clock.now())
            clock.set(due - timedelta(microseconds=1))
            assert await pusher.push_due() == 0, "not due before its time"
            clock.set(due)
        assert schedule == [timedelta(seconds=15), timedelta(seconds=30)]

        assert await pusher.push_due() == 1
        (dead,) = await outbox(store, "dead")
        assert (dead.attempts, dead.next_attempt_at) == (3, None)
        clock.set(clock.now() + timedelta(days=30))
        assert await pusher.push_due() == 0, "the dead are not tried again by themselves"

        back = await retry(store, dead.envelope_id, actor=refs.admin("test"))
        assert (back.state, back.attempts) == ("pending", 0)
        receiver.status = 200
        assert await pusher.push_due() == 1

    (done,) = await outbox(store)
    assert (done.state, done.last_status) == ("delivered", 200)
    assert len(receiver.received) == 4
    assert {body["id"] for body in receiver.received} == {done.envelope_id}
    states = [a["state"] for a in await audit_of(store, EventKind.DELIVERY_ATTEMPTED)]
    assert states == ["pending", "pending", "dead", "delivered"]
    (retried,) = await audit_of(store, EventKind.DELIVERY_RETRIED)
    assert retried == {"envelope": done.envelope_id, "recipient": "nl-pol-limburg"}


async def test_a_retry_of_a_delivered_push_is_refused(
    quiet_gateway: RunningGateway,
    example: Callable[[str], dict[str, Any]],
    receiver_for: ReceiverFor,
) -> None:
    async with receiver_for() as receiver:
        delivery = await waiting_push(quiet_gateway, example(LANAKEN), receiver.url)
        pusher = stepper(quiet_gateway.layout, quiet_gateway.store, FixedClock(datetime.now(UTC)))
        await pusher.push_due()

    with pytest.raises(RegistryError, match="delivered already") as refused:
        await retry(quiet_gateway.store, delivery.envelope_id, actor=refs.admin("test"))
    assert f"envelope {delivery.envelope_id} has no push" in refused.value.params["reason"]
    assert not await audit_of(quiet_gateway.store, EventKind.DELIVERY_RETRIED)


async def test_an_unreachable_webhook_is_a_failed_attempt(
    quiet_gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    nobody = f"https://127.0.0.1:{free_port()}/hook"
    await waiting_push(quiet_gateway, example(LANAKEN), nobody)
    pusher = stepper(quiet_gateway.layout, quiet_gateway.store, FixedClock(datetime.now(UTC)))

    await pusher.push_due()

    (waiting,) = await outbox(quiet_gateway.store)
    assert (waiting.state, waiting.last_status, waiting.last_error) == (
        "pending",
        None,
        "connection",
    )


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirecting_webhook_is_a_failed_attempt_and_the_envelope_goes_nowhere_else(
    quiet_gateway: RunningGateway,
    example: Callable[[str], dict[str, Any]],
    receiver_for: ReceiverFor,
    status: int,
) -> None:
    """Where a partner's webhook points must not decide where the gateway sends next: a
    redirect is answered like any other failure, and nothing is posted to its target."""
    async with (
        receiver_for() as elsewhere,
        receiver_for(status=status, redirect_to=elsewhere.url) as webhook,
    ):
        await waiting_push(quiet_gateway, example(LANAKEN), webhook.url)
        pusher = stepper(quiet_gateway.layout, quiet_gateway.store, FixedClock(datetime.now(UTC)))

        await pusher.push_due()

    assert len(webhook.received) == 1
    assert elsewhere.received == []
    (waiting,) = await outbox(quiet_gateway.store)
    assert (waiting.state, waiting.last_status, waiting.last_error) == ("pending", status, "status")


async def test_a_suspended_partners_pushes_wait_until_it_is_reactivated(
    quiet_gateway: RunningGateway,
    example: Callable[[str], dict[str, Any]],
    receiver_for: ReceiverFor,
) -> None:
    store = quiet_gateway.store
    async with receiver_for() as receiver:
        await waiting_push(quiet_gateway, example(LANAKEN), receiver.url)
        pusher = stepper(quiet_gateway.layout, store, FixedClock(datetime.now(UTC)))

        await change_partner_state(
            store, "nl-pol-limburg", PartnerState.SUSPENDED, actor=refs.admin("test")
        )
        assert await pusher.push_due() == 0
        await change_partner_state(
            store, "nl-pol-limburg", PartnerState.ACTIVE, actor=refs.admin("test")
        )
        assert await pusher.push_due() == 1

    assert [d.state for d in await outbox(store)] == ["delivered"]
    assert len(receiver.received) == 1


async def test_undelivered_pushes_follow_a_new_webhook_and_leave_with_it(
    quiet_gateway: RunningGateway,
    example: Callable[[str], dict[str, Any]],
    receiver_for: ReceiverFor,
) -> None:
    store = quiet_gateway.store
    async with receiver_for() as old, receiver_for() as new:
        await waiting_push(quiet_gateway, example(LANAKEN), old.url)
        await set_webhook(quiet_gateway, "nl-pol-limburg", new.url)
        (moved,) = await outbox(store)
        assert moved.url == new.url

        await set_webhook(quiet_gateway, "nl-pol-limburg", None)
        assert await outbox(store) == []
        pusher = stepper(quiet_gateway.layout, store, FixedClock(datetime.now(UTC)))
        assert await pusher.push_due() == 0

    assert old.received == new.received == []
    async with quiet_gateway.client("nl-pol-limburg") as client:
        assert len((await client.inbox_page())["envelopes"]) == 1, "the inbox keeps the envelope"
    changes = await audit_of(store, EventKind.PARTNER_WEBHOOK_CHANGED)
    assert [c["outbox_changed"] for c in changes] == [0, 1, 1]


# --- whom the gateway trusts, and who trusts the gateway -------------------------------------


def other_authority(tmp_path: Path) -> tuple[pki.CertificateAuthority, Path]:
    issued = pki.create_ca(common_name="Another Root CA", now=datetime.now(UTC))
    path = tmp_path / "other-ca.pem"
    path.write_bytes(issued.certificate_pem)
    return pki.load_authority(issued.certificate_pem, issued.private_key_pem), path


async def test_a_webhook_certificate_from_another_ca_is_refused_unless_configured(
    quiet_gateway: RunningGateway,
    example: Callable[[str], dict[str, Any]],
    receiver_for: ReceiverFor,
    tmp_path: Path,
) -> None:
    authority, ca_file = other_authority(tmp_path)
    clock = FixedClock(datetime.now(UTC) + timedelta(seconds=1))
    async with receiver_for(authority=authority) as receiver:
        await waiting_push(quiet_gateway, example(LANAKEN), receiver.url)

        await stepper(quiet_gateway.layout, quiet_gateway.store, clock).push_due()
        (refused,) = await outbox(quiet_gateway.store)
        assert (refused.state, refused.last_error) == ("pending", "tls")
        assert receiver.received == []

        clock.set(clock.now() + timedelta(hours=2))
        configured = stepper(quiet_gateway.layout, quiet_gateway.store, clock, ca_file=ca_file)
        await configured.push_due()

    (delivered,) = await outbox(quiet_gateway.store)
    assert delivered.state == "delivered"
    assert len(receiver.received) == 1


async def test_a_webhook_that_does_not_trust_the_gateways_certificate_gets_nothing(
    quiet_gateway: RunningGateway,
    example: Callable[[str], dict[str, Any]],
    receiver_for: ReceiverFor,
    tmp_path: Path,
) -> None:
    _, other_ca = other_authority(tmp_path)
    async with receiver_for(client_ca=other_ca) as receiver:
        await waiting_push(quiet_gateway, example(LANAKEN), receiver.url)
        pusher = stepper(quiet_gateway.layout, quiet_gateway.store, FixedClock(datetime.now(UTC)))

        await pusher.push_due()

    (refused,) = await outbox(quiet_gateway.store)
    assert refused.state == "pending"
    assert refused.last_error in {"tls", "connection"}
    assert refused.last_status is None
    assert receiver.received == []
    assert receiver.peers == []


# --- a slow webhook is nobody else's problem --------------------------------------------------


async def test_a_hanging_webhook_holds_up_neither_another_partner_nor_intake(
    layout: DataDir,
    example: Callable[[str], dict[str, Any]],
    receiver_for: ReceiverFor,
) -> None:
    settings = Settings(
        data_dir=layout.root, host="127.0.0.1", port=0, staff_port=0, webhook_timeout=600
    )
    async with (
        gateway_in_process(settings) as gateway,
        receiver_for(holding=True) as hanging,
        receiver_for() as prompt,
    ):
        await set_webhook(gateway, "nl-pol-limburg", hanging.url)
        await set_webhook(gateway, "be-pol-lanaken", prompt.url)
        for n in range(4):
            await post(gateway, TO_LIMBURG, example(LANAKEN), f"HANG-{n}")

        async def hanging_holds_its_slots() -> bool:
            return hanging.waiting == 2

        await until(hanging_holds_its_slots)
        await post(gateway, TO_LANAKEN, example(LANAKEN), "PROMPT-1")

        async def prompt_delivered() -> bool:
            return any(
                d.recipient_id == "be-pol-lanaken" for d in await outbox(gateway.store, "delivered")
            )

        await until(prompt_delivered)
        accepted_meanwhile = await post(gateway, TO_LANAKEN, example(LANAKEN), "PROMPT-2")

        assert hanging.waiting == 2, "the hanging webhook still holds its two requests"
        assert hanging.received == []
        assert accepted_meanwhile
        limburg = [d for d in await outbox(gateway.store) if d.recipient_id == "nl-pol-limburg"]
        assert [d.state for d in limburg] == ["pending"] * 4
        assert all(d.attempts == 0 for d in limburg)

        hanging.hold.set()

        async def all_delivered() -> bool:
            return all(d.state == "delivered" for d in await outbox(gateway.store))

        await until(all_delivered)
    assert len(hanging.received) == 4
    assert len(prompt.received) == 2


# --- the webhook URL --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://hooks.example/in", "https://"),
        ("https:///in", "host"),
        ("https://user:secret@hooks.example/in", "password"),
        ("https://hooks.example:port/in", "not a URL"),
    ],
)
def test_a_webhook_url_must_be_plain_https(url: str, problem: str) -> None:
    problems = webhook_problems(url)

    assert any(problem in str(p) for p in problems), problems


def test_a_https_webhook_url_is_fine() -> None:
    assert webhook_problems("https://hooks.politie-limburg.example:8443/euregate") == []


# --- the schedule -----------------------------------------------------------------------------

failures = st.integers(min_value=1, max_value=200)
draws = st.floats(min_value=0, max_value=1, exclude_max=True)


@given(failures, draws)
def test_a_pause_is_never_negative_nor_above_the_cap(n: int, draw: float) -> None:
    pause = Backoff().pause(n, draw)

    assert timedelta(0) <= pause <= Backoff().cap


@given(failures, draws)
def test_for_the_same_draw_a_later_failure_never_waits_less(n: int, draw: float) -> None:
    assert Backoff().pause(n + 1, draw) >= Backoff().pause(n, draw)


@given(
    st.timedeltas(min_value=timedelta(milliseconds=1), max_value=timedelta(minutes=10)),
    st.timedeltas(min_value=timedelta(minutes=10), max_value=timedelta(days=1)),
    failures,
)
def test_the_expected_pause_doubles_until_the_cap(first: timedelta, cap: timedelta, n: int) -> None:
    backoff = Backoff(first=first, cap=cap)
    # A pause is uniform between nothing and the ceiling: its expectation is half the ceiling.

    assert backoff.ceiling(n + 1) == min(backoff.ceiling(n) * 2, cap)
    assert backoff.pause(n + 1, 0.5) >= backoff.pause(n, 0.5)
