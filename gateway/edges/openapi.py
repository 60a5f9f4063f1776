"""The OpenAPI 3.1 documents of the two JSON APIs, written from the code's own models.

One document per listener: the partners' API (mutual TLS; ``schemas/openapi.json``) and the
staff API (an API token; ``schemas/openapi-staff.json``). They cannot be one document: the
audit log's paths are the same on both listeners, answered to other callers under other
rules (a partner proves its own entries, compliance staff any), and a path is described once
per document. Each listener serves its own at ``GET /v1/openapi.json``.

Everything in them comes from the code: the operations, their parameters and refusals from
:mod:`gateway.edges.openapi_operations`; the bodies from the pydantic models of
:mod:`gateway.edges.openapi_models`; the problem ``type``, status and title of each refusal
from :mod:`gateway.infra.errors`. A signal's body is ``schemas/signal-1.schema.json``,
referred to rather than copied. ``euregate schema export`` writes the files; a test fails
when they and the code drift apart.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Final, Literal

from aiohttp import web
from pydantic.json_schema import (
    JsonSchemaMode,
    JsonSchemaValue,
    models_json_schema,
)
from pydantic_core.core_schema import WithDefaultSchema

from gateway.contract.codelists import SCHEMAS_DIR
from gateway.contract.schema_export import (
    SIGNAL_SCHEMA_FILE,
    UntitledGenerator,
    drifted_files,
    write_files,
)
from gateway.edges.http import QUERY_PARAMETERS
from gateway.edges.openapi_models import ApiModel, Problem
from gateway.edges.openapi_operations import (
    DOCUMENT,
    NO_CONTENT,
    NOTE,
    OPERATIONS,
    SIGNAL,
    Listener,
    Operation,
    refusals,
)
from gateway.edges.openapi_serving import (
    MESSAGE_SCHEMA_FILE,
    MESSAGE_SCHEMA_PATH,
    OPENAPI_PATH,
    SIGNAL_SCHEMA_PATH,
    serve_documents,
)
from gateway.edges.problems import MEDIA_TYPE as PROBLEM
from gateway.infra.errors import PROBLEM_BASE, EuregateError

OPENAPI_VERSION: Final = "3.1.0"
API_VERSION: Final = "1"
FILES: Final[Mapping[Listener, str]] = {"partner": "openapi.json", "staff": "openapi-staff.json"}
EXAMPLES_DIR: Final = Path(__file__).resolve().parents[2] / "examples"
SIGNAL_EXAMPLE: Final = "nl-drug-waste-maastricht.json"
COMPONENT: Final = "#/components/schemas/{model}"
JSON: Final = "application/json"
FORM: Final = "application/x-www-form-urlencoded"
SECURITY: Final[Mapping[Listener, tuple[str, dict[str, str]]]] = {
    "partner": (
        "partnerCertificate",
        {
            "type": "mutualTLS",
            "description": "The client certificate the gateway's CA issued to the partner; "
            "the only source of the caller's identity.",
        },
    ),
    "staff": (
        "apiToken",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from `euregate staff token issue`.",
        },
    ),
}
TITLES: Final[Mapping[Listener, str]] = {
    "partner": "Euregate partner API",
    "staff": "Euregate staff API",
}
DESCRIPTIONS: Final[Mapping[Listener, str]] = {
    "partner": (
        "The API partner agencies' systems speak with the gateway of the Meuse-Rhine Euregio, "
        "over mutual TLS: post signals and learn what the policy decides, pull and acknowledge "
        "the inbox, follow requests for information, and check the audit log's tree. Every "
        "refusal is an RFC 9457 problem document (application/problem+json) in the language "
        "of Accept-Language (nl, fr, de, en), each kind with a stable type. Any request may "
        "be answered 503 or 507 with Retry-After when the gateway cannot store anything; "
        "nothing of it was kept and sending it again later is safe."
    ),
    "staff": (
        "The API of the gateway's staff listener for people's scripts, signed in by API "
        "token: the liaison desk's review queue and translation memory, and the audit log's "
        "tree for compliance staff. Refusals as on the partners' API."
    ),
}


class _Generator(UntitledGenerator):
    """The Signal schema's generator (no titles from Python field names), without the
    ``"default": null`` of a member that is left out rather than sent as null."""

    def default_schema(self, schema: WithDefaultSchema) -> JsonSchemaValue:
        generated = super().default_schema(schema)
        if "default" in generated and generated["default"] is None:
            del generated["default"]
        return generated


def openapi_document(listener: Listener) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``listener``'s JSON API."""
    operations = OPERATIONS[listener]
    scheme, security = SECURITY[listener]
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(
            listener, operation
        )
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": TITLES[listener],
            "version": API_VERSION,
            "description": DESCRIPTIONS[listener],
        },
        "security": [{scheme: []}],
        "tags": [{"name": tag} for tag in dict.fromkeys(op.tag for op in operations)],
        "paths": paths,
        "components": {
            "schemas": _components(operations),
            "securitySchemes": {scheme: security},
        },
    }


def _components(operations: tuple[Operation, ...]) -> dict[str, Any]:
    models: dict[tuple[type[ApiModel], JsonSchemaMode], None] = {(Problem, "serialization"): None}
    for operation in operations:
        if isinstance(operation.body, type):
            models[(operation.body, "validation")] = None
        if operation.form is not None:
            models[(operation.form, "validation")] = None
        for answer in operation.answers.values():
            if isinstance(answer, type):
                models[(answer, "serialization")] = None
    _, generated = models_json_schema(
        list(models), by_alias=True, ref_template=COMPONENT, schema_generator=_Generator
    )
    return dict(sorted(generated.get("$defs", {}).items()))


def _operation(listener: Listener, operation: Operation) -> dict[str, Any]:
    described: dict[str, Any] = {
        "operationId": operation.id,
        "summary": operation.summary,
        "tags": [operation.tag],
    }
    parameters = [*_path_parameters(operation.path), *map(_query, operation.query)]
    if parameters:
        described["parameters"] = parameters
    if operation.body is not None:
        described["requestBody"] = {"required": True, "content": {JSON: _body(operation)}}
    if operation.form is not None:
        described["requestBody"] = {
            "required": True,
            "content": {FORM: {"schema": _ref(operation.form)}},
        }
    if operation.tokenless:
        described["security"] = []
    answers = {str(status): _answer(operation, kind) for status, kind in operation.answers.items()}
    answers |= _refusals(refusals(listener, operation))
    described["responses"] = dict(sorted(answers.items()))
    return described


def _path_parameters(path: str) -> list[dict[str, Any]]:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in names
    ]


def _query(parameter: Any) -> dict[str, Any]:
    schema: dict[str, Any] = (
        {"type": "string", "enum": list(parameter.values)}
        if parameter.values
        else {"type": "integer", "minimum": parameter.low, "maximum": parameter.high}
    )
    return {
        "name": parameter.name,
        "in": "query",
        "required": parameter.required,
        "description": parameter.description,
        "schema": schema,
    }


def _body(operation: Operation) -> dict[str, Any]:
    if operation.body == SIGNAL:
        example = json.loads((EXAMPLES_DIR / SIGNAL_EXAMPLE).read_text(encoding="utf-8"))
        return {"schema": {"$ref": SIGNAL_SCHEMA_FILE}, "example": example}
    assert isinstance(operation.body, type)
    return {"schema": _ref(operation.body)}


def _answer(operation: Operation, kind: object) -> dict[str, Any]:
    if kind == NO_CONTENT:
        return {"description": "Taken; nothing to answer."}
    if kind == DOCUMENT:
        return {"description": "The document.", "content": {JSON: {"schema": {"type": "object"}}}}
    assert isinstance(kind, type)
    content: dict[str, Any] = {JSON: {"schema": _ref(kind)}}
    if operation.json_too:
        content = {NOTE: {"schema": {"type": "string"}}, **content}
        return {
            "description": "A C2SP signed note (text/plain), or as JSON when the caller "
            "accepts application/json.",
            "content": content,
        }
    described = (kind.__doc__ or "The answer.").split("\n\n")[0]
    return {"description": " ".join(described.split()), "content": content}


def _refusals(errors: tuple[type[EuregateError], ...]) -> dict[str, Any]:
    """One answer per status, its problem document's ``type`` one of the errors' kinds."""
    by_status: dict[int, list[type[EuregateError]]] = {}
    for error in errors:
        by_status.setdefault(error.status, []).append(error)
    answers = {}
    for status, kinds in by_status.items():
        types = [PROBLEM_BASE + error.kind for error in kinds]
        described = "; ".join(f"{error.kind}: {error.title}" for error in kinds)
        schema = {
            "$ref": COMPONENT.format(model=Problem.__name__),
            "properties": {"type": {"enum": types}, "status": {"const": status}},
        }
        answers[str(status)] = {
            "description": f"Refused ({described}).",
            "content": {PROBLEM: {"schema": schema}},
        }
        if all(map(_says_when, kinds)):
            answers[str(status)]["headers"] = {"Retry-After": RETRY_AFTER}
    return answers


RETRY_AFTER: Final = {
    "description": "Seconds to wait before sending the request again.",
    "required": True,
    "schema": {"type": "integer", "minimum": 0},
}


def _says_when(error: type[EuregateError]) -> bool:
    """Whether every ``error`` names the seconds to wait (``retry_after``, which the problem
    document and the ``Retry-After`` header carry)."""
    parameter = inspect.signature(error.__init__).parameters.get("retry_after")
    return parameter is not None and parameter.default is not None


def _ref(model: type[ApiModel]) -> dict[str, str]:
    return {"$ref": COMPONENT.format(model=model.__name__)}


@cache
def render_openapi(listener: Listener) -> str:
    """The document's exact text: sorted keys, 2-space indent, final newline."""
    text = json.dumps(openapi_document(listener), indent=2, sort_keys=True, ensure_ascii=False)
    return text + "\n"


def render_documents() -> dict[str, str]:
    """Each OpenAPI file's name and exact text."""
    return {name: render_openapi(listener) for listener, name in FILES.items()}


def export_documents(directory: Path = SCHEMAS_DIR) -> list[Path]:
    """Write the OpenAPI files into ``directory``; the paths written."""
    return write_files(render_documents(), directory)


def drifted_documents(directory: Path = SCHEMAS_DIR) -> list[str]:
    """The OpenAPI files in ``directory`` that are missing or differ from what the code says."""
    return drifted_files(render_documents(), directory)


def serve_openapi(app: web.Application, listener: Literal["partner", "staff"]) -> None:
    """``GET /v1/openapi.json`` on ``listener``'s application (on the partners', the Signal v1
    schema it refers to and the message schema beside it), and the query parameters each
    operation takes, so that any other is refused. The documents served are the committed
    files, which a test holds to the code: a gateway installed without the repository's
    examples serves them too."""
    takes: dict[tuple[str, str], tuple[str, ...]] = {
        (operation.method, operation.path): tuple(query.name for query in operation.query)
        for operation in OPERATIONS[listener]
    }
    app[QUERY_PARAMETERS] = takes
    files = {OPENAPI_PATH: FILES[listener]}
    if listener == "partner":
        files[SIGNAL_SCHEMA_PATH] = SIGNAL_SCHEMA_FILE
        files[MESSAGE_SCHEMA_PATH] = MESSAGE_SCHEMA_FILE
    serve_documents(
        app,
        {path: (SCHEMAS_DIR / name).read_text(encoding="utf-8") for path, name in files.items()},
    )
