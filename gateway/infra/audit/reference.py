"""``docs/audit-events.md``, written from the event types: ``make audit-events``.

python -m gateway.infra.audit.reference docs/audit-events.md
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from gateway.infra.audit.events import EVENTS
from gateway.infra.audit.refs import BARE, REF_DOCS, Ref, RefKind
from gateway.infra.audit.schema import (
    Absent,
    AuditEvent,
    DatumRole,
    Record,
    Slot,
    SubjectRole,
    layout_of,
)

INTRODUCTION = """\
# Audit events

<!-- Written from gateway/infra/audit/events.py by `make audit-events`; edit the types, not this.
-->

Every step of a signal's path, and every change to who may take part, is an entry in the
audit log: the RFC 8785 canonical JSON of `{seq, at, kind, actor, subject, data, prev}`,
each naming the SHA-256 of the entry before it. Each `kind` below has one type in
`gateway/infra/audit/events.py`; the gateway builds its entries only from those types, and every
entry reads back into its type. This page says, per kind, who the actor is, what the
subject is, what `data` holds, and what the entry never holds.

## What no entry holds

No entry holds what a signal says: no name, national number, date of birth, address or
free text of it, only ids, code-list values and SHA-256 digests. No entry holds a
password, a second factor, an enrolment code, a token's secret or any private key, nor a
person's name. A client's network address is written only where a row below says so
(sign-in, enrolment and refused authentication), as the operators' logs have it too.

## Actors and subjects

`actor` and `subject` are written as `kind:id`; the gateway itself and a caller who proved
no identity are the kind alone. An entry with no subject has `""`.

| written as | who or what |
| --- | --- |
"""

OLDER_FORMS = """
Entries are chained and never rewritten, so readers also take the forms older entries
have: a partner as actor written as its bare id (`be-pol-liege`, by inbox fetches and
acknowledgements), and a refused client certificate as actor (`certificate:FINGERPRINT`,
before refusals were summed up per minute and address).
"""


def render() -> str:
    """The whole page."""
    return "".join(_page())


def _page() -> Iterator[str]:
    yield INTRODUCTION
    for kind in RefKind:
        yield f"| `{_form(kind)}` | {REF_DOCS[kind]} |\n"
    yield OLDER_FORMS
    yield "\n## Kinds\n\n| kind | actor | subject |\n| --- | --- | --- |\n"
    for cls in EVENTS.values():
        actor = ", ".join(f"`{_form(k)}`" for k in layout_of(cls).actor[1].kinds)
        anchor = str(cls.kind).replace(".", "")
        yield f"| [`{cls.kind}`](#{anchor}) | {actor} | {_subject(cls) or 'none'} |\n"
    for cls in EVENTS.values():
        yield from _event(cls)


def _event(cls: type[AuditEvent]) -> Iterator[str]:
    layout = layout_of(cls)
    actor = layout.actor[1]
    yield f"\n### `{cls.kind}`\n\n{_doc(cls)}\n\n"
    kinds = " or ".join(f"`{_form(k)}`" for k in actor.kinds)
    yield f"- **actor**: {kinds}, {actor.doc}\n"
    yield f"- **subject**: {_subject(cls, described=True) or 'none'}\n"
    yield f"- **never holds**: {cls.withheld}\n"
    if layout.data:
        yield "\n| `data` key | value | meaning |\n| --- | --- | --- |\n"
        yield from _rows(layout.data, "")


def _rows(slots: tuple[Slot, ...], prefix: str) -> Iterator[str]:
    for slot in slots:
        key = prefix + slot.key
        yield f"| `{key}` | {_value(slot.type)} | {slot.role.doc} |\n"
        for record in _records(slot.type):
            inner = "[]." if get_origin(_present(slot.type)[0]) is tuple else "."
            yield from _rows(layout_of(record).data, key + inner)


def _subject(cls: type[AuditEvent], *, described: bool = False) -> str:
    found = layout_of(cls).subject
    if found is None:
        return ""
    name, role = found
    if isinstance(role, SubjectRole):
        form = " or ".join(f"`{_form(k)}`" for k in role.kinds)
        if layout_of(cls).subject_optional:
            form += " (or none)"
        return f"{form}, {role.doc}" if described else form
    assert isinstance(role, DatumRole)
    assert role.subject is not None
    form = f"`{_form(role.subject)}`"
    return f"{form}, with the `{role.key or name}` below" if described else form


def _form(kind: RefKind) -> str:
    return str(Ref(kind)) if kind in BARE else f"{kind}:ID"


def _doc(cls: type) -> str:
    return " ".join((cls.__doc__ or "").split()).replace("``", "`")


def _present(hint: Any) -> tuple[Any, ...]:
    """The members of a type but :class:`Absent`."""
    members = get_args(hint) if get_origin(hint) in (Union, types.UnionType) else (hint,)
    return tuple(m for m in members if m is not Absent)


def _records(hint: Any) -> Iterator[type[Record]]:
    for member in _present(hint):
        inner = get_args(member)[0] if get_origin(member) is tuple else member
        if isinstance(inner, type) and issubclass(inner, Record):
            yield inner


def _value(hint: Any) -> str:
    members = get_args(hint) if get_origin(hint) in (Union, types.UnionType) else (hint,)
    written = " or ".join(_one(m) for m in members if m is not Absent)
    return written + (", or absent" if Absent in members else "")


def _one(hint: Any) -> str:
    origin, args = get_origin(hint), get_args(hint)
    if origin is tuple:
        return f"list of {_one(args[0])}"
    if origin is dict:
        return f"object of {_one(args[1])}"
    if isinstance(hint, type) and issubclass(hint, Record):
        return "object"
    names = {str: "text", int: "integer", bool: "`true` or `false`", type(None): "null"}
    return names[hint]


def main(argv: list[str]) -> int:
    """Write the page to the path given, or to standard output."""
    if argv:
        Path(argv[0]).write_text(render(), encoding="utf-8")
    else:
        sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
