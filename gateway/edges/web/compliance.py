"""The compliance staff's pages: audit search and export, the story of one exchange, the
chain's state and its verification, data-subject lookup, and charts.

Every handler names its permission (:func:`~gateway.edges.web.frame.require_permission`), so a
liaison officer or an administrator is refused each of them, by the menu or by URL. Searches
are GET (a link can be kept); what is looked up about a person is POSTed and never appears in
a URL or a log. An export and a lookup are audit events; a verification is kept with who
asked for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Final
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from gateway.contract.partners import COUNTRIES
from gateway.edges.http import query_int
from gateway.edges.web import charts, present
from gateway.edges.web.exchange_story import EXCHANGE_EVENTS, story
from gateway.edges.web.export import FORMATS, make_export
from gateway.edges.web.frame import (
    NavEntry,
    Section,
    Viewer,
    context,
    render_page,
    require_permission,
)
from gateway.edges.web.holds import retention_facts
from gateway.edges.web.partner_names import PartnerNames
from gateway.edges.web.restrictions import earliest_due, restrict_form
from gateway.edges.web.subject_report import make_report_export, report_text, subject_report
from gateway.edges.web.withdrawals import withdrawal_facts
from gateway.flow.lookup import Found, SubjectLookup
from gateway.infra.audit import events, refs, timestamp
from gateway.infra.errors import LookupInvalid, NotFound, QueryInvalid
from gateway.infra.i18n import N_, translate
from gateway.infra.logs import get_logger
from gateway.render import labels
from gateway.staff import Permission
from gateway.store import ExchangeQuery, RequestState
from gateway.transparency.exported import cut_at_checkpoint

routes = web.RouteTableDef()
SEARCH_PATH: Final = "/audit"
CHAIN_PATH: Final = "/chain"
LOOKUP_PATH: Final = "/lookup"
CHARTS_PATH: Final = "/charts"
EXPORT_PATH: Final = "/export"
PAGE_SIZE: Final = 25
MAX_PAGE: Final = 10**9
"""Beyond any audit log's length; a page number past it is not turned into an offset the
database cannot hold."""
CHART_DAYS: Final = 30
CHART_MONTHS: Final = 12
"""The span of the chart of erasures, which come once a day at most and per month."""
log = get_logger("euregate.web")

SECTION: Final = Section(
    name="compliance",
    routes=routes,
    navigation=(
        NavEntry(SEARCH_PATH, N_("Audit search"), Permission.AUDIT_READ),
        NavEntry(CHAIN_PATH, N_("Audit chain"), Permission.AUDIT_VERIFY),
        NavEntry(LOOKUP_PATH, N_("Data-subject lookup"), Permission.SUBJECT_LOOKUP),
        NavEntry(CHARTS_PATH, N_("Charts"), Permission.AUDIT_READ),
    ),
)

BAD_DATE: Final = N_("Write the date as YYYY-MM-DD; this filter was left out.")
BAD_CHOICE: Final = N_("This value is not one of the choices; this filter was left out.")
BAD_PAGE: Final = N_("There is no such page of results; here is the first.")
LOOKUP_FIELDS: Final = ("identifier", "family_name", "date_of_birth")
"""What a lookup form asks; what was typed comes back on a form that was refused."""
MORE_THAN: Final = N_("more than {count}")
"""A search's total when it found more exchanges than the store counts."""


# --- search --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    query: ExchangeQuery
    form: dict[str, str]
    problems: dict[str, str]
    page: int


def parse_search(params: Mapping[str, str], zone: ZoneInfo, language: str) -> Search:
    """The search a form asked for; a value that cannot be used is left out, with a reason
    (a page number that is not one of 1 to :data:`MAX_PAGE`: the first page)."""
    form = {name: params.get(name, "").strip() for name in _SEARCH_FIELDS}
    problems: dict[str, str] = {}
    choices = {
        "from": COUNTRIES,
        "to": COUNTRIES,
        "outcome": labels.codes("verdict"),
        "kind": tuple(EXCHANGE_EVENTS),
    }

    def chosen(name: str) -> str | None:
        value = form[name]
        if not value:
            return None
        if name in choices and value not in choices[name]:
            problems[name] = translate(BAD_CHOICE, language)
            return None
        return value

    def day(name: str, *, after: bool) -> datetime | None:
        value = form[name]
        if not value:
            return None
        try:
            start = datetime.combine(datetime.strptime(value, "%Y-%m-%d").date(), time(), zone)
        except ValueError:
            problems[name] = translate(BAD_DATE, language)
            return None
        return (start + timedelta(days=1) if after else start).astimezone(UTC)

    page = 1
    if params.get("page"):
        try:
            page = query_int(params, "page", default=1, low=1, high=MAX_PAGE)
        except QueryInvalid:
            problems["page"] = translate(BAD_PAGE, language)
    query = ExchangeQuery(
        partner=chosen("partner"),
        from_country=chosen("from"),
        to_country=chosen("to"),
        since=day("since", after=False),
        until=day("until", after=True),
        category=chosen("category"),
        rule=chosen("rule"),
        outcome=chosen("outcome"),
        event_kind=chosen("kind"),
    )
    return Search(query, form, problems, page)


_SEARCH_FIELDS: Final = (
    "partner",
    "from",
    "to",
    "since",
    "until",
    "category",
    "rule",
    "outcome",
    "kind",
)


def _plain(params: Mapping[str, object]) -> dict[str, str]:
    return {k: v for k, v in params.items() if isinstance(v, str)}


@routes.get(SEARCH_PATH)
@require_permission(Permission.AUDIT_READ)
async def search(request: web.Request, viewer: Viewer) -> web.Response:
    web_ = context(request)
    asked = parse_search(_plain(request.query), viewer.time_zone, viewer.language)
    offset = (asked.page - 1) * PAGE_SIZE
    found = await web_.store.search_exchanges(asked.query, offset=offset, limit=PAGE_SIZE)
    values = await web_.store.search_values()
    language = viewer.language
    kept = {k: v for k, v in asked.form.items() if v and k not in asked.problems}

    def page_link(page: int) -> str:
        return f"{SEARCH_PATH}?{urlencode({**kept, 'page': page})}"

    last_page = max(1, -(-found.total // PAGE_SIZE))
    if found.more and len(found.exchanges) == PAGE_SIZE:
        last_page = max(last_page, asked.page + 1)
    total = translate(MORE_THAN, language, count=found.total) if found.more else found.total
    rows = [
        {
            "exchange": e,
            "received_at": timestamp(e.received_at),
            "received": viewer.moment(e.received_at),
            "category": present.label("category", e.category, language),
            "verdict": labels.label("verdict", e.verdict, language),
        }
        for e in found.exchanges
    ]
    return await render_page(
        request,
        "audit_search.html",
        {
            "form": asked.form,
            "problems": asked.problems,
            "rows": rows,
            "total": total,
            "first_row": offset + 1,
            "last_row": offset + len(found.exchanges),
            "page": asked.page,
            "last_page": last_page,
            "previous_link": page_link(asked.page - 1) if asked.page > 1 else None,
            "next_link": page_link(asked.page + 1) if asked.page < last_page else None,
            "kept": kept,
            "partners": values.partners,
            "names": PartnerNames(await web_.store.partners()),
            "countries": [(c, labels.country_name(c, language)) for c in COUNTRIES],
            "categories": [(c, present.label("category", c, language)) for c in values.categories],
            "rules": values.rules,
            "outcomes": [
                (v, labels.label("verdict", v, language)) for v in labels.codes("verdict")
            ],
            "kinds": [(k, translate(text, language)) for k, text in EXCHANGE_EVENTS.items()],
            "formats": FORMATS,
            "may_export": viewer.may(Permission.AUDIT_EXPORT),
        },
    )


# --- one exchange --------------------------------------------------------------------------


@routes.get(SEARCH_PATH + "/exchanges/{signal_id}")
@require_permission(Permission.AUDIT_READ)
async def exchange(request: web.Request, viewer: Viewer) -> web.Response:
    store = context(request).store
    signal_id = request.match_info["signal_id"]
    stored = await store.signal(signal_id)
    if stored is None:
        raise NotFound()
    language = viewer.language
    names = PartnerNames(await store.partners())
    exchanges = await store.exchanges_of_signal(signal_id)
    decided = {d.recipient_id: d for d in await store.decisions(signal_id)}
    recipients = [
        {
            "exchange": e,
            "country": labels.country_name(e.recipient_country, language),
            "verdict": labels.label("verdict", e.verdict, language),
            "rules": present.fired_rules(decided[e.recipient_id], language)
            if e.recipient_id in decided
            else [],
        }
        for e in exchanges
    ]
    first = exchanges[0] if exchanges else None
    return await render_page(
        request,
        "audit_exchange.html",
        {
            "signal": stored,
            "names": names,
            "received_at": timestamp(stored.received_at),
            "received": viewer.moment(stored.received_at),
            "category": present.label("category", first.category, language) if first else "",
            "urgency": present.label("urgency", first.urgency, language) if first else "",
            "recipients": recipients,
            "story": story(await store.signal_events(signal_id), viewer, names),
            "retention": await retention_facts(request, viewer, signal_id),
            "withdrawal": await withdrawal_facts(request, viewer, signal_id),
            "restricted": await store.signal_restricted(signal_id),
        },
    )


# --- export --------------------------------------------------------------------------------


@routes.post(EXPORT_PATH)
@require_permission(Permission.AUDIT_EXPORT)
async def export(request: web.Request, viewer: Viewer) -> web.Response:
    web_ = context(request)
    form = _plain(await request.post())
    asked = parse_search(form, viewer.time_zone, viewer.language)
    chosen = form.get("format", "csv")
    if chosen not in FORMATS:
        raise NotFound()
    found = await web_.store.export_exchanges(asked.query)
    cut = await cut_at_checkpoint(web_.store, found)
    exchanges = cut.exchanges if cut is not None else found
    made = make_export(
        exchanges,
        format="json" if chosen == "json" else "csv",
        query=asked.query,
        exported_at=timestamp(web_.clock.now()),
        exported_by=str(viewer.actor),
        signer=context(request).signer,
        cut=cut,
    )
    await web_.store.record(
        events.AuditExported(
            by=viewer.actor,
            about=refs.export(made.file_name),
            format=chosen,
            rows=len(exchanges),
            query=asked.query.as_json(),
            sha256=str(made.manifest["sha256"]),
            key_id=str(made.manifest["key_id"]),
        )
    )
    return web.Response(
        body=made.zip(),
        content_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{made.file_name}.zip"'},
    )


# --- the chain -----------------------------------------------------------------------------


@routes.get(CHAIN_PATH)
@require_permission(Permission.AUDIT_VERIFY)
async def chain(request: web.Request, viewer: Viewer) -> web.Response:
    web_ = context(request)
    head = await web_.store.chain_head()
    last = await web_.store.last_verification()
    running = await web_.verifications.running()
    return await render_page(
        request,
        "audit_chain.html",
        {
            "head": head,
            "head_at": viewer.moment(head.at if head else None),
            "last": last,
            "last_at": viewer.moment(last.at if last else None),
            "behind": (head.seq - last.last_seq) if head and last else None,
            "running": running,
        },
    )


@routes.post(CHAIN_PATH + "/verify")
@require_permission(Permission.AUDIT_VERIFY)
async def start_verify(request: web.Request, viewer: Viewer) -> web.Response:
    job = await context(request).verifications.start(str(viewer.actor))
    raise web.HTTPSeeOther(f"{CHAIN_PATH}/verify/{job.id}")


@routes.get(CHAIN_PATH + "/verify/{job_id}")
@require_permission(Permission.AUDIT_VERIFY)
async def verify_progress(request: web.Request, viewer: Viewer) -> web.Response:
    job = await context(request).verifications.job(request.match_info["job_id"])
    if job is None:
        raise NotFound()
    total = max(job.total, job.checked, 1)
    return await render_page(
        request,
        "audit_verify.html",
        {
            "job": job,
            "total": total,
            "checked": min(job.checked, total),
            "percent": min(100, job.checked * 100 // total),
            "result_at": viewer.moment(job.result.at if job.result else None),
        },
    )


# --- data-subject lookup -------------------------------------------------------------------


@routes.get(LOOKUP_PATH)
@require_permission(Permission.SUBJECT_LOOKUP)
async def lookup_form(request: web.Request, viewer: Viewer) -> web.Response:
    return await render_page(
        request, "audit_lookup.html", {"found": None, "problem": None, "typed": {}}
    )


async def _looked_up(request: web.Request, viewer: Viewer, form: Mapping[str, str]) -> list[Found]:
    """The lookup a form asks for (audited), or :class:`LookupInvalid`."""
    web_ = context(request)
    finder = SubjectLookup(store=web_.store, master_key=web_.master_key)
    if form.get("by") == "number":
        return await finder.lookup(viewer.account, identifier=form.get("identifier", ""))
    return await finder.lookup(
        viewer.account,
        family_name=form.get("family_name", ""),
        date_of_birth=form.get("date_of_birth", ""),
    )


@routes.post(LOOKUP_PATH)
@require_permission(Permission.SUBJECT_LOOKUP)
async def lookup(request: web.Request, viewer: Viewer) -> web.Response:
    web_ = context(request)
    form = _plain(await request.post())
    by_number = form.get("by") == "number"
    typed = {name: form.get(name, "") for name in LOOKUP_FIELDS}
    try:
        found = await _looked_up(request, viewer, form)
    except LookupInvalid as error:
        return await render_page(
            request,
            "audit_lookup.html",
            {
                "found": None,
                "by": "number" if by_number else "name",
                "problem": translate(error.detail_message, viewer.language),
                "typed": typed,
            },
            status=422,
        )
    names = PartnerNames(await web_.store.partners())
    rows = [
        {
            "found": f,
            "sender": names[f.sender_id],
            "received": viewer.moment(f.received_at),
            "category": present.label("category", f.category, viewer.language),
        }
        for f in found
    ]
    return await render_page(
        request,
        "audit_lookup.html",
        {
            "found": rows,
            "problem": None,
            "typed": {},
            "asked": {"by": "number" if by_number else "name", **typed},
            "report": await subject_report(web_.store, found, viewer),
            "restrict": restrict_form(viewer, earliest_due(request, viewer)),
        },
    )


@routes.post(LOOKUP_PATH + "/report")
@require_permission(Permission.SUBJECT_LOOKUP)
async def lookup_report(request: web.Request, viewer: Viewer) -> web.Response:
    """The lookup's report as a text file with its signed manifest, audited as an export."""
    web_ = context(request)
    form = _plain(await request.post())
    kind = "number" if form.get("by") == "number" else "name"
    found = await _looked_up(request, viewer, form)
    made_at = timestamp(web_.clock.now())
    text = report_text(
        await subject_report(web_.store, found, viewer),
        language=viewer.language,
        made=viewer.moment(web_.clock.now()),
        officer=str(viewer.actor),
        kind=kind,
    )
    made = make_report_export(
        text,
        signals=len(found),
        kind=kind,
        exported_at=made_at,
        exported_by=str(viewer.actor),
        signer=web_.signer,
    )
    await web_.store.record(
        events.AuditExported(
            by=viewer.actor,
            about=refs.export(made.file_name),
            format="txt",
            rows=len(found),
            query={"data_subject_lookup": kind},
            sha256=str(made.manifest["sha256"]),
            key_id=str(made.manifest["key_id"]),
        )
    )
    return web.Response(
        body=made.zip(),
        content_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{made.file_name}.zip"'},
    )


# --- charts --------------------------------------------------------------------------------


@routes.get(CHARTS_PATH)
@require_permission(Permission.AUDIT_READ)
async def chart_page(request: web.Request, viewer: Viewer) -> web.Response:
    web_ = context(request)
    store, now, language = web_.store, web_.clock.now(), viewer.language
    span = charts.days(now, CHART_DAYS, viewer.time_zone)
    since = datetime.combine(span[0], time(), viewer.time_zone)
    until = datetime.combine(span[-1] + timedelta(days=1), time(), viewer.time_zone)
    per_day = charts.exchanges_per_day(
        await store.exchanges_by_hour(since=since, until=until), span, viewer.time_zone, language
    )
    by_rule = charts.decisions_by_rule(
        await store.decisions_by_rule(since=since, until=until), language
    )
    reviews, median = charts.review_times(
        await store.review_spans(since=since, until=until), language
    )
    requests = charts.requests_by_sender(
        await store.requests(RequestState.OPEN, now=now),
        await store.requests(RequestState.OVERDUE, now=now),
        language,
        {partner.id: partner.name for partner in await store.partners()},
    )
    span_months = charts.months(now, CHART_MONTHS)
    erased = charts.erased_per_month(
        await store.erased_by_month(
            since=datetime.combine(span_months[0], time(), UTC),
            until=datetime.combine(charts.month_after(span_months[-1]), time(), UTC),
        ),
        span_months,
        language,
    )
    drawn = (per_day, by_rule, reviews, requests, erased)
    return await render_page(
        request,
        "audit_charts.html",
        {
            "charts": [(c, None if c.empty else charts.svg(c)) for c in drawn],
            "median": median,
            "days": CHART_DAYS,
        },
    )


@routes.get(CHARTS_PATH + "/charts.css")
@require_permission(Permission.AUDIT_READ)
async def chart_styles(request: web.Request, viewer: Viewer) -> web.Response:
    return web.Response(text=charts.stylesheet(), content_type="text/css")
