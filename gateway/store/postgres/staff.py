"""Staff accounts, their credentials and their API tokens, in PostgreSQL.

A write that changes an account locks its row first (:func:`known_account` with
``for_update``), so two instances changing one account at once take turns; a sign-in keeps
its advanced second factor only if the row still holds the credentials it checked, a
compare-and-set that one sign-in wins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from psycopg.errors import UniqueViolation

from gateway.infra.audit import AuditEvent
from gateway.infra.errors import RegistryError
from gateway.infra.i18n import N_
from gateway.staff.accounts import Desk, Role, StaffAccount, StaffState
from gateway.staff.login import StaffRecord
from gateway.staff.proposals import NO_PASSWORD
from gateway.staff.sessions import Ended
from gateway.staff.tokens import ApiToken, NewToken
from gateway.store.interface.staff import CredentialsReset, StaffStore
from gateway.store.postgres.database import Connection, Database, Transaction
from gateway.store.postgres.sessions import end_sessions
from gateway.store.postgres.throttle import clear_failures

_COLUMNS: Final = "id, name, role, desk, language, state, created_at"
_ISSUED_COLUMNS: Final = "id, staff_id, label, created_at, revoked_at"


class PostgresStaff(Database, StaffStore):
    # --- accounts ------------------------------------------------------------------------

    async def add_staff(self, record: StaffRecord, event: AuditEvent) -> StaffAccount:
        account = record.account

        async def write(tx: Transaction) -> StaffAccount:
            await check_desk(tx.conn, account.desk)
            now = tx.now()
            try:
                await tx.conn.execute(
                    "INSERT INTO staff (id, name, role, desk, language, password_hash, "
                    "totp_sealed, state, created_at, updated_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (
                        account.id,
                        account.name,
                        str(account.role),
                        str(account.desk),
                        account.language,
                        record.password_hash,
                        record.totp_sealed,
                        str(account.state),
                        now,
                        now,
                    ),
                )
            except UniqueViolation as exc:
                raise RegistryError(N_("staff {id} already exists"), id=account.id) from exc
            await tx.append(event)
            return await known_account(tx.conn, account.id)

        return await self.write(write)

    async def update_staff(
        self, account: StaffAccount, event_for: Callable[[StaffAccount], AuditEvent]
    ) -> StaffAccount:
        async def write(tx: Transaction) -> StaffAccount:
            before = await known_account(tx.conn, account.id, for_update=True)
            await check_desk(tx.conn, account.desk)
            if (before.role, before.desk) != (account.role, account.desk):
                await end_sessions(tx, account.id, Ended.ACCOUNT_CHANGED)
            await tx.conn.execute(
                "UPDATE staff SET name = %s, role = %s, desk = %s, language = %s, "
                "updated_at = %s WHERE id = %s",
                (
                    account.name,
                    str(account.role),
                    str(account.desk),
                    account.language,
                    tx.now(),
                    account.id,
                ),
            )
            await tx.append(event_for(before))
            return await known_account(tx.conn, account.id)

        return await self.write(write)

    async def set_staff_state(
        self,
        staff_id: str,
        state: StaffState,
        event_for: Callable[[StaffAccount], AuditEvent],
    ) -> StaffAccount:
        async def write(tx: Transaction) -> StaffAccount:
            before = await known_account(tx.conn, staff_id, for_update=True)
            if state is StaffState.DISABLED:
                await end_sessions(tx, staff_id, Ended.DISABLED)
            await tx.conn.execute(
                "UPDATE staff SET state = CASE WHEN %s = %s AND password_hash = %s "
                "THEN %s ELSE %s END, updated_at = %s WHERE id = %s",
                (
                    str(state),
                    str(StaffState.ACTIVE),
                    NO_PASSWORD,
                    str(StaffState.ENROLLING),
                    str(state),
                    tx.now(),
                    staff_id,
                ),
            )
            await tx.append(event_for(before))
            return await known_account(tx.conn, staff_id)

        return await self.write(write)

    async def reset_staff_credentials(
        self,
        staff_id: str,
        *,
        password_hash: str,
        totp_sealed: bytes,
        event_for: Callable[[int], AuditEvent],
    ) -> CredentialsReset:
        async def write(tx: Transaction) -> CredentialsReset:
            await known_account(tx.conn, staff_id, for_update=True)
            await end_sessions(tx, staff_id, Ended.CREDENTIALS_RESET)
            await tx.conn.execute(
                "UPDATE staff SET password_hash = %s, totp_sealed = %s, updated_at = %s, "
                "state = CASE state WHEN %s THEN %s ELSE state END WHERE id = %s",
                (
                    password_hash,
                    totp_sealed,
                    tx.now(),
                    str(StaffState.ENROLLING),
                    str(StaffState.ACTIVE),
                    staff_id,
                ),
            )
            revoked = await revoke_tokens(tx, staff_id)
            await tx.append(event_for(revoked))
            return CredentialsReset(await known_account(tx.conn, staff_id), tokens_revoked=revoked)

        return await self.write(write)

    async def staff_account(self, staff_id: str) -> StaffAccount:
        return await self.read(lambda conn: known_account(conn, staff_id))

    async def staff_accounts(self) -> list[StaffAccount]:
        async def read(conn: Connection) -> list[StaffAccount]:
            cursor = await conn.execute(f"SELECT {_COLUMNS} FROM staff ORDER BY id")
            return [_account_from_row(row) for row in await cursor.fetchall()]

        return await self.read(read)

    # --- signing in ------------------------------------------------------------------------

    async def staff_record(self, staff_id: str) -> StaffRecord | None:
        async def read(conn: Connection) -> StaffRecord | None:
            cursor = await conn.execute(
                f"SELECT {_COLUMNS}, password_hash, totp_sealed FROM staff WHERE id = %s",
                (staff_id,),
            )
            row = await cursor.fetchone()
            if row is None:
                return None
            return StaffRecord(_account_from_row(row), password_hash=row[7], totp_sealed=row[8])

        return await self.read(read)

    async def record_login_success(
        self,
        seen: StaffRecord,
        *,
        totp_sealed: bytes,
        password_hash: str | None,
        event: AuditEvent,
        name_key: str,
        address: str,
    ) -> bool:
        async def write(tx: Transaction) -> bool:
            cursor = await tx.conn.execute(
                "UPDATE staff SET totp_sealed = %s, password_hash = %s "
                "WHERE id = %s AND totp_sealed = %s AND password_hash = %s AND state = %s",
                (
                    totp_sealed,
                    password_hash or seen.password_hash,
                    seen.account.id,
                    seen.totp_sealed,
                    seen.password_hash,
                    str(StaffState.ACTIVE),
                ),
            )
            if cursor.rowcount != 1:
                return False
            await clear_failures(tx, name_key, address)
            await tx.append(event)
            return True

        return await self.write(write)

    # --- API tokens ------------------------------------------------------------------------

    async def issue_token(self, token: NewToken, token_hash: str, event: AuditEvent) -> ApiToken:
        async def write(tx: Transaction) -> ApiToken:
            account = await known_account(tx.conn, token.staff_id, for_update=True)
            if not account.active:
                raise RegistryError(N_("staff {id} is not active"), id=token.staff_id)
            try:
                await tx.conn.execute(
                    "INSERT INTO api_tokens (id, staff_id, token_hash, label, created_at) "
                    "VALUES (%s, %s, %s, %s, %s)",
                    (token.id, token.staff_id, token_hash, token.label, tx.now()),
                )
            except UniqueViolation as exc:
                raise RegistryError(N_("token {id} already exists"), id=token.id) from exc
            await tx.append(event)
            return await _token(tx.conn, token.id)

        return await self.write(write)

    async def tokens(self, staff_id: str) -> list[ApiToken]:
        async def read(conn: Connection) -> list[ApiToken]:
            await known_account(conn, staff_id)
            cursor = await conn.execute(
                f"SELECT {_ISSUED_COLUMNS} FROM api_tokens WHERE staff_id = %s "
                "ORDER BY created_at, id",
                (staff_id,),
            )
            return [_token_from_row(row) for row in await cursor.fetchall()]

        return await self.read(read)

    async def revoke_token(
        self, token_id: str, event_for: Callable[[ApiToken], AuditEvent]
    ) -> ApiToken:
        async def write(tx: Transaction) -> ApiToken:
            cursor = await tx.conn.execute(
                f"UPDATE api_tokens SET revoked_at = %s WHERE id = %s AND revoked_at IS NULL "
                f"RETURNING {_ISSUED_COLUMNS}",
                (tx.now(), token_id),
            )
            row = await cursor.fetchone()
            if row is None:
                raise RegistryError(N_("no active token {id}"), id=token_id)
            revoked = _token_from_row(row)
            await tx.append(event_for(revoked))
            return revoked

        return await self.write(write)

    async def staff_for_token(self, token_hash: str) -> StaffAccount | None:
        async def read(conn: Connection) -> StaffAccount | None:
            cursor = await conn.execute(
                f"SELECT {', '.join('s.' + c for c in _COLUMNS.split(', '))} "
                "FROM api_tokens AS t JOIN staff AS s ON s.id = t.staff_id "
                "WHERE t.token_hash = %s AND t.revoked_at IS NULL AND s.state = %s",
                (token_hash, str(StaffState.ACTIVE)),
            )
            row = await cursor.fetchone()
            return None if row is None else _account_from_row(row)

        return await self.read(read)


def _account_from_row(row: tuple[Any, ...]) -> StaffAccount:
    return StaffAccount(
        id=row[0],
        name=row[1],
        role=Role(row[2]),
        desk=Desk.parse(row[3]),
        language=row[4],
        state=StaffState(row[5]),
        created_at=row[6],
    )


async def find_account(
    conn: Connection, staff_id: str, *, for_update: bool = False
) -> StaffAccount | None:
    """The account ``staff_id`` as ``conn`` sees it, if there is one (with ``for_update``,
    locked until the write ends)."""
    lock = " FOR UPDATE" if for_update else ""
    cursor = await conn.execute(f"SELECT {_COLUMNS} FROM staff WHERE id = %s{lock}", (staff_id,))
    row = await cursor.fetchone()
    return None if row is None else _account_from_row(row)


async def known_account(
    conn: Connection, staff_id: str, *, for_update: bool = False
) -> StaffAccount:
    """As :func:`find_account`, or a :class:`RegistryError` saying there is none."""
    found = await find_account(conn, staff_id, for_update=for_update)
    if found is None:
        raise RegistryError(N_("no staff {id}"), id=staff_id)
    return found


async def revoke_tokens(tx: Transaction, staff_id: str) -> int:
    """Within a reset: revoke every token of the account still in use; how many."""
    cursor = await tx.conn.execute(
        "UPDATE api_tokens SET revoked_at = %s WHERE staff_id = %s AND revoked_at IS NULL",
        (tx.now(), staff_id),
    )
    return cursor.rowcount


async def _token(conn: Connection, token_id: str) -> ApiToken:
    cursor = await conn.execute(
        f"SELECT {_ISSUED_COLUMNS} FROM api_tokens WHERE id = %s", (token_id,)
    )
    row = await cursor.fetchone()
    if row is None:
        raise RegistryError(N_("no token {id}"), id=token_id)
    return _token_from_row(row)


def _token_from_row(row: tuple[Any, ...]) -> ApiToken:
    return ApiToken(id=row[0], staff_id=row[1], label=row[2], created_at=row[3], revoked_at=row[4])


async def check_desk(conn: Connection, desk: Desk) -> None:
    """A desk may name only registered partners (:class:`RegistryError`)."""
    if not desk.partners:
        return
    cursor = await conn.execute(
        "SELECT id FROM partners WHERE id = ANY(%s)", (list(desk.partners),)
    )
    registered = {row[0] for row in await cursor.fetchall()}
    for partner_id in desk.partners:
        if partner_id not in registered:
            raise RegistryError(
                N_("desk names partner {id}, which is not registered"), id=partner_id
            )
