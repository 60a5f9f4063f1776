"""Which audit entries a partner may have an inclusion proof for: those about its own exchanges.

An entry concerns partner ``P`` when

- ``P`` is its actor: whatever ``P`` did (its signals, explanations, fetches,
  acknowledgements, cosignatures, reports);
- its subject is ``P`` itself (``partner:P``): its registration, certificates, keys and
  witness keys;
- its subject is a signal ``P`` sent (``signal:S``, ``S`` sent by ``P``): every step of it,
  for every recipient;
- or it is a step of a copy the gateway sealed for ``P``: a ``copy.sealed``,
  ``inbox.acknowledged``, ``delivery.attempted`` or ``delivery.retried`` entry naming ``P`` as
  its ``recipient`` (:attr:`~gateway.infra.audit.keys.Key.RECIPIENT`). Not the review steps of a
  copy for ``P``: a copy an officer still holds or rejected does not exist for its recipient,
  and a proof would tell it that an entry is about it.

Any other entry is answered as one that does not exist (404), so nobody learns what others'
entries are about.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from gateway.infra.audit import AuditEntry, EventKind
from gateway.infra.audit.keys import Key
from gateway.infra.audit.refs import AuditEntryInvalid, Ref, RefKind

COPY_STEPS: Final = frozenset(
    {
        EventKind.COPY_SEALED,
        EventKind.INBOX_ACKNOWLEDGED,
        EventKind.DELIVERY_ATTEMPTED,
        EventKind.DELIVERY_RETRIED,
    }
)
"""Entries that exist only for a copy the gateway sealed for its ``recipient``."""


def signal_of(entry: AuditEntry) -> str | None:
    """The id of the signal the entry is about, if it is about one."""
    subject = _ref(entry.subject, Ref.parse)
    return subject.id if subject is not None and subject.kind is RefKind.SIGNAL else None


def concerns(entry: AuditEntry, partner_id: str, *, signal_sender: str | None) -> bool:
    """Whether ``entry`` is about ``partner_id``'s own exchanges; ``signal_sender`` is the
    sender of the signal the entry is about (:func:`signal_of`), if it is about one."""
    mine = Ref(RefKind.PARTNER, partner_id)
    if _ref(entry.actor, Ref.actor) == mine or _ref(entry.subject, Ref.parse) == mine:
        return True
    if signal_of(entry) is None:
        return False
    if signal_sender == partner_id:
        return True
    return entry.kind in COPY_STEPS and _recipient(entry) == partner_id


def _ref(text: str, read: Callable[[str], Ref]) -> Ref | None:
    if not text:
        return None
    try:
        return read(text)
    except AuditEntryInvalid:
        return None


def _recipient(entry: AuditEntry) -> object:
    try:
        return entry.data.get(Key.RECIPIENT)
    except (ValueError, KeyError, TypeError):
        return None
