"""The JSON Schema files under ``schemas/``, generated from the models.

Partners validate against these files, so they must say exactly what the models
check. They are committed; a test fails when the models and the files drift
apart, and ``euregate schema export`` writes them anew.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from pydantic.json_schema import GenerateJsonSchema

from gateway.contract.codelists import SCHEMAS_DIR
from gateway.contract.signal import Signal

DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
SIGNAL_SCHEMA_ID: Final = "urn:euregate:schema:signal:1"
SIGNAL_SCHEMA_FILE: Final = "signal-1.schema.json"

_SIGNAL_DESCRIPTION: Final = (
    "A signal as a partner of the Euregate network posts it: structured information about "
    "undermining (organised) crime, nuisance, security or care concerns in the Meuse-Rhine "
    "Euregio, shared between police forces, municipalities, prosecutors and inspection "
    "services in the Netherlands, Belgium and Germany. Members not defined here are refused. "
    "An optional member may be left out or be null; an array may be left out or be empty. "
    "Some rules cannot be written in JSON Schema and are checked by the gateway alone: check "
    "digits of national and register numbers and IBANs, refs that are unique and that links, "
    "account holders and indicators name existing entities and places of the right kind, dates "
    "of birth and indicators' dates and "
    "observation times against the gateway's clock, and that the recipients resolve to "
    "active partners. The gateway lists every problem at once, each with a JSON pointer."
)


class UntitledGenerator(GenerateJsonSchema):
    """pydantic's generator without the titles it derives from Python field names."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def signal_schema() -> dict[str, Any]:
    """The JSON Schema of Signal v1 as a document."""
    generated = Signal.model_json_schema(by_alias=True, schema_generator=UntitledGenerator)
    return {
        "$schema": DIALECT,
        "$id": SIGNAL_SCHEMA_ID,
        **generated,
        "title": "Euregate Signal v1",
        "description": _SIGNAL_DESCRIPTION,
    }


def render_schemas() -> dict[str, str]:
    """Each schema file's name and exact text: sorted keys, 2-space indent, final newline."""
    return {SIGNAL_SCHEMA_FILE: _render(signal_schema())}


def export_schemas(directory: Path = SCHEMAS_DIR) -> list[Path]:
    """Write every schema file into ``directory``; the paths written."""
    return write_files(render_schemas(), directory)


def drifted_schemas(directory: Path = SCHEMAS_DIR) -> list[str]:
    """The schema files in ``directory`` that are missing or differ from what the models say."""
    return drifted_files(render_schemas(), directory)


def write_files(texts: Mapping[str, str], directory: Path) -> list[Path]:
    """Write each text under its file name into ``directory``; the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in texts.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def drifted_files(texts: Mapping[str, str], directory: Path) -> list[str]:
    """The names of ``texts`` whose file in ``directory`` is missing or holds other text."""
    drifted = []
    for name, text in texts.items():
        path = directory / name
        try:
            current = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            current = None
        if current != text:
            drifted.append(name)
    return drifted


def _render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
