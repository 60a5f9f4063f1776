"""The OpenAPI documents: valid OpenAPI 3.1, what the code generates, served by each listener,
and true to the routes and handlers they describe."""

from __future__ import annotations

import ast
import inspect
import json
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from openapi_spec_validator import validate

from gateway.contract.codelists import SCHEMAS_DIR
from gateway.contract.schema_export import SIGNAL_SCHEMA_FILE
from gateway.edges import audit_api, etranslation_callbacks, partner_app, staff_app
from gateway.edges import openapi_models as models
from gateway.edges.cli import main
from gateway.edges.openapi import FILES, drifted_documents, openapi_document, render_openapi
from gateway.edges.openapi_operations import (
    OPERATIONS,
    Listener,
    Operation,
    refusals,
)
from gateway.edges.server import Gateway, build, open_listeners
from gateway.infra import errors
from gateway.infra.config import DataDir, Settings
from tests import polling
from tests.conftest import RunningGateway, client_context
from tests.review_release import release_as_written

LISTENERS: tuple[Listener, ...] = ("partner", "staff")


def test_the_committed_documents_are_what_the_code_generates() -> None:
    assert drifted_documents(SCHEMAS_DIR) == [], "run `euregate schema export` and commit schemas/"


def test_schema_export_writes_and_checks_the_documents(tmp_path: Path) -> None:
    assert main(["schema", "export", "--check", "--dir", str(tmp_path)]) == 1
    assert main(["schema", "export", "--dir", str(tmp_path)]) == 0
    for listener, name in FILES.items():
        assert (tmp_path / name).read_text(encoding="utf-8") == render_openapi(listener)
    (tmp_path / FILES["staff"]).write_text("{}\n", encoding="utf-8")
    assert drifted_documents(tmp_path) == [FILES["staff"]]


@pytest.mark.parametrize("listener", LISTENERS)
def test_each_document_is_valid_openapi_3_1(listener: Listener) -> None:
    path = SCHEMAS_DIR / FILES[listener]
    document = json.loads(path.read_text(encoding="utf-8"))

    validate(document, base_uri=path.resolve().as_uri())
    assert document["openapi"].startswith("3.1.")


def test_a_signal_body_refers_to_the_signal_schema_rather_than_copying_it() -> None:
    document = openapi_document("partner")
    for path in ("/v1/signals", "/v1/policy/explain"):
        body = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        assert body["schema"] == {"$ref": SIGNAL_SCHEMA_FILE}
    assert "Signal" not in document["components"]["schemas"]
    assert (SCHEMAS_DIR / SIGNAL_SCHEMA_FILE).exists()


def _responses(listener: Listener, operation: Operation) -> dict[str, Any]:
    path = openapi_document(listener)["paths"][operation.path]
    answers: dict[str, Any] = path[operation.method.lower()]["responses"]
    return answers


@pytest.mark.parametrize("listener", LISTENERS)
def test_every_refusal_of_an_operation_is_a_problem_document_of_the_types_it_can_be(
    listener: Listener,
) -> None:
    for operation in OPERATIONS[listener]:
        answers = _responses(listener, operation)
        documented: dict[int, set[str]] = {}
        for error in refusals(listener, operation):
            documented.setdefault(error.status, set()).add(errors.PROBLEM_BASE + error.kind)
        for status, types in documented.items():
            content = answers[str(status)]["content"]
            assert list(content) == ["application/problem+json"], (operation.id, status)
            schema = content["application/problem+json"]["schema"]
            assert set(schema["properties"]["type"]["enum"]) == types, (operation.id, status)
            assert schema["properties"]["status"] == {"const": status}
        refused = {int(status) for status in answers if int(status) >= 400}
        assert refused == set(documented), operation.id


@pytest.mark.parametrize("listener", LISTENERS)
def test_every_operation_may_be_refused_for_its_caller_and_for_the_store(
    listener: Listener,
) -> None:
    identity = errors.NotAuthenticated if listener == "partner" else errors.StaffNotAuthenticated
    for operation in OPERATIONS[listener]:
        answers = _responses(listener, operation)
        for refusal in (
            identity,
            errors.TooManyRefusals,
            errors.StorageFull,
            errors.StoreUnreachable,
        ):
            enum = answers[str(refusal.status)]["content"]["application/problem+json"]["schema"]
            assert errors.PROBLEM_BASE + refusal.kind in enum["properties"]["type"]["enum"]


@pytest.mark.parametrize("listener", LISTENERS)
def test_a_refusal_that_names_when_to_try_again_documents_retry_after(
    listener: Listener,
) -> None:
    for operation in OPERATIONS[listener]:
        answers = _responses(listener, operation)
        for status in ("429", "503", "507"):
            assert answers[status]["headers"]["Retry-After"]["required"] is True
        for status in ("400", "404"):
            assert "headers" not in answers.get(status, {}), (operation.id, status)


# --- the registry against the code ----------------------------------------------------------


@dataclass
class Built:
    gateway: Gateway
    partner_url: str
    staff_url: str


@pytest.fixture
async def built(layout: DataDir) -> AsyncIterator[Built]:
    """The gateway as ``serve`` puts it together, its listeners open on free ports."""
    settings = Settings(data_dir=layout.root, host="127.0.0.1", port=0, staff_port=0)
    gateway = await build(settings)
    runners: list[web.AppRunner] = []
    try:
        partner_url, staff_url = await open_listeners(gateway, "127.0.0.1", (0, 0), runners)
        yield Built(gateway, partner_url, staff_url)
    finally:
        for runner in reversed(runners):
            await runner.cleanup()


def _routes(app: web.Application) -> set[tuple[str, str, Callable[..., Any]]]:
    """The JSON API's routes of a listener (``/v1`` and under it), without aiohttp's HEAD."""
    return {
        (route.method, route.resource.canonical, route.handler)
        for route in app.router.routes()
        if route.resource is not None
        and (route.resource.canonical == "/v1" or route.resource.canonical.startswith("/v1/"))
        and route.method in ("GET", "POST", "DELETE")
    }


async def test_the_registry_lists_every_route_of_both_apis_with_its_handler(
    built: Built,
) -> None:
    apps: tuple[tuple[Listener, web.Application], ...] = (
        ("partner", built.gateway.app),
        ("staff", built.gateway.staff_app),
    )
    for listener, app in apps:
        registered = {(op.method, op.path, op.handler) for op in OPERATIONS[listener]}
        assert _routes(app) == registered, listener


async def test_the_staff_listener_serves_its_document_to_a_token(
    gateway: RunningGateway, staff_token: Callable[..., Awaitable[str]]
) -> None:
    token = await staff_token("compliance", role="compliance")
    async with gateway.staff_client(token) as staff:
        status, text = await staff._exchange("GET", "/v1/openapi.json")
    assert status == 200
    assert text == (SCHEMAS_DIR / FILES["staff"]).read_text()


async def test_discovery_names_the_gateway_its_suites_and_where_to_begin(
    built: Built, layout: DataDir
) -> None:
    """``GET /v1``: a partner's software learns the rest from it; each link answers."""
    connector = aiohttp.TCPConnector(ssl=client_context(layout, "be-pol-liege"))
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.get(built.partner_url + "/v1") as answer:
            assert answer.status == 200
            found = await answer.json()
        assert found == {
            "api_version": "v1",
            "gateway_id": Settings(data_dir=layout.root).gateway_id,
            "suites": ["X25519", "MLKEM768_X25519"],
            "envelope_version": 2,
            "links": {
                "openapi": "/v1/openapi.json",
                "signal_schema": "/v1/signal-1.schema.json",
                "message_schema": "/v1/message-1.schema.json",
                "gateway_keys": "/v1/gateway/keys",
            },
        }
        async with session.get(built.partner_url + found["links"]["openapi"]) as answer:
            assert "/v1" in (await answer.json())["paths"]
        async with session.get(built.partner_url + found["links"]["gateway_keys"]) as answer:
            assert len((await answer.json())["keys"]) >= 1
        async with session.get(built.partner_url + found["links"]["signal_schema"]) as answer:
            assert await answer.text() == (SCHEMAS_DIR / SIGNAL_SCHEMA_FILE).read_text()
        async with session.get(built.partner_url + found["links"]["message_schema"]) as answer:
            assert await answer.text() == (SCHEMAS_DIR / "message-1.schema.json").read_text()


async def test_each_listener_serves_its_document(built: Built, layout: DataDir) -> None:
    partner_url, staff_url = built.partner_url, built.staff_url
    connector = aiohttp.TCPConnector(ssl=client_context(layout, "nl-pol-limburg"))
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.get(partner_url + "/v1/openapi.json") as answer:
            assert answer.status == 200
            assert answer.content_type == "application/json"
            assert await answer.text() == (SCHEMAS_DIR / FILES["partner"]).read_text()
        async with session.get(partner_url + "/v1/signal-1.schema.json") as answer:
            assert await answer.text() == (SCHEMAS_DIR / SIGNAL_SCHEMA_FILE).read_text()
        async with session.patch(partner_url + "/v1/signals") as answer:
            assert answer.status == 405
            assert answer.headers["Allow"] == "GET, HEAD, POST"
            assert answer.content_type == "application/problem+json"
        async with session.put(partner_url + "/v1/inbox") as answer:
            assert answer.headers["Allow"] == "GET, HEAD"
    connector = aiohttp.TCPConnector(ssl=client_context(layout, None))
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.get(staff_url + "/v1/openapi.json") as answer,
    ):
        assert answer.status == 401, "the staff API's description is for its users only"


# --- each handler's own refusals are in its operation's list --------------------------------


def _raised(function: Callable[..., Any], seen: set[str]) -> Iterator[str]:
    """The names of the errors ``function`` raises itself or through the functions of its own
    module that it calls, by name, transitively."""
    module = inspect.getmodule(function)
    if function.__qualname__ in seen or module is None:
        return
    seen.add(function.__qualname__)
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            called = node.exc.func
            if isinstance(called, ast.Name):
                yield called.id
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            callee = getattr(module, node.func.id, None)
            if inspect.isfunction(callee) and inspect.getmodule(callee) in HANDLER_MODULES:
                yield from _raised(callee, seen)


HANDLER_MODULES = (partner_app, staff_app, audit_api, etranslation_callbacks)


@pytest.mark.parametrize("listener", LISTENERS)
def test_every_error_a_handler_raises_is_among_its_operations_refusals(listener: Listener) -> None:
    for operation in OPERATIONS[listener]:
        listed = {error.__name__ for error in refusals(listener, operation)}
        raised = set(_raised(operation.handler, set()))
        assert raised <= listed, (operation.id, raised - listed)


def test_the_check_of_raised_errors_sees_through_helpers() -> None:
    assert "BodyShapeInvalid" in set(_raised(audit_api.post_inconsistency, set()))
    assert "QueryInvalid" in set(_raised(audit_api.partner_inclusion, set()))
    assert "NotFound" in set(_raised(partner_app.post_ack, set()))


# --- what the contract tests found, pinned -------------------------------------------------


async def test_a_query_parameter_an_operation_does_not_take_is_refused_by_name(
    built: Built, layout: DataDir
) -> None:
    connector = aiohttp.TCPConnector(ssl=client_context(layout, "nl-pol-limburg"))
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.get(built.partner_url + "/v1/inbox?limt=5&after=0") as answer:
            problem = await answer.json(content_type="application/problem+json")
        assert answer.status == 400
        assert problem["type"] == "urn:euregate:problem:query-unknown"
        assert problem["parameter"] == "limt"
        assert "after, limit, wait" in problem["detail"]
        headers = {"Accept-Language": "de"}
        async with session.get(
            built.partner_url + "/v1/gateway/keys?=1", headers=headers
        ) as answer:
            problem = await answer.json(content_type="application/problem+json")
        assert answer.status == 400
        assert problem["parameter"] == ""
        assert (
            problem["detail"] == "Diese Ressource kennt keine Abfrageparameter; entfernen Sie „“."
        )
        async with session.get(built.partner_url + "/v1/inbox?after=0&limit=1") as answer:
            assert answer.status == 200, "the parameters it takes are taken"


# --- the answers the generated requests seldom reach, against their models ------------------


async def test_the_answers_of_a_signals_whole_path_are_what_their_models_say(
    gateway: RunningGateway,
    staff_token: Callable[..., Awaitable[str]],
    example: Callable[[str], dict[str, Any]],
) -> None:
    """A signal posted, explained, waiting at the Belgian desk, released, fetched and
    acknowledged: every answer validates against the model the documents give for it, with
    no member the model does not name."""
    liaison = await staff_token("liaison", role="liaison_officer", desk="BE")
    compliance = await staff_token("compliance", role="compliance")
    signal = example("nl-drug-waste-maastricht.json")
    async with gateway.client("nl-pol-limburg") as sender:
        receipt = models.Receipt.model_validate(await sender.post_signal(signal))
        models.Explanation.model_validate(await sender.explain(signal))
        models.Requests.model_validate(await sender.requests())
        models.GatewayKeys.model_validate(await sender._request("GET", "/v1/gateway/keys"))
        proven = await _once(lambda: sender.signal_status(receipt.signal_id), "inclusion")
        assert models.Receipt.model_validate(proven).inclusion is not None
        accept = {"Accept": "application/json"}
        checkpoint = await sender._request("GET", "/v1/audit/checkpoint", headers=accept)
        models.Checkpoint.model_validate(checkpoint)
    async with gateway.staff_client(liaison) as officer:
        queue = models.ReviewQueue.model_validate({"items": await officer.queue()})
        waiting = next(item for item in queue.items if item.signal_id == receipt.signal_id)
        models.ReviewCase.model_validate(await officer.item(waiting.id))
        released = models.ReviewItem.model_validate(await release_as_written(officer, waiting.id))
        assert released.state == "released"
        models.MemoryEntries.model_validate({"entries": await officer.memory()})
    async with gateway.staff_client(compliance) as auditor:
        size = (await auditor._request("GET", "/v1/audit/cosignatures"))["size"]
        models.Cosignatures.model_validate(await auditor.cosignatures())
        models.InclusionProof.model_validate(await auditor.inclusion_proof(0))
        models.ConsistencyProof.model_validate(await auditor.consistency_proof(1, size))
    async with gateway.client("be-pol-liege") as recipient:
        inbox = await _once(recipient.inbox_page, "envelopes")
        entry = models.Inbox.model_validate(inbox).envelopes[0]
        acknowledged = await recipient.acknowledge(entry.id)
        assert models.Acknowledged.model_validate(acknowledged).acknowledged_at is not None


async def _once(fetch: Callable[[], Awaitable[dict[str, Any]]], member: str) -> dict[str, Any]:
    """The first answer of ``fetch`` whose ``member`` is there and not empty."""
    answers: list[dict[str, Any]] = []

    async def arrived() -> bool:
        answers.append(await fetch())
        return bool(answers[-1].get(member))

    await polling.until(arrived)
    return answers[-1]
