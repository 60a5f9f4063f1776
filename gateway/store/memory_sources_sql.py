"""What both backends' SQL shares about the signals the translation memory learnt each entry
from (:mod:`gateway.translate.memory_store`); erasing what one signal taught it is in
:mod:`gateway.store.retention_sql`."""

from __future__ import annotations

from typing import Final

LEARNT_FROM: Final = (
    "INSERT INTO memory_sources (entry_id, signal_id) VALUES ({entry}, {signal}) "
    "ON CONFLICT DO NOTHING"
)
"""An entry was learnt from a signal (``{entry}``, ``{signal}``: the backend's placeholders)."""

UNSOURCED: Final = (
    "SELECT count(*) FROM translation_memory m "
    "WHERE NOT EXISTS (SELECT 1 FROM memory_sources s WHERE s.entry_id = m.id)"
)
"""How many entries no signal is known to have taught."""
