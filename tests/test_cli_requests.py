"""``euregate requests``: an administrator or compliance officer reads every partner's requests
for information from the data directory, as its own process, with the overdue ones marked.

The gateway receives the requests on a clock set back from now, so that by the real clock the
command reads with, one is late, one still has time and one is answered.
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
from datetime import UTC, datetime, timedelta

import pytest

from gateway.infra.clock import FixedClock
from gateway.infra.config import DataDir
from tests.conftest import REPO, load_example
from tests.test_requests import dutch_request, post, reply_to, running_gateway

PATIENCE = 120.0


async def euregate_requests(layout: DataDir, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", "requests", "--data-dir", str(layout.root), *args,
        cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(), PATIENCE)
    except TimeoutError:
        process.kill()
        out, err = await process.communicate()
        pytest.fail(f"euregate requests did not end in {PATIENCE} s: {err.decode()[-2000:]}")
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def three_requests(layout: DataDir) -> dict[str, str]:
    """Late (8 hours, received 10 hours ago), in time (7 days, received an hour ago) and
    answered (3 days, from Lanaken to Limburg, answered the next day)."""
    now = datetime.now(UTC)
    clock = FixedClock(now - timedelta(hours=10))
    async with running_gateway(layout, clock) as gateway:
        late = await post(gateway, "nl-pol-limburg", dutch_request("urgent_direct", "R-LATE"))
        clock.set(now - timedelta(days=2))
        lanaken = await post(gateway, "be-pol-lanaken", load_example("be-cannabis-lanaken.json"))
        clock.set(now - timedelta(days=1))
        reply = reply_to(lanaken)
        reply["recipients"] = {"partners": ["be-pol-lanaken"]}
        async with gateway.client("nl-pol-limburg") as limburg:
            await limburg.post_signal(reply)
        clock.set(now - timedelta(hours=1))
        in_time = await post(gateway, "nl-pol-limburg", dutch_request("standard", "R-IN-TIME"))
    return {"late": late, "answered": lanaken, "in_time": in_time}


def line_of(out: str, signal_id: str) -> str:
    (line,) = [line for line in out.splitlines() if signal_id in line]
    return line


async def test_open_requests_of_every_partner_with_the_late_one_marked(
    layout: DataDir, log_stream: io.StringIO
) -> None:
    ids = await three_requests(layout)

    code, out, _ = await euregate_requests(layout)

    assert code == 0
    assert out.splitlines()[0].split()[:4] == ["SIGNAL", "SENDER", "RECIPIENTS", "KIND"]
    late, in_time = line_of(out, ids["late"]), line_of(out, ids["in_time"])
    assert out.index(ids["late"]) < out.index(ids["in_time"])  # earliest deadline first
    assert "!! OVERDUE" in late
    assert "02:0" in late
    assert "overdue" in late
    assert "urgent, direct: 8 hours" in late
    assert "!!" not in in_time
    assert "open" in in_time
    assert "6 d 2" in in_time
    assert "left" in in_time
    assert ids["answered"] not in out


async def test_overdue_and_answered_each_on_their_own_and_as_json(
    layout: DataDir, log_stream: io.StringIO
) -> None:
    ids = await three_requests(layout)

    code, out, _ = await euregate_requests(layout, "--state", "overdue", "--json")
    assert code == 0
    document = json.loads(out)
    assert [r["signal_id"] for r in document["requests"]] == [ids["late"]]
    assert document["requests"][0]["state"] == "overdue"
    assert document["requests"][0]["seconds_overdue"] >= 2 * 3600

    code, out, _ = await euregate_requests(layout, "--state", "answered", "--json")
    (answered,) = json.loads(out)["requests"]
    assert answered["signal_id"] == ids["answered"]
    assert answered["sender"] == "be-pol-lanaken"
    assert answered["answered_by"]["partner"] == "nl-pol-limburg"
    assert answered["answered_late"] is False

    code, out, _ = await euregate_requests(layout, "--state", "answered")
    assert "nl-pol-limburg (" in line_of(out, ids["answered"])


async def test_labels_in_the_officers_language(layout: DataDir, log_stream: io.StringIO) -> None:
    ids = await three_requests(layout)

    code, out, _ = await euregate_requests(layout, "--lang", "fr")

    assert code == 0
    assert "EXPÉDITEUR" in out.splitlines()[0]
    assert "!! EN RETARD" in line_of(out, ids["late"])
    assert "6 j 2" in line_of(out, ids["in_time"])


async def test_nothing_to_show_is_said_plainly(layout: DataDir) -> None:
    code, out, _ = await euregate_requests(layout, "--state", "overdue")
    assert (code, out.strip()) == (0, "No overdue requests.")
    code, out, _ = await euregate_requests(layout, "--state", "overdue", "--lang", "de")
    assert (code, out.strip()) == (0, "Keine überfälligen Ersuchen.")


async def test_an_unknown_state_is_refused_by_the_command_line(layout: DataDir) -> None:
    code, _, err = await euregate_requests(layout, "--state", "late")
    assert code == 2
    assert "invalid choice" in err
