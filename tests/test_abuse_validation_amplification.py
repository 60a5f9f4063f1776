"""One partner cannot stall the others with what it posts (issue 9, finding 1).

A 256 KiB body whose ``persons`` held some 130,000 zeros used to get a 422 listing every one
of them: 12 MB of answer, after seconds of work on the event loop while every other partner
waited. Here, over real mutual TLS against the real gateway:

- a refusal lists at most 100 issues and says how many there were (``error_count``, exact or
  a lower bound) and whether the list is cut short (``errors_truncated``), for signals and
  explanations alike, and ``euregate send`` and ``euregate schema validate`` say so too;
- an array longer than Signal v1 allows is refused by its length, its items unexamined;
- a body is examined in a worker, not on the event loop: while one partner's job is held
  inside the worker (by a gate the test passes in), another partner's requests are answered;
- each partner has a rate and a number of requests in progress, refused with 429, a
  ``Retry-After`` and a problem document in its language, before the body is read, while the
  other partners go on;
- the store reads in threads of its own, so a full default executor holds nothing up.

Nothing here measures time: a generous timeout only guards against a hang.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import ssl
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from multiprocessing.managers import SyncManager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.contract.validate import validate_signal
from gateway.edges.cli import main
from gateway.edges.problems import problem_document
from gateway.flow.intake import INLINE_BODY_BYTES
from gateway.infra.config import DataDir, Settings
from gateway.infra.errors import MAX_LISTED_ISSUES, SignalInvalid
from tests.conftest import RunningGateway, client_context, gateway_in_process, load_example
from tests.worker_gates import PartnerGate

SENDER = "nl-pol-limburg"
OTHER = "be-pol-lanaken"
MAX_BODY = 256 * 1024
HANG_GUARD = 60
DRUG_WASTE = "nl-drug-waste-maastricht.json"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def signal(reference: str = "ABUSE-1") -> dict[str, Any]:
    return {**load_example(DRUG_WASTE), "sender_reference": reference}


def large(reference: str) -> bytes:
    """A valid signal of some 10 KiB, larger than the gateway examines on its event loop
    (``INLINE_BODY_BYTES``): it goes to a worker, where the gate can hold it."""
    body = json.dumps({**signal(reference), "description": "Vaten gedumpt. " * 530}).encode()
    assert len(body) > INLINE_BODY_BYTES
    return body


def zeros_body(limit: int = MAX_BODY) -> bytes:
    """The example signal with ``persons`` a list of as many zeros as fit in ``limit`` bytes."""
    head, tail = json.dumps({**signal(), "persons": "@"}).encode().split(b'"@"')
    count = (limit - len(head) - len(tail) - 2) // 2
    body = head + b"[" + b"0," * (count - 1) + b"0]" + tail
    assert len(body) <= limit
    assert count > 120_000
    return body


def many_errors_body() -> bytes:
    """A body of legal size and shape with far more than 100 errors: 50 empty persons and 50
    empty organisations (each misses its ref and role and names no one)."""
    return json.dumps(
        {**signal(), "persons": [{}] * 50, "organisations": [{}] * 50, "links": []}
    ).encode()


async def post(
    gateway: RunningGateway,
    body: bytes,
    *,
    partner: str = SENDER,
    path: str = "/v1/signals",
    language: str = "en",
) -> tuple[int, dict[str, str], bytes]:
    """POST bytes over mutual TLS as ``partner``; the status, the headers and the raw answer."""
    connector = aiohttp.TCPConnector(ssl=client_context(gateway.layout, partner))
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.post(
            gateway.url + path,
            data=body,
            headers={"Content-Type": "application/json", "Accept-Language": language},
        ) as response,
    ):
        return response.status, dict(response.headers), await response.read()


async def get_keys(gateway: RunningGateway, partner: str = OTHER) -> int:
    async with gateway.client(partner) as client:
        return len(await client.gateway_keys())


# --- small refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/signals", "/v1/policy/explain"])
async def test_a_body_of_zeros_gets_a_small_refusal_not_one_issue_per_zero(
    gateway: RunningGateway, path: str
) -> None:
    body = zeros_body()
    status, headers, answer = await post(gateway, body, path=path)
    problem = json.loads(answer)

    assert status == 422
    assert headers["Content-Type"].startswith("application/problem+json")
    assert problem["type"] == "urn:euregate:problem:signal-invalid"
    assert len(answer) < 4096, "a few hundred bytes, not 12 MB"
    assert problem["errors"][0] == {
        "pointer": "/persons",
        "code": "too_long",
        "detail": f"Must have at most 50 items, not {len_of_zeros()}.",
    }
    assert len(problem["errors"]) <= MAX_LISTED_ISSUES
    assert problem["error_count"] == len(problem["errors"])
    assert problem["error_count_exact"] is False, "the items of /persons were not looked at"
    assert problem["errors_truncated"] is False
    assert not any(error["pointer"].startswith("/persons/") for error in problem["errors"])


async def test_an_array_one_item_too_long_is_refused_by_its_length_alone(
    gateway: RunningGateway,
) -> None:
    """51 persons that are each wrong in three ways: one issue, not 153."""
    body = json.dumps({**signal(), "persons": [{"x": 1}] * 51}).encode()
    status, _, answer = await post(gateway, body, language="nl")
    problem = json.loads(answer)

    assert status == 422
    assert [(e["pointer"], e["code"]) for e in problem["errors"]] == [("/persons", "too_long")]
    assert problem["errors"][0]["detail"] == "Mag hoogstens 50 elementen bevatten, niet 51."
    assert problem["error_count"] == 1
    assert problem["error_count_exact"] is False
    assert problem["detail"].startswith("Er zijn ten minste 1 fout(en) gevonden")


@pytest.mark.parametrize("path", ["/v1/signals", "/v1/policy/explain"])
async def test_a_refusal_lists_the_first_100_issues_and_counts_them_all(
    gateway: RunningGateway, path: str
) -> None:
    status, _, answer = await post(gateway, many_errors_body(), path=path, language="fr")
    problem = json.loads(answer)

    assert status == 422
    assert len(problem["errors"]) == MAX_LISTED_ISSUES
    assert problem["error_count"] > MAX_LISTED_ISSUES
    assert problem["error_count_exact"] is True
    assert problem["errors_truncated"] is True
    assert problem["detail"] == (
        f"{problem['error_count']} erreurs ont été trouvées ; les 100 premières sont "
        "indiquées, chacune avec son pointeur JSON."
    )
    assert problem["errors"][0]["pointer"] == "/persons/0/ref"


async def test_euregate_send_says_how_many_errors_it_does_not_list(
    gateway: RunningGateway, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_bytes(many_errors_body())
    argv = ["send", str(broken), "--as", SENDER, "--data-dir", str(gateway.layout.root)]
    code = await asyncio.to_thread(main, [*argv, "--url", gateway.url, "--lang", "de"])
    lines = capsys.readouterr().out.splitlines()

    assert code == 1
    assert lines[0] == "Abgelehnt (422): Meldung entspricht nicht Signal v1"
    assert len([line for line in lines if line.startswith("  /")]) == MAX_LISTED_ISSUES
    found = refusal_of(json.loads(many_errors_body()))
    assert found is not None
    assert lines[1] == (
        f"  Es wurden {found.count} Fehler gefunden; die ersten 100 sind aufgeführt, jeder mit "
        "seinem JSON-Pointer."
    )
    hidden = found.count - MAX_LISTED_ISSUES
    assert lines[-1] == f"  … und {hidden} weitere(r) Fehler, nicht aufgeführt."


def test_euregate_schema_validate_says_how_many_errors_it_does_not_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken, zeros = tmp_path / "broken.json", tmp_path / "zeros.json"
    broken.write_bytes(many_errors_body())
    zeros.write_bytes(zeros_body())
    code = main(["schema", "validate", "--lang", "nl", str(broken), str(zeros)])
    lines = capsys.readouterr().out.splitlines()

    assert code == 1
    listed = [line for line in lines if line.startswith(f"{broken}: /")]
    assert len(listed) == MAX_LISTED_ISSUES
    assert lines[MAX_LISTED_ISSUES].startswith(f"{broken}: … en nog ")
    assert lines[MAX_LISTED_ISSUES].endswith(" fout(en), niet vermeld.")
    assert lines[MAX_LISTED_ISSUES + 1 :] == [
        f"{zeros}: /persons: Mag hoogstens 50 elementen bevatten, niet {len_of_zeros()}.",
        f"{zeros}: … en mogelijk meer: de controle is gestopt waar een lijst te lang was.",
    ]


def len_of_zeros() -> int:
    return len(json.loads(zeros_body())["persons"])


# --- the refusal as a rule, for any document ----------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=8), children, max_size=6)
    ),
    max_leaves=30,
)
LIST_MEMBERS = ("persons", "organisations", "vehicles", "accounts", "links")


@st.composite
def documents(draw: st.DrawFn) -> object:
    """Anything at all, or the example signal with members replaced and lists blown up."""
    if draw(st.booleans()):
        return draw(JSON_VALUES)
    document: dict[str, Any] = signal()
    for member in draw(st.lists(st.sampled_from([*sorted(document), "extra"]), max_size=4)):
        document[member] = draw(JSON_VALUES)
    for member in draw(st.lists(st.sampled_from(LIST_MEMBERS), max_size=3)):
        item = draw(JSON_VALUES | st.just({}))
        document[member] = [item] * draw(st.integers(0, 400))
    return document


def refusal_of(document: object) -> SignalInvalid | None:
    try:
        validate_signal(document, now=NOW)
    except SignalInvalid as refusal:
        return refusal
    return None


@given(documents(), st.sampled_from(["nl", "fr", "de", "en"]))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_refusal_lists_at_most_100_issues_and_counts_at_least_as_many(
    document: object, language: str
) -> None:
    refusal = refusal_of(document)
    if refusal is None:
        return
    problem = problem_document(refusal, language=language)
    listed = problem["errors"]
    assert isinstance(listed, list)
    assert 1 <= len(listed) <= MAX_LISTED_ISSUES
    assert isinstance(problem["error_count"], int)
    assert problem["error_count"] >= len(listed)
    assert problem["errors_truncated"] == (problem["error_count"] > len(listed))
    assert "{" not in str(problem["detail"])


# --- the event loop stays free ------------------------------------------------------------------


@pytest.fixture(scope="module")
def manager() -> Iterator[SyncManager]:
    """Events that cross into the intake's worker processes."""
    with multiprocessing.get_context("forkserver").Manager() as started:
        yield started


@pytest.fixture
def gate(manager: SyncManager) -> PartnerGate:
    return PartnerGate(manager, SENDER)


@asynccontextmanager
async def gated_gateway(
    layout: DataDir, gate: PartnerGate, **limits: Any
) -> AsyncIterator[RunningGateway]:
    """The real gateway whose intake worker passes every job through ``gate`` first."""
    settings = Settings(data_dir=layout.root, host="127.0.0.1", port=0, staff_port=0, **limits)
    async with gateway_in_process(settings, intake_hook=gate) as running:
        yield running


async def wait_until_held(gate: PartnerGate) -> None:
    held = await asyncio.to_thread(gate.entered.wait, HANG_GUARD)
    assert held, "the sender's job never reached the worker"


async def test_while_one_partners_body_is_examined_the_others_are_served(
    layout: DataDir, gate: PartnerGate
) -> None:
    async with gated_gateway(layout, gate) as gateway:
        held = asyncio.create_task(post(gateway, large("ABUSE-1")))
        try:
            await wait_until_held(gate)
            keys = await asyncio.wait_for(get_keys(gateway), HANG_GUARD)
            other = await asyncio.wait_for(
                post(gateway, json.dumps(signal("OTHER-1")).encode(), partner=OTHER), HANG_GUARD
            )
            assert not held.done(), "the sender's signal is still held in the worker"
        finally:
            gate.open()
        status, _, _ = await asyncio.wait_for(held, HANG_GUARD)

        assert keys >= 1
        assert other[0] == 202
        assert status == 202


async def test_a_partner_with_too_many_signals_in_progress_gets_429_and_others_do_not(
    layout: DataDir, gate: PartnerGate
) -> None:
    async with gated_gateway(layout, gate, partner_concurrency=1) as gateway:
        held = asyncio.create_task(post(gateway, large("ABUSE-1")))
        try:
            await wait_until_held(gate)
            busy = await post(gateway, json.dumps(signal("ABUSE-2")).encode(), language="de")
            explain = await post(gateway, zeros_body(), path="/v1/policy/explain")
            other = await post(gateway, json.dumps(signal("OTHER-1")).encode(), partner=OTHER)
        finally:
            gate.open()
        first, _, _ = await asyncio.wait_for(held, HANG_GUARD)
        again = await post(gateway, json.dumps(signal("ABUSE-2")).encode())

        status, headers, answer = busy
        problem = json.loads(answer)
        assert status == 429
        assert headers["Retry-After"] == "1"
        assert headers["Content-Language"] == "de"
        assert problem["type"] == "urn:euregate:problem:partner-busy"
        assert problem["title"] == "Zu viele Meldungen in Bearbeitung"
        assert problem["retry_after"] == 1
        assert explain[0] == 429, "explanations share the partner's places"
        assert other[0] == 202
        assert first == 202
        assert again[0] == 202, "the place is free again once the first is answered"


async def test_a_partner_over_its_rate_gets_429_with_retry_after_and_others_do_not(
    layout: DataDir, gate: PartnerGate
) -> None:
    async with gated_gateway(layout, gate, partner_rate=0.01, partner_burst=2) as gateway:
        gate.open()
        statuses = [
            (await post(gateway, json.dumps(signal(f"RATE-{n}")).encode()))[0] for n in range(2)
        ]
        status, headers, answer = await post(gateway, b"{}", language="fr")
        other = await post(gateway, json.dumps(signal("OTHER-1")).encode(), partner=OTHER)
        explain = await post(gateway, json.dumps(signal()).encode(), path="/v1/policy/explain")

    problem = json.loads(answer)
    assert statuses == [202, 202]
    assert status == 429
    assert 1 <= int(headers["Retry-After"]) <= 100
    assert problem["type"] == "urn:euregate:problem:partner-rate-limited"
    assert problem["title"] == "Trop de signalements"
    assert problem["retry_after"] == int(headers["Retry-After"])
    assert "2" in problem["detail"]
    assert other[0] == 202
    assert explain[0] == 429


async def test_the_limit_is_decided_before_the_body_is_read(
    layout: DataDir, gate: PartnerGate
) -> None:
    """A request announcing 256 KiB but sending none of it is refused all the same: the
    gateway did not wait for the body it would not examine."""
    async with gated_gateway(layout, gate, partner_rate=0.01, partner_burst=1) as gateway:
        gate.open()
        assert (await post(gateway, json.dumps(signal()).encode()))[0] == 202
        status_line = await asyncio.wait_for(headers_only(gateway, MAX_BODY), HANG_GUARD)

    assert status_line.startswith(b"HTTP/1.1 429 ")


async def headers_only(gateway: RunningGateway, length: int) -> bytes:
    """Send a POST's headers with ``Content-Length: length`` and no body; the status line."""
    context: ssl.SSLContext = client_context(gateway.layout, SENDER)
    host, port = gateway.url.removeprefix("https://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port), ssl=context)
    try:
        writer.write(
            f"POST /v1/signals HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n".encode()
        )
        await writer.drain()
        return await reader.readline()
    finally:
        writer.close()


async def test_store_reads_do_not_wait_for_the_default_executor(
    gateway: RunningGateway,
) -> None:
    """Everything else that runs in asyncio's default pool (sign-ins, for one) may fill it;
    the partners' requests read the store in threads of the store's own."""
    async with gateway.client(SENDER) as client:
        receipt = await client.post_signal(signal())
    loop = asyncio.get_running_loop()
    release = asyncio.Event()
    crowded = ThreadPoolExecutor(1, thread_name_prefix="crowded-default")
    loop.set_default_executor(crowded)
    blocker = asyncio.to_thread(
        lambda: asyncio.run_coroutine_threadsafe(release.wait(), loop).result(HANG_GUARD)
    )
    crowding = asyncio.ensure_future(blocker)
    try:
        async with gateway.client(SENDER) as client:
            status = await asyncio.wait_for(client.signal_status(receipt["signal_id"]), HANG_GUARD)
    finally:
        release.set()
        await crowding

    assert status["signal_id"] == receipt["signal_id"]


async def test_a_large_body_counts_against_the_rate_by_its_size(
    layout: DataDir, gate: PartnerGate
) -> None:
    """A 256 KiB body costs the gateway some fifty times what a 4 KiB one does, and counts 64
    times against its partner's rate; the small signals of another partner are not touched."""
    async with gated_gateway(layout, gate, partner_rate=0.01, partner_burst=64) as gateway:
        gate.open()
        large = await post(gateway, zeros_body())
        small = await post(gateway, json.dumps(signal("SMALL-1")).encode(), language="nl")
        other = [
            (await post(gateway, json.dumps(signal(f"OTHER-{n}")).encode(), partner=OTHER))[0]
            for n in range(3)
        ]

    assert large[0] == 422, "admitted (and examined), though it used up the whole burst"
    assert small[0] == 429
    problem = json.loads(small[2])
    assert problem["type"] == "urn:euregate:problem:partner-rate-limited"
    assert "één keer telt voor elke 4 KiB" in problem["detail"]
    assert other == [202, 202, 202]
