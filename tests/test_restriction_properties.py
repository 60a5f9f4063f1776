"""Restriction as a property: for any sequence of signals posted about people, restrictions
placed and lifted, copies sealed and the inbox fetched and acknowledged, in any order, nothing
about a person is sealed or handed out while a restriction on them is in force, and everything
else is: sealing seals every other copy due, fetching hands out every other envelope sealed.
Once every restriction is lifted, everything posted is delivered, once. On a real SQLite
file."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gateway.infra.audit import EventKind
from gateway.infra.clock import FixedClock
from gateway.store import Store
from gateway.store.interface.restriction import NewRestriction
from gateway.store.sqlite import SqliteStore
from tests.store_backends import START
from tests.store_events import an_event
from tests.test_store_contract_delivery import sealed
from tests.test_store_contract_signals import LIEGE, accepted, new_signal, with_partners

PEOPLE = ("anna", "bert")
Step = tuple[str, frozenset[str]]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("post"), st.frozensets(st.sampled_from(PEOPLE), max_size=2)),
        st.tuples(st.just("restrict"), st.sampled_from(PEOPLE).map(lambda p: frozenset({p}))),
        st.tuples(st.just("lift"), st.sampled_from(PEOPLE).map(lambda p: frozenset({p}))),
        st.tuples(st.just("seal"), st.just(frozenset[str]())),
        st.tuples(st.just("fetch"), st.just(frozenset[str]())),
    ),
    max_size=12,
)


def _(action: str, *people: str) -> Step:
    return action, frozenset(people)


class Exchange:
    """The store driven by the steps, and what the steps say should have happened."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.about: dict[str, frozenset[str]] = {}
        self.restrictions: dict[str, list[str]] = {p: [] for p in PEOPLE}
        self.sealed: set[str] = set()
        self.delivered: list[str] = []
        self.count = 0

    def restricted(self) -> set[str]:
        return {p for p, active in self.restrictions.items() if active}

    def held(self, signal_id: str) -> bool:
        return bool(self.about[signal_id] & self.restricted())

    async def post(self, people: frozenset[str]) -> None:
        self.count += 1
        signal = replace(
            new_signal(self.count, LIEGE), subject_keys=frozenset(f"key-{p}" for p in people)
        )
        await self.store.accept_signal(signal, accepted(signal))
        self.about[signal.id] = people

    async def restrict(self, person: str) -> None:
        self.count += 1
        placing = NewRestriction(
            f"r-{self.count}", "accuracy_contested", "", date(2099, 1, 1), "staff:x"
        )
        await self.store.place_restriction(
            placing, {f"key-{person}"}, lambda _: an_event(EventKind.SUBJECT_RESTRICTED)
        )
        self.restrictions[person].append(placing.id)

    async def lift(self, person: str) -> None:
        if not self.restrictions[person]:
            return
        lifted = await self.store.lift_restriction(
            self.restrictions[person].pop(0),
            by="staff:x",
            decision="lifted",
            event=lambda _: an_event(EventKind.SUBJECT_RESTRICTION_LIFTED),
        )
        assert lifted is not None

    async def seal(self) -> None:
        """What the courier does: seal every copy handed out."""
        for copy in await self.store.pending_copies(due=START, limit=1000):
            assert not self.held(copy.signal_id), "a held copy was handed out to be sealed"
            await self.store.keep_envelope(
                sealed(copy, f"env-{copy.id}"), an_event(EventKind.COPY_SEALED)
            )
            self.sealed.add(copy.signal_id)
        free = {s for s in self.about if not self.held(s)}
        assert free <= self.sealed, "a copy about no restricted person was not sealed"

    async def fetch(self) -> None:
        """What the recipient does: fetch its inbox and acknowledge what it got."""
        for envelope in await self.store.inbox(LIEGE.id, after=0, limit=1000):
            assert not self.held(envelope.signal_id), "a held envelope was in the inbox"
            await self.store.acknowledge(
                LIEGE.id, envelope.id, an_event(EventKind.INBOX_ACKNOWLEDGED)
            )
            self.delivered.append(envelope.signal_id)
        free = {s for s in self.sealed if not self.held(s)}
        assert free <= set(self.delivered), "a sealed envelope of a free signal was not served"


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=steps)
@example(plan=[_("post", "anna"), _("seal"), _("restrict", "anna"), _("fetch")])
@example(
    plan=[
        _("restrict", "anna"),
        _("post", "anna", "bert"),
        _("post", "bert"),
        _("seal"),
        _("fetch"),
        _("restrict", "anna"),
        _("lift", "anna"),
        _("seal"),
    ]
)
async def test_nothing_about_a_restricted_person_is_delivered_and_everything_else_is(
    plan: list[Step],
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        async with SqliteStore(Path(directory) / "euregate.db", clock=FixedClock(START)) as store:
            await with_partners(store)
            exchange = Exchange(store)
            for action, people in plan:
                if action == "post":
                    await exchange.post(people)
                elif action in ("seal", "fetch"):
                    await getattr(exchange, action)()
                else:
                    (person,) = people
                    await getattr(exchange, action)(person)
            for person in PEOPLE:
                while exchange.restrictions[person]:
                    await exchange.lift(person)
            await exchange.seal()
            await exchange.fetch()

    assert sorted(exchange.delivered) == sorted(exchange.about)
