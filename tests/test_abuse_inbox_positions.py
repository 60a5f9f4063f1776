"""Inbox positions are each partner's own: 1, 2, 3, ... whatever anyone else receives, so a
position tells a partner nothing about other partners' traffic (issue 9, finding 14).

Against the real gateway over mutual TLS, and the schema migration that numbers envelopes
kept under the earlier, global numbering.
"""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlite_utils

from gateway.store.migrations import MIGRATIONS, SCHEMA_VERSION
from gateway.store.migrations.sqlite_steps import add_inbox_positions
from gateway.store.sqlite import schema
from tests.conftest import RunningGateway

DUTCH = "nl-drug-waste-maastricht.json"
A, B = "be-pol-lanaken", "nl-gem-maastricht"  # both read Dutch: no review holds a copy


async def send_to(
    gateway: RunningGateway, document: dict[str, Any], recipient: str, reference: str
) -> None:
    signal = copy.deepcopy(document)
    signal["recipients"] = {"partners": [recipient]}
    signal["sender_reference"] = reference
    async with gateway.client("nl-pol-limburg") as sender:
        await sender.post_signal(signal)


async def positions_of(gateway: RunningGateway, partner_id: str, count: int) -> list[int]:
    """The positions of the first ``count`` envelopes in ``partner_id``'s inbox (waits for
    them; unacknowledged, so every pull starts from the beginning)."""
    async with gateway.client(partner_id) as client:
        answer = await client.inbox_page(wait=10)
        while len(answer["envelopes"]) < count:
            answer = await client.inbox_page(wait=10)
        return [int(entry["position"]) for entry in answer["envelopes"]]


async def test_each_partner_counts_its_own_envelopes_whatever_the_others_receive(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    document = example(DUTCH)
    plan = [A, B, B, B, A, B, A, B]
    for number, recipient in enumerate(plan):
        await send_to(gateway, document, recipient, f"POS/{number}")
        # each copy sealed before the next signal, so the two inboxes interleave for certain
        await positions_of(gateway, recipient, plan[: number + 1].count(recipient))

    assert await positions_of(gateway, A, 3) == [1, 2, 3]
    assert await positions_of(gateway, B, 5) == [1, 2, 3, 4, 5]


async def test_the_cursor_continues_in_the_partners_own_numbering(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    document = example(DUTCH)
    for number in range(3):
        await send_to(gateway, document, B, f"POS/OTHER/{number}")
    await positions_of(gateway, B, 3)
    await send_to(gateway, document, A, "POS/MINE/0")
    await send_to(gateway, document, A, "POS/MINE/1")

    async with gateway.client(A) as client:
        first = await client.inbox_page(wait=10, limit=1)
        assert [e["position"] for e in first["envelopes"]] == [1]
        assert first["cursor"] == 1
        second = await client.inbox_page(after=first["cursor"], wait=10)
        assert [e["position"] for e in second["envelopes"]] == [2]
        assert second["cursor"] == 2


def test_the_migration_numbers_envelopes_kept_before_it_per_recipient_in_their_order(
    tmp_path: Path,
) -> None:
    path = tmp_path / "before.db"
    before = next(m.version for m in MIGRATIONS if m.sqlite is add_inbox_positions) - 1
    conn = schema.connect(path)
    db = sqlite_utils.Database(conn)
    for migration in MIGRATIONS[:before]:
        migration.sqlite(db)
    db.table("meta").upsert({"key": "schema_version", "value": str(before)}, pk="key")
    recipients = ["a", "b", "b", "a", "c", "b", "a", "a", "c"]
    conn.execute("PRAGMA foreign_keys = OFF")  # only the envelopes matter to the numbering
    for seq, recipient in enumerate(recipients, start=1):
        conn.execute(
            "INSERT INTO envelopes (seq, id, copy_id, signal_id, recipient_id, key_id, envelope, "
            "created_at) VALUES (?, ?, ?, 's', ?, 'k', x'00', '2026-03-02T09:00:00Z')",
            (seq * 10, f"e{seq}", f"c{seq}", f"nl-{recipient}"),
        )
    conn.close()

    schema.open_schema(path, migrate=True)

    with sqlite3.connect(path) as migrated:
        rows = migrated.execute(
            "SELECT recipient_id, position FROM envelopes ORDER BY seq"
        ).fetchall()
        (version,) = migrated.execute(
            "SELECT value FROM meta WHERE key = 'schema_version'"
        ).fetchone()
    migrated.close()
    assert rows == [
        ("nl-a", 1),
        ("nl-b", 1),
        ("nl-b", 2),
        ("nl-a", 2),
        ("nl-c", 1),
        ("nl-b", 3),
        ("nl-a", 3),
        ("nl-a", 4),
        ("nl-c", 2),
    ]
    assert int(version) == SCHEMA_VERSION
