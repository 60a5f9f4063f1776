"""The only module that speaks SQL: partners, certificates, signals and the audit chain.

Durability first. The database runs in WAL mode with ``synchronous=FULL``; one writer
thread takes every pending write from a queue, runs them in one transaction (each in
its own savepoint, so one failing write does not take the others with it), appends
their audit entries to the chain, commits once, and only then answers each caller.
That is group commit: many requests share one fsync, and none is answered before its
data is on disk. Reads run on per-thread read-only connections.
"""

from __future__ import annotations

import asyncio
import json
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from gateway import audit
from gateway.audit import AuditEntry, AuditEvent
from gateway.clock import Clock
from gateway.errors import IdempotencyConflict, RegistryError
from gateway.partners import Certificate, CertificateState, Partner, PartnerState

T = TypeVar("T")
SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class NewSignal:
    """A validated signal ready to be kept: its content already sealed under its own data key."""

    id: str
    sender_id: str
    sender_reference: str
    body_sha256: str
    received_at: str
    recipients: tuple[str, ...]
    sealed_body: bytes


@dataclass(frozen=True)
class StoredSignal:
    id: str
    sender_id: str
    sender_reference: str
    body_sha256: str
    received_at: str
    recipients: tuple[str, ...]
    audit_seq: int
    audit_hash: str
    state: str


@dataclass(frozen=True)
class Accepted:
    signal: StoredSignal
    replayed: bool


@dataclass(frozen=True)
class Admission:
    """A caller's registry entries, whatever their state, and every partner known."""

    partner: Partner | None
    certificate: Certificate | None
    registry: tuple[Partner, ...]


class Transaction:
    """What a write sees: the connection and the tail of the audit chain."""

    def __init__(self, conn: sqlite3.Connection, clock: Clock) -> None:
        self.conn = conn
        self._clock = clock
        row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        self.last_seq: int = row[0] if row else 0
        self.last_hash: str = row[1] if row else audit.GENESIS

    def now(self) -> str:
        return audit.timestamp(self._clock.now())

    def append(self, event: AuditEvent) -> AuditEntry:
        entry = audit.chain(
            event, seq=self.last_seq + 1, prev_hash=self.last_hash, at=self._clock.now()
        )
        self.conn.execute(
            "INSERT INTO audit (seq, at, kind, actor, subject, entry, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                entry.seq,
                entry.at,
                entry.kind,
                entry.actor,
                entry.subject,
                entry.canonical,
                entry.hash,
            ),
        )
        self.last_seq, self.last_hash = entry.seq, entry.hash
        return entry


Write = Callable[[Transaction], T]


class _Writer(threading.Thread):
    """The one thread that writes. Batches whatever is queued into one transaction."""

    def __init__(self, path: Path, clock: Clock, max_batch: int) -> None:
        super().__init__(name="euregate-writer", daemon=True)
        self._path = path
        self._clock = clock
        self._max_batch = max_batch
        self.queue: queue.SimpleQueue[tuple[Write[Any], Future[Any]] | None] = queue.SimpleQueue()
        self.batches = 0

    def run(self) -> None:
        conn = _connect(self._path)
        try:
            while True:
                first = self.queue.get()
                if first is None:
                    return
                batch = [first]
                while len(batch) < self._max_batch:
                    try:
                        item = self.queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        self.queue.put(None)
                        break
                    batch.append(item)
                self._commit(conn, batch)
        finally:
            conn.close()

    def _commit(
        self, conn: sqlite3.Connection, batch: list[tuple[Write[Any], Future[Any]]]
    ) -> None:
        outcomes: list[tuple[Future[Any], Any, BaseException | None]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            tx = Transaction(conn, self._clock)
            for write, future in batch:
                outcomes.append((future, *_run_in_savepoint(tx, write)))
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for _, future in batch:
                future.set_exception(exc)
            return
        self.batches += 1
        for future, result, error in outcomes:
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)


def _run_in_savepoint(tx: Transaction, write: Write[Any]) -> tuple[Any, BaseException | None]:
    tx.conn.execute("SAVEPOINT one_write")
    tail = (tx.last_seq, tx.last_hash)
    try:
        result = write(tx)
    except Exception as exc:  # noqa: BLE001 - handed to the caller that queued the write
        tx.conn.execute("ROLLBACK TO one_write")
        tx.conn.execute("RELEASE one_write")
        tx.last_seq, tx.last_hash = tail
        return None, exc
    tx.conn.execute("RELEASE one_write")
    return result, None


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")
    if read_only:
        conn.execute("PRAGMA query_only = ON")
    return conn


def create_schema(path: Path) -> None:
    """Create the database with its tables, or leave an existing one as it is."""
    conn = _connect(path)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        db = sqlite_utils.Database(conn)
        if "meta" in db.table_names():
            return
        conn.execute("BEGIN IMMEDIATE")
        _create_tables(db)
        conn.execute("COMMIT")
    finally:
        conn.close()


def _create_tables(db: sqlite_utils.Database) -> None:
    db.table("meta").create({"key": str, "value": str}, pk="key")
    db.table("meta").insert({"key": "schema_version", "value": str(SCHEMA_VERSION)})
    db.table("partners").create(
        {
            "id": str,
            "name": str,
            "country": str,
            "agency_type": str,
            "languages": str,
            "state": str,
            "webhook_url": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"name", "country", "agency_type", "languages", "state", "created_at"},
    )
    db.table("certificates").create(
        {
            "fingerprint": str,
            "partner_id": str,
            "serial": str,
            "not_before": str,
            "not_after": str,
            "state": str,
            "registered_at": str,
            "revoked_at": str,
        },
        pk="fingerprint",
        foreign_keys=[("partner_id", "partners", "id")],
        not_null={"partner_id", "serial", "state", "registered_at"},
    )
    db.table("certificates").create_index(["partner_id"])
    db.table("signals").create(
        {
            "id": str,
            "sender_id": str,
            "sender_reference": str,
            "body_sha256": str,
            "received_at": str,
            "recipients": str,
            "sealed_body": bytes,
            "audit_seq": int,
            "audit_hash": str,
            "state": str,
        },
        pk="id",
        foreign_keys=[("sender_id", "partners", "id")],
        not_null={"sender_id", "sender_reference", "body_sha256", "received_at", "sealed_body"},
    )
    db.table("signals").create_index(["sender_id", "sender_reference"], unique=True)
    db.table("audit").create(
        {
            "seq": int,
            "at": str,
            "kind": str,
            "actor": str,
            "subject": str,
            "entry": bytes,
            "hash": str,
        },
        pk="seq",
        not_null={"at", "kind", "actor", "subject", "entry", "hash"},
    )
    for column in ("kind", "actor", "subject", "at"):
        db.table("audit").create_index([column])


class Store:
    """Everything Euregate keeps, behind typed methods. Start it before use, close it after."""

    def __init__(self, path: Path, *, clock: Clock, group_commit_max: int = 256) -> None:
        create_schema(path)
        self.path = path
        self._writer = _Writer(path, clock, group_commit_max)
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()

    def start(self) -> Store:
        self._writer.start()
        return self

    def close(self) -> None:
        if self._writer.is_alive():
            self._writer.queue.put(None)
            self._writer.join()
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()

    def __enter__(self) -> Store:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def batches_committed(self) -> int:
        return self._writer.batches

    # --- the plumbing: queue a write, run a read -------------------------------------------

    def submit(self, write: Write[T]) -> Future[T]:
        future: Future[T] = Future()
        self._writer.queue.put((write, future))
        return future

    async def write(self, write: Write[T]) -> T:
        return await asyncio.wrap_future(self.submit(write))

    def write_sync(self, write: Write[T]) -> T:
        return self.submit(write).result()

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = _connect(self.path, read_only=True)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def read_sync(self, read: Callable[[sqlite3.Connection], T]) -> T:
        return read(self._reader())

    async def read(self, read: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.to_thread(self.read_sync, read)

    # --- audit -------------------------------------------------------------------------------

    async def record(self, event: AuditEvent) -> AuditEntry:
        return await self.write(lambda tx: tx.append(event))

    def record_sync(self, event: AuditEvent) -> AuditEntry:
        return self.write_sync(lambda tx: tx.append(event))

    def audit_entries(self, *, after: int = 0) -> Iterator[AuditEntry]:
        """Every entry from ``after + 1`` on, in order, read in pages to bound memory."""
        conn = _connect(self.path, read_only=True)
        try:
            conn.execute("BEGIN")
            cursor = after
            while True:
                rows = conn.execute(
                    "SELECT seq, at, kind, actor, subject, entry, hash FROM audit "
                    "WHERE seq > ? ORDER BY seq LIMIT 1000",
                    (cursor,),
                ).fetchall()
                if not rows:
                    return
                for row in rows:
                    yield AuditEntry(
                        seq=row[0],
                        at=row[1],
                        kind=row[2],
                        actor=row[3],
                        subject=row[4],
                        canonical=bytes(row[5])
                        if isinstance(row[5], bytes)
                        else str(row[5]).encode(),
                        hash=row[6],
                    )
                cursor = rows[-1][0]
        finally:
            conn.close()

    # --- partners and certificates -------------------------------------------------------------

    def add_partner(self, partner: Partner, event: AuditEvent) -> Partner:
        def write(tx: Transaction) -> Partner:
            now = tx.now()
            try:
                tx.conn.execute(
                    "INSERT INTO partners (id, name, country, agency_type, languages, state, "
                    "webhook_url, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        partner.id,
                        partner.name,
                        partner.country,
                        partner.agency_type,
                        json.dumps(list(partner.languages)),
                        str(partner.state),
                        partner.webhook_url,
                        now,
                        now,
                    ),
                )
            except sqlite3.IntegrityError as exc:
                raise RegistryError("partner {id} already exists", id=partner.id) from exc
            tx.append(event)
            return partner

        return self.write_sync(write)

    def set_partner_state(
        self, partner_id: str, state: PartnerState, event_for: Callable[[Partner], AuditEvent]
    ) -> Partner:
        def write(tx: Transaction) -> Partner:
            current = _partner(tx.conn, partner_id)
            if current.state is PartnerState.REVOKED:
                raise RegistryError("partner {id} is revoked for good", id=partner_id)
            tx.conn.execute(
                "UPDATE partners SET state = ?, updated_at = ? WHERE id = ?",
                (str(state), tx.now(), partner_id),
            )
            if state is PartnerState.REVOKED:
                tx.conn.execute(
                    "UPDATE certificates SET state = ?, revoked_at = ? "
                    "WHERE partner_id = ? AND state = ?",
                    (
                        str(CertificateState.REVOKED),
                        tx.now(),
                        partner_id,
                        str(CertificateState.ACTIVE),
                    ),
                )
            tx.append(event_for(current))
            return _partner(tx.conn, partner_id)

        return self.write_sync(write)

    def register_certificate(self, certificate: Certificate, event: AuditEvent) -> Certificate:
        def write(tx: Transaction) -> Certificate:
            partner = _partner(tx.conn, certificate.partner_id)
            if partner.state is PartnerState.REVOKED:
                raise RegistryError("partner {id} is revoked for good", id=partner.id)
            try:
                tx.conn.execute(
                    "INSERT INTO certificates (fingerprint, partner_id, serial, not_before, "
                    "not_after, state, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        certificate.fingerprint,
                        certificate.partner_id,
                        certificate.serial,
                        certificate.not_before,
                        certificate.not_after,
                        str(certificate.state),
                        tx.now(),
                    ),
                )
            except sqlite3.IntegrityError as exc:
                raise RegistryError(
                    "certificate {fp} is already registered", fp=certificate.fingerprint
                ) from exc
            tx.append(event)
            return certificate

        return self.write_sync(write)

    def revoke_certificate(self, fingerprint: str, event: AuditEvent) -> Certificate:
        def write(tx: Transaction) -> Certificate:
            cursor = tx.conn.execute(
                "UPDATE certificates SET state = ?, revoked_at = ? WHERE fingerprint = ? "
                "AND state = ?",
                (
                    str(CertificateState.REVOKED),
                    tx.now(),
                    fingerprint,
                    str(CertificateState.ACTIVE),
                ),
            )
            if cursor.rowcount != 1:
                raise RegistryError("no active certificate with fingerprint {fp}", fp=fingerprint)
            tx.append(event)
            found = _certificate(tx.conn, fingerprint)
            assert found is not None
            return found

        return self.write_sync(write)

    def partners(self) -> list[Partner]:
        return self.read_sync(_all_partners)

    def partner(self, partner_id: str) -> Partner:
        return self.read_sync(lambda conn: _partner(conn, partner_id))

    def certificates(self, partner_id: str) -> list[Certificate]:
        rows = self.read_sync(
            lambda conn: conn.execute(
                f"SELECT {_CERT_COLUMNS} FROM certificates WHERE partner_id = ? "
                "ORDER BY registered_at",
                (partner_id,),
            ).fetchall()
        )
        return [_certificate_from_row(row) for row in rows]

    async def admission(self, fingerprint: str | None) -> Admission:
        """Who a fingerprint speaks for, and the registry to route by: one read per request."""

        def read(conn: sqlite3.Connection) -> Admission:
            certificate = None if fingerprint is None else _certificate(conn, fingerprint)
            registry = tuple(_all_partners(conn))
            partner = None
            if certificate is not None:
                partner = next(p for p in registry if p.id == certificate.partner_id)
            return Admission(partner, certificate, registry)

        return await self.read(read)

    # --- signals -------------------------------------------------------------------------------

    async def accept_signal(self, signal: NewSignal, event: AuditEvent) -> Accepted:
        """Keep a signal with its audit entry, or return the one already kept under its reference.

        The same ``sender_reference`` with the same body is a retry and gets the original;
        with another body it is :class:`IdempotencyConflict`. Checked inside the write
        transaction, so two simultaneous retries cannot both be stored.
        """

        def write(tx: Transaction) -> Accepted:
            row = tx.conn.execute(
                f"SELECT {_SIGNAL_COLUMNS} FROM signals "
                "WHERE sender_id = ? AND sender_reference = ?",
                (signal.sender_id, signal.sender_reference),
            ).fetchone()
            if row is not None:
                existing = _signal_from_row(row)
                if existing.body_sha256 == signal.body_sha256:
                    return Accepted(existing, replayed=True)
                raise IdempotencyConflict(reference=signal.sender_reference, signal_id=existing.id)
            entry = tx.append(event)
            tx.conn.execute(
                "INSERT INTO signals (id, sender_id, sender_reference, body_sha256, received_at, "
                "recipients, sealed_body, audit_seq, audit_hash, state) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    signal.id,
                    signal.sender_id,
                    signal.sender_reference,
                    signal.body_sha256,
                    signal.received_at,
                    json.dumps(list(signal.recipients)),
                    signal.sealed_body,
                    entry.seq,
                    entry.hash,
                    "accepted",
                ),
            )
            return Accepted(
                StoredSignal(
                    id=signal.id,
                    sender_id=signal.sender_id,
                    sender_reference=signal.sender_reference,
                    body_sha256=signal.body_sha256,
                    received_at=signal.received_at,
                    recipients=signal.recipients,
                    audit_seq=entry.seq,
                    audit_hash=entry.hash,
                    state="accepted",
                ),
                replayed=False,
            )

        return await self.write(write)

    async def signal(self, signal_id: str) -> StoredSignal | None:
        def read(conn: sqlite3.Connection) -> StoredSignal | None:
            row = conn.execute(
                f"SELECT {_SIGNAL_COLUMNS} FROM signals WHERE id = ?", (signal_id,)
            ).fetchone()
            return None if row is None else _signal_from_row(row)

        return await self.read(read)

    def sealed_body(self, signal_id: str) -> bytes | None:
        row = self.read_sync(
            lambda conn: conn.execute(
                "SELECT sealed_body FROM signals WHERE id = ?", (signal_id,)
            ).fetchone()
        )
        return None if row is None else bytes(row[0])

    def signal_ids(self) -> list[str]:
        rows = self.read_sync(
            lambda conn: conn.execute("SELECT id FROM signals ORDER BY id").fetchall()
        )
        return [row[0] for row in rows]


_SIGNAL_COLUMNS = (
    "id, sender_id, sender_reference, body_sha256, received_at, recipients, audit_seq, "
    "audit_hash, state"
)
_CERT_COLUMNS = "fingerprint, partner_id, serial, not_before, not_after, state"
_PARTNER_COLUMNS = "id, name, country, agency_type, languages, state, webhook_url"


def _signal_from_row(row: tuple[Any, ...]) -> StoredSignal:
    return StoredSignal(
        id=row[0],
        sender_id=row[1],
        sender_reference=row[2],
        body_sha256=row[3],
        received_at=row[4],
        recipients=tuple(json.loads(row[5])),
        audit_seq=row[6],
        audit_hash=row[7],
        state=row[8],
    )


def _partner_from_row(row: tuple[Any, ...]) -> Partner:
    return Partner(
        id=row[0],
        name=row[1],
        country=row[2],
        agency_type=row[3],
        languages=tuple(json.loads(row[4])),
        state=PartnerState(row[5]),
        webhook_url=row[6],
    )


def _certificate_from_row(row: tuple[Any, ...]) -> Certificate:
    return Certificate(
        fingerprint=row[0],
        partner_id=row[1],
        serial=row[2],
        not_before=row[3],
        not_after=row[4],
        state=CertificateState(row[5]),
    )


def _all_partners(conn: sqlite3.Connection) -> list[Partner]:
    rows = conn.execute(f"SELECT {_PARTNER_COLUMNS} FROM partners ORDER BY id").fetchall()
    return [_partner_from_row(row) for row in rows]


def _partner(conn: sqlite3.Connection, partner_id: str) -> Partner:
    row = conn.execute(
        f"SELECT {_PARTNER_COLUMNS} FROM partners WHERE id = ?", (partner_id,)
    ).fetchone()
    if row is None:
        raise RegistryError("no partner {id}", id=partner_id)
    return _partner_from_row(row)


def _certificate(conn: sqlite3.Connection, fingerprint: str) -> Certificate | None:
    row = conn.execute(
        f"SELECT {_CERT_COLUMNS} FROM certificates WHERE fingerprint = ?", (fingerprint,)
    ).fetchone()
    return None if row is None else _certificate_from_row(row)
