"""The audit log's tree over HTTP: checkpoints, proofs and cosignatures, on both listeners.

Partners (mutual TLS) and compliance staff (API token) read the latest checkpoint, inclusion
and consistency proofs and the cosignatures of a checkpoint; a partner gets inclusion proofs
only for entries about its own exchanges (404 for any other, as for one that does not
exist). Partners' witnesses post their cosignatures and, when they refuse a checkpoint, their
evidence. Handlers parse and answer; :class:`~gateway.transparency.log.TransparencyLog` does
the work, and every parameter is range-checked first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from aiohttp import web

from gateway.edges.http import json_response, model_response, query_int
from gateway.edges.openapi_models import CosignatureKept, ReportKept
from gateway.edges.partner_app import PARTNER, TRANSPARENCY
from gateway.edges.staff_app import ACCOUNT, object_body
from gateway.infra.errors import BodyShapeInvalid, QueryInvalid
from gateway.staff import Permission, require
from gateway.transparency.log import MAX_EVIDENCE_BYTES, REPORT_KINDS, TransparencyLog

PREFIX: Final = "/v1/audit"
MAX_SIZE: Final = (1 << 63) - 1
"""The largest tree size the C2SP formats count."""
NOTE_TYPE: Final = "text/plain"
STAFF_TRANSPARENCY = web.AppKey("staff_transparency", TransparencyLog)


def add_partner_routes(app: web.Application) -> None:
    """The partners' listener: the log is the one ``create_app`` was given."""
    app.router.add_get(PREFIX + "/checkpoint", partner_checkpoint)
    app.router.add_get(PREFIX + "/proof/inclusion", partner_inclusion)
    app.router.add_get(PREFIX + "/proof/consistency", partner_consistency)
    app.router.add_get(PREFIX + "/cosignatures", partner_cosignatures)
    app.router.add_post(PREFIX + "/cosignatures", post_cosignature)
    app.router.add_post(PREFIX + "/inconsistencies", post_inconsistency)


def add_staff_routes(app: web.Application, log: TransparencyLog) -> None:
    """The staff listener: compliance staff read what partners read, every entry's proof."""
    app[STAFF_TRANSPARENCY] = log
    app.router.add_get(PREFIX + "/checkpoint", staff_checkpoint)
    app.router.add_get(PREFIX + "/proof/inclusion", staff_inclusion)
    app.router.add_get(PREFIX + "/proof/consistency", staff_consistency)
    app.router.add_get(PREFIX + "/cosignatures", staff_cosignatures)


# --- answers both listeners give ------------------------------------------------------------


async def checkpoint(request: web.Request, log: TransparencyLog) -> web.Response:
    """The latest checkpoint as a signed note with its cosignatures (``tlog-witness``), or as
    JSON when the caller accepts ``application/json``."""
    published = await log.published()
    if "application/json" in request.headers.get("Accept", ""):
        return json_response(published.as_json(log.log_key))
    return web.Response(body=published.note(), content_type=NOTE_TYPE, charset="utf-8")


async def inclusion(request: web.Request, log: TransparencyLog, *, mine: bool) -> web.Response:
    index = required_int(request.query, "index", low=0, high=MAX_SIZE - 1)
    size = optional_int(request.query, "size", low=1, high=MAX_SIZE)
    partner = request[PARTNER] if mine else None
    return json_response((await log.inclusion(index, size, partner=partner)).as_json())


async def consistency(request: web.Request, log: TransparencyLog) -> web.Response:
    first = required_int(request.query, "from", low=1, high=MAX_SIZE)
    second = optional_int(request.query, "to", low=1, high=MAX_SIZE)
    return json_response((await log.consistency(first, second)).as_json())


async def cosignatures(request: web.Request, log: TransparencyLog) -> web.Response:
    size = optional_int(request.query, "size", low=0, high=MAX_SIZE)
    return json_response((await log.cosignatures(size)).as_json())


def required_int(query: Mapping[str, str], name: str, *, low: int, high: int) -> int:
    value = optional_int(query, name, low=low, high=high)
    if value is None:
        raise QueryInvalid(parameter=name, expected=f"{low}\u2013{high}")
    return value


def optional_int(query: Mapping[str, str], name: str, *, low: int, high: int) -> int | None:
    """The parameter as :func:`~gateway.edges.http.query_int` reads it, or None when absent."""
    return query_int(query, name, default=low, low=low, high=high) if name in query else None


# --- the partners' listener -----------------------------------------------------------------


async def partner_checkpoint(request: web.Request) -> web.Response:
    return await checkpoint(request, request.app[TRANSPARENCY])


async def partner_inclusion(request: web.Request) -> web.Response:
    return await inclusion(request, request.app[TRANSPARENCY], mine=True)


async def partner_consistency(request: web.Request) -> web.Response:
    return await consistency(request, request.app[TRANSPARENCY])


async def partner_cosignatures(request: web.Request) -> web.Response:
    return await cosignatures(request, request.app[TRANSPARENCY])


async def post_cosignature(request: web.Request) -> web.Response:
    """``{"size": N, "cosignature": "— name base64…"}``: a witness's cosignature line on the
    checkpoint of ``N`` entries."""
    body = await object_body(request, members=("size", "cosignature"))
    size, line = body.get("size"), body.get("cosignature")
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_SIZE:
        raise BodyShapeInvalid(members="size, cosignature", pointer="/size")
    if not isinstance(line, str) or len(line) > 1000:
        raise BodyShapeInvalid(members="size, cosignature", pointer="/cosignature")
    kept = await request.app[TRANSPARENCY].cosign(request[PARTNER], size, line)
    answer = CosignatureKept(size=kept.size, partner=kept.partner_id, key_id=kept.key_id)
    return model_response(answer, status=201)


async def post_inconsistency(request: web.Request) -> web.Response:
    """``{"kind": K, "previous": NOTE | null, "submitted": NOTE}``: what a witness refused, with
    the checkpoint it had cosigned before and the one it was shown."""
    members = ("kind", "previous", "submitted")
    body = await object_body(request, members=members)
    kind = body.get("kind")
    if not isinstance(kind, str) or kind not in REPORT_KINDS:
        raise BodyShapeInvalid(members=", ".join(members), pointer="/kind")
    previous = _evidence(body, "previous", members, optional=True)
    submitted = _evidence(body, "submitted", members, optional=False)
    assert submitted is not None
    report = await request.app[TRANSPARENCY].report(request[PARTNER], kind, previous, submitted)
    return model_response(ReportKept(id=report.id, kind=report.kind), status=201)


def _evidence(
    body: Mapping[str, object], name: str, members: tuple[str, ...], *, optional: bool
) -> bytes | None:
    """A checkpoint a report carries, as bytes; at most :data:`MAX_EVIDENCE_BYTES`."""
    note = body.get(name)
    if note is None and optional:
        return None
    if not isinstance(note, str) or len(note.encode()) > MAX_EVIDENCE_BYTES:
        raise BodyShapeInvalid(members=", ".join(members), pointer=f"/{name}")
    return note.encode()


# --- the staff listener ---------------------------------------------------------------------


def _compliance(request: web.Request) -> TransparencyLog:
    require(request[ACCOUNT], Permission.AUDIT_READ)
    return request.app[STAFF_TRANSPARENCY]


async def staff_checkpoint(request: web.Request) -> web.Response:
    return await checkpoint(request, _compliance(request))


async def staff_inclusion(request: web.Request) -> web.Response:
    return await inclusion(request, _compliance(request), mine=False)


async def staff_consistency(request: web.Request) -> web.Response:
    return await consistency(request, _compliance(request))


async def staff_cosignatures(request: web.Request) -> web.Response:
    return await cosignatures(request, _compliance(request))
