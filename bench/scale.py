"""Cost as work grows: a store seeded through its interface to 10 k, 100 k and 1 M signals, on
SQLite and on PostgreSQL, and at each checkpoint what partners and compliance staff wait for.

Seeding makes the calls intake and the courier make: a signal accepted with its audit entry,
its decisions, review items and copies (75 % of decisions deliver, 15 % wait for review, 10 %
deny); every copy sealed into an envelope (a JSON envelope of a sealed copy's size, with its
audit entry), fetched once and acknowledged, but for one recipient's, left waiting as a
backlog; data-subject index entries (about one signal in five names someone named before).
Senders, recipients, categories and verdicts are mixed, received times spread over the year up
to now. Nothing goes through HTTP while seeding: :class:`Seeder` calls the store
concurrently, so that SQLite's writer commits them in groups as it does under load and
PostgreSQL's pool runs them side by side.

At each checkpoint a ``serve`` process runs on the store and is measured over HTTP: a short
intake burst (its throughput as a ratio to the empty store's), the compliance officer's
search (first page, by partner, by event kind, page 200), the charts page, a data-subject
lookup, and an inbox pull of the recipient with the backlog, each as p50/p95 of repeated
requests with a signed-in compliance session or the partner's certificate; then storage per
signal. Partner limits are set beyond reach (the burst measures the store, not each partner's
share). The audit sequencer is off in those processes: integrating a million seeded entries
into the tree at start-up is ``bench/verify.py``'s measure, and would otherwise run beside
every figure here.

    .venv/bin/python bench/scale.py --quick        # 0, 10 k and 100 k
    .venv/bin/python bench/scale.py --max 1000000  # up to a million (make bench-scale)
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import aiohttp
import psycopg
import pyotp
from common import (
    GATEWAY_READY,
    HOST,
    REPO,
    ROOMY_PARTNER_LIMITS,
    LoadGenerator,
    ServerProcess,
    describe_machine,
    free_port,
    gateway_command,
    gateway_environment,
    partner_sender,
    percentile,
    start_server,
)
from intake import SignalBodies
from psycopg import AsyncConnection

from gateway.contract.partners import Partner
from gateway.decide.decision import DataClass, Decision, FiredRule, Outcome, Verdict
from gateway.flow.subjects import SUBJECT_SECRET, identifier_key
from gateway.infra import datafiles, pki
from gateway.infra.audit import events, refs
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.registry.admin import staff as staff_admin
from gateway.staff import Desk, Passwords, Role, StaffAccount
from gateway.store import CopyReview, NewCopy, NewReviewItem, NewSignal, SealedCopy, Store
from gateway.store.postgres import PostgresStore
from gateway.store.postgres.delivery import (
    ACKNOWLEDGE,
    KEEP_ENVELOPE,
    QUEUE_COPY,
    RECORD_FETCH,
    SEAL_COPY,
    copy_params,
    envelope_params,
)
from gateway.store.postgres.figures import count_decisions
from gateway.store.postgres.review import INSERT_REVIEW_ITEM, review_item_row
from gateway.store.postgres.signals import (
    INSERT_SIGNAL,
    KEEP_SIGNAL_KEY,
    keep_decisions,
    key_row,
    place_in_chain,
    signal_row,
)
from gateway.store.postgres.subjects import INDEX_SUBJECTS
from gateway.store.postgres.transaction import Transaction
from gateway.store.sqlite import SqliteStore

RESULTS = REPO / "bench" / "results"
EXAMPLE = REPO / "examples" / "nl-drug-waste-maastricht.json"
CHECKPOINTS: Final = (0, 10_000, 100_000, 1_000_000)
CHUNK: Final = 2_000
"""Signals seeded per round of concurrent calls."""
BACKLOG: Final = "de-pol-aachen"
"""The recipient that never acknowledges: its inbox holds every envelope sealed for it."""
INTAKE_SENDERS: Final = ("nl-pol-limburg", "be-pol-lanaken", "nl-gem-maastricht", "be-gem-eupen")
CATEGORIES: Final = (
    "undermining.drug_waste",
    "undermining.drug_lab",
    "public_order.event",
    "missing_person",
    "vehicle.stolen",
    "fraud.identity",
)
STAFF_ID: Final = "bench-compliance"
PASSWORD: Final = "bench scale compliance password"
ENVELOPE_BYTES: Final = 2_400
"""About what a sealed copy of the example weighs (HPKE, payload signed, base64 inside)."""
POLICY: Final = "b" * 64
YEAR: Final = timedelta(days=365)
POOL: Final = 8
LANES: Final = 3
"""Rounds :class:`BulkSeeder` writes at once, each on a connection of its own."""
"""Connections of the seeding process's PostgreSQL pool."""
PATIENCE: Final = 60.0
"""Seconds a staff page or an inbox pull may take before its figure is given up."""


@dataclass(frozen=True)
class Options:
    largest: int
    backends: tuple[str, ...]
    samples: int
    burst: int
    work_dir: Path | None
    keep: bool
    compare_seeding: int | None = None


# --- seeding through the store's interface ----------------------------------------------------


@dataclass
class Tally:
    signals: int = 0
    decisions: int = 0
    envelopes: int = 0
    acknowledged: int = 0
    seconds: float = 0.0


@dataclass
class Seeder:
    """Seeds one store: each round, ``CHUNK`` signals accepted, their copies sealed, fetched
    and (but for :data:`BACKLOG`'s) acknowledged, all through the store's own calls."""

    store: Store
    partners: Sequence[Partner]
    subject_secret: bytes
    now: datetime
    parallel: int
    """Calls in flight at once: enough for SQLite's writer to commit them in groups, no more
    than PostgreSQL's pool hands out without a caller waiting long."""
    rng: random.Random = field(default_factory=lambda: random.Random(12))
    tally: Tally = field(default_factory=Tally)

    def person(self, n: int) -> str:
        """A national number; about one in five signals names someone named before."""
        return f"NL{self.rng.randrange(max(1, n // 5) + 1):09d}"

    def signal(self, n: int) -> NewSignal:
        rng = self.rng
        sender = rng.choice(self.partners)
        others = [p for p in self.partners if p.id != sender.id]
        recipients = rng.sample(others, rng.choice((1, 2, 2, 3)))
        decisions = tuple(_decision(r, _verdict(rng)) for r in recipients)
        copies = tuple(
            NewCopy(f"copy-{n}-{d.recipient_id}", d.recipient_id, CopyReview.NONE)
            for d in decisions
            if d.verdict is Verdict.DELIVER
        )
        reviews = tuple(
            NewReviewItem(f"review-{n}-{d.recipient_id}", d.recipient_id, _country(self, d),
                          "routine", ("language",), release_now=False)
            for d in decisions
            if d.verdict is Verdict.REVIEW
        )  # fmt: skip
        keys = {
            identifier_key(self.subject_secret, self.person(n)) for _ in range(rng.randint(1, 2))
        }
        return NewSignal(
            id=f"00000000-0000-7000-8000-{n:012d}",
            sender_id=sender.id,
            sender_reference=f"SCALE-{n:09d}",
            body_sha256=hashlib.sha256(n.to_bytes(8, "big")).hexdigest(),
            received_at=self.now - YEAR * rng.random(),
            recipients=tuple(r.id for r in recipients),
            sealed_body=rng.randbytes(1_200),
            handling_code="H2",
            category=rng.choice(CATEGORIES),
            purpose="criminal_investigation",
            urgency=rng.choice(("routine", "routine", "urgent")),
            decisions=decisions,
            reviews=reviews,
            copies=copies,
            subject_keys=frozenset(k for k in keys if k),
        )

    async def _all(self, calls: Iterable[Awaitable[Any]]) -> list[Any]:
        """Await ``calls`` with at most ``parallel`` of them waiting on the store at once."""
        gate = asyncio.Semaphore(self.parallel)

        async def gated(call: Awaitable[Any]) -> Any:
            async with gate:
                return await call

        return list(await asyncio.gather(*(gated(c) for c in calls)))

    def envelope(self) -> bytes:
        """A JSON envelope of a sealed copy's size, its sealed parts random: the store keeps
        and hands out envelopes without opening them."""
        sealed = base64.b64encode(self.rng.randbytes(ENVELOPE_BYTES * 3 // 4 - 64)).decode()
        return json.dumps({"format": "bench", "enc": "0" * 64, "ciphertext": sealed}).encode()

    def sealed(self, signal: NewSignal, copy: NewCopy) -> SealedCopy:
        """A copy sealed, as the courier keeps it."""
        return SealedCopy(
            copy_id=copy.id,
            envelope_id=f"envelope-{copy.id}",
            signal_id=signal.id,
            recipient_id=copy.recipient_id,
            key_id="bench-key",
            envelope=self.envelope(),
            webhook_url=None,
        )

    async def seed(self, start: int, stop: int) -> None:
        """Seed signals ``start`` to ``stop``, a round of :data:`CHUNK` at a time, in as many
        lanes at once as :meth:`lanes` says."""
        started = time.perf_counter()
        rounds = iter(range(start, stop, CHUNK))
        await asyncio.gather(*(self._lane(lane, rounds, stop) for lane in range(self.lanes())))
        self.tally.seconds += time.perf_counter() - started
        print()

    def lanes(self) -> int:
        return 1

    async def _lane(self, lane: int, rounds: Iterator[int], stop: int) -> None:
        for first in rounds:
            numbers = range(first, min(stop, first + CHUNK))
            signals = sorted((self.signal(n) for n in numbers), key=lambda s: s.received_at)
            sealed = await self.seed_round(signals, lane)
            self.tally.signals += len(signals)
            self.tally.decisions += sum(len(s.decisions) for s in signals)
            self.tally.envelopes += len(sealed)
            self.tally.acknowledged += sum(e.recipient_id != BACKLOG for e in sealed)
            print(f"  seeded {self.tally.signals:,} of {stop:,}", end="\r", flush=True)

    async def seed_round(self, signals: Sequence[NewSignal], lane: int) -> list[SealedCopy]:
        """``signals`` accepted, their copies sealed, fetched and acknowledged, each by a call
        of its own; the envelopes sealed."""
        await self._all(self.store.accept_signal(s, _accepted(s)) for s in signals)
        sealed = await self._all(self._seal(s, c) for s in signals for c in s.copies)
        kept = [e for e in sealed if e is not None]
        await self._all(
            self.store.record_fetch([e.envelope_id for e in got], _fetched(recipient, got))
            for recipient, got in _by_recipient(kept).items()
        )
        await self._all(
            self.store.acknowledge(e.recipient_id, e.envelope_id, _acked(e))
            for e in kept
            if e.recipient_id != BACKLOG
        )
        return kept

    async def _seal(self, signal: NewSignal, copy: NewCopy) -> SealedCopy | None:
        sealed = self.sealed(signal, copy)
        position = await self.store.keep_envelope(sealed, _sealed_event(sealed))
        return None if position is None else sealed


@dataclass
class BulkSeeder(Seeder):
    """Seeds a PostgreSQL store a round at a time in one transaction of its own connection:
    the rows the store's calls keep, written by the store's own statements
    (:mod:`gateway.store.postgres`'s ``INSERT_SIGNAL``, ``keep_decisions``, ``QUEUE_COPY``,
    ``KEEP_ENVELOPE``, …) sent many at once (``executemany``, pipelined), and the round's
    audit entries appended and chained by the store's own :class:`Transaction`, in the order
    the calls would append them. One call at a time, each its own transaction, runs at about
    30 signals per second on this machine: a million would take nine hours."""

    connections: list[AsyncConnection[tuple[Any, ...]]] = field(default_factory=list)
    """One per lane: while one lane holds the chain's lock for its envelopes and entries,
    another keeps its signals."""

    def lanes(self) -> int:
        assert self.connections, "open the connections first (bulk_connections)"
        return len(self.connections)

    async def seed_round(self, signals: Sequence[NewSignal], lane: int) -> list[SealedCopy]:
        conn = self.connections[lane]
        async with conn.transaction(), conn.cursor() as many:
            tx = Transaction(conn, SystemClock())
            now = tx.now()
            for signal in signals:
                place_in_chain(tx, signal.id, await tx.append(_accepted(signal)))
                count_decisions(tx, signal.id)
            await many.executemany(INSERT_SIGNAL, [signal_row(s) for s in signals])
            await many.executemany(KEEP_SIGNAL_KEY, [key_row(s) for s in signals])
            await keep_decisions(tx, signals)
            await many.executemany(
                INSERT_REVIEW_ITEM,
                [review_item_row(s.id, item, s.received_at) for s in signals for item in s.reviews],
            )
            await many.executemany(
                QUEUE_COPY, [copy_params(s.id, c, s.received_at) for s in signals for c in s.copies]
            )
            await many.executemany(
                INDEX_SUBJECTS, [(s.id, sorted(s.subject_keys)) for s in signals]
            )
            sealed = [self.sealed(s, c) for s in signals for c in s.copies]
            await tx.lock_chain()  # inbox positions are given under it, as keep_envelope does
            await many.executemany(SEAL_COPY, [(now, e.copy_id) for e in sealed])
            await many.executemany(KEEP_ENVELOPE, [envelope_params(e, now) for e in sealed])
            for envelope in sealed:
                await tx.append(_sealed_event(envelope))
            for recipient, got in _by_recipient(sealed).items():
                await many.execute(RECORD_FETCH, (now, [e.envelope_id for e in got]))
                await tx.append(_fetched(recipient, got))
            acknowledged = [e for e in sealed if e.recipient_id != BACKLOG]
            await many.executemany(
                ACKNOWLEDGE, [(now, e.envelope_id, e.recipient_id) for e in acknowledged]
            )
            for envelope in acknowledged:
                await tx.append(_acked(envelope))
            await tx.chain()
        return sealed


@asynccontextmanager
async def bulk_connections(seeder: BulkSeeder, url: str) -> AsyncIterator[BulkSeeder]:
    """``seeder`` with :data:`LANES` connections of its own to ``url``, closed after."""
    async with AsyncExitStack() as stack:
        for _ in range(LANES):
            conn = await AsyncConnection.connect(url, options="-c timezone=UTC")
            seeder.connections.append(await stack.enter_async_context(conn))
        try:
            yield seeder
        finally:
            seeder.connections.clear()


def _by_recipient(sealed: Iterable[SealedCopy]) -> dict[str, list[SealedCopy]]:
    """The envelopes each recipient fetches at once: its new ones."""
    by_recipient: dict[str, list[SealedCopy]] = {}
    for envelope in sealed:
        by_recipient.setdefault(envelope.recipient_id, []).append(envelope)
    return by_recipient


def _sealed_event(sealed: SealedCopy) -> events.CopySealed:
    return events.CopySealed(
        about=refs.signal(sealed.signal_id),
        envelope=sealed.envelope_id,
        recipient=sealed.recipient_id,
        version=1,
        review=str(CopyReview.NONE),
        key_id=sealed.key_id,
        suite="DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM",
        language="nl",
        payload_sha256=hashlib.sha256(sealed.envelope).hexdigest(),
    )


def _fetched(recipient: str, got: Sequence[SealedCopy]) -> events.InboxFetched:
    return events.InboxFetched(
        by=refs.partner(recipient),
        about=refs.partner(recipient),
        envelopes=tuple(e.envelope_id for e in got),
        signals=tuple(dict.fromkeys(e.signal_id for e in got)),
        after=0,
    )


def _verdict(rng: random.Random) -> Verdict:
    roll = rng.random()
    return Verdict.DELIVER if roll < 0.75 else Verdict.REVIEW if roll < 0.9 else Verdict.DENY


def _decision(recipient: Partner, verdict: Verdict) -> Decision:
    outcomes = dict.fromkeys(DataClass, Outcome.REDACT) | {DataClass.ORGANISATION: Outcome.SHARE}
    rules = (FiredRule("2"),) if verdict is Verdict.DELIVER else (FiredRule("7"), FiredRule("9"))
    return Decision(recipient.id, verdict, outcomes, rules, POLICY)


def _country(seeder: Seeder, decision: Decision) -> str:
    return next(p.country for p in seeder.partners if p.id == decision.recipient_id)


def _accepted(signal: NewSignal) -> events.SignalAccepted:
    return events.SignalAccepted(
        by=refs.partner(signal.sender_id),
        signal_id=signal.id,
        sender_reference=signal.sender_reference,
        body_sha256=signal.body_sha256,
        recipients=signal.recipients,
        schema="signal/1.0",
        language="nl",
        category=signal.category,
        urgency=signal.urgency,
        purpose=signal.purpose,
        handling_code=signal.handling_code,
        policy_sha256=POLICY,
        decisions=tuple(
            events.Decided(recipient=d.recipient_id, verdict=str(d.verdict), rules=d.rule_ids)
            for d in signal.decisions
        ),
    )


def _acked(envelope: SealedCopy) -> events.InboxAcknowledged:
    return events.InboxAcknowledged(
        by=refs.partner(envelope.recipient_id),
        about=refs.signal(envelope.signal_id),
        envelope=envelope.envelope_id,
        recipient=envelope.recipient_id,
    )


# --- the backends ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Backend:
    """A store to seed and serve: a data directory, and for PostgreSQL a database URL."""

    name: str
    layout: DataDir
    database_url: str | None

    def open(self) -> Store:
        clock = SystemClock()
        if self.database_url is not None:
            return PostgresStore(self.database_url, clock=clock, pool_size=POOL)
        return SqliteStore(self.layout.database, clock=clock)

    def seeder(
        self, store: Store, partners: Sequence[Partner], secret: bytes, now: datetime
    ) -> Seeder:
        """SQLite's seeder makes the store's calls, 256 at once (its writer commits them in
        groups); PostgreSQL's writes each round in one transaction (:class:`BulkSeeder`)."""
        if self.database_url is None:
            return Seeder(store, partners, secret, now, parallel=256)
        return BulkSeeder(store, partners, secret, now, parallel=1)

    async def seed(self, seeder: Seeder, start: int, stop: int) -> None:
        """Seed from signal ``start`` to ``stop``; on PostgreSQL, then vacuum and analyse, as
        autovacuum does in time after so many rows: the planner's statistics and the
        visibility map (which index-only scans read) as a store in service has them."""
        if isinstance(seeder, BulkSeeder):
            assert self.database_url is not None
            async with bulk_connections(seeder, self.database_url):
                await seeder.seed(start, stop)
            with psycopg.connect(self.database_url, autocommit=True) as conn:
                conn.execute("VACUUM (ANALYZE)")
            return
        async with self.open() as seeder.store:
            await seeder.seed(start, stop)

    def settings(self) -> dict[str, object]:
        chosen: dict[str, object] = {"audit_sequencer": "false", **ROOMY_PARTNER_LIMITS}
        if self.database_url is not None:
            chosen["database_url"] = self.database_url
        return chosen

    def storage_bytes(self) -> int:
        if self.database_url is None:
            files = self.layout.database.parent.glob(self.layout.database.name + "*")
            return sum(f.stat().st_size for f in files)
        with psycopg.connect(self.database_url) as conn:
            row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
            assert row is not None
            return int(row[0])


def init_data_dir(root: Path, database_url: str | None) -> DataDir:
    import subprocess

    command = [sys.executable, "-m", "gateway", "init", "--demo", "--data-dir", str(root)]
    if database_url is not None:
        command += ["--database", database_url]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"euregate init failed:\n{done.stderr[-2000:]}")
    return DataDir(root)


async def enrol_compliance(store: Store, layout: DataDir) -> str:
    """A compliance officer; the TOTP secret its authenticator keeps."""
    account = StaffAccount(
        id=STAFF_ID, name="Bench Compliance", role=Role.COMPLIANCE, desk=Desk.parse("*"),
        language="en",
    )  # fmt: skip
    enrolment = await staff_admin.enrol(
        store,
        datafiles.load_master_key(layout),
        account,
        PASSWORD,
        actor=refs.admin("bench"),
        passwords=Passwords(time_cost=1, memory_cost_kib=8, parallelism=1),
    )
    return enrolment.totp_secret


# --- measuring over HTTP --------------------------------------------------------------------


@dataclass(frozen=True)
class Running:
    server: ServerProcess
    url: str
    staff_url: str


def serve(backend: Backend, log: Path) -> Running:
    port, staff_port = free_port(), free_port()
    command = gateway_command(backend.layout.root, port)
    command[command.index("--staff-port") + 1] = str(staff_port)
    server = start_server(
        backend.name,
        command,
        url=f"https://{HOST}:{port}",
        ready_marker=GATEWAY_READY,
        log_path=log,
        env=gateway_environment(backend.settings()),
    )
    return Running(server, f"https://{HOST}:{port}", f"https://{HOST}:{staff_port}")


@asynccontextmanager
async def compliance_session(
    running: Running, layout: DataDir, totp_secret: str
) -> AsyncIterator[aiohttp.ClientSession]:
    """Signed in on the staff listener as the compliance officer (a code not used before:
    one authenticator step later if the last sign-in used this one)."""
    context = pki.client_ssl_context(
        certificate=None, private_key=None, server_ca=layout.ca_certificate
    )
    async with aiohttp.ClientSession(
        base_url=running.staff_url,
        connector=aiohttp.TCPConnector(ssl=context),
        cookie_jar=aiohttp.CookieJar(unsafe=True),
    ) as session:
        for _ in range(3):
            form = {"csrf": await _csrf(session, "/login"), "staff_id": STAFF_ID,
                    "password": PASSWORD, "code": pyotp.TOTP(totp_secret).now()}  # fmt: skip
            async with session.post("/login", data=form, allow_redirects=False) as answer:
                if answer.status == 303:
                    break
            await asyncio.sleep(31 - time.time() % 30)
        else:
            raise RuntimeError("the compliance officer could not sign in")
        yield session


async def _csrf(session: aiohttp.ClientSession, path: str) -> str:
    async with session.get(path) as page:
        found = re.search(r'name="csrf" value="([^"]+)"', await page.text())
    if found is None:
        raise RuntimeError(f"no CSRF secret on {path}")
    return found.group(1)


async def timed(samples: int, request: Callable[[], Awaitable[int]]) -> dict[str, Any]:
    """``request`` ``samples`` times after one unmeasured call: its p50/p95 in ms and the
    statuses it saw; a request that takes longer than :data:`PATIENCE` ends the figure."""
    times: list[float] = []
    statuses: set[int] = set()
    for _ in range(samples + 1):
        started = time.perf_counter()
        try:
            statuses.add(await asyncio.wait_for(request(), PATIENCE))
        except TimeoutError:
            return {"p50_ms": None, "p95_ms": None, "statuses": [], "gave_up_after_s": PATIENCE}
        times.append((time.perf_counter() - started) * 1000)
    times = times[1:]
    return {
        "p50_ms": round(percentile(times, 50), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "statuses": sorted(statuses),
    }


def _get(session: aiohttp.ClientSession, path: str) -> Callable[[], Awaitable[int]]:
    async def request() -> int:
        async with session.get(path) as answer:
            await answer.read()
            return answer.status

    return request


async def staff_figures(
    running: Running, backend: Backend, totp_secret: str, samples: int, person: str
) -> dict[str, Any]:
    partner = "be-pol-liege"
    async with compliance_session(running, backend.layout, totp_secret) as session:
        csrf = await _csrf(session, "/lookup")

        async def lookup() -> int:
            form = {"csrf": csrf, "by": "number", "identifier": person}
            async with session.post("/lookup", data=form) as answer:
                await answer.read()
                return answer.status

        pages = {
            "search_first_page": _get(session, "/audit"),
            "search_by_partner": _get(session, f"/audit?partner={partner}"),
            "search_by_kind": _get(session, "/audit?kind=inbox.acknowledged"),
            "search_by_fetch": _get(session, "/audit?kind=inbox.fetched"),
            "search_page_200": _get(session, "/audit?page=200"),
            "charts": _get(session, "/charts"),
            "subject_lookup": lookup,
        }
        return {name: await timed(samples, call) for name, call in pages.items()}


async def inbox_figures(running: Running, layout: DataDir, samples: int) -> dict[str, Any]:
    sender = partner_sender(layout.root, BACKLOG)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=sender.ssl_context)) as s:
        return await timed(samples, _get(s, f"{running.url}/v1/inbox?after=0&limit=100"))


async def intake_burst(running: Running, layout: DataDir, count: int, tag: str) -> dict[str, Any]:
    template = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    bodies = SignalBodies(template, tag)
    senders = [partner_sender(layout.root, p) for p in INTAKE_SENDERS]
    async with LoadGenerator(f"{running.url}/v1/signals", senders, concurrency=16) as load:
        await load.run(SignalBodies(template, tag + "-warm"), 48)
        result = await load.run(bodies, count)
    return {
        "requests": count,
        "accepted": result.ok,
        "failed": result.failed,
        "per_second": round(result.throughput, 1),
        "p95_ms": None if not result.ok else round(percentile(result.latencies_ms, 95), 1),
        "first_failure": result.first_failure,
    }


# --- one backend, checkpoint by checkpoint --------------------------------------------------


async def measure_backend(backend: Backend, options: Options, logs: Path) -> list[dict[str, Any]]:
    store = backend.open()
    async with store:
        partners = list(await store.partners())
        secret = datafiles.load_master_key(backend.layout).derive(SUBJECT_SECRET)
        totp = await enrol_compliance(store, backend.layout)
        seeder = backend.seeder(store, partners, secret, datetime.now(UTC))
    rows: list[dict[str, Any]] = []
    seeded = 0
    for checkpoint in (c for c in CHECKPOINTS if c <= options.largest):
        if checkpoint > seeded:
            print(f"{backend.name}: seeding to {checkpoint:,}")
            await backend.seed(seeder, seeded, checkpoint)
            seeded = checkpoint
        print(f"{backend.name}: measuring at {checkpoint:,}")
        rows.append(
            await measure_checkpoint(backend, seeder, totp=totp, options=options, logs=logs)
        )
        print(json.dumps(rows[-1]))
    return rows


async def measure_checkpoint(
    backend: Backend, seeder: Seeder, *, totp: str, options: Options, logs: Path
) -> dict[str, Any]:
    """What partners and staff wait for on the store as ``seeder`` has filled it so far."""
    checkpoint = seeder.tally.signals
    load_before = _load()
    running = serve(backend, logs / f"{backend.name}-{checkpoint}.log")
    try:
        person = f"NL{max(1, checkpoint // 10):09d}"
        staff = await staff_figures(running, backend, totp, options.samples, person)
        inbox = await inbox_figures(running, backend.layout, options.samples)
        intake = await intake_burst(
            running, backend.layout, options.burst, f"{backend.name}-{checkpoint}"
        )
    finally:
        running.server.stop()
    stored = backend.storage_bytes()
    tally = seeder.tally
    return {
        "signals": checkpoint,
        "load_average": {"before": load_before, "after": _load()},
        "decisions": tally.decisions,
        "envelopes": tally.envelopes,
        "backlog_recipient": BACKLOG,
        "seed_seconds": round(tally.seconds, 1),
        "intake": intake,
        **staff,
        "inbox_pull": inbox,
        "storage_bytes": stored,
        "bytes_per_signal": round(stored / checkpoint) if checkpoint else None,
        "bytes_per_signal_recipient": round(stored / tally.decisions) if tally.decisions else None,
    }


# --- the two ways of seeding PostgreSQL, side by side -----------------------------------------

_FACTS: Final = {
    "signals placed in the chain": "SELECT count(*) FROM signals WHERE audit_seq IS NOT NULL",
    "signal key rows": "SELECT count(*) FROM signal_keys",
    "decisions": "SELECT count(*) FROM decisions",
    "review items": "SELECT count(*) FROM review_items",
    "copies sealed": "SELECT count(*) FROM copies WHERE state = 'sealed'",
    "copies pending": "SELECT count(*) FROM copies WHERE state = 'pending'",
    "envelopes": "SELECT count(*) FROM envelopes",
    "envelopes fetched once": "SELECT count(*) FROM envelopes WHERE fetch_count = 1",
    "envelopes acknowledged": "SELECT count(*) FROM envelopes WHERE acked_at IS NOT NULL",
    "data-subject keys": "SELECT count(*) FROM subject_keys",
    "fetched_signals rows": "SELECT count(*) FROM fetched_signals",
    "decisions counted by hour": "SELECT coalesce(sum(decisions), 0)::bigint FROM decision_hours",
    "audit entries": "SELECT count(*) FROM audit",
    "last inbox position per recipient": "SELECT string_agg(r || ':' || p, ',' ORDER BY r) "
    "FROM (SELECT recipient_id r, max(position) p FROM envelopes GROUP BY 1) e",
}
_PER_SIGNAL: Final = (
    "SELECT s.id, (SELECT count(*) FROM decisions d WHERE d.signal_id = s.id), "
    "(SELECT count(*) FROM copies c WHERE c.signal_id = s.id), "
    "(SELECT count(*) FROM envelopes e WHERE e.signal_id = s.id), "
    "(SELECT string_agg(a.kind || ':' || coalesce(a.recipient, '-'), ',' ORDER BY a.kind, "
    "a.recipient) FROM audit a WHERE a.subject = 'signal:' || s.id), "
    "(SELECT count(*) FROM fetched_signals f WHERE f.signal_id = s.id) FROM signals s"
)


def store_facts(url: str) -> tuple[dict[str, Any], dict[str, tuple[Any, ...]]]:
    """What a seeded store holds: totals, and per signal its decisions, copies, envelopes,
    audit entries (kind and recipient) and the fetches that handed it out."""
    with psycopg.connect(url) as conn:
        totals = {name: conn.execute(sql).fetchone()[0] for name, sql in _FACTS.items()}  # type: ignore[index]
        per_signal = {row[0]: tuple(row[1:]) for row in conn.execute(_PER_SIGNAL)}
    return totals, per_signal


def audit_verify(layout: DataDir, url: str) -> dict[str, Any]:
    import subprocess

    command = [sys.executable, "-m", "gateway", "audit", "verify", "--data-dir", str(layout.root),
               "--database", url, "--json"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return {"exit": done.returncode, "said": done.stdout.strip() or done.stderr.strip()[-400:]}


async def compare_seeding(count: int, work: Path, stack: ExitStack) -> dict[str, Any]:
    """``count`` signals seeded into one database by the store's calls and into another by
    :class:`BulkSeeder`, the same mixture (the same random draws): what each holds, and
    whether ``euregate audit verify`` passes on each."""
    sys.path.insert(0, str(REPO))
    from tests import postgres as throwaway

    cluster = throwaway.start_cluster()
    stack.callback(throwaway.stop_cluster, cluster)
    now = datetime.now(UTC)
    report: dict[str, Any] = {"signals": count}
    facts = {}
    for way in ("calls", "bulk"):
        cluster.admin(f"CREATE DATABASE {way} TEMPLATE template0")
        url = cluster.url(way)
        backend = Backend(way, init_data_dir(work / way, url), url)
        store = backend.open()
        async with store:
            partners = list(await store.partners())
            secret = datafiles.load_master_key(backend.layout).derive(SUBJECT_SECRET)
        started = time.perf_counter()
        if way == "calls":
            seeder = Seeder(store, partners, secret, now, parallel=2 * POOL)
            async with backend.open() as seeder.store:
                await seeder.seed(0, count)
        else:
            await backend.seed(backend.seeder(store, partners, secret, now), 0, count)
        report[f"{way}_seconds"] = round(time.perf_counter() - started, 1)
        facts[way] = store_facts(url)
        report[f"{way}_totals"] = facts[way][0]
        report[f"{way}_verify"] = audit_verify(backend.layout, url)
    report["totals_equal"] = facts["calls"][0] == facts["bulk"][0]
    differ = [k for k in facts["calls"][1] if facts["calls"][1][k] != facts["bulk"][1].get(k)]
    report["signals_that_differ"] = len(differ) + len(
        facts["bulk"][1].keys() - facts["calls"][1].keys()
    )
    report["first_that_differs"] = (
        {w: facts[w][1].get(differ[0]) for w in facts} if differ else None
    )
    return report


def _load() -> list[float]:
    """The machine's load average over 1, 5 and 15 minutes: shared, its figures move with it."""
    return [round(x, 1) for x in os.getloadavg()]


# --- the report -----------------------------------------------------------------------------

_TIMED: Final = (
    "search_first_page",
    "search_by_partner",
    "search_by_kind",
    "search_by_fetch",
    "search_page_200",
    "charts",
    "subject_lookup",
    "inbox_pull",
)


def print_table(backend: str, rows: Sequence[dict[str, Any]]) -> None:
    print(f"\n{backend}: p95 ms (intake: signals/s and ratio to the empty store)")
    head = ["signals", "load", "intake/s", "ratio", *_TIMED, "B/signal", "B/sig/rcpt"]
    print(" | ".join(head))
    base = rows[0]["intake"]["per_second"] if rows else 0
    for row in rows:
        rate = row["intake"]["per_second"]
        load = row["load_average"]["before"][0]
        cells = [
            f"{row['signals']:,}",
            f"{load}",
            f"{rate:.0f}",
            f"{rate / base:.2f}" if base else "-",
        ]
        cells += [_ms(row[name]["p95_ms"]) for name in _TIMED]
        cells += [str(row["bytes_per_signal"]), str(row["bytes_per_signal_recipient"])]
        print(" | ".join(cells))


def _ms(value: float | None) -> str:
    return f">{PATIENCE:.0f}s" if value is None else f"{value:.0f}"


async def run(options: Options, work: Path, stack: ExitStack) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name in options.backends:
        url = None
        if name == "postgresql":
            sys.path.insert(0, str(REPO))
            from tests import postgres as throwaway

            cluster = throwaway.start_cluster()
            if options.keep:
                print(f"the cluster stays, to be stopped by hand: {cluster.data}")
            else:
                stack.callback(throwaway.stop_cluster, cluster)
            cluster.admin("CREATE DATABASE scale TEMPLATE template0")
            url = cluster.url("scale")
        layout = init_data_dir(work / name, url)
        backend = Backend(name, layout, url)
        results[name] = await measure_backend(backend, options, work)
        print_table(name, results[name])
    return results


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max", type=int, default=1_000_000, help="the last checkpoint")
    parser.add_argument("--quick", action="store_true", help="stop at 100,000 signals")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--samples", type=int, default=20, help="requests timed per figure")
    parser.add_argument("--burst", type=int, default=400, help="signals in each intake burst")
    parser.add_argument("--work-dir", type=Path)
    parser.add_argument(
        "--keep", action="store_true", help="keep the data directories (and the cluster running)"
    )
    parser.add_argument(
        "--compare-seeding",
        type=int,
        metavar="N",
        help="seed N signals into PostgreSQL both ways, compare the stores, and stop",
    )
    args = parser.parse_args(argv)
    return Options(
        largest=min(args.max, 100_000) if args.quick else args.max,
        backends=tuple(args.backends.split(",")),
        samples=args.samples,
        burst=args.burst,
        work_dir=args.work_dir,
        keep=args.keep,
        compare_seeding=args.compare_seeding,
    )


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    with ExitStack() as stack:
        work = options.work_dir or Path(tempfile.mkdtemp(prefix="euregate-scale-"))
        work.mkdir(parents=True, exist_ok=True)
        if not options.keep:
            stack.callback(shutil.rmtree, work, ignore_errors=True)
        if options.compare_seeding:
            compared = asyncio.run(compare_seeding(options.compare_seeding, work, stack))
            print(json.dumps(compared, indent=2, default=str))
            return 0 if compared["totals_equal"] and not compared["signals_that_differ"] else 1
        results = asyncio.run(run(options, work, stack))
    report = {"benchmark": "scale", "at": stamp, "machine": describe_machine(), "backends": results}
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"scale-{stamp}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
