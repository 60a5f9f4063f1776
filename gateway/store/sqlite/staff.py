"""Staff accounts, their credentials and their API tokens, in SQLite."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from gateway.infra.audit import AuditEvent
from gateway.infra.errors import RegistryError
from gateway.infra.i18n import N_
from gateway.staff.accounts import Desk, Role, StaffAccount, StaffState
from gateway.staff.login import StaffRecord
from gateway.staff.proposals import NO_PASSWORD
from gateway.staff.sessions import Ended
from gateway.staff.tokens import ApiToken, NewToken
from gateway.store.interface.staff import CredentialsReset, StaffStore
from gateway.store.sqlite.database import Database, Transaction
from gateway.store.sqlite.sessions import end_sessions
from gateway.store.sqlite.throttle import clear_failures
from gateway.store.sqlite.times import moment, moment_or_none

_COLUMNS = "id, name, role, desk, language, state, created_at"
_ISSUED_COLUMNS = "id, staff_id, label, created_at, revoked_at"


class SqliteStaff(Database, StaffStore):
    # --- accounts ------------------------------------------------------------------------

    async def add_staff(self, record: StaffRecord, event: AuditEvent) -> StaffAccount:
        account = record.account

        def write(tx: Transaction) -> StaffAccount:
            check_desk(tx.conn, account.desk)
            now = tx.now()
            try:
                tx.conn.execute(
                    "INSERT INTO staff (id, name, role, desk, language, password_hash, "
                    "totp_sealed, state, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            except sqlite3.IntegrityError as exc:
                raise RegistryError(N_("staff {id} already exists"), id=account.id) from exc
            tx.append(event)
            return known_account(tx.conn, account.id)

        return await self.write(write)

    async def update_staff(
        self, account: StaffAccount, event_for: Callable[[StaffAccount], AuditEvent]
    ) -> StaffAccount:

        def write(tx: Transaction) -> StaffAccount:
            before = known_account(tx.conn, account.id)
            check_desk(tx.conn, account.desk)
            if (before.role, before.desk) != (account.role, account.desk):
                end_sessions(tx, account.id, Ended.ACCOUNT_CHANGED)
            tx.conn.execute(
                "UPDATE staff SET name = ?, role = ?, desk = ?, language = ?, updated_at = ? "
                "WHERE id = ?",
                (
                    account.name,
                    str(account.role),
                    str(account.desk),
                    account.language,
                    tx.now(),
                    account.id,
                ),
            )
            tx.append(event_for(before))
            return known_account(tx.conn, account.id)

        return await self.write(write)

    async def set_staff_state(
        self,
        staff_id: str,
        state: StaffState,
        event_for: Callable[[StaffAccount], AuditEvent],
    ) -> StaffAccount:

        def write(tx: Transaction) -> StaffAccount:
            before = known_account(tx.conn, staff_id)
            if state is StaffState.DISABLED:
                end_sessions(tx, staff_id, Ended.DISABLED)
            tx.conn.execute(
                "UPDATE staff SET state = CASE WHEN ? = ? AND password_hash = ? THEN ? ELSE ? END, "
                "updated_at = ? WHERE id = ?",
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
            tx.append(event_for(before))
            return known_account(tx.conn, staff_id)

        return await self.write(write)

    async def reset_staff_credentials(
        self,
        staff_id: str,
        *,
        password_hash: str,
        totp_sealed: bytes,
        event_for: Callable[[int], AuditEvent],
    ) -> CredentialsReset:
        def write(tx: Transaction) -> CredentialsReset:
            known_account(tx.conn, staff_id)
            end_sessions(tx, staff_id, Ended.CREDENTIALS_RESET)
            now = tx.now()
            tx.conn.execute(
                "UPDATE staff SET password_hash = ?, totp_sealed = ?, updated_at = ?, "
                "state = CASE state WHEN ? THEN ? ELSE state END WHERE id = ?",
                (
                    password_hash,
                    totp_sealed,
                    now,
                    str(StaffState.ENROLLING),
                    str(StaffState.ACTIVE),
                    staff_id,
                ),
            )
            revoked = tx.conn.execute(
                "UPDATE api_tokens SET revoked_at = ? WHERE staff_id = ? AND revoked_at IS NULL",
                (now, staff_id),
            ).rowcount
            tx.append(event_for(revoked))
            return CredentialsReset(known_account(tx.conn, staff_id), tokens_revoked=revoked)

        return await self.write(write)

    async def staff_account(self, staff_id: str) -> StaffAccount:
        return await self.read(lambda conn: known_account(conn, staff_id))

    async def staff_accounts(self) -> list[StaffAccount]:
        def read(conn: sqlite3.Connection) -> list[StaffAccount]:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM staff ORDER BY id").fetchall()
            return [_account_from_row(row) for row in rows]

        return await self.read(read)

    # --- signing in ------------------------------------------------------------------------

    async def staff_record(self, staff_id: str) -> StaffRecord | None:
        def read(conn: sqlite3.Connection) -> StaffRecord | None:
            row = conn.execute(
                f"SELECT {_COLUMNS}, password_hash, totp_sealed FROM staff WHERE id = ?",
                (staff_id,),
            ).fetchone()
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

        def write(tx: Transaction) -> bool:
            changed = tx.conn.execute(
                "UPDATE staff SET totp_sealed = ?, password_hash = ? "
                "WHERE id = ? AND totp_sealed = ? AND password_hash = ? AND state = ?",
                (
                    totp_sealed,
                    password_hash or seen.password_hash,
                    seen.account.id,
                    seen.totp_sealed,
                    seen.password_hash,
                    str(StaffState.ACTIVE),
                ),
            ).rowcount
            if changed != 1:
                return False
            clear_failures(tx, name_key, address)
            tx.append(event)
            return True

        return await self.write(write)

    # --- API tokens ------------------------------------------------------------------------

    async def issue_token(self, token: NewToken, token_hash: str, event: AuditEvent) -> ApiToken:
        def write(tx: Transaction) -> ApiToken:
            if not known_account(tx.conn, token.staff_id).active:
                raise RegistryError(N_("staff {id} is not active"), id=token.staff_id)
            try:
                tx.conn.execute(
                    "INSERT INTO api_tokens (id, staff_id, token_hash, label, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (token.id, token.staff_id, token_hash, token.label, tx.now()),
                )
            except sqlite3.IntegrityError as exc:
                raise RegistryError(N_("token {id} already exists"), id=token.id) from exc
            tx.append(event)
            return _token(tx.conn, token.id)

        return await self.write(write)

    async def tokens(self, staff_id: str) -> list[ApiToken]:
        def read(conn: sqlite3.Connection) -> list[ApiToken]:
            known_account(conn, staff_id)
            rows = conn.execute(
                f"SELECT {_ISSUED_COLUMNS} FROM api_tokens WHERE staff_id = ? "
                "ORDER BY created_at, id",
                (staff_id,),
            ).fetchall()
            return [_token_from_row(row) for row in rows]

        return await self.read(read)

    async def revoke_token(
        self, token_id: str, event_for: Callable[[ApiToken], AuditEvent]
    ) -> ApiToken:
        def write(tx: Transaction) -> ApiToken:
            changed = tx.conn.execute(
                "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (tx.now(), token_id),
            ).rowcount
            if changed != 1:
                raise RegistryError(N_("no active token {id}"), id=token_id)
            revoked = _token(tx.conn, token_id)
            tx.append(event_for(revoked))
            return revoked

        return await self.write(write)

    async def staff_for_token(self, token_hash: str) -> StaffAccount | None:
        def read(conn: sqlite3.Connection) -> StaffAccount | None:
            row = conn.execute(
                f"SELECT {', '.join('s.' + c for c in _COLUMNS.split(', '))} "
                "FROM api_tokens AS t JOIN staff AS s ON s.id = t.staff_id "
                "WHERE t.token_hash = ? AND t.revoked_at IS NULL AND s.state = ?",
                (token_hash, str(StaffState.ACTIVE)),
            ).fetchone()
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
        created_at=moment(row[6]),
    )


def find_account(conn: sqlite3.Connection, staff_id: str) -> StaffAccount | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM staff WHERE id = ?", (staff_id,)).fetchone()
    return None if row is None else _account_from_row(row)


def known_account(conn: sqlite3.Connection, staff_id: str) -> StaffAccount:
    """The account ``staff_id``, or a :class:`RegistryError` saying there is none."""
    found = find_account(conn, staff_id)
    if found is None:
        raise RegistryError(N_("no staff {id}"), id=staff_id)
    return found


def _token(conn: sqlite3.Connection, token_id: str) -> ApiToken:
    row = conn.execute(
        f"SELECT {_ISSUED_COLUMNS} FROM api_tokens WHERE id = ?", (token_id,)
    ).fetchone()
    if row is None:
        raise RegistryError(N_("no token {id}"), id=token_id)
    return _token_from_row(row)


def _token_from_row(row: tuple[Any, ...]) -> ApiToken:
    return ApiToken(
        id=row[0],
        staff_id=row[1],
        label=row[2],
        created_at=moment(row[3]),
        revoked_at=moment_or_none(row[4]),
    )


def check_desk(conn: sqlite3.Connection, desk: Desk) -> None:
    for partner_id in desk.partners:
        if conn.execute("SELECT 1 FROM partners WHERE id = ?", (partner_id,)).fetchone() is None:
            raise RegistryError(
                N_("desk names partner {id}, which is not registered"), id=partner_id
            )
