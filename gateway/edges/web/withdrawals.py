"""Withdrawals on the compliance pages: the list of withdrawals and replacements (the notices
overdue first), an exchange's withdrawal with each recipient's notice and how far it got, and
the count of overdue notices on the start page.

Overdue is one rule (:func:`gateway.flow.withdrawal.overdue_notices`, as the staff API's
``GET /v1/withdrawals/overdue`` answers it; :func:`~gateway.flow.withdrawal.notice_overdue`
for one notice already read).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Final

from aiohttp import web

from gateway.edges.http import query_int
from gateway.edges.web.frame import (
    NavEntry,
    Section,
    Viewer,
    context,
    render_page,
    require_permission,
)
from gateway.edges.web.holds import exchange_link
from gateway.edges.web.partner_names import PartnerNames
from gateway.flow.withdrawal import (
    MAX_LISTED_NOTICES,
    OVERDUE_AFTER,
    overdue_notices,
    reason_label,
)
from gateway.flow.withdrawal_state import (
    CopyOutcome,
    NoticeState,
    NoticeStep,
    RecipientTold,
    recipients_told,
)
from gateway.infra.audit import timestamp
from gateway.infra.i18n import N_, translate
from gateway.staff import Permission
from gateway.store.interface.withdrawal import ListedWithdrawal, UnacknowledgedNotice

routes = web.RouteTableDef()
WITHDRAWALS_PATH: Final = "/withdrawals"
PAGE_SIZE: Final = 25
MAX_PAGE: Final = 10**6
"""Beyond any number of withdrawals; a page number past it is refused, not turned into an
offset the database cannot hold."""

SECTION: Final = Section(
    name="withdrawals",
    routes=routes,
    navigation=(NavEntry(WITHDRAWALS_PATH, N_("Withdrawals"), Permission.AUDIT_READ),),
)

OUTCOME_LABELS: Final = {
    CopyOutcome.RECEIVED: N_("had received the signal: sent a notice"),
    CopyOutcome.FROM_DESK: N_("withdrawn from the liaison desk before review"),
    CopyOutcome.CANCELLED: N_("cancelled before it was sealed"),
    CopyOutcome.REJECTED: N_("rejected after review: nothing was sent"),
    CopyOutcome.DENIED: N_("denied by the sharing rules"),
    CopyOutcome.NOT_SENT: N_("nothing had been sent"),
}
STEP_LABELS: Final = {
    NoticeStep.QUEUED: N_("queued"),
    NoticeStep.SEALED: N_("sealed"),
    NoticeStep.FETCHED: N_("fetched"),
    NoticeStep.PUSHED: N_("pushed"),
    NoticeStep.ACKNOWLEDGED: N_("acknowledged"),
}
STATE_LABELS: Final = {
    NoticeState.ACKNOWLEDGED: N_("acknowledged"),
    NoticeState.WAITING: N_("not yet acknowledged"),
    NoticeState.OVERDUE: N_("overdue: not acknowledged within {days} days"),
}


def _state_label(state: NoticeState, language: str) -> str:
    return translate(STATE_LABELS[state], language, days=OVERDUE_AFTER.days)


def _recipient(told: RecipientTold, viewer: Viewer) -> dict[str, Any]:
    language = viewer.language
    return {
        "id": told.recipient_id,
        "outcome": told.outcome,
        "outcome_label": translate(OUTCOME_LABELS[told.outcome], language),
        "state": told.state,
        "state_label": _state_label(told.state, language) if told.state else "",
        "steps": [
            {
                "step": step,
                "label": translate(STEP_LABELS[step], language),
                "at": viewer.moment(at),
                "at_iso": timestamp(at),
            }
            for step, at in told.steps
        ],
    }


async def withdrawal_facts(
    request: web.Request, viewer: Viewer, signal_id: str
) -> dict[str, Any] | None:
    """What the exchange page shows of ``signal_id``'s withdrawal; None if it was not."""
    web_ = context(request)
    withdrawn = await web_.store.withdrawal(signal_id)
    if withdrawn is None:
        return None
    tracks = await web_.store.signal_tracks([signal_id])
    told = recipients_told(tracks[0], web_.clock.now()) if tracks else []
    return {
        "withdrawal": withdrawn,
        "at": viewer.moment(withdrawn.withdrawn_at),
        "at_iso": timestamp(withdrawn.withdrawn_at),
        "reason": reason_label(withdrawn.reason, viewer.language),
        "replaced_link": exchange_link(withdrawn.replaced_by) if withdrawn.replaced_by else None,
        "recipients": [_recipient(t, viewer) for t in told],
    }


async def _overdue(request: web.Request) -> list[UnacknowledgedNotice]:
    """The overdue notices, one more than are listed (so that a page can say there are more)."""
    web_ = context(request)
    return await overdue_notices(web_.store, web_.clock.now(), limit=MAX_LISTED_NOTICES + 1)


async def overdue_count(request: web.Request, viewer: Viewer) -> dict[str, Any] | None:
    """How many withdrawal notices are overdue, for the start page of a person who may read
    them; None when there are none."""
    if not viewer.may(Permission.AUDIT_READ):
        return None
    overdue = await _overdue(request)
    if not overdue:
        return None
    more = len(overdue) > MAX_LISTED_NOTICES
    return {"count": min(len(overdue), MAX_LISTED_NOTICES), "more": more, "link": WITHDRAWALS_PATH}


def _overdue_row(notice: UnacknowledgedNotice, viewer: Viewer) -> dict[str, Any]:
    return {
        "notice": notice,
        "link": exchange_link(notice.signal_id),
        "reason": reason_label(notice.reason, viewer.language),
        "sealed": viewer.moment(notice.sealed_at),
        "sealed_iso": timestamp(notice.sealed_at),
    }


def _withdrawal_row(entry: ListedWithdrawal, overdue: int, viewer: Viewer) -> dict[str, Any]:
    withdrawn = entry.withdrawal
    return {
        "withdrawal": withdrawn,
        "acknowledged": entry.acknowledged,
        "overdue": overdue,
        "link": exchange_link(withdrawn.signal_id),
        "reason": reason_label(withdrawn.reason, viewer.language),
        "at": viewer.moment(withdrawn.withdrawn_at),
        "at_iso": timestamp(withdrawn.withdrawn_at),
    }


def _page_link(number: int) -> str:
    return f"{WITHDRAWALS_PATH}?page={number}"


@routes.get(WITHDRAWALS_PATH)
@require_permission(Permission.AUDIT_READ)
async def withdrawals_page(request: web.Request, viewer: Viewer) -> web.Response:
    """The overdue notices (on the first page), then a page of withdrawals, newest first, each
    flagged with how many of its notices are overdue."""
    store = context(request).store
    page = query_int(request.query, "page", default=1, low=1, high=MAX_PAGE)
    overdue = await _overdue(request)
    listed = await store.withdrawals(offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE + 1)
    overdue_per_signal = Counter(n.signal_id for n in overdue[:MAX_LISTED_NOTICES])
    return await render_page(
        request,
        "audit_withdrawals.html",
        {
            "overdue": [_overdue_row(n, viewer) for n in overdue[:MAX_LISTED_NOTICES]]
            if page == 1
            else [],
            "overdue_more": len(overdue) > MAX_LISTED_NOTICES,
            "overdue_days": OVERDUE_AFTER.days,
            "rows": [
                _withdrawal_row(entry, overdue_per_signal[entry.withdrawal.signal_id], viewer)
                for entry in listed[:PAGE_SIZE]
            ],
            "page": page,
            "previous_link": _page_link(page - 1) if page > 1 else None,
            "next_link": _page_link(page + 1) if len(listed) > PAGE_SIZE else None,
            "names": PartnerNames(await store.partners()),
        },
    )
