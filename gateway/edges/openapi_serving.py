"""The API's own description on each listener: ``GET /v1/openapi.json``, and on the partners'
listener the Signal v1 schema it refers to, both as written once when the listener is built."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from aiohttp import web

OPENAPI_PATH: Final = "/v1/openapi.json"
SIGNAL_SCHEMA_PATH: Final = "/v1/signal-1.schema.json"
"""Where ``"$ref": "signal-1.schema.json"`` of the partners' document points when it is read
from the listener (``schemas/signal-1.schema.json`` when it is read from the repository)."""
MESSAGE_SCHEMA_PATH: Final = "/v1/message-1.schema.json"
MESSAGE_SCHEMA_FILE: Final = "message-1.schema.json"
"""What an envelope opens to (``schemas/message-1.schema.json``, docs/envelope.md)."""
DOCUMENTS: web.AppKey[Mapping[str, str]] = web.AppKey("documents")


def serve_documents(app: web.Application, documents: Mapping[str, str]) -> None:
    """Answer ``GET`` on each path of ``documents`` with its JSON text."""
    app[DOCUMENTS] = documents
    for path in documents:
        app.router.add_get(path, get_document)


async def get_document(request: web.Request) -> web.Response:
    """The document of the path; it answers only the paths :func:`serve_documents` routed."""
    text = request.app[DOCUMENTS][request.path]
    return web.Response(text=text, content_type="application/json", charset="utf-8")
