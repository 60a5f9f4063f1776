"""The eTranslation backend: its request and answer shapes, and its client against a stand-in.

eTranslation itself cannot be reached from here (no network), so the client talks to
:mod:`tests.etranslation_standin`, a real aiohttp server on loopback that speaks the service's
API: the Digest challenge, the JSON request, the request id or a negative refusal code. The
jobs are kept in a real SQLite store. The callbacks, which need the gateway's staff listener,
are tested in ``tests/test_etranslation_gateway.py``.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.flow.rewrap import rewrap_all
from gateway.infra.clock import FixedClock
from gateway.infra.config import Settings, load_settings
from gateway.infra.errors import (
    NotFound,
    SettingInvalid,
    TranslationCallbackInvalid,
    TranslationCallbackRefused,
    TranslationJobAnswered,
)
from gateway.infra.vault import FileKey, MasterKey
from gateway.store import SealedColumn
from gateway.store.sqlite import SqliteStore
from gateway.translate import TranslationUnavailable, build_backend
from gateway.translate.backends import EtranslationAccess, etranslation_access, etranslation_of
from gateway.translate.base import for_signal
from gateway.translate.etranslation import (
    Delivered,
    Failed,
    Submission,
    SubmissionRefused,
    callback_urls,
    delivered_from,
    failed_from,
    request_id_of,
    token_digest,
    token_matches,
)
from gateway.translate.etranslation_backend import EtranslationBackend
from gateway.translate.etranslation_client import EtranslationClient
from gateway.translate.etranslation_jobs import TranslationJobState
from gateway.translate.memory import MemoryBackend
from gateway.translate.types import MemoryScope
from tests.conftest import free_port
from tests.etranslation_standin import EtranslationStandIn

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TEXT = "De verdachte reed in een bestelbus naar Luik."
CALLBACK_BASE = "https://gateway.example.eu:8444"


@pytest.fixture
async def standin() -> AsyncIterator[EtranslationStandIn]:
    """The stand-in, its callbacks held: these tests have no staff listener to take them."""
    server = EtranslationStandIn(hold=asyncio.Event())
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
async def store(tmp_path: Path, clock: FixedClock) -> AsyncIterator[SqliteStore]:
    async with SqliteStore(tmp_path / "euregate.db", clock=clock) as opened:
        yield opened


def make_backend(
    standin: EtranslationStandIn,
    store: SqliteStore,
    clock: FixedClock,
    *,
    password: str | None = None,
    timeout: float = 5.0,
    master_key: MasterKey | None = None,
    retries: int = 2,
) -> EtranslationBackend:
    client = EtranslationClient(
        standin.url,
        application=standin.application,
        password=standin.password if password is None else password,
        timeout=timeout,
        retries=retries,
        backoff=0.0,
    )
    return EtranslationBackend(
        client,
        jobs=store,
        master_key=master_key or MasterKey.generate(),
        callback_base=CALLBACK_BASE,
        application=standin.application,
        clock=clock,
    )


@pytest.fixture
async def backend(
    standin: EtranslationStandIn, store: SqliteStore, clock: FixedClock
) -> AsyncIterator[EtranslationBackend]:
    engine = make_backend(standin, store, clock)
    yield engine
    await engine.close()


# --- the shapes ---------------------------------------------------------------------------


def test_a_submission_is_the_json_the_service_documents() -> None:
    done, error = callback_urls(CALLBACK_BASE + "/", "job-1", "s3cret")
    submission = Submission(
        text=TEXT,
        source="nl",
        target="fr",
        job_id="job-1",
        done_url=done,
        error_url=error,
        application="euregate",
        username="euregate-liege",
    )
    assert submission.as_json() == {
        "priority": 0,
        "externalReference": "job-1",
        "callerInformation": {"application": "euregate", "username": "euregate-liege"},
        "sourceLanguage": "NL",
        "targetLanguages": ["FR"],
        "domain": "GEN",
        "requesterCallback": CALLBACK_BASE + "/v1/etranslation/job-1/s3cret/done",
        "errorCallback": CALLBACK_BASE + "/v1/etranslation/job-1/s3cret/error",
        "textToTranslate": TEXT,
    }


@pytest.mark.parametrize(("answer", "expected"), [(b"41000001", 41000001), (b' "17"\n', 17)])
def test_a_positive_answer_is_the_request_id(answer: bytes, expected: int) -> None:
    assert request_id_of(answer) == expected


@pytest.mark.parametrize(
    ("answer", "cause"),
    [(b"-20001", "invalid source language"), (b"-20028", "quota"), (b"-29999", "refused")],
)
def test_a_negative_answer_is_a_refusal_named_by_its_code(answer: bytes, cause: str) -> None:
    with pytest.raises(SubmissionRefused, match=cause):
        request_id_of(answer)


@pytest.mark.parametrize("answer", [b"", b"0", b"<html>", b"1.5"])
def test_anything_else_is_no_request_id(answer: bytes) -> None:
    with pytest.raises(ValueError, match=r"."):
        request_id_of(answer)


def test_a_translation_callback_is_read_from_the_services_form() -> None:
    form = {
        "request-id": "41000001",
        "target-language": "FR",
        "translated-text": "Le suspect ...",
        "external-reference": "job-1",
    }
    assert delivered_from(form) == Delivered(41000001, "fr", "Le suspect ...", "job-1")


def test_an_error_callback_is_read_from_the_services_form() -> None:
    form = {
        "request-id": "41000001",
        "target-languages": "FR",
        "error-code": "-50004",
        "error-message": "x" * 500,
        "external-reference": "job-1",
    }
    failed = failed_from(form)
    assert failed == Failed(41000001, "-50004", "x" * 200, "job-1")


@pytest.mark.parametrize(
    ("missing", "field"),
    [
        ("request-id", "request-id"),
        ("target-language", "target-language"),
        ("translated-text", "translated-text"),
        ("external-reference", "external-reference"),
    ],
)
def test_a_callback_without_a_field_names_it(missing: str, field: str) -> None:
    form = {
        "request-id": "7",
        "target-language": "FR",
        "translated-text": "t",
        "external-reference": "job-1",
    }
    del form[missing]
    with pytest.raises(TranslationCallbackInvalid) as refused:
        delivered_from(form)
    assert refused.value.params == {"field": field}


@pytest.mark.parametrize("request_id", ["-3", "0", "seven", ""])
def test_a_callback_request_id_must_be_a_positive_number(request_id: str) -> None:
    form = {"request-id": request_id, "error-code": "-1", "external-reference": "job-1"}
    with pytest.raises(TranslationCallbackInvalid):
        failed_from(form)


@given(st.text(min_size=1, max_size=60), st.text(min_size=1, max_size=60))
def test_a_token_matches_its_own_digest_and_no_other(token: str, other: str) -> None:
    assert token_matches(token, token_digest(token))
    assert token_matches(other, token_digest(token)) is (other == token)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40))
def test_callback_urls_keep_the_job_and_token_in_one_path_segment_each(job: str) -> None:
    done, error = callback_urls(CALLBACK_BASE, job, "token/with?odd#parts")
    for url, tail in ((done, "/done"), (error, "/error")):
        path = url.removeprefix(CALLBACK_BASE)
        assert path.endswith(tail)
        assert path.count("/") == 5, path
        assert "?" not in path
        assert "#" not in path


# --- submitting -------------------------------------------------------------------------


async def test_a_text_goes_to_the_service_as_it_expects_it_and_waits_for_the_callback(
    backend: EtranslationBackend, standin: EtranslationStandIn, store: SqliteStore
) -> None:
    with pytest.raises(TranslationUnavailable, match="sent; the translation follows"):
        await backend.translate(TEXT, source="nl", target="fr")

    (body,) = standin.received
    assert body["textToTranslate"] == TEXT
    assert (body["sourceLanguage"], body["targetLanguages"]) == ("NL", ["FR"])
    assert body["callerInformation"] == {
        "application": "euregate-test",
        "username": "euregate-test",
    }
    job = await store.translation_job(body["externalReference"])
    assert job is not None
    assert job.state is TranslationJobState.PENDING
    assert job.request_id == 41000001
    assert body["requesterCallback"].startswith(f"{CALLBACK_BASE}/v1/etranslation/{job.id}/")
    token = body["requesterCallback"].split("/")[-2]
    assert token_matches(token, job.token_digest)
    assert TEXT not in repr(job)


async def test_a_text_waiting_for_its_callback_is_not_sent_again(
    backend: EtranslationBackend, standin: EtranslationStandIn
) -> None:
    for _ in range(3):
        with pytest.raises(TranslationUnavailable):
            await backend.translate(TEXT, source="nl", target="fr")
    assert len(standin.received) == 1


async def test_a_job_without_an_answer_for_too_long_is_sent_again(
    backend: EtranslationBackend, standin: EtranslationStandIn, clock: FixedClock
) -> None:
    with pytest.raises(TranslationUnavailable):
        await backend.translate(TEXT, source="nl", target="fr")
    clock.set(NOW + timedelta(minutes=31))
    with pytest.raises(TranslationUnavailable, match="sent"):
        await backend.translate(TEXT, source="nl", target="fr")

    first, second = standin.received
    assert first["externalReference"] != second["externalReference"]


async def test_a_text_already_in_the_target_language_is_not_sent(
    backend: EtranslationBackend, standin: EtranslationStandIn
) -> None:
    kept = await backend.translate(TEXT, source="nl", target="nl")
    assert (kept.text, kept.provenance.kind) == (TEXT, "original")
    assert standin.received == []


async def test_a_wrong_password_is_a_clear_operational_error_and_keeps_no_job(
    standin: EtranslationStandIn,
    store: SqliteStore,
    clock: FixedClock,
    log_stream: io.StringIO,
) -> None:
    engine = make_backend(standin, store, clock, password="not the password")
    try:
        with pytest.raises(
            TranslationUnavailable, match="refused the application name or password"
        ):
            await engine.translate(TEXT, source="nl", target="fr")
    finally:
        await engine.close()

    assert standin.received == []
    assert standin.attempts == 0
    assert (
        await store.translation_job_for(engine.lookup_key(TEXT, source="nl", target="fr")) is None
    )
    lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    (refused,) = [line for line in lines if line["event"] == "translation_credentials_refused"]
    assert refused["level"] == "error"
    assert refused["application"] == "euregate-test"
    assert "not the password" not in log_stream.getvalue()
    assert TEXT not in log_stream.getvalue()


async def test_a_refusal_code_is_reported_and_not_retried(
    backend: EtranslationBackend, standin: EtranslationStandIn
) -> None:
    with pytest.raises(TranslationUnavailable, match=r"-20003 \(invalid target language"):
        await backend.translate(TEXT, source="nl", target="xx")
    assert standin.attempts == 1


async def test_a_hanging_service_times_out_each_attempt_and_the_attempts_are_bounded(
    standin: EtranslationStandIn, store: SqliteStore, clock: FixedClock
) -> None:
    standin.mode = "hang"
    engine = make_backend(standin, store, clock, timeout=0.3)
    try:
        with pytest.raises(TranslationUnavailable, match="timed out, after 3 attempts"):
            await engine.translate(TEXT, source="nl", target="fr")
    finally:
        await engine.close()
    assert standin.attempts == 3
    assert (
        await store.translation_job_for(engine.lookup_key(TEXT, source="nl", target="fr")) is None
    )


async def test_an_unreachable_service_is_unavailable(store: SqliteStore, clock: FixedClock) -> None:
    client = EtranslationClient(
        f"http://127.0.0.1:{free_port()}/etranslation/si/translate",
        application="euregate-test",
        password="p",
        retries=1,
        backoff=0.0,
    )
    engine = EtranslationBackend(
        client,
        jobs=store,
        master_key=MasterKey.generate(),
        callback_base=CALLBACK_BASE,
        application="euregate-test",
        clock=clock,
    )
    try:
        with pytest.raises(TranslationUnavailable, match="unreachable"):
            await engine.translate(TEXT, source="nl", target="fr")
    finally:
        await engine.close()


# --- receiving ------------------------------------------------------------------------------


async def submitted(backend: EtranslationBackend, standin: EtranslationStandIn) -> tuple[str, str]:
    """Send :data:`TEXT`; the job's id and its callback token."""
    with pytest.raises(TranslationUnavailable):
        await backend.translate(TEXT, source="nl", target="fr")
    body = standin.received[-1]
    return body["externalReference"], body["requesterCallback"].split("/")[-2]


async def test_a_received_translation_is_a_machine_translation_from_then_on(
    backend: EtranslationBackend, standin: EtranslationStandIn
) -> None:
    job_id, token = await submitted(backend, standin)
    await backend.receive(job_id, token, Delivered(41000001, "fr", "Le suspect ...", job_id))

    translated = await backend.translate(TEXT, source="nl", target="fr")
    assert translated.text == "Le suspect ..."
    assert translated.language == "fr"
    assert translated.provenance.as_json() == {
        "kind": "machine",
        "engine": "etranslation",
        "version": "GEN",
    }
    assert len(standin.received) == 1


async def test_a_failure_is_kept_and_the_text_waits_before_it_is_sent_again(
    backend: EtranslationBackend, standin: EtranslationStandIn, clock: FixedClock
) -> None:
    job_id, token = await submitted(backend, standin)
    await backend.receive(job_id, token, Failed(41000001, "-50004", "down", job_id))

    with pytest.raises(TranslationUnavailable, match=r"the service failed \(-50004\)"):
        await backend.translate(TEXT, source="nl", target="fr")
    clock.set(NOW + timedelta(hours=1))
    with pytest.raises(TranslationUnavailable, match="sent"):
        await backend.translate(TEXT, source="nl", target="fr")
    assert len(standin.received) == 2


async def test_a_callback_is_refused_for_another_token_an_unknown_job_or_a_second_time(
    backend: EtranslationBackend, standin: EtranslationStandIn
) -> None:
    job_id, token = await submitted(backend, standin)
    answer = Delivered(41000001, "fr", "Le suspect ...", job_id)

    with pytest.raises(TranslationCallbackRefused):
        await backend.receive(job_id, token[:-1] + ("A" if token[-1] != "A" else "B"), answer)
    with pytest.raises(NotFound):
        await backend.receive("01900000-0000-7000-8000-000000000000", token, answer)
    await backend.receive(job_id, token, answer)
    with pytest.raises(TranslationJobAnswered):
        await backend.receive(job_id, token, answer)


@pytest.mark.parametrize(
    ("answer", "field"),
    [
        (Delivered(41000002, "fr", "t", "JOB"), "request-id"),
        (Delivered(41000001, "de", "t", "JOB"), "target-language"),
        (Delivered(41000001, "fr", "t", "another-job"), "external-reference"),
    ],
)
async def test_a_callback_about_another_request_or_language_is_refused(
    backend: EtranslationBackend,
    standin: EtranslationStandIn,
    answer: Delivered,
    field: str,
) -> None:
    job_id, token = await submitted(backend, standin)
    if answer.external_reference == "JOB":
        answer = Delivered(answer.request_id, answer.target, answer.text, job_id)
    with pytest.raises(TranslationCallbackInvalid) as refused:
        await backend.receive(job_id, token, answer)
    assert refused.value.params == {"field": field}
    with pytest.raises(TranslationUnavailable, match="waiting"):
        await backend.translate(TEXT, source="nl", target="fr")


async def test_a_translation_is_kept_sealed_not_in_the_clear(
    backend: EtranslationBackend, standin: EtranslationStandIn, store: SqliteStore
) -> None:
    job_id, token = await submitted(backend, standin)
    await backend.receive(job_id, token, Delivered(41000001, "fr", "Le suspect roulait", job_id))
    job = await store.translation_job(job_id)
    assert job is not None
    assert job.sealed is not None
    assert b"Le suspect" not in job.sealed


async def test_old_jobs_are_dropped_when_the_next_text_is_sent(
    backend: EtranslationBackend,
    standin: EtranslationStandIn,
    store: SqliteStore,
    clock: FixedClock,
) -> None:
    job_id, token = await submitted(backend, standin)
    await backend.receive(job_id, token, Delivered(41000001, "fr", "Le suspect", job_id))
    clock.set(NOW + timedelta(days=8))
    with pytest.raises(TranslationUnavailable):
        await backend.translate("Een andere zin.", source="nl", target="fr")
    assert await store.translation_job(job_id) is None


# --- settings -------------------------------------------------------------------------------


def settings_with(tmp_path: Path, **given: object) -> Settings:
    password = tmp_path / "etranslation.password"
    password.write_text("stand-in password\n", encoding="utf-8")
    values: dict[str, object] = {
        "data_dir": tmp_path,
        "translator": "etranslation",
        "etranslation_application": "euregate-test",
        "etranslation_password_file": password,
        "etranslation_callback_url": CALLBACK_BASE,
    }
    return Settings(**(values | given))


def test_the_password_comes_from_its_file(tmp_path: Path) -> None:
    access = etranslation_access(settings_with(tmp_path))
    assert access == EtranslationAccess(
        application="euregate-test",
        password="stand-in password",
        callback_base=CALLBACK_BASE,
        url="https://webgate.ec.europa.eu/etranslation/si/translate",
    )


def test_etranslation_needs_its_password_file_and_callback_address(tmp_path: Path) -> None:
    with pytest.raises(SettingInvalid, match="etranslation_password_file"):
        etranslation_access(settings_with(tmp_path, etranslation_password_file=None))
    with pytest.raises(SettingInvalid, match="etranslation_callback_url"):
        etranslation_access(settings_with(tmp_path, etranslation_callback_url=None))


@pytest.mark.parametrize(
    "url", ["http://gateway.example.eu", "gateway.example.eu", "https://gateway.example.eu/?t=1"]
)
def test_the_callback_address_must_be_https(tmp_path: Path, url: str) -> None:
    with pytest.raises(SettingInvalid, match="etranslation_callback_url"):
        load_settings(data_dir=tmp_path, etranslation_callback_url=url)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://webgate.ec.europa.eu/etranslation/si/translate", True),
        ("http://127.0.0.1:8080/etranslation/si/translate", True),
        ("http://localhost/etranslation/si/translate", True),
        ("http://[::1]/etranslation/si/translate", True),
        ("http://webgate.ec.europa.eu/etranslation/si/translate", False),
        ("http://10.0.0.7/etranslation/si/translate", False),
        ("ftp://127.0.0.1/x", False),
    ],
)
def test_texts_go_over_https_or_to_a_relay_on_this_host_only(
    tmp_path: Path, url: str, allowed: bool
) -> None:
    settings = settings_with(tmp_path, etranslation_url=url)
    if allowed:
        access = etranslation_access(settings)
        assert access is not None
        assert access.url == url
    else:
        with pytest.raises(SettingInvalid, match="EUREGATE_ETRANSLATION_URL"):
            etranslation_access(settings)


async def test_memory_chains_to_etranslation_and_the_callbacks_find_it(
    tmp_path: Path, store: SqliteStore
) -> None:
    access = etranslation_access(settings_with(tmp_path))
    chained = build_backend(
        "memory", store=store, master_key=MasterKey.generate(), etranslation=access
    )
    alone = build_backend(
        "etranslation", store=store, master_key=MasterKey.generate(), etranslation=access
    )
    try:
        assert isinstance(chained, MemoryBackend)
        assert chained.name == "memory+etranslation"
        assert etranslation_of(chained) is chained.machine
        assert isinstance(alone, EtranslationBackend)
        assert etranslation_of(alone) is alone
        assert etranslation_of(build_backend("none")) is None
    finally:
        await chained.close()
        await alone.close()


def test_etranslation_and_libretranslate_are_not_both_attached(tmp_path: Path) -> None:
    access = etranslation_access(settings_with(tmp_path))
    with pytest.raises(SettingInvalid, match="not both"):
        build_backend(
            "memory",
            master_key=MasterKey.generate(),
            libretranslate_url="https://translate.internal:5000",
            etranslation=access,
        )


def test_the_etranslation_engine_without_its_settings_is_refused() -> None:
    with pytest.raises(SettingInvalid, match="etranslation_application"):
        build_backend("etranslation")


async def test_several_texts_are_all_sent_at_once_and_come_back_together(
    backend: EtranslationBackend, standin: EtranslationStandIn
) -> None:
    sentences = ["De bestelbus reed naar Luik.", "Er stonden veertig vaten."]
    with pytest.raises(TranslationUnavailable):
        await backend.translate_many(sentences, source="nl", target="fr")
    assert [body["textToTranslate"] for body in standin.received] == sentences

    for body in standin.received[:1]:
        job_id, token = body["externalReference"], body["requesterCallback"].split("/")[-2]
        await backend.receive(job_id, token, Delivered(41000001, "fr", "Première.", job_id))
    with pytest.raises(TranslationUnavailable, match="waiting"):
        await backend.translate_many(sentences, source="nl", target="fr")
    body = standin.received[1]
    job_id, token = body["externalReference"], body["requesterCallback"].split("/")[-2]
    await backend.receive(job_id, token, Delivered(41000002, "fr", "Seconde.", job_id))

    translated = await backend.translate_many(sentences, source="nl", target="fr")
    assert [t.text for t in translated] == ["Première.", "Seconde."]
    assert len(standin.received) == 2


async def test_a_partly_remembered_text_sends_every_sentence_the_memory_lacks_at_once(
    tmp_path: Path, store: SqliteStore, standin: EtranslationStandIn, clock: FixedClock
) -> None:
    """...as jobs of the signal whose copy is translated, as is a text memory knows nothing
    of, so that erasing that signal reaches them."""
    copy_of = "0190a6c2-5d0e-7000-8000-000000000002"
    master_key = MasterKey.generate()
    machine = make_backend(standin, store, clock)
    memory = MemoryBackend(store, master_key, machine=machine)
    try:
        await memory.learn(
            "De bestelbus reed naar Luik.",
            "La camionnette roulait vers Liège.",
            source="nl",
            target="fr",
            signal_id="0190a6c2-5d0e-7000-8000-000000000001",
            officer_id="m.dubois",
            desk="BE",
        )
        text = "De bestelbus reed naar Luik. Er stonden veertig vaten. Niemand zag de bestuurder."
        scoped = for_signal(
            memory.scoped(MemoryScope("be-pol-liege", "BE", reviewed=True)), copy_of
        )
        with pytest.raises(TranslationUnavailable):
            await scoped.translate(text, source="nl", target="fr")
        with pytest.raises(TranslationUnavailable):
            await scoped.translate("Hij reed weg.", source="nl", target="fr")
    finally:
        await memory.close()
    assert [body["textToTranslate"] for body in standin.received] == [
        "Er stonden veertig vaten.",
        "Niemand zag de bestuurder.",
        "Hij reed weg.",
    ]
    jobs = [await store.translation_job(body["externalReference"]) for body in standin.received]
    assert [None if job is None else job.signal_id for job in jobs] == [copy_of] * 3


async def test_a_received_translation_is_rewrapped_when_the_master_key_is_rotated(
    standin: EtranslationStandIn, store: SqliteStore, clock: FixedClock
) -> None:
    first = bytes(32)
    before = MasterKey(first)
    after = MasterKey.of(
        [FileKey(first, version=1), FileKey(bytes(range(32)), version=2)], root=first
    )
    engine = make_backend(standin, store, clock, master_key=before)
    try:
        job_id, token = await submitted(engine, standin)
        await engine.receive(job_id, token, Delivered(41000001, "fr", "Le suspect", job_id))
    finally:
        await engine.close()

    progress = await rewrap_all(store, after, batch=10)

    assert progress.rewrapped[SealedColumn.TRANSLATION_JOB] == 1
    retired = MasterKey.of([FileKey(bytes(range(32)), version=2)], root=first)
    rotated = make_backend(standin, store, clock, master_key=retired)
    try:
        translated = await rotated.translate(TEXT, source="nl", target="fr")
    finally:
        await rotated.close()
    assert translated.text == "Le suspect"


async def test_a_service_that_keeps_failing_is_left_alone_for_a_cool_down(
    standin: EtranslationStandIn, store: SqliteStore, clock: FixedClock
) -> None:
    standin.mode = "hang"
    engine = make_backend(standin, store, clock, timeout=0.2, retries=0)
    try:
        for n in range(5):
            with pytest.raises(TranslationUnavailable, match="timed out"):
                await engine.translate(f"Zin {n}.", source="nl", target="fr")
        with pytest.raises(TranslationUnavailable, match="etranslation: circuit open"):
            await engine.translate("Nog een zin.", source="nl", target="fr")
        assert standin.attempts == 5
        assert engine.breaker.state == "open"
        clock.set(NOW + timedelta(seconds=31))
        standin.mode = "ok"
        with pytest.raises(TranslationUnavailable, match="sent"):
            await engine.translate("Nog een zin.", source="nl", target="fr")
        assert engine.breaker.state == "closed"
    finally:
        await engine.close()


async def test_a_redirect_is_not_followed_so_no_text_reaches_another_server(
    standin: EtranslationStandIn, store: SqliteStore, clock: FixedClock
) -> None:
    elsewhere = EtranslationStandIn(hold=asyncio.Event())
    await elsewhere.start()
    standin.redirect_to = elsewhere.url
    engine = make_backend(standin, store, clock)
    try:
        with pytest.raises(TranslationUnavailable, match="answered 307"):
            await engine.translate(TEXT, source="nl", target="fr")
    finally:
        await engine.close()
        await elsewhere.stop()
    assert elsewhere.attempts == 0
    assert elsewhere.transcript == []
