"""The liaison officer's pages: the desk's review queue, and one waiting message to correct,
release or reject.

Everything goes through :class:`~gateway.flow.desk.ReviewDesk`, which checks the officer's role
and desk again for each item; a copy outside the desk is not found. A form that cannot be
accepted comes back with the officer's text in it and the problem beside the field.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

from gateway.decide.decision import LABELS as DECISION_LABELS
from gateway.decide.review import REJECTION_LABELS, RejectionCategory
from gateway.edges.web import present
from gateway.edges.web.frame import (
    NavEntry,
    Section,
    Viewer,
    context,
    flash,
    render_page,
    require_permission,
)
from gateway.infra.errors import CorrectionInvalid, NotFound
from gateway.infra.i18n import N_, translate
from gateway.minimise import FREE_TEXT_POINTERS
from gateway.staff import Permission
from gateway.store import ReviewItem

routes = web.RouteTableDef()
QUEUE_PATH: Final = "/review"
TEXT_PREFIX: Final = "text:"
SHOWN_PREFIX: Final = "shown:"

SECTION: Final = Section(
    name="liaison",
    routes=routes,
    navigation=(NavEntry(QUEUE_PATH, N_("Review queue"), Permission.REVIEW_READ),),
)


@routes.get(QUEUE_PATH)
@require_permission(Permission.REVIEW_READ)
async def queue(request: web.Request, viewer: Viewer) -> web.Response:
    web_ = context(request)
    items = await web_.desk.queue(viewer.account)
    waiting = present.pressing_first([await _waiting(request, item) for item in items])
    now = web_.clock.now()
    rows = [present.queue_row(w, now, viewer.language, viewer.time_zone) for w in waiting]
    return await render_page(request, "queue.html", {"rows": rows})


async def _waiting(request: web.Request, item: ReviewItem) -> present.Waiting:
    """The sender and the request deadline of a waiting copy, from what the store keeps of the
    signal (codes, not content; the officer opens the message itself on its page)."""
    web_ = context(request)
    stored = await web_.store.signal(item.signal_id)
    if stored is None:
        raise NotFound()
    return present.Waiting(
        item=item,
        sender=stored.sender_id,
        received_at=stored.received_at,
        deadline_code=await web_.store.request_kind(item.signal_id),
    )


@routes.get(QUEUE_PATH + "/{item_id}")
@require_permission(Permission.REVIEW_READ)
async def message(request: web.Request, viewer: Viewer) -> web.Response:
    return await _message_page(request, viewer)


async def _message_page(
    request: web.Request,
    viewer: Viewer,
    *,
    texts: dict[str, str] | None = None,
    reason: str = "",
    category: str = "",
    problem: tuple[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    """The message page; after a refused form, with what the officer typed and chose and the
    problem (field pointer, ``/reason`` or ``/category``, and its text) beside the field."""
    web_ = context(request)
    case = await web_.desk.open(viewer.account, request.match_info["item_id"])
    language = viewer.language
    fields = present.text_fields(case, language)
    waiting = await _waiting(request, case.item)
    row = present.queue_row(waiting, web_.clock.now(), language, viewer.time_zone)
    source, target = case.source_language, case.target_language
    values = {
        "case": case,
        "row": row,
        "fields": fields,
        "texts": texts or {f.pointer: f.shown for f in fields},
        "reason": reason,
        "category": category,
        "categories": [
            (str(code), translate(label, language)) for code, label in REJECTION_LABELS.items()
        ],
        "problem": problem,
        "treatments": present.treatments(case, language),
        "rules": present.fired_rules(case.decision, language),
        "verdict": translate(DECISION_LABELS[case.decision.verdict], language),
        "source_name": present.label("language", source, language),
        "target_name": present.label("language", target, language),
        "rendered": case.rendered,
        "rendered_value": lambda field: present.rendered_value(field, source, target),
        "provenance_text": lambda p: present.provenance_text(p, language),
        "free_text": FREE_TEXT_POINTERS,
        "text_prefix": TEXT_PREFIX,
        "shown_prefix": SHOWN_PREFIX,
    }
    return await render_page(request, "message.html", values, status=status)


@routes.post(QUEUE_PATH + "/{item_id}/release")
@require_permission(Permission.REVIEW_RELEASE)
async def release(request: web.Request, viewer: Viewer) -> web.Response:
    form = await request.post()
    texts: dict[str, str] = {}
    corrections: dict[str, str] = {}
    for name, value in form.items():
        if not isinstance(value, str) or not name.startswith(TEXT_PREFIX):
            continue
        pointer = name.removeprefix(TEXT_PREFIX)
        texts[pointer] = value
        shown = form.get(SHOWN_PREFIX + pointer)
        if _plain(value) != _plain(shown if isinstance(shown, str) else ""):
            corrections[pointer] = _plain(value)
    try:
        item = await context(request).desk.release(
            viewer.account, request.match_info["item_id"], corrections
        )
    except CorrectionInvalid as error:
        problem = (str(error.params["pointer"]), _problem_text(error, viewer.language))
        return await _message_page(request, viewer, texts=texts, problem=problem, status=422)
    await flash(
        request,
        translate(
            N_("Released {id} for {recipient}."),
            viewer.language,
            id=item.signal_id,
            recipient=item.recipient_id,
        ),
    )
    raise web.HTTPSeeOther(QUEUE_PATH)


@routes.post(QUEUE_PATH + "/{item_id}/reject")
@require_permission(Permission.REVIEW_REJECT)
async def reject(request: web.Request, viewer: Viewer) -> web.Response:
    form = await request.post()
    given, chosen = form.get("reason"), form.get("category")
    reason = given if isinstance(given, str) else ""
    category = chosen if isinstance(chosen, str) else ""
    if category not in set(RejectionCategory):
        problem = ("/category", translate(CATEGORY_NEEDED, viewer.language))
        return await _message_page(request, viewer, reason=reason, problem=problem, status=422)
    try:
        item = await context(request).desk.reject(
            viewer.account,
            request.match_info["item_id"],
            _plain(reason),
            RejectionCategory(category),
        )
    except CorrectionInvalid as error:
        problem = ("/reason", _problem_text(error, viewer.language))
        return await _message_page(
            request, viewer, reason=reason, category=category, problem=problem, status=422
        )
    await flash(
        request,
        translate(
            N_("Rejected {id} for {recipient}."),
            viewer.language,
            id=item.signal_id,
            recipient=item.recipient_id,
        ),
    )
    raise web.HTTPSeeOther(QUEUE_PATH)


REASON_NEEDED: Final = N_("Give a reason for the desk, of at most {limit} characters.")
CATEGORY_NEEDED: Final = N_("Choose the reason category the sender will be shown.")
TEXT_NEEDED: Final = N_("Write the text the recipient will read, of at most {limit} characters.")


def _problem_text(error: CorrectionInvalid, language: str) -> str:
    limit = error.params.get("limit")
    message = REASON_NEEDED if error.params.get("pointer") == "/reason" else TEXT_NEEDED
    return translate(message, language, limit=limit)


def _plain(text: str) -> str:
    """A posted text as the officer typed it: browsers send line breaks as CR LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()
