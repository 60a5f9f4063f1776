"""A signal's sealed body kept in two places: its wrapped data key in a row of its own, the rest
beside the signal.

The blob's header and wrapped data key (:data:`~gateway.infra.vault.KEY_PART_SIZE` bytes) are
kept in ``signal_keys``, one small row per signal; the body's nonce and ciphertext in
``signals.sealed_body``. Erasing a signal deletes its key row, and with it the only wrapped
copy of its data key: what is left of the body can then be opened by no one. On PostgreSQL a
deleted row lingers as a dead version until its table is rewritten, and rewriting the small
``signal_keys`` table after each retention run is cheap where rewriting ``signals`` would not
be (:meth:`gateway.store.postgres.database.Database.purge_old_versions`).

The store's interface still takes and gives the whole blob: the backends split it here when
they write and join it when they read, so that nothing above the store knows.
"""

from __future__ import annotations

from typing import Final

from gateway.infra.vault import KEY_PART_SIZE

JOINED_BODY: Final = (
    "SELECT k.sealed_key, s.sealed_body FROM signals s JOIN signal_keys k ON k.signal_id = s.id "
    "WHERE s.id = {id} AND s.erased_at IS NULL"
)
"""A kept signal's key and body (``{id}``: the backend's placeholder); no row once erased."""

KEEP_KEY: Final = "INSERT INTO signal_keys (signal_id, sealed_key) VALUES ({id}, {key})"
"""A new signal's key row (the backend's placeholders for ``{id}`` and ``{key}``)."""

DESTROY_KEY: Final = "DELETE FROM signal_keys WHERE signal_id = {id}"
"""An erased signal's key row gone (``{id}``: the backend's placeholder)."""


def split(sealed: bytes) -> tuple[bytes, bytes]:
    """``sealed`` as its key part and the rest (nonce and ciphertext); :func:`joined` puts
    them back together byte for byte, whatever ``sealed`` holds."""
    return sealed[:KEY_PART_SIZE], sealed[KEY_PART_SIZE:]


def joined(key: bytes, body: bytes) -> bytes:
    """The whole sealed blob again, from what :func:`split` made of it."""
    return bytes(key) + bytes(body)
