"""The audit log's tree as compliance staff watch it: how far it is signed, which partners'
witnesses cosigned how much of it (per country), which witness stopped, and what witnesses
reported when they refused to cosign, with the checkpoints they kept as evidence."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from aiohttp import web

from gateway.contract.partners import COUNTRIES
from gateway.edges.web.frame import (
    NavEntry,
    Section,
    Viewer,
    context,
    render_page,
    require_permission,
)
from gateway.edges.web.partner_names import PartnerNames
from gateway.infra.errors import NotFound
from gateway.infra.i18n import N_, translate
from gateway.render import labels
from gateway.staff import Permission
from gateway.store import InconsistencyReport, RegisteredWitnessKey, StoredCosignature
from gateway.transparency.log import Published, b64, cosigned_at

routes = web.RouteTableDef()
PATH: Final = "/transparency"
NOTE_TYPE: Final = "text/plain"

SECTION: Final = Section(
    name="transparency",
    routes=routes,
    navigation=(NavEntry(PATH, N_("Transparency log"), Permission.AUDIT_READ),),
)

REPORT_LABELS: Final[Mapping[str, str]] = {
    "checkpoint-rollback": N_("the log went back"),
    "checkpoint-split-view": N_("another log of the same size"),
    "consistency-unproven": N_("the log does not extend the one cosigned"),
    "checkpoint-unverified": N_("a checkpoint the gateway's key did not sign"),
    "cosignatures-disagree": N_("witnesses were shown different logs"),
}


class Standing(StrEnum):
    """Where a witness key stands."""

    CURRENT = "current"
    STOPPED = "stopped"
    NEVER = "never"
    RETIRED = "retired"


STANDING_LABELS: Final[Mapping[Standing, str]] = {
    Standing.CURRENT: N_("cosigning"),
    Standing.STOPPED: N_("stopped: no cosignature for {hours} hours"),
    Standing.NEVER: N_("has not cosigned yet"),
    Standing.RETIRED: N_("retired"),
}


@dataclass(frozen=True)
class WitnessRow:
    """One witness key: its partner and country, the largest size it cosigned, when that
    reached the gateway, where it stands, and how many refusals its partner reported."""

    key: RegisteredWitnessKey
    country: str
    latest: StoredCosignature | None
    standing: Standing
    reports: int


def witness_rows(
    keys: Iterable[RegisteredWitnessKey],
    latest: Iterable[StoredCosignature],
    countries: Mapping[str, str],
    reports: Iterable[InconsistencyReport],
    *,
    now: datetime,
    stale_after: timedelta,
) -> list[WitnessRow]:
    """Every witness key, by country and partner; one whose latest cosignature reached the
    gateway longer than ``stale_after`` ago (or never) is flagged."""
    by_key = {(c.partner_id, c.key_id): c for c in latest}
    reported: dict[str, int] = {}
    for report in reports:
        reported[report.partner_id] = reported.get(report.partner_id, 0) + 1
    rows = []
    for key in keys:
        found = by_key.get((key.partner_id, key.key_id))
        rows.append(
            WitnessRow(
                key=key,
                country=countries.get(key.partner_id, ""),
                latest=found,
                standing=_standing(key, found, now - stale_after),
                reports=reported.get(key.partner_id, 0),
            )
        )
    return sorted(rows, key=lambda row: (row.country, row.key.partner_id, row.key.name))


def _standing(
    key: RegisteredWitnessKey, latest: StoredCosignature | None, since: datetime
) -> Standing:
    if not key.active:
        return Standing.RETIRED
    if latest is None:
        return Standing.NEVER
    if latest.received_at is None or latest.received_at < since:
        return Standing.STOPPED
    return Standing.CURRENT


def witnessed_by_country(rows: Sequence[WitnessRow]) -> dict[str, int | None]:
    """The largest size any active witness of each country cosigned (None: none did)."""
    sizes: dict[str, int | None] = dict.fromkeys(COUNTRIES)
    for row in rows:
        if row.latest is None or row.standing is Standing.RETIRED:
            continue
        known = sizes.get(row.country)
        sizes[row.country] = max(row.latest.size, known or 0)
    return sizes


@routes.get(PATH)
@require_permission(Permission.AUDIT_READ)
async def transparency(request: web.Request, viewer: Viewer) -> web.Response:
    web_ = context(request)
    store = web_.store
    latest = await store.latest_checkpoint()
    head = await store.chain_head()
    reports = await store.inconsistencies()
    partners = await store.partners()
    countries = {partner.id: partner.country for partner in partners}
    rows = witness_rows(
        await store.witness_keys(),
        await store.latest_cosignatures(),
        countries,
        reports,
        now=web_.clock.now(),
        stale_after=web_.witness_stale_after,
    )
    hours = int(web_.witness_stale_after.total_seconds() // 3600)
    return await render_page(
        request,
        "audit_transparency.html",
        {
            "latest": latest,
            "root": None if latest is None else b64(latest.root),
            "published": viewer.moment(latest.published_at if latest else None),
            "head": head,
            "behind": (head.seq - latest.size) if head and latest else None,
            "countries": [
                (code, labels.country_name(code, viewer.language), size)
                for code, size in witnessed_by_country(rows).items()
            ],
            "rows": [_witness_view(row, viewer, hours) for row in rows],
            "reports": [_report_view(report, countries, viewer) for report in reports],
            "names": PartnerNames(partners),
        },
    )


def _witness_view(row: WitnessRow, viewer: Viewer, hours: int) -> dict[str, object]:
    return {
        "row": row,
        "standing": translate(STANDING_LABELS[row.standing], viewer.language, hours=hours),
        "received": viewer.moment(row.latest.received_at if row.latest else None),
        "cosigned_at": cosigned_at(row.latest.cosigned_at) if row.latest else "",
    }


def _report_view(
    report: InconsistencyReport, countries: Mapping[str, str], viewer: Viewer
) -> dict[str, object]:
    return {
        "report": report,
        "country": countries.get(report.partner_id, ""),
        "label": translate(REPORT_LABELS.get(report.kind, report.kind), viewer.language),
        "at": viewer.moment(report.reported_at),
    }


@routes.get(PATH + "/checkpoint")
@require_permission(Permission.AUDIT_READ)
async def checkpoint(request: web.Request, viewer: Viewer) -> web.Response:
    """The latest checkpoint with its cosignatures, as the partners get it: a signed note."""
    store = context(request).store
    latest = await store.latest_checkpoint()
    if latest is None:
        raise NotFound()
    note = Published(latest, tuple(await store.cosignatures(latest.size))).note()
    return _note(note, f"euregate-checkpoint-{latest.size}.txt")


@routes.get(PATH + "/reports/{report_id}/{which:previous|submitted}")
@require_permission(Permission.AUDIT_READ)
async def evidence(request: web.Request, viewer: Viewer) -> web.Response:
    """One of the two checkpoints a witness kept as evidence with its report."""
    which = request.match_info["which"]
    report = await context(request).store.inconsistency(request.match_info["report_id"])
    note = None if report is None else getattr(report, which)
    if report is None or note is None:
        raise NotFound()
    return _note(note, f"euregate-report-{report.id}-{which}.txt")


def _note(note: bytes, file_name: str) -> web.Response:
    return web.Response(
        body=note,
        content_type=NOTE_TYPE,
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )
