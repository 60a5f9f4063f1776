"""Withdrawal notices on the staff listener: compliance staff see the ones their recipients
have not acknowledged in time (LED (EU) 2016/680 art. 7(3): a recipient must be told)."""

from __future__ import annotations

from aiohttp import web

from gateway.edges.http import model_response
from gateway.edges.openapi_models import OverdueNotice, OverdueNotices
from gateway.edges.staff_app import ACCOUNT
from gateway.flow.withdrawal import MAX_LISTED_NOTICES, OVERDUE_AFTER, overdue_notices
from gateway.infra.audit import timestamp
from gateway.infra.clock import Clock
from gateway.staff import Permission, require
from gateway.store import Store

NOTICES_STORE = web.AppKey("notices_store", Store)
NOTICES_CLOCK = web.AppKey("notices_clock", Clock)


def add_notice_routes(app: web.Application, *, store: Store, clock: Clock) -> None:
    app[NOTICES_STORE] = store
    app[NOTICES_CLOCK] = clock
    app.router.add_get("/v1/withdrawals/overdue", get_overdue_notices)


async def get_overdue_notices(request: web.Request) -> web.Response:
    require(request[ACCOUNT], Permission.AUDIT_READ)
    overdue = await overdue_notices(
        request.app[NOTICES_STORE],
        request.app[NOTICES_CLOCK].now(),
        limit=MAX_LISTED_NOTICES + 1,
    )
    return model_response(
        OverdueNotices(
            overdue_after_days=OVERDUE_AFTER.days,
            more=len(overdue) > MAX_LISTED_NOTICES,
            notices=[
                OverdueNotice(
                    signal_id=n.signal_id,
                    recipient=n.recipient_id,
                    envelope=n.envelope_id,
                    reason=n.reason,
                    sealed_at=timestamp(n.sealed_at),
                )
                for n in overdue[:MAX_LISTED_NOTICES]
            ],
        )
    )
