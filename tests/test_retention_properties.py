"""Retention as a property: for random sequences of posting, delivering, acknowledging,
putting on hold, lifting, teaching the translation memory from a signal and moving the clock
on, with a retention run each day, no signal's content outlives its terms unless it is held,
none is erased before them, and nothing held is erased; no acknowledged envelope outlives its
re-delivery days unless its signal is held; a memory entry is kept exactly as long as one of
the signals it was learnt from is.
Against the reference policy's terms, on a real SQLite file (and PostgreSQL for the day-by-day
test)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.decide.policy import RetentionTerms, load_policy
from gateway.decide.policy.retention import Described, erase_on, terms_for
from gateway.flow.retention import run_retention
from gateway.infra.audit import EventKind
from gateway.infra.clock import FixedClock
from gateway.store import SealedSegment, Store
from gateway.store.interface.retention import LegalHold
from gateway.store.sqlite import SqliteStore
from tests.conftest import REPO
from tests.store_backends import START
from tests.store_events import an_event
from tests.test_store_contract_delivery import sealed
from tests.test_store_contract_signals import AACHEN, accepted, new_signal, with_partners

POLICY = load_policy(REPO / "deploy" / "policy" / "euregio.toml")
CATEGORIES = ("undermining.drug_waste", "care.vulnerable_youth")
SENTENCES = ("k1", "k2", "k3")
"""The keys of the sentences the memory is taught (a few, so that signals share them)."""


@dataclass
class Kept:
    """What the test knows of one posted signal."""

    signal_id: str
    category: str
    received: date
    delivered: date | None = None
    acknowledged: date | None = None
    envelope: str | None = None
    held: bool = False
    erased: bool = False
    envelope_erased: bool = False


@dataclass
class World:
    store: Store
    clock: FixedClock
    signals: list[Kept] = field(default_factory=list)
    memory: dict[str, set[str]] = field(default_factory=dict)
    """Each sentence taught, with the signals it was learnt from."""

    @property
    def today(self) -> date:
        return self.clock.now().date()

    async def post(self, category: str) -> None:
        number = len(self.signals) + 1
        signal = replace(
            new_signal(number, AACHEN), category=category, received_at=self.clock.now()
        )
        await self.store.accept_signal(signal, accepted(signal))
        self.signals.append(Kept(signal.id, category, self.today))

    async def deliver(self, index: int) -> None:
        kept = self.signals[index % len(self.signals)]
        pending = [
            c
            for c in await self.store.pending_copies(due=self.clock.now())
            if c.signal_id == kept.signal_id
        ]
        for copy in pending:
            envelope = f"env-{copy.id}"
            position = await self.store.keep_envelope(
                sealed(copy, envelope), an_event(EventKind.COPY_SEALED)
            )
            if position is not None:
                kept.delivered, kept.envelope = self.today, envelope

    async def acknowledge(self, index: int) -> None:
        kept = self.signals[index % len(self.signals)]
        if kept.envelope is None or kept.acknowledged is not None:
            return
        done = await self.store.acknowledge(
            AACHEN.id, kept.envelope, an_event(EventKind.INBOX_ACKNOWLEDGED)
        )
        if done is not None and done.acked_at is not None:
            kept.acknowledged = self.today

    async def hold(self, index: int) -> None:
        kept = self.signals[index % len(self.signals)]
        hold = LegalHold(kept.signal_id, "inquiry", self.today + timedelta(days=30), "x", START)
        placed = await self.store.place_hold(hold, an_event(EventKind.SIGNAL_HELD))
        assert placed == (not kept.held and not kept.erased)
        kept.held = kept.held or placed

    async def lift(self, index: int) -> None:
        kept = self.signals[index % len(self.signals)]
        lifted = await self.store.lift_hold(kept.signal_id, an_event(EventKind.SIGNAL_HOLD_LIFTED))
        assert lifted == kept.held
        kept.held = False

    async def learn(self, index: int, key: str) -> None:
        """An officer's correction of a copy of a signal still kept (one erased cannot be
        opened) is remembered."""
        kept = self.signals[index % len(self.signals)]
        if kept.erased:
            return
        await self.store.remember_translations(
            "nl",
            "fr",
            [SealedSegment(key, b"sealed")],
            desk="BE",
            officer_id="m.dubois",
            signal_id=kept.signal_id,
        )
        self.memory.setdefault(key, set()).add(kept.signal_id)

    async def next_day(self, days: int) -> None:
        for _ in range(days):
            self.clock.set(self.clock.now() + timedelta(days=1))
            await run_retention(self.store, POLICY, today=self.today)
            self.expect()
            await self.check()

    def expect(self) -> None:
        """What the run of today must have erased, by the terms alone."""
        for kept in self.signals:
            terms = self.terms(kept)
            due = erase_on(terms, received=kept.received, last_delivery=kept.delivered)
            if kept.held:
                continue
            kept.erased = kept.erased or due <= self.today
            acknowledged = kept.acknowledged
            kept.envelope_erased = kept.envelope_erased or (
                acknowledged is not None
                and acknowledged + timedelta(days=terms.acknowledged_days) <= self.today
            )

    def terms(self, kept: Kept) -> RetentionTerms:
        assert POLICY.retention is not None
        found = terms_for(
            POLICY.retention, Described(kept.category, "criminal_investigation", "H2")
        )
        assert found is not None
        return found

    async def check(self) -> None:
        for kept in self.signals:
            body = await self.store.sealed_body(kept.signal_id)
            assert (body is None) == kept.erased, (kept, self.today)
            if kept.envelope is not None:
                envelope = await self.store.envelope(kept.envelope)
                gone = kept.erased or kept.envelope_erased
                assert (envelope is None) == gone, (kept, self.today)
        erased = {kept.signal_id for kept in self.signals if kept.erased}
        taught = sorted(key for key, sources in self.memory.items() if sources - erased)
        remembered = sorted(r.source_key for r in await self.store.memory_records("nl", "fr"))
        assert remembered == taught, self.today


STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("post"), st.sampled_from(CATEGORIES)),
        st.tuples(st.just("deliver"), st.integers(0, 20)),
        st.tuples(st.just("acknowledge"), st.integers(0, 20)),
        st.tuples(st.just("hold"), st.integers(0, 20)),
        st.tuples(st.just("lift"), st.integers(0, 20)),
        st.tuples(st.just("learn"), st.tuples(st.integers(0, 20), st.sampled_from(SENTENCES))),
        st.tuples(st.just("wait"), st.integers(1, 120)),
    ),
    min_size=1,
    max_size=14,
)


async def play(store: Store, clock: FixedClock, steps: list[tuple[str, object]]) -> None:
    world = World(store, clock)
    for step, argument in steps:
        if step == "post":
            await world.post(str(argument))
        elif world.signals and step == "deliver":
            await world.deliver(int(str(argument)))
        elif world.signals and step == "acknowledge":
            await world.acknowledge(int(str(argument)))
        elif world.signals and step == "hold":
            await world.hold(int(str(argument)))
        elif world.signals and step == "lift":
            await world.lift(int(str(argument)))
        elif world.signals and step == "learn" and isinstance(argument, tuple):
            await world.learn(*argument)
        elif step == "wait":
            await world.next_day(int(str(argument)))
    await world.next_day(200)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
async def test_no_content_outlives_its_terms_and_none_goes_before(
    steps: list[tuple[str, object]],
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        clock = FixedClock(START)
        async with SqliteStore(Path(directory) / "euregate.db", clock=clock) as store:
            await with_partners(store)
            await play(store, clock, steps)


@pytest.mark.parametrize(
    "steps",
    [
        [("post", "undermining.drug_waste"), ("post", "care.vulnerable_youth"), ("deliver", 0)],
        [("post", "care.vulnerable_youth"), ("deliver", 0), ("wait", 2), ("acknowledge", 0)],
        [("post", "care.vulnerable_youth"), ("hold", 0), ("wait", 100), ("lift", 0)],
        [
            ("post", "care.vulnerable_youth"),
            ("post", "undermining.drug_waste"),
            ("learn", (0, "k1")),
            ("learn", (1, "k1")),
            ("learn", (1, "k2")),
        ],
    ],
)
async def test_the_same_holds_day_by_day_on_either_backend(
    empty_store: Store, store_clock: FixedClock, steps: list[tuple[str, object]]
) -> None:
    await with_partners(empty_store)
    await play(empty_store, store_clock, steps)
