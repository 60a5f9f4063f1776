"""Erasing signals whose time is up under the policy's retention terms (crypto-shredding).

A signal's body is sealed under a data key of its own, and the only wrapped copy of that key
is kept in a row of its own (:mod:`gateway.infra.vault`, :mod:`gateway.store.signal_keys`):
erasing the signal deletes that row, so no one, an administrator with the master key included,
can read the signal again, nor from a backup made afterwards. Every copy derived from it goes
too: the sealed envelopes the gateway still keeps, its review items' texts, its entries in the
data-subject index, the translation memory's entries learnt from it alone, and the
eTranslation jobs its copies sent (:mod:`gateway.store.interface.retention`). Memory entries
kept before the memory recorded their signals cannot be tied to one and are not reached
(:mod:`gateway.translate.memory_store`); a run counts them. The audit log keeps its entries,
which hold no content, and records ``signal.erased`` with the rule and how much of each kind
went. After erasing, a run purges what the store may still keep of old row versions (on
PostgreSQL it rewrites the keys' table; a busy moment postpones that to the next run, which
purges even if it erases nothing).

An envelope its recipient acknowledged (or its webhook took with a 2xx) is kept for
re-delivery on request only for its terms' ``acknowledged_days``; then its content goes too,
with one ``envelopes.erased`` entry a batch.

:func:`due_for_erasure` and :func:`settled_due` are the rules, pure; :func:`run_retention`
walks the kept signals and acknowledged envelopes in batches and erases those due (or, dry,
only lists them); :class:`DailyRetention` runs it once a day inside ``serve``, on the one
instance that claims the day.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final

from gateway.decide.policy import Policy, Retention
from gateway.decide.policy.retention import Described, erase_on, terms_for
from gateway.decide.sharing import PolicyInForce
from gateway.infra.audit import events, refs
from gateway.infra.audit.refs import Ref
from gateway.infra.clock import Clock
from gateway.infra.errors import StorageUnavailable
from gateway.infra.logs import get_logger
from gateway.store import Store
from gateway.store.interface.retention import Erased, KeptSignal, SettledEnvelope

BATCH: Final = 500
"""Signals read at a time."""

log = get_logger("euregate.retention")


@dataclass(frozen=True)
class Due:
    """A signal whose content is to be erased, under which rule, since which day."""

    signal_id: str
    rule: str
    due: date


@dataclass(frozen=True)
class RetentionRun:
    """What one run examined, found due and (unless dry) erased: signals, and acknowledged
    envelopes kept past their terms (``settled``, by id; ``settled_erased``, how many went);
    and how many memory entries erasure cannot reach."""

    examined: int
    due: tuple[Due, ...]
    erased: tuple[Erased, ...]
    dry_run: bool
    settled: tuple[str, ...] = ()
    settled_erased: int = 0
    unsourced_memory: int = 0
    """Translation memory entries no signal is known to have taught, which erasure cannot
    reach (:mod:`gateway.translate.memory_store`)."""
    postponed: tuple[str, ...] = ()
    """The tables whose old row versions are still to be purged (the next run does it)."""

    @property
    def envelopes(self) -> int:
        return sum(e.envelopes for e in self.erased)

    @property
    def review_items(self) -> int:
        return sum(e.review_items for e in self.erased)

    @property
    def subject_keys(self) -> int:
        return sum(e.subject_keys for e in self.erased)

    @property
    def memory_segments(self) -> int:
        return sum(e.memory_segments for e in self.erased)

    @property
    def translation_jobs(self) -> int:
        return sum(e.translation_jobs for e in self.erased)


def _day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def erasure_of(kept: KeptSignal, retention: Retention) -> Due | None:
    """The rule ``kept`` is kept under and the day its content is to be erased; None if no
    terms apply (a policy that checks clean gives every signal terms)."""
    described = Described(kept.category, kept.purpose, kept.handling_code)
    terms = terms_for(retention, described)
    if terms is None:
        return None
    last = None if kept.last_delivery is None else _day(kept.last_delivery)
    day = erase_on(terms, received=_day(kept.received_at), last_delivery=last)
    return Due(kept.signal_id, terms.id, day)


def due_for_erasure(kept: KeptSignal, retention: Retention, *, today: date) -> Due | None:
    """``kept`` with its rule and day if that day is ``today`` or before; None if not yet, or
    if no terms apply."""
    due = erasure_of(kept, retention)
    return due if due is not None and due.due <= today else None


async def run_retention(
    store: Store,
    policy: Policy,
    *,
    today: date,
    dry_run: bool = False,
    limit: int | None = None,
    actor: Ref = refs.GATEWAY,
    progress: Callable[[int], None] | None = None,
) -> RetentionRun:
    """Erase (with ``dry_run``, only list) the signals due by ``today`` under ``policy``'s
    terms, at most ``limit``; ``progress`` hears how many signals were examined so far."""
    retention = policy.retention
    found: list[Due] = []
    erased: list[Erased] = []
    examined = 0
    after = ""
    while retention is not None and (limit is None or len(found) < limit):
        batch = await store.kept_signals(after=after, limit=BATCH)
        if not batch:
            break
        for kept in batch:
            due = due_for_erasure(kept, retention, today=today)
            if due is None or (limit is not None and len(found) >= limit):
                continue
            found.append(due)
            if not dry_run:
                done = await _erase(store, due, policy.digest, actor)
                if done is not None:
                    erased.append(done)
        examined += len(batch)
        after = batch[-1].signal_id
        if progress is not None:
            progress(examined)
    settled, settled_erased = (
        ([], 0)
        if retention is None
        else await _settle(store, retention, policy.digest, today, dry_run=dry_run, actor=actor)
    )
    postponed: tuple[str, ...] = ()
    if erased or settled_erased or (not dry_run and await store.purge_owed()):
        postponed = (await store.purge_old_versions()).postponed
    return RetentionRun(
        examined,
        tuple(found),
        tuple(erased),
        dry_run,
        tuple(settled),
        settled_erased,
        unsourced_memory=await store.unsourced_memory_entries(),
        postponed=postponed,
    )


def settled_due(envelope: SettledEnvelope, retention: Retention, *, today: date) -> bool:
    """Whether an acknowledged envelope's re-delivery days are over by ``today``."""
    described = Described(envelope.category, envelope.purpose, envelope.handling_code)
    terms = terms_for(retention, described)
    if terms is None:
        return False
    return _day(envelope.acked_at) + timedelta(days=terms.acknowledged_days) <= today


async def _settle(
    store: Store, retention: Retention, digest: str, today: date, *, dry_run: bool, actor: Ref
) -> tuple[list[str], int]:
    """The acknowledged envelopes due by ``today``, by id, and how many were erased."""
    due: list[str] = []
    erased = 0
    after = 0
    while batch := await store.settled_envelopes(after=after, limit=BATCH):
        ids = [e.envelope_id for e in batch if settled_due(e, retention, today=today)]
        due.extend(ids)
        if ids and not dry_run:
            event = events.EnvelopesErased(by=actor, envelopes=tuple(ids), policy_sha256=digest)
            erased += await store.erase_envelopes(ids, event)
        after = batch[-1].seq
    return due, erased


async def _erase(store: Store, due: Due, digest: str, actor: Ref) -> Erased | None:
    def event(done: Erased) -> events.SignalErased:
        return events.SignalErased(
            by=actor,
            signal_id=due.signal_id,
            rule=due.rule,
            policy_sha256=digest,
            due=due.due.isoformat(),
            envelopes=done.envelopes,
            review_items=done.review_items,
            subject_keys=done.subject_keys,
            memory_segments=done.memory_segments,
            translation_jobs=done.translation_jobs,
        )

    return await store.erase_signal(due.signal_id, rule=due.rule, event=event)


class DailyRetention:
    """Each ``interval`` seconds, whether today's run is due: the instance that claims the day
    (:meth:`~gateway.store.interface.retention.RetentionStore.claim_retention_day`) runs it
    with the policy in force, erasing at most ``limit`` signals."""

    def __init__(
        self, store: Store, policy: PolicyInForce, clock: Clock, *, interval: float, limit: int
    ) -> None:
        self._store = store
        self._policy = policy
        self._clock = clock
        self._interval = interval
        self._limit = limit

    async def once(self) -> RetentionRun | None:
        """Today's run if this instance claims it; None if another did, or it was done."""
        today = _day(self._clock.now())
        if not await self._store.claim_retention_day(today):
            return None
        done = await run_retention(self._store, self._policy.policy, today=today, limit=self._limit)
        log.info(
            "retention_run",
            day=today.isoformat(),
            examined=done.examined,
            due=len(done.due),
            erased=len(done.erased),
            memory_segments=done.memory_segments,
            translation_jobs=done.translation_jobs,
            unsourced_memory=done.unsourced_memory,
            purge_postponed=list(done.postponed),
        )
        return done

    async def run(self) -> None:
        """Check every ``interval`` until cancelled. A store that cannot be reached is tried
        again at the next check; a run cut short goes on with the next day's, which erases
        everything due by then."""
        while True:
            with contextlib.suppress(StorageUnavailable):  # the store says so in the log
                await self.once()
            await asyncio.sleep(self._interval)
