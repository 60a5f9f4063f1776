"""Re-wrapping what the store keeps sealed under the master key, in bounded batches.

Each value's data key is unwrapped under the version its blob names and wrapped again under
the current one; the body stays as it is. Each batch is its own transaction and replaces a
value only where the row still holds what was read, so a crash, or the gateway writing the
same row meanwhile, loses nothing: a value is under the old version or the new one, and
running again takes up what is left.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from gateway.flow.prepare import released_context
from gateway.flow.rejection import reason_context
from gateway.infra.vault import MasterKey, SealedBlob, VaultError
from gateway.staff.totp import sealed_context
from gateway.store import SealedColumn, SealedValue, Store
from gateway.translate.etranslation_backend import translation_context
from gateway.translate.memory import MemorySealer

CONTEXTS: Final[Mapping[SealedColumn, Callable[[str], bytes]]] = {
    SealedColumn.SIGNAL_BODY: lambda signal_id: signal_id.encode(),
    SealedColumn.RELEASED_TEXT: released_context,
    SealedColumn.REJECTION_REASON: reason_context,
    SealedColumn.STAFF_TOTP: sealed_context,
    SealedColumn.TRANSLATION_JOB: translation_context,
}
"""What each kind of value is sealed for, given its row's id: as the code that seals it says
(a translation memory entry is bound to its whole record, :class:`MemorySealer`)."""


class ValueDoesNotOpen(VaultError):
    """A value that opens under none of the keyring's versions: tampered, or sealed for
    another row. A rotation cannot finish while it is there."""

    def __init__(self, value: SealedValue) -> None:
        super().__init__(f"{value.column} of {value.row_id} does not open under any master key")
        self.value = value


@dataclass
class Progress:
    """How many values of each kind were re-wrapped so far."""

    rewrapped: dict[SealedColumn, int] = field(
        default_factory=lambda: dict.fromkeys(SealedColumn, 0)
    )

    @property
    def total(self) -> int:
        return sum(self.rewrapped.values())


def rewrap_value(master_key: MasterKey, value: SealedValue) -> bytes:
    """``value`` sealed anew under the current version; :class:`ValueDoesNotOpen` if it does
    not open."""
    context = CONTEXTS[value.column](value.row_id)
    try:
        blob = SealedBlob.from_bytes(value.sealed)
        return master_key.rewrap(blob, context=context).to_bytes()
    except VaultError as exc:
        raise ValueDoesNotOpen(value) from exc


async def _rewrapped_memory(
    store: Store, master_key: MasterKey, values: list[SealedValue]
) -> list[tuple[SealedValue, bytes]]:
    """A memory entry is bound to more than its id (pair, desk, officers): its record says."""
    sealer = MemorySealer(master_key)
    replaced = []
    for value in values:
        record = await store.memory_record(value.row_id)
        if record is None or record.sealed != value.sealed:
            continue  # forgotten or written anew meanwhile: under the current version, if kept
        try:
            replaced.append((value, await asyncio.to_thread(sealer.rewrapped, record)))
        except VaultError as exc:
            raise ValueDoesNotOpen(value) from exc
    return replaced


async def rewrap_all(
    store: Store,
    master_key: MasterKey,
    *,
    batch: int,
    pause: float = 0.0,
    on_batch: Callable[[Progress], None] = lambda _: None,
) -> Progress:
    """One pass over every sealed value not under the current version, ``batch`` at a time,
    each batch committed before the next is read, ``pause`` seconds between batches (to go
    easy on a gateway that serves meanwhile)."""
    progress = Progress()
    for column in SealedColumn:
        after = ""
        while found := await store.sealed_values(
            column, after=after, limit=batch, not_version=master_key.version
        ):
            if column == SealedColumn.MEMORY_ENTRY:
                replaced = await _rewrapped_memory(store, master_key, found)
            else:
                replaced = await asyncio.to_thread(_rewrapped, master_key, found)
            progress.rewrapped[column] += await store.replace_sealed(replaced)
            after = found[-1].row_id
            on_batch(progress)
            if pause:
                await asyncio.sleep(pause)
    return progress


def _rewrapped(master_key: MasterKey, values: list[SealedValue]) -> list[tuple[SealedValue, bytes]]:
    return [(value, rewrap_value(master_key, value)) for value in values]


async def left_to_rewrap(store: Store, master_key: MasterKey) -> int:
    """How many values are not yet under the current version."""
    counts = [
        await store.count_sealed(column, not_version=master_key.version) for column in SealedColumn
    ]
    return sum(counts)
