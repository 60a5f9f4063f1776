"""Proposed changes to staff accounts, their decision and enrolment, in SQLite."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from gateway.infra import audit
from gateway.infra.audit import AuditEvent
from gateway.infra.errors import RegistryError
from gateway.infra.i18n import N_
from gateway.staff.accounts import Desk, Role, StaffAccount, StaffState
from gateway.staff.proposals import NO_PASSWORD, Proposal, ProposalKind, ProposalState
from gateway.staff.sessions import Ended
from gateway.store.interface.proposals import Decided, EnrolmentCode, StaffProposalStore
from gateway.store.sqlite.database import Database, Transaction
from gateway.store.sqlite.sessions import end_sessions
from gateway.store.sqlite.staff import check_desk, find_account, known_account
from gateway.store.sqlite.throttle import clear_failures
from gateway.store.sqlite.times import moment, moment_or_none, stored_or_none

_COLUMNS: Final = (
    "id, kind, staff_id, name, role, desk, language, proposed_by, proposed_at, state, "
    "decided_by, decided_at, code_expires_at"
)


class SqliteProposals(Database, StaffProposalStore):
    async def add_staff_proposal(
        self, proposal: Proposal, proposer_half: str | None, event: AuditEvent
    ) -> Proposal:

        def write(tx: Transaction) -> Proposal:
            existing = find_account(tx.conn, proposal.account.id)
            if proposal.kind is ProposalKind.ADD and existing is not None:
                raise RegistryError(N_("staff {id} already exists"), id=proposal.account.id)
            if proposal.kind is not ProposalKind.ADD and existing is None:
                raise RegistryError(N_("no staff {id}"), id=proposal.account.id)
            check_desk(tx.conn, proposal.account.desk)
            account = proposal.account
            try:
                tx.conn.execute(
                    f"INSERT INTO staff_proposals ({_COLUMNS}, approver_role, proposer_half) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, ?)",
                    (
                        proposal.id,
                        str(proposal.kind),
                        account.id,
                        account.name,
                        str(account.role),
                        str(account.desk),
                        account.language,
                        proposal.proposed_by,
                        audit.timestamp(proposal.proposed_at),
                        str(ProposalState.PENDING),
                        str(proposal.approver_role),
                        proposer_half,
                    ),
                )
            except sqlite3.IntegrityError as exc:
                if "UNIQUE" not in str(exc):
                    raise
                raise RegistryError(
                    N_("a proposal for {id} already waits for a decision"), id=account.id
                ) from exc
            tx.append(event)
            return _proposal(tx.conn, proposal.id)

        return await self.write(write)

    async def staff_proposal(self, proposal_id: str) -> Proposal | None:
        return await self.read(lambda conn: _find(conn, proposal_id))

    async def staff_proposals(self, *states: ProposalState) -> list[Proposal]:
        wanted = [str(state) for state in states] or [str(state) for state in ProposalState]

        def read(conn: sqlite3.Connection) -> list[Proposal]:
            marks = ", ".join("?" for _ in wanted)
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM staff_proposals WHERE state IN ({marks}) "
                "ORDER BY proposed_at, id",
                wanted,
            ).fetchall()
            return [_from_row(row) for row in rows]

        return await self.read(read)

    async def decide_staff_proposal(
        self,
        proposal_id: str,
        *,
        approve: bool,
        decided_by: str,
        now: datetime,
        approver_half: str | None,
        code_expires_at: datetime | None,
        name_key: str,
        event_for: Callable[[Decided], AuditEvent],
    ) -> Decided:

        def write(tx: Transaction) -> Decided:
            proposal = _proposal(tx.conn, proposal_id)
            if proposal.state is not ProposalState.PENDING:
                raise RegistryError(N_("proposal {id} is no longer pending"), id=proposal_id)
            state = ProposalState.APPROVED if approve else ProposalState.REFUSED
            tx.conn.execute(
                "UPDATE staff_proposals SET state = ?, decided_by = ?, decided_at = ?, "
                "approver_half = ?, code_expires_at = ? WHERE id = ?",
                (
                    str(state),
                    decided_by,
                    audit.timestamp(now),
                    approver_half,
                    stored_or_none(code_expires_at),
                    proposal_id,
                ),
            )
            decided = Decided(_proposal(tx.conn, proposal_id))
            if approve:
                decided = _carry_out(tx, decided.proposal, name_key)
            tx.append(event_for(decided))
            return decided

        return await self.write(write)

    async def enrolment_codes(self, staff_id: str, now: datetime) -> list[EnrolmentCode]:
        def read(conn: sqlite3.Connection) -> list[EnrolmentCode]:
            rows = conn.execute(
                "SELECT id, proposer_half, approver_half FROM staff_proposals "
                "WHERE staff_id = ? AND state = ? AND kind IN (?, ?) AND code_expires_at > ? "
                "AND proposer_half IS NOT NULL AND approver_half IS NOT NULL "
                "ORDER BY decided_at DESC",
                (
                    staff_id,
                    str(ProposalState.APPROVED),
                    str(ProposalKind.ADD),
                    str(ProposalKind.RESET),
                    audit.timestamp(now),
                ),
            ).fetchall()
            return [
                EnrolmentCode(proposal_id=r[0], proposer_half=r[1], approver_half=r[2])
                for r in rows
            ]

        return await self.read(read)

    async def enrol_staff(
        self,
        proposal_id: str,
        *,
        password_hash: str,
        totp_sealed: bytes,
        now: datetime,
        name_key: str,
        event: AuditEvent,
    ) -> StaffAccount:

        def write(tx: Transaction) -> StaffAccount:
            row = tx.conn.execute(
                "UPDATE staff_proposals SET state = ?, enrolled_at = ? "
                "WHERE id = ? AND state = ? AND code_expires_at > ? RETURNING staff_id",
                (
                    str(ProposalState.ENROLLED),
                    audit.timestamp(now),
                    proposal_id,
                    str(ProposalState.APPROVED),
                    audit.timestamp(now),
                ),
            ).fetchone()
            if row is None:
                raise RegistryError(N_("the enrolment code is used or expired"))
            staff_id = str(row[0])
            changed = tx.conn.execute(
                "UPDATE staff SET password_hash = ?, totp_sealed = ?, state = ?, updated_at = ? "
                "WHERE id = ? AND state = ?",
                (
                    password_hash,
                    totp_sealed,
                    str(StaffState.ACTIVE),
                    tx.now(),
                    staff_id,
                    str(StaffState.ENROLLING),
                ),
            ).rowcount
            if changed != 1:
                raise RegistryError(N_("staff {id} does not wait for enrolment"), id=staff_id)
            end_sessions(tx, staff_id, Ended.ENROLLED)
            clear_failures(tx, name_key)
            tx.append(event)
            return known_account(tx.conn, staff_id)

        return await self.write(write)


def _carry_out(tx: Transaction, proposal: Proposal, name_key: str) -> Decided:
    account = proposal.account
    if proposal.kind is ProposalKind.ADD:
        if find_account(tx.conn, account.id) is not None:
            raise RegistryError(N_("staff {id} already exists"), id=account.id)
        check_desk(tx.conn, account.desk)
        tx.conn.execute(
            "INSERT INTO staff (id, name, role, desk, language, password_hash, totp_sealed, "
            "state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                account.id,
                account.name,
                str(account.role),
                str(account.desk),
                account.language,
                NO_PASSWORD,
                b"",
                str(StaffState.ENROLLING),
                tx.now(),
                tx.now(),
            ),
        )
        return Decided(proposal)
    if find_account(tx.conn, account.id) is None:
        raise RegistryError(N_("no staff {id}"), id=account.id)
    if proposal.kind is ProposalKind.CHANGE:
        check_desk(tx.conn, account.desk)
        tx.conn.execute(
            "UPDATE staff SET role = ?, desk = ?, updated_at = ? WHERE id = ?",
            (str(account.role), str(account.desk), tx.now(), account.id),
        )
        return Decided(proposal, sessions_ended=end_sessions(tx, account.id, Ended.ACCOUNT_CHANGED))
    tx.conn.execute(
        "UPDATE staff SET password_hash = ?, totp_sealed = ?, updated_at = ?, "
        "state = CASE state WHEN ? THEN ? ELSE state END WHERE id = ?",
        (
            NO_PASSWORD,
            b"",
            tx.now(),
            str(StaffState.ACTIVE),
            str(StaffState.ENROLLING),
            account.id,
        ),
    )
    revoked = tx.conn.execute(
        "UPDATE api_tokens SET revoked_at = ? WHERE staff_id = ? AND revoked_at IS NULL",
        (tx.now(), account.id),
    ).rowcount
    clear_failures(tx, name_key)
    ended = end_sessions(tx, account.id, Ended.CREDENTIALS_RESET)
    return Decided(proposal, tokens_revoked=revoked, sessions_ended=ended)


def _find(conn: sqlite3.Connection, proposal_id: str) -> Proposal | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM staff_proposals WHERE id = ?", (proposal_id,)
    ).fetchone()
    return None if row is None else _from_row(row)


def _proposal(conn: sqlite3.Connection, proposal_id: str) -> Proposal:
    found = _find(conn, proposal_id)
    if found is None:
        raise RegistryError(N_("no proposal {id}"), id=proposal_id)
    return found


def _from_row(row: tuple[Any, ...]) -> Proposal:
    return Proposal(
        id=row[0],
        kind=ProposalKind(row[1]),
        account=StaffAccount(
            id=row[2], name=row[3], role=Role(row[4]), desk=Desk.parse(row[5]), language=row[6]
        ),
        proposed_by=row[7],
        proposed_at=moment(row[8]),
        state=ProposalState(row[9]),
        decided_by=row[10],
        decided_at=moment_or_none(row[11]),
        code_expires_at=moment_or_none(row[12]),
    )
