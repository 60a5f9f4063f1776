"""Restriction of processing for a data subject (LED art. 16(3)): compliance staff stop
further delivery of every signal about a person pending a decision (accuracy contested, data
kept as evidence, unlawful processing objected to), then lift it when decided.

The person is named as a data-subject lookup names them (:func:`~gateway.flow.lookup.lookup_keys`),
and only the keys that find them for certain are kept with the restriction: a match on the
year of birth alone may be someone else, whose signals must not be held for this person.
What the restriction holds, and how it lets go, is the store's
(:mod:`gateway.store.interface.restriction`); placing and lifting are audited with the
restriction's id, reason code and how many signals it touched, never the person nor the note.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Final

import uuid6

from gateway.flow.lookup import lookup_keys
from gateway.flow.subjects import SUBJECT_SECRET
from gateway.infra.audit import events, timestamp
from gateway.infra.audit.refs import Ref
from gateway.infra.clock import Clock
from gateway.infra.errors import LookupInvalid, NotRestricted, RestrictionInvalid
from gateway.infra.i18n import N_
from gateway.infra.vault import MasterKey
from gateway.store import Store
from gateway.store.interface.restriction import (
    LiftedRestriction,
    NewRestriction,
    Restriction,
)

REASONS: Final[Mapping[str, str]] = {
    "accuracy_contested": N_("accuracy contested"),
    "kept_as_evidence": N_("kept as evidence"),
    "unlawful_processing_objected": N_("unlawful processing objected to"),
}
"""Why processing is restricted instead of the data erased (LED art. 16(3)), with labels."""
DECISIONS: Final[Mapping[str, str]] = {"lifted": N_("lifted: delivery resumes")}
"""What lifting a restriction decides."""
NOTE_LIMIT: Final = 1000
MAX_LISTED_RESTRICTIONS: Final = 1000
"""Most restrictions one list shows, the earliest due first (the staff API says when there
are more)."""

UNKNOWN_REASON: Final = N_("give a reason from the list: {reasons}")
NOTE_TOO_LONG: Final = N_("the note may hold at most {limit} characters")
DUE_PAST: Final = N_("the decision must be due after today ({today})")
NO_DUE_DAY: Final = N_("give the day the decision is due as a day, YYYY-MM-DD")
NO_PERSON: Final = N_(
    "name the person by a national or document number, or by family name and date of birth"
)
UNKNOWN_DECISION: Final = N_("give a decision from the list: {decisions}")

Released = Callable[[LiftedRestriction], None]


class Restrictions:
    """Placing and lifting restrictions; ``released`` hears what each lifting let go (the
    gateway wakes its courier and the long-polls of the recipients named)."""

    def __init__(
        self,
        *,
        store: Store,
        master_key: MasterKey,
        clock: Clock,
        released: Released = lambda _: None,
    ) -> None:
        self._store = store
        self._secret = master_key.derive(SUBJECT_SECRET)
        self._clock = clock
        self._released = released

    async def restrict(
        self,
        *,
        by: Ref,
        reason: str,
        note: str,
        due_on: date,
        identifier: str | None = None,
        family_name: str | None = None,
        date_of_birth: str | None = None,
    ) -> Restriction:
        """Hold every signal about the person named, and every later one, until lifted."""
        if reason not in REASONS:
            raise RestrictionInvalid(
                reason=UNKNOWN_REASON, pointer="/reason", reasons=", ".join(REASONS)
            )
        note = note.strip()
        if len(note) > NOTE_LIMIT:
            raise RestrictionInvalid(reason=NOTE_TOO_LONG, pointer="/note", limit=NOTE_LIMIT)
        today = self._clock.now().date()
        if due_on <= today:
            raise RestrictionInvalid(reason=DUE_PAST, pointer="/due_on", today=today.isoformat())
        try:
            certain, _ = lookup_keys(
                self._secret,
                identifier=identifier,
                family_name=family_name,
                date_of_birth=date_of_birth,
            )
        except LookupInvalid:
            raise RestrictionInvalid(reason=NO_PERSON, pointer="/identifier") from None
        placing = NewRestriction(str(uuid6.uuid7()), reason, note, due_on, str(by))
        return await self._store.place_restriction(
            placing,
            certain,
            lambda placed: events.SubjectRestricted(
                by=by,
                restriction=placed.id,
                reason=placed.reason,
                due_on=placed.due_on.isoformat(),
                signals=placed.signals,
            ),
        )

    async def lift(self, restriction_id: str, *, by: Ref, decision: str) -> LiftedRestriction:
        """Lift an active restriction: what no other restriction holds goes on by itself."""
        if decision not in DECISIONS:
            raise RestrictionInvalid(
                reason=UNKNOWN_DECISION, pointer="/decision", decisions=", ".join(DECISIONS)
            )
        lifted = await self._store.lift_restriction(
            restriction_id,
            by=str(by),
            decision=decision,
            event=lambda done: events.SubjectRestrictionLifted(
                by=by,
                restriction=done.restriction.id,
                reason=done.restriction.reason,
                decision=decision,
                signals=done.signals,
            ),
        )
        if lifted is None:
            raise NotRestricted(id=restriction_id)
        self._released(lifted)
        return lifted


def resuming(wake_courier: Callable[[], None], sealed: Callable[[str], None]) -> Released:
    """What a lifting tells this process: the courier has copies to seal, and each recipient
    named has envelopes back in its inbox (its long-polls and pushes wake)."""

    def released(lifted: LiftedRestriction) -> None:
        wake_courier()
        for recipient_id in lifted.recipients:
            sealed(recipient_id)

    return released


def due_day(text: str) -> date:
    """The day a decision is due, as a person typed or posted it (``YYYY-MM-DD``)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise RestrictionInvalid(reason=NO_DUE_DAY, pointer="/due_on") from None


def decision_due(restriction: Restriction, today: date) -> bool:
    """Whether the day to decide on ``restriction`` has come (it never ends by itself)."""
    return restriction.due_on <= today


def restriction_json(restriction: Restriction, today: date) -> dict[str, object]:
    """A restriction as the staff API shows it: its note too (compliance staff only)."""
    shown: dict[str, object] = {
        "id": restriction.id,
        "reason": restriction.reason,
        "note": restriction.note,
        "due_on": restriction.due_on.isoformat(),
        "decision_due": restriction.active and decision_due(restriction, today),
        "placed_by": restriction.placed_by,
        "placed_at": timestamp(restriction.placed_at),
        "signals": restriction.signals,
        "active": restriction.active,
    }
    if restriction.lifted_at is not None:
        shown["lifted_by"] = restriction.lifted_by
        shown["lifted_at"] = timestamp(restriction.lifted_at)
        shown["decision"] = restriction.decision
    return shown
