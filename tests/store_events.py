"""Audit events for the store's tests. The store keeps whatever event it is handed, in
the chain, and reads entries back only for the audit search; so where a test does not care
what an event says, it hands the store :func:`an_event` of the kind the real caller writes, a
well-formed one (every entry the suite writes must read back into its type).
:class:`AsWrittenBefore` is an entry in the one older form that readers must still take."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from gateway.infra.audit import AuditEvent, EventKind
from gateway.infra.audit.events import EVENTS
from gateway.infra.audit.refs import BARE, Ref, RefKind
from gateway.infra.audit.schema import Absent, layout_of


def an_event(kind: EventKind, **given: Any) -> AuditEvent:
    """An event of ``kind`` with the fields ``given`` and stand-ins for the others it needs:
    a reference of the first kind its actor and subject may be, ``"x"``, ``0``, ``false``,
    nothing where a datum may be null or empty; an optional datum is left out."""
    cls = EVENTS[kind]
    layout = layout_of(cls)
    roles: dict[str, tuple[RefKind, ...]] = {layout.actor[0]: layout.actor[1].kinds}
    if layout.subject is not None and hasattr(layout.subject[1], "kinds"):
        roles[layout.subject[0]] = layout.subject[1].kinds  # type: ignore[union-attr]
    hints = get_type_hints(cls)
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        needed = field.default is dataclasses.MISSING and field.name not in given
        if not needed:
            continue
        if field.name in roles:
            values[field.name] = _ref(roles[field.name][0])
        else:
            values[field.name] = _stand_in(hints[field.name])
    return cls(**values, **given)


def _ref(kind: RefKind) -> Ref:
    return Ref(kind) if kind in BARE else Ref(kind, "x")


def _stand_in(hint: Any) -> Any:
    members = get_args(hint) if get_origin(hint) in (Union, UnionType) else (hint,)
    if type(None) in members:
        return None
    first = next(member for member in members if member is not Absent)
    origin = get_origin(first)
    if origin is tuple:
        return ()
    if origin is dict:
        return {}
    return {str: "x", int: 0, bool: False}[first]


@dataclass(frozen=True)
class AsWrittenBefore:
    """An inbox fetch as the code before the typed events wrote it: the recipient as actor
    by its bare id."""

    recipient: str
    signal_id: str
    kind: str = "inbox.fetched"

    @property
    def actor(self) -> str:
        return self.recipient

    @property
    def subject(self) -> str:
        return f"partner:{self.recipient}"

    @property
    def data(self) -> dict[str, object]:
        return {"envelopes": ["e1"], "signals": [self.signal_id], "after": 0}
