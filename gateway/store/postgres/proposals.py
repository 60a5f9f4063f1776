"""Proposed changes to staff accounts, their decision and enrolment, in PostgreSQL.

Two administrators on two gateway instances may decide the same proposal at once, and two
browsers may use the same enrolment code: a decision locks the proposal's row
(``FOR UPDATE``) and reads its state only then, and enrolment consumes its code in one
conditional ``UPDATE``, so the first to commit wins and the other finds it decided or used.
One proposal waits per account: the partial unique index ``staff_proposals_open`` says so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from psycopg.errors import UniqueViolation

from gateway.infra.audit import AuditEvent
from gateway.infra.errors import RegistryError
from gateway.infra.i18n import N_
from gateway.staff.accounts import Desk, Role, StaffAccount, StaffState
from gateway.staff.proposals import NO_PASSWORD, Proposal, ProposalKind, ProposalState
from gateway.staff.sessions import Ended
from gateway.store.interface.proposals import Decided, EnrolmentCode, StaffProposalStore
from gateway.store.postgres.database import Connection, Database, Transaction
from gateway.store.postgres.sessions import end_sessions
from gateway.store.postgres.staff import check_desk, find_account, known_account, revoke_tokens
from gateway.store.postgres.throttle import clear_failures

_COLUMNS: Final = (
    "id, kind, staff_id, name, role, desk, language, proposed_by, proposed_at, state, "
    "decided_by, decided_at, code_expires_at"
)


class PostgresProposals(Database, StaffProposalStore):
    async def add_staff_proposal(
        self, proposal: Proposal, proposer_half: str | None, event: AuditEvent
    ) -> Proposal:
        account = proposal.account

        async def write(tx: Transaction) -> Proposal:
            existing = await find_account(tx.conn, account.id)
            if proposal.kind is ProposalKind.ADD and existing is not None:
                raise RegistryError(N_("staff {id} already exists"), id=account.id)
            if proposal.kind is not ProposalKind.ADD and existing is None:
                raise RegistryError(N_("no staff {id}"), id=account.id)
            await check_desk(tx.conn, account.desk)
            try:
                await tx.conn.execute(
                    f"INSERT INTO staff_proposals ({_COLUMNS}, approver_role, proposer_half) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, NULL, NULL, NULL, %s, %s)",
                    (
                        proposal.id,
                        str(proposal.kind),
                        account.id,
                        account.name,
                        str(account.role),
                        str(account.desk),
                        account.language,
                        proposal.proposed_by,
                        proposal.proposed_at,
                        str(ProposalState.PENDING),
                        str(proposal.approver_role),
                        proposer_half,
                    ),
                )
            except UniqueViolation as exc:
                raise RegistryError(
                    N_("a proposal for {id} already waits for a decision"), id=account.id
                ) from exc
            await tx.append(event)
            return await _proposal(tx.conn, proposal.id)

        return await self.write(write)

    async def staff_proposal(self, proposal_id: str) -> Proposal | None:
        return await self.read(lambda conn: _find(conn, proposal_id))

    async def staff_proposals(self, *states: ProposalState) -> list[Proposal]:
        wanted = [str(state) for state in states or ProposalState]

        async def read(conn: Connection) -> list[Proposal]:
            cursor = await conn.execute(
                f"SELECT {_COLUMNS} FROM staff_proposals WHERE state = ANY(%s) "
                "ORDER BY proposed_at, id",
                (wanted,),
            )
            return [_from_row(row) for row in await cursor.fetchall()]

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
        async def write(tx: Transaction) -> Decided:
            proposal = await _proposal(tx.conn, proposal_id, for_update=True)
            if proposal.state is not ProposalState.PENDING:
                raise RegistryError(N_("proposal {id} is no longer pending"), id=proposal_id)
            state = ProposalState.APPROVED if approve else ProposalState.REFUSED
            await tx.conn.execute(
                "UPDATE staff_proposals SET state = %s, decided_by = %s, decided_at = %s, "
                "approver_half = %s, code_expires_at = %s WHERE id = %s",
                (str(state), decided_by, now, approver_half, code_expires_at, proposal_id),
            )
            decided = Decided(await _proposal(tx.conn, proposal_id))
            if approve:
                decided = await _carry_out(tx, decided.proposal, name_key)
            await tx.append(event_for(decided))
            return decided

        return await self.write(write)

    async def enrolment_codes(self, staff_id: str, now: datetime) -> list[EnrolmentCode]:
        async def read(conn: Connection) -> list[EnrolmentCode]:
            cursor = await conn.execute(
                "SELECT id, proposer_half, approver_half FROM staff_proposals "
                "WHERE staff_id = %s AND state = %s AND kind = ANY(%s) AND code_expires_at > %s "
                "AND proposer_half IS NOT NULL AND approver_half IS NOT NULL "
                "ORDER BY decided_at DESC NULLS LAST",
                (
                    staff_id,
                    str(ProposalState.APPROVED),
                    [str(ProposalKind.ADD), str(ProposalKind.RESET)],
                    now,
                ),
            )
            return [
                EnrolmentCode(proposal_id=r[0], proposer_half=r[1], approver_half=r[2])
                for r in await cursor.fetchall()
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
        async def write(tx: Transaction) -> StaffAccount:
            cursor = await tx.conn.execute(
                "UPDATE staff_proposals SET state = %s, enrolled_at = %s "
                "WHERE id = %s AND state = %s AND code_expires_at > %s RETURNING staff_id",
                (
                    str(ProposalState.ENROLLED),
                    now,
                    proposal_id,
                    str(ProposalState.APPROVED),
                    now,
                ),
            )
            row = await cursor.fetchone()
            if row is None:
                raise RegistryError(N_("the enrolment code is used or expired"))
            staff_id = str(row[0])
            cursor = await tx.conn.execute(
                "UPDATE staff SET password_hash = %s, totp_sealed = %s, state = %s, "
                "updated_at = %s WHERE id = %s AND state = %s",
                (
                    password_hash,
                    totp_sealed,
                    str(StaffState.ACTIVE),
                    tx.now(),
                    staff_id,
                    str(StaffState.ENROLLING),
                ),
            )
            if cursor.rowcount != 1:
                raise RegistryError(N_("staff {id} does not wait for enrolment"), id=staff_id)
            await end_sessions(tx, staff_id, Ended.ENROLLED)
            await clear_failures(tx, name_key)
            await tx.append(event)
            return await known_account(tx.conn, staff_id)

        return await self.write(write)


async def _carry_out(tx: Transaction, proposal: Proposal, name_key: str) -> Decided:
    account = proposal.account
    if proposal.kind is ProposalKind.ADD:
        await _add_enrolling(tx, account)
        return Decided(proposal)
    if await find_account(tx.conn, account.id, for_update=True) is None:
        raise RegistryError(N_("no staff {id}"), id=account.id)
    if proposal.kind is ProposalKind.CHANGE:
        await check_desk(tx.conn, account.desk)
        await tx.conn.execute(
            "UPDATE staff SET role = %s, desk = %s, updated_at = %s WHERE id = %s",
            (str(account.role), str(account.desk), tx.now(), account.id),
        )
        ended = await end_sessions(tx, account.id, Ended.ACCOUNT_CHANGED)
        return Decided(proposal, sessions_ended=ended)
    await tx.conn.execute(
        "UPDATE staff SET password_hash = %s, totp_sealed = %s, updated_at = %s, "
        "state = CASE state WHEN %s THEN %s ELSE state END WHERE id = %s",
        (
            NO_PASSWORD,
            b"",
            tx.now(),
            str(StaffState.ACTIVE),
            str(StaffState.ENROLLING),
            account.id,
        ),
    )
    revoked = await revoke_tokens(tx, account.id)
    await clear_failures(tx, name_key)
    ended = await end_sessions(tx, account.id, Ended.CREDENTIALS_RESET)
    return Decided(proposal, tokens_revoked=revoked, sessions_ended=ended)


async def _add_enrolling(tx: Transaction, account: StaffAccount) -> None:
    """An approved addition: the account, waiting for its holder to enrol (one taken by a
    concurrent addition is found by the insert that does not happen)."""
    if await find_account(tx.conn, account.id) is not None:
        raise RegistryError(N_("staff {id} already exists"), id=account.id)
    await check_desk(tx.conn, account.desk)
    cursor = await tx.conn.execute(
        "INSERT INTO staff (id, name, role, desk, language, password_hash, totp_sealed, "
        "state, created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (id) DO NOTHING",
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
    if cursor.rowcount != 1:
        raise RegistryError(N_("staff {id} already exists"), id=account.id)


async def _find(conn: Connection, proposal_id: str, *, for_update: bool = False) -> Proposal | None:
    lock = " FOR UPDATE" if for_update else ""
    cursor = await conn.execute(
        f"SELECT {_COLUMNS} FROM staff_proposals WHERE id = %s{lock}", (proposal_id,)
    )
    row = await cursor.fetchone()
    return None if row is None else _from_row(row)


async def _proposal(conn: Connection, proposal_id: str, *, for_update: bool = False) -> Proposal:
    found = await _find(conn, proposal_id, for_update=for_update)
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
        proposed_at=row[8],
        state=ProposalState(row[9]),
        decided_by=row[10],
        decided_at=row[11],
        code_expires_at=row[12],
    )
