"""Legal holds: compliance staff keep a signal past its retention terms (a court case, an
inquiry) until they lift the hold. Each hold has a reason, kept with it and never in the audit
log, and a day to review it on; placing and lifting are audited."""

from __future__ import annotations

from datetime import date
from typing import Final

from gateway.infra.audit import events
from gateway.infra.audit.refs import Ref
from gateway.infra.clock import Clock
from gateway.infra.errors import RegistryError
from gateway.infra.i18n import N_
from gateway.store import Store
from gateway.store.interface.retention import LegalHold

REASON_LIMIT: Final = 500
HOLD_REFUSED: Final = N_(
    "signal {id} cannot be put on hold: there is no such signal, its content was erased, or "
    "it is on hold already"
)
NOT_HELD: Final = N_("signal {id} is not on hold")
NO_REASON: Final = N_("give the hold a reason of 1 to {limit} characters")
REVIEW_PAST: Final = N_("the review date must be after today ({today})")


async def place_hold(
    store: Store, clock: Clock, *, signal_id: str, reason: str, review_on: date, by: Ref
) -> LegalHold:
    """Hold ``signal_id`` until lifted, to be reviewed on ``review_on``."""
    reason = reason.strip()
    if not 0 < len(reason) <= REASON_LIMIT:
        raise RegistryError(NO_REASON, limit=REASON_LIMIT)
    now = clock.now()
    if review_on <= now.date():
        raise RegistryError(REVIEW_PAST, today=now.date().isoformat())
    hold = LegalHold(signal_id, reason, review_on, str(by), now)
    event = events.SignalHeld(by=by, signal_id=signal_id, review_on=review_on.isoformat())
    if not await store.place_hold(hold, event):
        raise RegistryError(HOLD_REFUSED, id=signal_id)
    return hold


async def lift_hold(store: Store, *, signal_id: str, by: Ref) -> None:
    """Let ``signal_id``'s retention terms apply again."""
    if not await store.lift_hold(signal_id, events.SignalHoldLifted(by=by, signal_id=signal_id)):
        raise RegistryError(NOT_HELD, id=signal_id)
