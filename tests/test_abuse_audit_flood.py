"""Nobody can flood the audit log with refusals that prove no identity.

Found: 1,000 requests with a bogus Bearer token wrote 1,000 ``authentication.refused``
entries, each a synchronous disk write. Now each listener counts such refusals per address
and minute and writes one entry per minute and address, with the count and the reasons; past
a limit an address is answered 429 with Retry-After before anything is looked up. Over real
TLS against both real listeners, each "address" a loopback address of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from gateway.contract.partners import PartnerState
from gateway.infra import pki
from gateway.infra.audit import AuditEntry, refs, verify
from gateway.infra.clock import FixedClock, SystemClock
from gateway.infra.config import DataDir, Settings
from gateway.registry.admin.partners import change_partner_state
from gateway.staff import Passwords
from gateway.store.sqlite import SqliteStore
from tests.conftest import RunningGateway, client_context, gateway_in_process

ATTACKER, COLLEAGUE = "127.0.0.2", "127.0.0.3"
BOGUS = "egt_" + "q" * 52
LIMIT = 30
IN_FLIGHT = 20
"""Requests one client has open at once (its connection limit)."""


@pytest.fixture
def clock() -> FixedClock:
    """Mid-minute, so that a test's requests fall in one window until it moves the clock."""
    now = datetime.now(UTC).replace(second=20, microsecond=0)
    return FixedClock(now)


def running(
    layout: DataDir, clock: FixedClock, passwords: Passwords
) -> AbstractAsyncContextManager[RunningGateway]:
    settings = Settings(
        data_dir=layout.root, host="127.0.0.1", port=0, staff_port=0, refusals_per_minute=LIMIT
    )
    return gateway_in_process(settings, clock=clock, passwords=passwords)


@asynccontextmanager
async def connection(
    layout: DataDir, address: str, partner: str | None = None, language: str = "en"
) -> AsyncIterator[aiohttp.ClientSession]:
    connector = aiohttp.TCPConnector(
        ssl=client_context(layout, partner), local_addr=(address, 0), limit=IN_FLIGHT
    )
    async with aiohttp.ClientSession(
        connector=connector, headers={"Accept-Language": language}
    ) as session:
        yield session


async def get(
    session: aiohttp.ClientSession, url: str, token: str | None = None
) -> tuple[int, dict[str, Any], str | None]:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with session.get(url, headers=headers) as response:
        return (
            response.status,
            await response.json(content_type=None),
            response.headers.get("Retry-After"),
        )


async def refusals(layout: DataDir) -> list[AuditEntry]:
    """What the audit log says about refusals, read after the gateway has stopped."""
    async with SqliteStore(layout.database, clock=SystemClock()) as store:
        assert verify(await store.audit_entries()).ok
        return [e for e in await store.audit_entries() if e.kind == "authentication.refused"]


async def written(gateway: RunningGateway) -> int:
    return sum(e.kind == "authentication.refused" for e in await gateway.store.audit_entries())


async def test_two_hundred_bogus_tokens_make_one_entry_and_a_colleague_is_not_held_up(
    layout: DataDir,
    clock: FixedClock,
    cheap_passwords: Passwords,
    staff_token: Any,
    log_stream: object,
) -> None:
    token = await staff_token("m.dubois", desk="BE")
    async with running(layout, clock, cheap_passwords) as gateway:
        async with connection(layout, ATTACKER, language="de") as attacker:
            answers = await asyncio.gather(
                *(get(attacker, gateway.staff_url + "/v1/review", BOGUS) for _ in range(200))
            )
        async with connection(layout, COLLEAGUE) as colleague:
            status, _, _ = await get(colleague, gateway.staff_url + "/v1/review", token)
        assert status == 200
        assert await written(gateway) == 0, "nothing durable per refusal"

    refused = sum(status == 401 for status, _, _ in answers)
    throttled = sum(status == 429 for status, _, _ in answers)
    assert refused + throttled == 200
    assert LIMIT <= refused <= LIMIT + IN_FLIGHT, "past the limit only those already in flight"
    document, retry_after = next((d, r) for status, d, r in answers if status == 429)
    assert document["type"] == "urn:euregate:problem:too-many-refusals"
    assert document["title"] == "Zu viele abgelehnte Anfragen"
    assert retry_after is not None
    assert 1 <= int(retry_after) <= 40  # to the end of the minute; the clock stands at :20
    assert document["retry_after"] == int(retry_after)

    (summary,) = await refusals(layout)
    assert summary.actor == "anonymous"
    assert summary.data["listener"] == "staff"
    assert summary.data["address"] == ATTACKER
    assert summary.data["count"] == 200
    assert summary.data["throttled"] == throttled
    assert summary.data["reasons"] == {"throttled": throttled, "unknown": refused}
    assert BOGUS not in summary.canonical.decode()


async def test_a_window_is_written_once_it_has_ended_and_each_address_apart(
    layout: DataDir, clock: FixedClock, cheap_passwords: Passwords, log_stream: object
) -> None:
    async with running(layout, clock, cheap_passwords) as gateway:
        url = gateway.staff_url + "/v1/review"
        async with connection(layout, ATTACKER) as attacker, connection(layout, COLLEAGUE) as other:
            for _ in range(5):
                await get(attacker, url, BOGUS)
            await get(other, url, "not-even-a-token")
            await get(other, url)
            assert await written(gateway) == 0

            clock.set(clock.now() + timedelta(minutes=1))
            await get(attacker, url, BOGUS)
            first = [e.data for e in await gateway.store.audit_entries()
                     if e.kind == "authentication.refused"]  # fmt: skip

    assert [(d["address"], d["count"], d["reasons"]) for d in first] == [
        (ATTACKER, 5, {"unknown": 5}),
        (COLLEAGUE, 2, {"malformed": 1, "missing": 1}),
    ]
    last = (await refusals(layout))[-1].data
    assert (last["address"], last["count"]) == (ATTACKER, 1), "the rest is written at shutdown"
    assert last["from"] == first[0]["until"]


async def test_a_refused_partner_certificate_is_summarised_and_past_the_limit_not_looked_up(
    layout: DataDir, clock: FixedClock, cheap_passwords: Passwords, log_stream: object
) -> None:
    async with running(layout, clock, cheap_passwords) as gateway:
        await change_partner_state(
            gateway.store, "nl-pol-limburg", PartnerState.SUSPENDED, actor=refs.admin("test")
        )
        url = gateway.url + "/v1/gateway/keys"
        async with connection(layout, ATTACKER, partner="nl-pol-limburg") as suspended:
            answers = await asyncio.gather(*(get(suspended, url) for _ in range(100)))
            refused = sum(a[0] == 403 for a in answers)
            assert LIMIT <= refused <= LIMIT + IN_FLIGHT
            assert sum(a[0] == 429 for a in answers) == 100 - refused

            await change_partner_state(
                gateway.store, "nl-pol-limburg", PartnerState.ACTIVE, actor=refs.admin("test")
            )
            status, document, retry_after = await get(suspended, url)
            assert status == 429, "decided without looking the partner up again"
            assert retry_after is not None
            assert document["type"] == "urn:euregate:problem:too-many-refusals"

        async with connection(layout, COLLEAGUE, partner="be-pol-liege") as other:
            assert (await get(other, url))[0] == 200

        clock.set(clock.now() + timedelta(minutes=1))
        async with connection(layout, ATTACKER, partner="nl-pol-limburg") as readmitted:
            assert (await get(readmitted, url))[0] == 200

    (summary,) = await refusals(layout)
    fingerprint = pki.fingerprint(layout.partner_certificate("nl-pol-limburg").read_bytes())
    assert summary.data["listener"] == "partners"
    assert summary.data["count"] == 101
    assert summary.data["reasons"] == {"partner suspended": refused, "throttled": 101 - refused}
    assert summary.data["credentials"] == [fingerprint]


async def test_many_valid_requests_at_once_from_one_address_are_never_throttled(
    layout: DataDir,
    clock: FixedClock,
    cheap_passwords: Passwords,
    staff_token: Any,
    log_stream: object,
) -> None:
    """Only refusals count towards the limit, however many requests are in flight."""
    token = await staff_token("m.dubois", desk="BE")
    async with (
        running(layout, clock, cheap_passwords) as gateway,
        connection(layout, COLLEAGUE) as colleague,
    ):
        url = gateway.staff_url + "/v1/review"
        answers = await asyncio.gather(*(get(colleague, url, token) for _ in range(3 * LIMIT)))
    assert [status for status, _, _ in answers] == [200] * 3 * LIMIT
    assert (await refusals(layout)) == []
