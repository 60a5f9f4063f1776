"""The chain: an append-only sequence of entries, each holding its predecessor's hash.

An entry is the RFC 8785 canonical JSON of ``{seq, at, kind, actor, subject, data, prev}``;
its hash is the SHA-256 of those bytes. Changing, removing or reordering any entry breaks
the chain at that entry or the next, which :func:`verify` finds. Entries carry ids and
digests only: never a name, a national number or any other content of a signal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import rfc8785
from euregate_client import canonical as canonical_json

from gateway.infra.audit.schema import AuditEvent
from gateway.infra.i18n import N_, translate

GENESIS = "0" * 64
MISSING = N_("expected entry {expected}, found {found} (an entry is missing)")


@dataclass(frozen=True)
class AuditEntry:
    """An event with its place in the chain, exactly as stored."""

    seq: int
    at: str
    kind: str
    actor: str
    subject: str
    canonical: bytes
    hash: str

    @property
    def data(self) -> dict[str, object]:
        loaded = json.loads(self.canonical)
        result: dict[str, object] = loaded["data"]
        return result

    @property
    def prev(self) -> str:
        return str(json.loads(self.canonical)["prev"])


@dataclass(frozen=True)
class Verification:
    """The result of walking the chain: where it first fails, if it does."""

    checked: int
    last_seq: int
    last_hash: str
    first_bad_seq: int | None = None
    reason: str | None = None
    """A message id, told in a language by :meth:`reason_in`."""

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None

    def reason_in(self, language: str) -> str | None:
        return told_reason(
            self.reason, language, last_seq=self.last_seq, first_bad_seq=self.first_bad_seq
        )


def told_reason(
    reason: str | None, language: str, *, last_seq: int, first_bad_seq: int | None
) -> str | None:
    """Why a walk of the chain stopped (``reason``, a message id) in ``language``: the entry
    expected is the one after the last intact one, the entry found the first that fits not."""
    if reason is None:
        return None
    return translate(reason, language, expected=last_seq + 1, found=first_bad_seq)


def timestamp(moment: datetime) -> str:
    """UTC with microseconds and a ``Z``: sortable as text, unambiguous."""
    if moment.tzinfo is None:
        raise ValueError("audit timestamps need a timezone-aware datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def chain(event: AuditEvent, *, seq: int, prev_hash: str, at: datetime) -> AuditEntry:
    """Place ``event`` after the entry whose hash is ``prev_hash``."""
    when = timestamp(at)
    body: dict[str, Any] = {
        "seq": seq,
        "at": when,
        "kind": str(event.kind),
        "actor": event.actor,
        "subject": event.subject,
        "data": dict(event.data),
        "prev": prev_hash,
    }
    canonical = canonical_json.dumps(body)
    return AuditEntry(
        seq=seq,
        at=when,
        kind=str(event.kind),
        actor=event.actor,
        subject=event.subject,
        canonical=canonical,
        hash=hashlib.sha256(canonical).hexdigest(),
    )


def verify(entries: Iterable[AuditEntry], *, since: Verification | None = None) -> Verification:
    """Walk ``entries`` in sequence order and report the first that does not fit; ``since``
    is what walking the entries before them found (a long chain is walked in pages)."""
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    if since is not None:
        prev_hash, expected_seq, checked = since.last_hash, since.last_seq + 1, since.checked
    for entry in entries:
        reason = _misfit(entry, expected_seq=expected_seq, prev_hash=prev_hash)
        if reason is not None:
            return Verification(
                checked=checked,
                last_seq=expected_seq - 1,
                last_hash=prev_hash,
                first_bad_seq=entry.seq,
                reason=reason,
            )
        prev_hash, expected_seq, checked = entry.hash, entry.seq + 1, checked + 1
    return Verification(checked=checked, last_seq=expected_seq - 1, last_hash=prev_hash)


def _misfit(entry: AuditEntry, *, expected_seq: int, prev_hash: str) -> str | None:
    if entry.seq != expected_seq:
        return MISSING
    if hashlib.sha256(entry.canonical).hexdigest() != entry.hash:
        return N_("the entry's content does not match its hash")
    try:
        body = json.loads(entry.canonical)
    except ValueError:
        return N_("the entry is not JSON")
    if not isinstance(body, dict):
        return N_("the entry is not a JSON object")
    if rfc8785.dumps(body) != entry.canonical:
        return N_("the entry is not in canonical form")
    if body.get("prev") != prev_hash:
        return N_("the entry does not name the previous entry's hash")
    stated = (
        body.get("seq"),
        body.get("at"),
        body.get("kind"),
        body.get("actor"),
        body.get("subject"),
    )
    if stated != (entry.seq, entry.at, entry.kind, entry.actor, entry.subject):
        return N_("the entry's indexed columns differ from its content")
    return None
