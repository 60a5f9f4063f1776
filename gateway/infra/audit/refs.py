"""Who acted and what an entry is about, as the log names them: ``kind:id``.

An entry's ``actor`` and ``subject`` are written only by the builders here (``partner(id)``,
``staff(id)``, ``signal(id)``, …), so every reader can rely on one form. The gateway itself
and a caller who proved no identity are the kind alone: ``gateway``, ``anonymous``.

Entries are chained and never rewritten, so readers also accept the one older form: a
partner written as its bare id (the inbox and the webhook pusher wrote it so), which
:meth:`Ref.actor` reads as ``partner:ID``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Final


class RefKind(StrEnum):
    PARTNER = "partner"
    STAFF = "staff"
    ADMIN = "admin"
    GATEWAY = "gateway"
    ANONYMOUS = "anonymous"
    SIGNAL = "signal"
    CERTIFICATE = "certificate"
    GATEWAY_KEY = "gateway_key"
    POLICY = "policy"
    EXPORT = "export"
    DESK = "desk"
    MEMORY = "memory"


class AuditEntryInvalid(ValueError):
    """An actor, subject, event or stored entry outside the audit log's types: a mistake in
    the code that wrote it (or an entry changed by hand), never a caller's."""


_KINDS: Final = frozenset(RefKind)
BARE: Final = frozenset({RefKind.GATEWAY, RefKind.ANONYMOUS})
"""The kinds written without an id."""

REF_DOCS: Final[dict[RefKind, str]] = {
    RefKind.PARTNER: "a partner agency, by its id",
    RefKind.STAFF: "a person's staff account, by its id",
    RefKind.ADMIN: "an administrator at the command line, by the operating-system account",
    RefKind.GATEWAY: "the gateway itself",
    RefKind.ANONYMOUS: "a caller who proved no identity",
    RefKind.SIGNAL: "a signal, by its id",
    RefKind.CERTIFICATE: "a client certificate, by its SHA-256 fingerprint",
    RefKind.GATEWAY_KEY: "one of the gateway's signing keys, by its key id",
    RefKind.POLICY: "a sharing policy, by the SHA-256 of its file",
    RefKind.EXPORT: "an audit export, by its file name",
    RefKind.DESK: "a liaison desk (a country, a partner or `*`)",
    RefKind.MEMORY: "an entry of the translation memory, by its id",
}


@dataclass(frozen=True)
class Ref:
    """One actor or subject: its kind and, but for :data:`BARE` kinds, an id."""

    kind: RefKind
    id: str = ""

    def __post_init__(self) -> None:
        if (self.kind in BARE) != (self.id == ""):
            needs = "takes no" if self.kind in BARE else "needs an"
            raise AuditEntryInvalid(f"{self.kind} {needs} id")

    def __str__(self) -> str:
        return str(self.kind) if self.kind in BARE else f"{self.kind}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> Ref:
        """``kind:id``, or a bare kind."""
        kind, colon, ref_id = text.partition(":")
        if kind not in _KINDS:
            raise AuditEntryInvalid(f"{text!r} is not a reference the audit log writes")
        return cls(RefKind(kind), ref_id if colon else "")

    @classmethod
    def actor(cls, text: str) -> Ref:
        """An entry's actor, in the form written now or as a bare partner id."""
        if ":" not in text and text not in BARE:
            return partner(text)
        return cls.parse(text)


partner: Final = partial(Ref, RefKind.PARTNER)
staff: Final = partial(Ref, RefKind.STAFF)
admin: Final = partial(Ref, RefKind.ADMIN)
signal: Final = partial(Ref, RefKind.SIGNAL)
certificate: Final = partial(Ref, RefKind.CERTIFICATE)
gateway_key: Final = partial(Ref, RefKind.GATEWAY_KEY)
policy: Final = partial(Ref, RefKind.POLICY)
export: Final = partial(Ref, RefKind.EXPORT)
desk: Final = partial(Ref, RefKind.DESK)
memory: Final = partial(Ref, RefKind.MEMORY)

GATEWAY: Final = Ref(RefKind.GATEWAY)
ANONYMOUS: Final = Ref(RefKind.ANONYMOUS)
