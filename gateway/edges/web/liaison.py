"""The liaison officer's pages: the desk's review queue, and one waiting message to correct,
release or reject.

Everything goes through :class:`~gateway.flow.desk.ReviewDesk`, which checks the officer's role
and desk again for each item; a copy outside the desk is not found. The message page puts the
correction form beside the original, with a choice for each text still in a language the
recipient does not read (translate it, send it as written, withhold it). A form that cannot be
accepted comes back with what the officer typed and chose, a summary of the problems at the top
linking to each field, and each problem beside its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
from gateway.edges.web.partner_names import PartnerNames
from gateway.flow.release_choices import FieldChoice
from gateway.infra.errors import (
    CorrectionInvalid,
    NotFound,
    ReleaseChoiceConflict,
    UntranslatedUnresolved,
)
from gateway.infra.i18n import N_, translate
from gateway.minimise import FREE_TEXT_POINTERS
from gateway.render.renderer import FIELD_LABELS
from gateway.staff import Permission
from gateway.store import ReviewItem

routes = web.RouteTableDef()
QUEUE_PATH: Final = "/review"
TEXT_PREFIX: Final = "text:"
SHOWN_PREFIX: Final = "shown:"
CHOICE_PREFIX: Final = "choice:"

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
    names = PartnerNames(await web_.store.partners())
    return await render_page(request, "queue.html", {"rows": rows, "names": names})


async def _waiting(request: web.Request, item: ReviewItem) -> present.Waiting:
    """The sender, the request deadline and the category of a waiting copy, from what the
    store keeps of the signal (codes, not content; the officer opens the message itself on its
    page)."""
    web_ = context(request)
    stored = await web_.store.signal(item.signal_id)
    if stored is None:
        raise NotFound()
    exchanges = await web_.store.exchanges_of_signal(item.signal_id)
    return present.Waiting(
        item=item,
        sender=stored.sender_id,
        received_at=stored.received_at,
        deadline_code=await web_.store.request_kind(item.signal_id),
        category=next((e.category for e in exchanges if e.recipient_id == item.recipient_id), None),
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
    choices: dict[str, str] | None = None,
    reason: str = "",
    category: str = "",
    problems: list[Problem] | None = None,
    status: int = 200,
) -> web.Response:
    """The message page; after a refused form, with what the officer typed and chose, and the
    problems (each with its field pointer, ``/reason`` or ``/category``) summarised at the top
    and beside their fields."""
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
        "choices": choices or {},
        "untranslated": {
            f.pointer: present.label("language", f.language, language) for f in case.untranslated
        },
        "choice_values": FieldChoice,
        "choice_prefix": CHOICE_PREFIX,
        "reason": reason,
        "problems": problems or [],
        "problem_at": {p.pointer: p.text for p in problems or []},
        "category": category,
        "categories": [
            (str(code), translate(label, language)) for code, label in REJECTION_LABELS.items()
        ],
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


@dataclass(frozen=True)
class Problem:
    """Why a form was refused, at one field: ``anchor`` is the id the summary links to."""

    pointer: str
    text: str
    anchor: str


@dataclass
class PostedRelease:
    """A posted release form: the texts as typed, each field's choice, and what they mean.

    An explicit choice to send a field as written or withhold it wins over its text; a text the
    officer changed is a translation (the choice ``translated`` says only that the box holds
    one)."""

    texts: dict[str, str] = field(default_factory=dict)
    choices: dict[str, str] = field(default_factory=dict)
    corrections: dict[str, str] = field(default_factory=dict)
    as_written: list[str] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)


def posted_release(form: Mapping[str, object]) -> PostedRelease:
    posted = PostedRelease()
    for name, value in form.items():
        if not isinstance(value, str) or not name.startswith(TEXT_PREFIX):
            continue
        pointer = name.removeprefix(TEXT_PREFIX)
        posted.texts[pointer] = value
        choice = form.get(CHOICE_PREFIX + pointer)
        if isinstance(choice, str) and choice in set(FieldChoice):
            posted.choices[pointer] = choice
        if choice == FieldChoice.AS_WRITTEN:
            posted.as_written.append(pointer)
        elif choice == FieldChoice.WITHHELD:
            posted.withheld.append(pointer)
        else:
            shown = form.get(SHOWN_PREFIX + pointer)
            if _plain(value) != _plain(shown if isinstance(shown, str) else ""):
                posted.corrections[pointer] = _plain(value)
    return posted


@routes.post(QUEUE_PATH + "/{item_id}/release")
@require_permission(Permission.REVIEW_RELEASE)
async def release(request: web.Request, viewer: Viewer) -> web.Response:
    posted = posted_release(await request.post())
    try:
        item = await context(request).desk.release(
            viewer.account,
            request.match_info["item_id"],
            posted.corrections,
            as_written=posted.as_written,
            withheld=posted.withheld,
        )
    except (CorrectionInvalid, ReleaseChoiceConflict, UntranslatedUnresolved) as error:
        return await _message_page(
            request,
            viewer,
            texts=posted.texts,
            choices=posted.choices,
            problems=release_problems(error, viewer.language),
            status=422,
        )
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
        problem = Problem("/category", translate(CATEGORY_NEEDED, viewer.language), "category")
        return await _message_page(request, viewer, reason=reason, problems=[problem], status=422)
    try:
        item = await context(request).desk.reject(
            viewer.account,
            request.match_info["item_id"],
            _plain(reason),
            RejectionCategory(category),
        )
    except CorrectionInvalid as error:
        problem = Problem("/reason", _problem_text(error, viewer.language), "reason")
        return await _message_page(
            request, viewer, reason=reason, category=category, problems=[problem], status=422
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


CHOICE_NEEDED: Final = N_(
    "{field} is still in {language}, which the recipient does not read: write the translation, "
    "send it as written, or withhold it."
)
ONE_CHOICE: Final = N_("Choose one for {field}: translated, as written, or withheld.")


def text_anchor(pointer: str) -> str:
    """The id of a field's text box on the message page."""
    return "text" + pointer.replace("/", "-")


def choice_anchor(pointer: str) -> str:
    """The id of a field's first choice on the message page."""
    return "choice" + pointer.replace("/", "-") + "-" + FieldChoice.TRANSLATED


def release_problems(
    error: CorrectionInvalid | ReleaseChoiceConflict | UntranslatedUnresolved, language: str
) -> list[Problem]:
    """The problems of a refused release, one per field, in the officer's ``language``."""
    if isinstance(error, UntranslatedUnresolved):
        pairs: list[tuple[str, str]] = list(error.params["untranslated"])  # type: ignore[call-overload]
        return [
            Problem(
                pointer,
                translate(
                    CHOICE_NEEDED,
                    language,
                    field=_field_label(pointer, language),
                    language=present.label("language", written_in, language),
                ),
                choice_anchor(pointer),
            )
            for pointer, written_in in pairs
        ]
    pointer = str(error.params["pointer"])
    if isinstance(error, ReleaseChoiceConflict):
        text = translate(ONE_CHOICE, language, field=_field_label(pointer, language))
        return [Problem(pointer, text, choice_anchor(pointer))]
    return [Problem(pointer, _problem_text(error, language), text_anchor(pointer))]


def _field_label(pointer: str, language: str) -> str:
    return translate(FIELD_LABELS[pointer], language) if pointer in FIELD_LABELS else pointer


def _problem_text(error: CorrectionInvalid, language: str) -> str:
    limit = error.params.get("limit")
    message = REASON_NEEDED if error.params.get("pointer") == "/reason" else TEXT_NEEDED
    return translate(message, language, limit=limit)


def _plain(text: str) -> str:
    """A posted text as the officer typed it: browsers send line breaks as CR LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()
