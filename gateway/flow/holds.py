"""Legal holds: compliance staff keep a signal past its retention terms (a court case, an
inquiry) until they lift the hold. Each hold has a reason, kept with it and never in the audit
log, and a day to review it on; placing and lifting are audited."""

from __future__ import annotations

from datetime import date
from typing import Final

from gateway.infra.audit import events, timestamp
from gateway.infra.audit.refs import Ref
from gateway.infra.clock import Clock
from gateway.infra.errors import HoldInvalid, HoldRefused, NotHeld
from gateway.infra.i18n import N_
from gateway.store import Store
from gateway.store.interface.retention import LegalHold

REASON_LIMIT: Final = 500
NO_REASON: Final = N_("give the hold a reason of 1 to {limit} characters")
REVIEW_PAST: Final = N_("the review date must be after today ({today})")
NO_DAY: Final = N_("give the review date as a day, YYYY-MM-DD")


MAX_LISTED_HOLDS: Final = 1000
"""Most holds one list shows, the earliest review first (the staff API says when there are
more)."""


async def place_hold(
    store: Store, clock: Clock, *, signal_id: str, reason: str, review_on: date, by: Ref
) -> LegalHold:
    """Hold ``signal_id`` until lifted, to be reviewed on ``review_on``."""
    reason = reason.strip()
    if not 0 < len(reason) <= REASON_LIMIT:
        raise HoldInvalid(reason=NO_REASON, pointer="/reason", limit=REASON_LIMIT)
    now = clock.now()
    if review_on <= now.date():
        raise HoldInvalid(reason=REVIEW_PAST, pointer="/review_on", today=now.date().isoformat())
    hold = LegalHold(signal_id, reason, review_on, str(by), now)
    event = events.SignalHeld(by=by, signal_id=signal_id, review_on=review_on.isoformat())
    if not await store.place_hold(hold, event):
        raise HoldRefused(id=signal_id)
    return hold


async def lift_hold(store: Store, *, signal_id: str, by: Ref) -> None:
    """Let ``signal_id``'s retention terms apply again."""
    if not await store.lift_hold(signal_id, events.SignalHoldLifted(by=by, signal_id=signal_id)):
        raise NotHeld(id=signal_id)


def review_day(text: str) -> date:
    """The review date a person typed or posted (``YYYY-MM-DD``)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise HoldInvalid(reason=NO_DAY, pointer="/review_on") from None


def review_due(hold: LegalHold, today: date) -> bool:
    """Whether the day to look at ``hold`` again has come (a hold never ends by itself)."""
    return hold.review_on <= today


def hold_json(hold: LegalHold, today: date) -> dict[str, object]:
    return {
        "signal_id": hold.signal_id,
        "reason": hold.reason,
        "review_on": hold.review_on.isoformat(),
        "review_due": review_due(hold, today),
        "placed_by": hold.placed_by,
        "placed_at": timestamp(hold.placed_at),
    }
