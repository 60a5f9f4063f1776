"""eTranslation attached to the real gateway: texts sent when a liaison officer opens a copy,
translations posted back to the staff listener over real TLS, shown at the desk, and erased
with their signal.

eTranslation cannot be reached from here (no network), so the gateway talks to
:mod:`tests.etranslation_standin`, a real aiohttp server that speaks the service's API (the
Digest challenge, the JSON request) and posts its callbacks to the gateway's staff listener as
the service does, a moment after answering. The gateway listens on a staff port chosen
beforehand, since its callback address must name it before it starts.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from gateway.decide.policy import load_policy
from gateway.edges.server import build, open_listeners
from gateway.flow.retention import run_retention
from gateway.infra.config import DataDir, Settings
from gateway.translate.etranslation_jobs import TranslationJobState
from tests.conftest import RunningGateway, client_context, free_port, settings_layout
from tests.etranslation_standin import EtranslationStandIn, tagged
from tests.test_retention_erasure import on_disk, pieces

DUTCH_SIGNAL = "nl-drug-waste-maastricht.json"
PASSWORD = "stand-in password"


@pytest.fixture
async def standin(layout: DataDir) -> AsyncIterator[EtranslationStandIn]:
    """The stand-in, posting its callbacks over TLS checked against the gateway's CA."""
    server = EtranslationStandIn(password=PASSWORD, callback_context=client_context(layout, None))
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def settings(layout: DataDir, tmp_path: Path, standin: EtranslationStandIn) -> Settings:
    password = tmp_path / "etranslation.password"
    password.write_text(PASSWORD + "\n", encoding="utf-8")
    staff_port = free_port()
    return Settings(
        data_dir=layout.root,
        host="127.0.0.1",
        port=0,
        staff_port=staff_port,
        translator="etranslation",
        etranslation_application=standin.application,
        etranslation_password_file=password,
        etranslation_callback_url=f"https://127.0.0.1:{staff_port}",
        etranslation_url=standin.url,
    )


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[RunningGateway]:
    """The gateway built from ``settings``, its staff listener on ``settings.staff_port``."""
    built = await build(settings)
    runners: list[web.AppRunner] = []
    try:
        url, staff_url = await open_listeners(built, "127.0.0.1", (0, settings.staff_port), runners)
        yield RunningGateway(
            url=url,
            staff_url=staff_url,
            layout=settings_layout(settings),
            store=built.store,
            policy_digest=built.policy.policy.digest,
        )
    finally:
        for runner in reversed(runners):
            await runner.cleanup()


@pytest.fixture
async def gateway(settings: Settings) -> AsyncIterator[RunningGateway]:
    async with running(settings) as gateway:
        yield gateway


@pytest.fixture
async def officer(staff_token: Callable[..., Awaitable[str]]) -> str:
    return await staff_token("m.dubois", desk="BE")


async def liege_copy(
    gateway: RunningGateway, officer: str, example: Callable[[str], dict[str, Any]]
) -> str:
    """Post the Dutch signal; the id of Liège's copy, waiting at the Belgian desk."""
    async with gateway.client("nl-pol-limburg") as partner:
        receipt = await partner.post_signal(example(DUTCH_SIGNAL))
    async with gateway.staff_client(officer) as desk:
        items = await desk.queue()
    (item,) = [
        i
        for i in items
        if i["signal_id"] == receipt["signal_id"] and i["recipient"] == "be-pol-liege"
    ]
    return str(item["id"])


async def opened(gateway: RunningGateway, officer: str, item_id: str) -> dict[str, Any]:
    async with gateway.staff_client(officer) as desk:
        return await desk.item(item_id)


async def post_callback(
    gateway: RunningGateway, url: str, form: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    """POST ``form`` as the service would; the status and the problem document, if any."""
    connector = aiohttp.TCPConnector(ssl=client_context(gateway.layout, None))
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.post(url, data=form) as response,
    ):
        document = await response.json() if response.status >= 400 else {}
        return response.status, document


async def held_submission(
    gateway: RunningGateway,
    officer: str,
    standin: EtranslationStandIn,
    example: Callable[[str], dict[str, Any]],
) -> dict[str, Any]:
    """Liège's copy opened, its texts sent and their callbacks held; the first request."""
    standin.hold = asyncio.Event()
    item_id = await liege_copy(gateway, officer, example)
    await opened(gateway, officer, item_id)
    return standin.received[0]


def answer_to(body: dict[str, Any], request_id: int = 41000001) -> dict[str, str]:
    return {
        "request-id": str(request_id),
        "target-language": "FR",
        "translated-text": "une traduction",
        "external-reference": body["externalReference"],
    }


def kinds(case: dict[str, Any]) -> str:
    """Each free text's provenance, as a transcript shows it."""
    return ", ".join(
        f"{pointer} {'/'.join(str(v) for v in field['provenance'].values())}"
        for pointer, field in sorted(case["translation"]["fields"].items())
    )


async def test_a_translation_comes_back_by_callback_and_waits_at_the_desk_for_the_officer(
    gateway: RunningGateway,
    officer: str,
    standin: EtranslationStandIn,
    example: Callable[[str], dict[str, Any]],
    tmp_path: Path,
) -> None:
    item_id = await liege_copy(gateway, officer, example)
    first = await opened(gateway, officer, item_id)
    originals = first["original"]["fields"]
    assert {f["provenance"]["kind"] for f in first["translation"]["fields"].values()} == {
        "original"
    }
    assert sorted(body["textToTranslate"] for body in standin.received) == sorted(
        originals.values()
    )

    await standin.callbacks_sent(len(standin.received))
    assert {status for _, status in standin.callbacks} == {204}
    second = await opened(gateway, officer, item_id)

    for pointer, field in second["translation"]["fields"].items():
        assert field["text"] == tagged(originals[pointer], "NL", "FR")
        assert field["provenance"] == {
            "kind": "machine",
            "engine": "etranslation",
            "version": "GEN",
        }
    assert second["state"] == "pending"
    async with gateway.staff_client(officer) as desk:
        assert item_id in [item["id"] for item in await desk.queue()]
    desk = [
        f"desk: GET /v1/review/{item_id} before the callbacks: {kinds(first)}",
        *standin.transcript,
        f"desk: GET /v1/review/{item_id} after the callbacks: {kinds(second)}",
    ]
    (tmp_path / "etranslation-roundtrip.txt").write_text("\n".join(desk) + "\n", encoding="utf-8")
    assert not any(text in line for line in standin.transcript for text in originals.values())


async def test_an_error_callback_leaves_the_text_as_written(
    gateway: RunningGateway,
    officer: str,
    standin: EtranslationStandIn,
    example: Callable[[str], dict[str, Any]],
) -> None:
    standin.mode = "fail"
    item_id = await liege_copy(gateway, officer, example)
    await opened(gateway, officer, item_id)

    await standin.callbacks_sent(len(standin.received))
    assert standin.callbacks
    assert all(url.endswith("/error") and status == 204 for url, status in standin.callbacks)
    case = await opened(gateway, officer, item_id)
    assert {f["provenance"]["kind"] for f in case["translation"]["fields"].values()} == {"original"}
    jobs = [
        await gateway.store.translation_job(body["externalReference"]) for body in standin.received
    ]
    assert {(job.state, job.error_code) for job in jobs if job is not None} == {
        ("failed", "-50004")
    }


async def test_a_callback_with_another_token_an_unknown_job_or_twice_is_refused(
    gateway: RunningGateway,
    officer: str,
    standin: EtranslationStandIn,
    example: Callable[[str], dict[str, Any]],
    log_stream: io.StringIO,
) -> None:
    body = await held_submission(gateway, officer, standin, example)
    done = str(body["requesterCallback"])
    head, token, _ = done.rsplit("/", 2)
    forged = f"{head}/{'x' * len(token)}/done"
    unknown = done.replace(body["externalReference"], "01900000-0000-7000-8000-000000000000")

    refused = await post_callback(gateway, forged, answer_to(body))
    missing = await post_callback(gateway, unknown, answer_to(body))
    taken = await post_callback(gateway, done, answer_to(body))
    replayed = await post_callback(gateway, done, answer_to(body))

    assert refused[0] == 403
    assert refused[1]["type"] == "urn:euregate:problem:translation-callback-refused"
    assert missing[0] == 404
    assert taken == (204, {})
    assert replayed[0] == 409
    assert replayed[1]["type"] == "urn:euregate:problem:translation-job-answered"
    logged = log_stream.getvalue()
    assert token not in logged
    assert f"/v1/etranslation/{body['externalReference']}/<token>/done" in logged


async def test_a_callback_the_service_did_not_write_is_refused_by_field(
    gateway: RunningGateway,
    officer: str,
    standin: EtranslationStandIn,
    example: Callable[[str], dict[str, Any]],
) -> None:
    body = await held_submission(gateway, officer, standin, example)
    done = str(body["requesterCallback"])

    without_text = {k: v for k, v in answer_to(body).items() if k != "translated-text"}
    status, problem = await post_callback(gateway, done, without_text)
    assert (status, problem["type"], problem["field"]) == (
        400,
        "urn:euregate:problem:translation-callback-invalid",
        "translated-text",
    )
    status, problem = await post_callback(
        gateway, done, answer_to(body) | {"padding": "x" * 300_000}
    )
    assert (status, problem["type"]) == (413, "urn:euregate:problem:body-too-large")
    assert (await post_callback(gateway, done, answer_to(body)))[0] == 204


async def test_a_gateway_restarted_between_submission_and_callback_takes_the_translation(
    settings: Settings,
    officer: str,
    standin: EtranslationStandIn,
    example: Callable[[str], dict[str, Any]],
) -> None:
    standin.hold = asyncio.Event()
    async with running(settings) as before:
        item_id = await liege_copy(before, officer, example)
        await opened(before, officer, item_id)
    assert standin.received
    assert standin.callbacks == []

    async with running(settings) as after:
        standin.hold.set()
        await standin.callbacks_sent(len(standin.received))
        case = await opened(after, officer, item_id)

    assert {status for _, status in standin.callbacks} == {204}
    assert {f["provenance"]["engine"] for f in case["translation"]["fields"].values()} == {
        "etranslation"
    }


async def test_erasing_a_signal_erases_its_translations_and_cancels_those_still_awaited(
    gateway: RunningGateway,
    officer: str,
    standin: EtranslationStandIn,
    example: Callable[[str], dict[str, Any]],
    layout: DataDir,
) -> None:
    """One text's translation has come back, the others are still awaited when the signal's
    time is up: the translation kept goes, and the service's late answers find their jobs
    answered (as a second answer does) and nothing is kept of them."""
    body = await held_submission(gateway, officer, standin, example)
    waiting = standin.received[1:]
    assert waiting, "the signal has more than one text"
    assert await post_callback(gateway, body["requesterCallback"], answer_to(body)) == (204, {})
    answered = await gateway.store.translation_job(body["externalReference"])
    assert answered is not None
    assert answered.sealed is not None
    signal_id = answered.signal_id
    assert signal_id is not None

    run = await run_retention(
        gateway.store, load_policy(layout.policy), today=date.today() + timedelta(days=3650)
    )

    assert [e.signal_id for e in run.erased] == [signal_id]
    assert run.translation_jobs == len(standin.received)
    assert await gateway.store.translation_job(body["externalReference"]) is None
    for late in waiting:
        status, problem = await post_callback(gateway, late["requesterCallback"], answer_to(late))
        assert (status, problem["type"]) == (409, "urn:euregate:problem:translation-job-answered")
        job = await gateway.store.translation_job(late["externalReference"])
        assert job is not None
        assert (job.state, job.sealed) == (TranslationJobState.CANCELLED, None)
    kept = on_disk(layout.database)
    assert not [p for p in pieces(answered.sealed) if p in kept]
