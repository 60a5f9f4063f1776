"""The LibreTranslate backend: its HTTP API, timeouts, bounded retries and the circuit breaker.

LibreTranslate itself cannot run here: it needs its translation models, downloaded on first
start, and there is no network at test time. So these tests run the client against
:mod:`tests.libretranslate_standin`, a small real aiohttp server that speaks LibreTranslate's
HTTP API (``/translate``, ``/languages``, its API-key check and ``{"error": ...}`` answers),
and can be told to fail or to hang. Everything between the two is real HTTP on a loopback port.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from gateway.edges.problems import problem_document
from gateway.infra.clock import FixedClock
from gateway.infra.config import DataDir
from gateway.infra.errors import SettingInvalid
from gateway.translate import (
    CircuitBreaker,
    LibreTranslateBackend,
    Provenance,
    TranslationUnavailable,
    build_backend,
    checked_url,
)
from tests.conftest import REPO, free_port
from tests.libretranslate_standin import LibreTranslateStandIn, tagged

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
KEY = "euregio-key"
COOL_DOWN = timedelta(seconds=30)
TEXT = "De verdachte reed in een bestelbus naar Luik."


@pytest.fixture
async def standin() -> AsyncIterator[LibreTranslateStandIn]:
    server = LibreTranslateStandIn(api_key=KEY)
    await server.start()
    yield server
    await server.close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
async def backend(
    standin: LibreTranslateStandIn, clock: FixedClock
) -> AsyncIterator[LibreTranslateBackend]:
    engine = LibreTranslateBackend(
        standin.url,
        api_key=KEY,
        timeout=0.3,
        retries=2,
        backoff=0.0,
        breaker=CircuitBreaker(threshold=3, cool_down=COOL_DOWN, clock=clock),
    )
    yield engine
    await engine.close()


# --- the API --------------------------------------------------------------------------------


async def test_a_text_goes_to_translate_as_libretranslate_expects_it(
    backend: LibreTranslateBackend, standin: LibreTranslateStandIn
) -> None:
    result = await backend.translate(TEXT, source="nl", target="fr")

    assert result.text == tagged(TEXT, "nl", "fr")
    assert result.language == "fr"
    assert standin.received[-1] == {
        "q": TEXT,
        "source": "nl",
        "target": "fr",
        "format": "text",
        "api_key": KEY,
    }


async def test_the_provenance_names_the_engine_and_a_version(
    backend: LibreTranslateBackend,
) -> None:
    result = await backend.translate(TEXT, source="nl", target="de")

    assert result.provenance.kind == "machine"
    assert result.provenance.engine == "libretranslate"
    assert result.provenance.version is not None
    assert result.provenance.version == backend.version


async def test_the_version_given_by_the_deployment_is_the_one_recorded(
    standin: LibreTranslateStandIn,
) -> None:
    engine = LibreTranslateBackend(standin.url, api_key=KEY, version="1.6.2")
    try:
        result = await engine.translate(TEXT, source="nl", target="de")
    finally:
        await engine.close()
    assert result.provenance == Provenance("machine", engine="libretranslate", version="1.6.2")


async def test_without_a_given_version_it_changes_with_the_languages_the_server_offers(
    standin: LibreTranslateStandIn,
) -> None:
    versions = []
    for languages in ({"nl": "Dutch", "fr": "French"}, {"nl": "Dutch", "de": "German"}):
        standin.languages = languages
        engine = LibreTranslateBackend(standin.url, api_key=KEY)
        try:
            await engine.languages()
        finally:
            await engine.close()
        versions.append(engine.version)
    assert None not in versions
    assert versions[0] != versions[1]


async def test_several_texts_go_in_one_request_and_come_back_in_order(
    backend: LibreTranslateBackend, standin: LibreTranslateStandIn
) -> None:
    texts = ["Eerste zin.", "Tweede zin.", "Derde zin."]

    results = await backend.translate_many(texts, source="nl", target="de")

    assert [r.text for r in results] == [tagged(t, "nl", "de") for t in texts]
    assert {r.provenance.kind for r in results} == {"machine"}
    assert standin.translations_asked == [texts]


async def test_the_languages_are_read_again_after_the_server_was_down(
    backend: LibreTranslateBackend, standin: LibreTranslateStandIn
) -> None:
    standin.languages = {"nl": "Dutch", "fr": "French"}
    await backend.translate(TEXT, source="nl", target="fr")
    standin.mode = "fail"
    with pytest.raises(TranslationUnavailable, match="500"):
        await backend.translate(TEXT, source="nl", target="fr")
    standin.mode = "ok"
    standin.languages = {"nl": "Dutch", "fr": "French", "de": "German"}

    result = await backend.translate(TEXT, source="nl", target="de")

    assert result.text == tagged(TEXT, "nl", "de")


async def test_the_languages_are_read_from_the_server(
    backend: LibreTranslateBackend, standin: LibreTranslateStandIn
) -> None:
    standin.languages = {"nl": "Dutch", "fr": "French"}

    assert await backend.languages() == {"nl": {"fr"}, "fr": {"nl"}}


async def test_a_pair_the_server_does_not_offer_is_not_sent(
    backend: LibreTranslateBackend, standin: LibreTranslateStandIn
) -> None:
    standin.languages = {"nl": "Dutch", "fr": "French"}

    with pytest.raises(TranslationUnavailable, match="nl into de is not offered"):
        await backend.translate(TEXT, source="nl", target="de")
    assert standin.translations_asked == []


async def test_a_text_already_in_the_target_language_is_not_sent(
    backend: LibreTranslateBackend, standin: LibreTranslateStandIn
) -> None:
    result = await backend.translate(TEXT, source="nl", target="nl")

    assert result.text == TEXT
    assert result.provenance.kind == "original"
    assert standin.received == []


async def test_a_refused_api_key_is_reported_and_not_retried(
    standin: LibreTranslateStandIn, clock: FixedClock
) -> None:
    engine = LibreTranslateBackend(standin.url, api_key="wrong", backoff=0.0)
    try:
        with pytest.raises(TranslationUnavailable, match="403: Invalid API key") as raised:
            await engine.translate(TEXT, source="nl", target="fr")
    finally:
        await engine.close()
    assert len(standin.translations_asked) == 1
    assert TEXT not in str(raised.value)


async def test_a_missing_api_key_is_the_servers_400(standin: LibreTranslateStandIn) -> None:
    engine = LibreTranslateBackend(standin.url, backoff=0.0)
    try:
        with pytest.raises(TranslationUnavailable, match="400: Please contact the server"):
            await engine.translate(TEXT, source="nl", target="fr")
    finally:
        await engine.close()
    assert "api_key" not in standin.received[-1]


# --- retries and timeouts --------------------------------------------------------------------


async def test_server_errors_are_retried_and_the_translation_arrives(
    backend: LibreTranslateBackend, standin: LibreTranslateStandIn
) -> None:
    standin.fail_next = 2  # the first two requests answer 500

    result = await backend.translate(TEXT, source="nl", target="fr")

    assert result.text == tagged(TEXT, "nl", "fr")
    assert len(standin.received) == 4  # /languages three times, /translate once


async def test_retries_are_bounded(
    backend: LibreTranslateBackend, standin: LibreTranslateStandIn
) -> None:
    await backend.languages()
    standin.mode = "fail"

    with pytest.raises(TranslationUnavailable, match=r"500.*after 3 attempts"):
        await backend.translate(TEXT, source="nl", target="fr")
    assert standin.translations_asked == [TEXT, TEXT, TEXT]


async def test_a_redirect_is_not_followed_so_no_text_reaches_another_server(
    backend: LibreTranslateBackend, standin: LibreTranslateStandIn
) -> None:
    await backend.languages()
    elsewhere = LibreTranslateStandIn(api_key=KEY)
    standin.redirect_to = await elsewhere.start() + "/translate"
    standin.mode = "redirect"
    try:
        with pytest.raises(TranslationUnavailable, match="307"):
            await backend.translate(TEXT, source="nl", target="fr")
    finally:
        await elsewhere.close()

    assert elsewhere.received == []


async def test_a_hanging_server_times_out_each_attempt(
    backend: LibreTranslateBackend, standin: LibreTranslateStandIn
) -> None:
    await backend.languages()
    standin.mode = "hang"

    with pytest.raises(TranslationUnavailable, match="timed out, after 3 attempts"):
        await backend.translate(TEXT, source="nl", target="fr")
    assert len(standin.translations_asked) == 3


async def test_an_unreachable_server_is_unavailable(clock: FixedClock) -> None:
    engine = LibreTranslateBackend(f"http://127.0.0.1:{free_port()}", retries=1, backoff=0.0)
    try:
        with pytest.raises(TranslationUnavailable, match="unreachable"):
            await engine.translate(TEXT, source="nl", target="fr")
    finally:
        await engine.close()


# --- the circuit breaker ---------------------------------------------------------------------


async def test_the_breaker_opens_after_consecutive_failures_and_then_sends_nothing(
    backend: LibreTranslateBackend, standin: LibreTranslateStandIn
) -> None:
    await backend.languages()
    standin.mode = "fail"
    for _ in range(3):
        with pytest.raises(TranslationUnavailable, match="500"):
            await backend.translate(TEXT, source="nl", target="fr")
    sent = len(standin.received)

    with pytest.raises(TranslationUnavailable, match="circuit open"):
        await backend.translate(TEXT, source="nl", target="fr")
    assert backend.breaker.state == "open"
    assert len(standin.received) == sent


async def test_after_the_cool_down_one_trial_closes_the_breaker_again(
    backend: LibreTranslateBackend, standin: LibreTranslateStandIn, clock: FixedClock
) -> None:
    await backend.languages()
    standin.mode = "fail"
    for _ in range(3):
        with pytest.raises(TranslationUnavailable):
            await backend.translate(TEXT, source="nl", target="fr")
    standin.mode = "ok"
    clock.set(NOW + COOL_DOWN - timedelta(seconds=1))
    with pytest.raises(TranslationUnavailable, match="circuit open"):
        await backend.translate(TEXT, source="nl", target="fr")

    clock.set(NOW + COOL_DOWN)
    assert backend.breaker.state == "half-open"
    result = await backend.translate(TEXT, source="nl", target="fr")

    assert result.text == tagged(TEXT, "nl", "fr")
    assert backend.breaker.state == "closed"


async def test_a_failed_trial_opens_the_breaker_for_another_cool_down(
    backend: LibreTranslateBackend, standin: LibreTranslateStandIn, clock: FixedClock
) -> None:
    await backend.languages()
    standin.mode = "fail"
    for _ in range(3):
        with pytest.raises(TranslationUnavailable):
            await backend.translate(TEXT, source="nl", target="fr")
    clock.set(NOW + COOL_DOWN)

    with pytest.raises(TranslationUnavailable, match="500"):
        await backend.translate(TEXT, source="nl", target="fr")

    assert backend.breaker.state == "open"
    clock.set(NOW + 2 * COOL_DOWN)
    assert backend.breaker.state == "half-open"


async def test_refusals_prove_the_server_alive_and_do_not_open_the_breaker(
    standin: LibreTranslateStandIn, clock: FixedClock
) -> None:
    breaker = CircuitBreaker(threshold=2, clock=clock)
    engine = LibreTranslateBackend(standin.url, api_key="wrong", breaker=breaker)
    try:
        for _ in range(4):
            with pytest.raises(TranslationUnavailable, match="403"):
                await engine.translate(TEXT, source="nl", target="fr")
    finally:
        await engine.close()
    assert breaker.state == "closed"


async def test_a_success_resets_the_count_of_failures(
    backend: LibreTranslateBackend, standin: LibreTranslateStandIn
) -> None:
    await backend.languages()
    for _ in range(3):
        standin.mode = "fail"
        for _ in range(2):
            with pytest.raises(TranslationUnavailable, match="500"):
                await backend.translate(TEXT, source="nl", target="fr")
        standin.mode = "ok"
        await backend.translate(TEXT, source="nl", target="fr")
    assert backend.breaker.state == "closed"


def test_half_open_lets_one_trial_through_at_a_time(clock: FixedClock) -> None:
    breaker = CircuitBreaker(threshold=1, cool_down=COOL_DOWN, clock=clock)
    breaker.enter()
    breaker.failed()
    clock.set(NOW + COOL_DOWN)

    breaker.enter()  # the trial
    with pytest.raises(TranslationUnavailable, match="circuit open"):
        breaker.enter()
    breaker.abandoned()  # the trial was cancelled: another may go
    breaker.enter()
    breaker.succeeded()
    assert breaker.state == "closed"


def test_a_breaker_needs_a_threshold_of_at_least_one() -> None:
    with pytest.raises(ValueError, match="at least one"):
        CircuitBreaker(threshold=0)


# --- configuration -------------------------------------------------------------------------


def test_the_libretranslate_backend_needs_a_url() -> None:
    with pytest.raises(ValueError, match="libretranslate_url"):
        build_backend("libretranslate")


async def test_build_backend_makes_a_client_of_the_given_server(
    standin: LibreTranslateStandIn,
) -> None:
    engine = build_backend(
        "libretranslate", libretranslate_url=standin.url + "/", libretranslate_allow_http=True
    )
    assert isinstance(engine, LibreTranslateBackend)
    try:
        with pytest.raises(TranslationUnavailable, match="400: Please contact"):
            await engine.translate(TEXT, source="nl", target="fr")
    finally:
        await engine.close()
    assert standin.url + "/translate" == engine.url + "/translate"


# --- only over TLS, unless the deployment says otherwise ------------------------------------


@pytest.mark.parametrize("url", ["http://translate.internal:5000", "HTTP://10.0.0.7"])
def test_a_plain_http_server_is_refused_unless_allowed(url: str) -> None:
    with pytest.raises(SettingInvalid) as refused:
        build_backend("libretranslate", libretranslate_url=url)
    assert refused.value.params["setting"] == "EUREGATE_LIBRETRANSLATE_URL"
    assert "EUREGATE_LIBRETRANSLATE_ALLOW_HTTP" in str(refused.value)
    allowed = build_backend(
        "libretranslate", libretranslate_url=url, libretranslate_allow_http=True
    )
    assert isinstance(allowed, LibreTranslateBackend)


@pytest.mark.parametrize("url", ["ftp://translate.internal", "translate.internal:5000"])
def test_a_url_that_is_not_http_at_all_is_refused_even_when_http_is_allowed(url: str) -> None:
    with pytest.raises(SettingInvalid, match="must be an https URL"):
        build_backend("libretranslate", libretranslate_url=url, libretranslate_allow_http=True)


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_the_refusal_reads_in_every_language(language: str) -> None:
    with pytest.raises(SettingInvalid) as refused:
        checked_url("http://translate.internal:5000")
    document = problem_document(refused.value, language=language)
    assert "EUREGATE_LIBRETRANSLATE_ALLOW_HTTP" in str(document["detail"])
    if language != "en":
        assert document["detail"] != problem_document(refused.value, language="en")["detail"]


async def test_the_gateway_does_not_start_with_a_plain_http_translation_server(
    layout: DataDir,
) -> None:
    """`euregate serve` as an operator runs it: a clear error on stderr, exit 1, no listener."""
    environment = {**os.environ, "EUREGATE_LIBRETRANSLATE_URL": "http://translate.internal:5000"}
    environment.pop("EUREGATE_LIBRETRANSLATE_ALLOW_HTTP", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "gateway", "serve", "--data-dir", str(layout.root)),
        *("--host", "127.0.0.1", "--port", "0", "--staff-port", "0", "--operations-port", "0"),
        cwd=REPO,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 1
    assert b"listening" not in stdout
    assert stderr.decode().strip() == (
        "euregate: EUREGATE_LIBRETRANSLATE_URL: a plain-http URL would carry police information "
        "across the network unencrypted: use https, or set "
        "EUREGATE_LIBRETRANSLATE_ALLOW_HTTP=true for a server on this host only"
    )
