"""Why a liaison officer rejected a copy: in words kept sealed like the signal it is about, and
by category, shown to the sender.

A reason is free text an officer writes about police information ("names a minor witness"),
so it is sealed under the master key (AES-256-GCM, :mod:`gateway.infra.vault`) and bound to its
review item: a sealed reason moved to another row does not open. It is opened only to show
it to the desk's officers beside the rejected copy. Its category, from a closed list
(:class:`~gateway.decide.review.RejectionCategory`), is all the sender learns of why.
"""

from __future__ import annotations

from gateway.decide.review import REJECTION_LABELS, RejectionCategory
from gateway.infra.i18n import translate
from gateway.infra.vault import MasterKey, SealedBlob


def seal_reason(master_key: MasterKey, item_id: str, reason: str) -> bytes:
    return master_key.seal(reason.encode(), context=reason_context(item_id)).to_bytes()


def open_reason(master_key: MasterKey, item_id: str, sealed: bytes) -> str:
    """The reason sealed for ``item_id``; :class:`~gateway.infra.vault.VaultError` if it was not."""
    return master_key.open(SealedBlob.from_bytes(sealed), context=reason_context(item_id)).decode()


def reason_context(item_id: str) -> bytes:
    return f"review:{item_id}:rejection".encode()


def rejection_category_json(code: str, language: str) -> dict[str, str]:
    """A rejection's category as its code and its label in ``language``."""
    label = REJECTION_LABELS[RejectionCategory(code)]
    return {"code": code, "label": translate(label, language)}
