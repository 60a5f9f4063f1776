"""One partner cannot hold more than its share of long-polls (issue 9, finding 5): beyond
``long_polls_per_partner`` waiting at once, a further ``GET /v1/inbox?wait=`` is refused with
429, a problem document and ``Retry-After``, while other partners keep long-polling.

Against the real gateway over mutual TLS; the timeouts here guard against a hang only.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from gateway.infra.config import DataDir, Settings
from tests.conftest import RunningGateway, client_context, gateway_in_process

GUARD = 30.0
CAP = 4
WAITER, OTHER = "be-pol-lanaken", "nl-gem-maastricht"  # both read the Dutch example unreviewed


@pytest.fixture
async def capped(layout: DataDir) -> AsyncIterator[RunningGateway]:
    settings = Settings(
        data_dir=layout.root, host="127.0.0.1", port=0, staff_port=0, long_polls_per_partner=CAP
    )
    async with gateway_in_process(settings) as gateway:
        yield gateway


async def inbox(
    gateway: RunningGateway, partner: str, wait: int
) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Status, headers and JSON body of one ``GET /v1/inbox`` as ``partner``."""
    connector = aiohttp.TCPConnector(ssl=client_context(gateway.layout, partner))
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.get(
            f"{gateway.url}/v1/inbox?wait={wait}",
            headers={"Accept-Language": "fr"},
            timeout=aiohttp.ClientTimeout(total=wait + GUARD),
        ) as response,
    ):
        body = await response.json(content_type=None)
        return response.status, dict(response.headers), body


async def test_the_fifth_long_poll_of_a_partner_is_refused_while_others_still_wait(
    capped: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    asked = [asyncio.create_task(inbox(capped, WAITER, wait=60)) for _ in range(CAP + 1)]

    done, waiting = await asyncio.wait(asked, timeout=GUARD, return_when=asyncio.FIRST_COMPLETED)

    assert len(done) == 1, "no long-poll was refused"
    status, headers, problem = done.pop().result()
    assert status == 429
    assert problem["type"] == "urn:euregate:problem:too-many-long-polls"
    assert problem["status"] == 429
    assert headers["Content-Type"].startswith("application/problem+json")
    assert 1 <= int(headers["Retry-After"]) <= 60
    assert problem["retry_after"] == int(headers["Retry-After"])
    assert str(CAP) in problem["detail"]
    assert headers["Content-Language"] == "fr"
    assert len(waiting) == CAP
    assert not any(task.done() for task in waiting)

    status, _, answer = await inbox(capped, OTHER, wait=1)  # another partner long-polls
    assert (status, answer["envelopes"]) == (200, [])
    status, _, _ = await inbox(capped, WAITER, wait=0)  # a pull that does not wait is served
    assert status == 200

    document = copy.deepcopy(example("nl-drug-waste-maastricht.json"))
    document["recipients"] = {"partners": [WAITER]}
    async with capped.client("nl-pol-limburg") as sender:
        await sender.post_signal(document)
    async with asyncio.timeout(GUARD):
        answers = await asyncio.gather(*waiting)
    assert [(status, len(body["envelopes"])) for status, _, body in answers] == [(200, 1)] * CAP

    status, _, _ = await inbox(capped, WAITER, wait=1)  # the places are free again
    assert status == 200
