"""A long-poll does not outlive its partner's admission (issue 9, finding 8): suspending or
revoking the partner, or revoking its certificate, ends the long-polls it has open, and
nothing sealed after that is handed out on them, whether the change is made by the command
line in another process or by an administrator on the staff pages of the running gateway.

Against the real gateway over mutual TLS; the timeouts here guard against a hang only.
"""

from __future__ import annotations

import asyncio
import copy
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest

from gateway.infra import pki
from gateway.infra.config import DataDir, Settings
from gateway.staff import Passwords
from tests.conftest import REPO, RunningGateway, client_context, gateway_in_process
from tests.review_release import release_as_written
from tests.staff_web import csrf_of, enrol, signed_in

GUARD = 30.0
WAITER = "be-pol-liege"  # reads French: the Dutch example waits for the Belgian desk first
DUTCH = "nl-drug-waste-maastricht.json"

Answer = tuple[int, dict[str, Any]]


@asynccontextmanager
async def running(layout: DataDir, *, recheck: float) -> AsyncIterator[RunningGateway]:
    """The gateway with one long-poll per partner (so a second one tells whether the first
    is waiting) and ``recheck`` seconds between a waiting long-poll's own checks."""
    settings = Settings(
        data_dir=layout.root,
        host="127.0.0.1",
        port=0,
        staff_port=0,
        long_polls_per_partner=1,
        long_poll_recheck=recheck,
    )
    async with gateway_in_process(settings) as gateway:
        yield gateway


async def long_poll(gateway: RunningGateway, partner: str, wait: int) -> Answer:
    connector = aiohttp.TCPConnector(ssl=client_context(gateway.layout, partner))
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.get(
            f"{gateway.url}/v1/inbox?wait={wait}",
            headers={"Accept-Language": "fr"},
            timeout=aiohttp.ClientTimeout(total=wait + GUARD),
        ) as response,
    ):
        return response.status, await response.json(content_type=None)


async def waiting_long_poll(gateway: RunningGateway) -> asyncio.Task[Answer]:
    """A long-poll of :data:`WAITER` that is waiting at the gateway for certain: a second
    one is refused (429) because the first holds the partner's only place."""
    head_start = 0.05
    async with asyncio.timeout(GUARD):
        while True:
            polling = asyncio.create_task(long_poll(gateway, WAITER, wait=60))
            await asyncio.sleep(head_start)
            while not polling.done():
                status, _ = await long_poll(gateway, WAITER, wait=1)
                if status == 429:
                    return polling
            # the probe held the place when the long-poll came: give it a longer start
            head_start *= 2


async def euregate(layout: DataDir, *argv: str) -> None:
    """The command line, in a process of its own, as an administrator runs it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        *argv,
        "--data-dir",
        str(layout.root),
        cwd=REPO,
        stdout=asyncio.subprocess.DEVNULL,
    )
    assert await asyncio.wait_for(process.wait(), GUARD) == 0


def fingerprint(layout: DataDir, partner: str) -> str:
    return pki.fingerprint(layout.partner_certificate(partner).read_bytes())


def assert_refused(answer: Answer, reason: str) -> None:
    status, problem = answer
    assert status == 403, problem
    assert problem["type"] == "urn:euregate:problem:not-authenticated"
    assert reason in problem["detail"]
    assert "envelopes" not in problem


async def test_an_envelope_sealed_after_suspension_is_not_handed_out_on_an_open_long_poll(
    layout: DataDir,
    example: Callable[[str], dict[str, Any]],
    staff_token: Callable[..., Awaitable[str]],
) -> None:
    async with running(layout, recheck=600) as gateway:
        document = copy.deepcopy(example(DUTCH))
        document["recipients"] = {"partners": [WAITER]}
        async with gateway.client("nl-pol-limburg") as sender:
            signal_id = (await sender.post_signal(document))["signal_id"]
        polling = await waiting_long_poll(gateway)

        await euregate(layout, "partner", "suspend", WAITER)
        async with gateway.staff_client(await staff_token("m.dubois", desk="BE")) as desk:
            (item,) = await desk.queue()
            await release_as_written(desk, item["id"])

        async with asyncio.timeout(GUARD):
            answer = await polling
        sealed = await gateway.store.envelopes_of_signal(signal_id)

    assert [envelope.recipient_id for envelope in sealed] == [WAITER]
    assert_refused(answer, "suspendu")


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        (("partner", "suspend", WAITER), "suspendu"),
        (("partner", "revoke", WAITER), "révoqué"),
        (("cert", "revoke", "FINGERPRINT"), "certificat révoqué"),
    ],
    ids=["partner-suspended", "partner-revoked", "certificate-revoked"],
)
async def test_a_change_made_by_another_process_ends_an_open_long_poll(
    layout: DataDir, command: tuple[str, ...], reason: str
) -> None:
    argv = [fingerprint(layout, WAITER) if part == "FINGERPRINT" else part for part in command]
    async with running(layout, recheck=0.2) as gateway:
        polling = await waiting_long_poll(gateway)

        await euregate(layout, *argv)

        async with asyncio.timeout(GUARD):
            assert_refused(await polling, reason)


async def test_an_administrator_suspending_on_the_staff_pages_ends_an_open_long_poll_at_once(
    layout: DataDir, cheap_passwords: Passwords
) -> None:
    secret = await enrol(layout, "a.admin", "administrator", cheap_passwords)
    async with running(layout, recheck=600) as gateway:
        polling = await waiting_long_poll(gateway)

        async with signed_in(gateway, "a.admin", secret) as staff:
            async with staff.get("/admin/partners") as page:
                csrf = csrf_of(await page.text())
            async with staff.post(
                f"/admin/partners/{WAITER}/suspend", data={"csrf": csrf}, allow_redirects=False
            ) as answer:
                assert answer.status == 303

        async with asyncio.timeout(GUARD):
            assert_refused(await polling, "suspendu")
