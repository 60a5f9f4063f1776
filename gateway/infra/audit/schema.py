"""How a typed audit event declares its entry, and how it is written and read back.

An event is a frozen, keyword-only dataclass whose fields say where they go: one field is
the actor (:func:`acted_by`), at most one the subject (:func:`about`, or a datum that also
names the subject), and the rest are the entry's ``data`` under the keys of
:class:`~gateway.infra.audit.keys.Key` (:func:`datum`). From that one declaration an event
gives the store its ``kind``, ``actor``, ``subject`` and ``data``, is read back from a
stored entry (:meth:`AuditEvent.parsed`), and is described in ``docs/audit-events.md``.

A datum whose value may be :data:`ABSENT` is left out of the entry then, which is not the
same as writing it as ``null``; reading it back gives :data:`ABSENT` again.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field
from enum import Enum
from typing import (
    Any,
    ClassVar,
    Final,
    Self,
    Union,
    cast,
    dataclass_transform,
    get_args,
    get_origin,
)
from typing import get_type_hints as type_hints

from gateway.infra.audit.keys import Key
from gateway.infra.audit.kinds import EventKind
from gateway.infra.audit.refs import AuditEntryInvalid, Ref, RefKind

_ROLE: Final = "euregate.audit"
_KEYS: Final = frozenset(Key)


class Absent(Enum):
    """A datum an entry leaves out."""

    ABSENT = "absent"


ABSENT: Final = Absent.ABSENT


@dataclass(frozen=True)
class ActorRole:
    kinds: tuple[RefKind, ...]
    doc: str


@dataclass(frozen=True)
class SubjectRole:
    kinds: tuple[RefKind, ...]
    doc: str


@dataclass(frozen=True)
class DatumRole:
    doc: str
    key: Key | None = None
    subject: RefKind | None = None
    """The subject is this datum's value as a reference of this kind."""


def acted_by(*kinds: RefKind, doc: str = "", default: Ref | None = None) -> Any:
    """The field holding the actor, a :class:`Ref` of one of ``kinds``."""
    role = {_ROLE: ActorRole(kinds, doc)}
    return field(metadata=role) if default is None else field(default=default, metadata=role)


def about(*kinds: RefKind, doc: str = "") -> Any:
    """The field holding the subject, a :class:`Ref` of one of ``kinds``."""
    return field(metadata={_ROLE: SubjectRole(kinds, doc)})


def datum(
    doc: str, *, key: Key | None = None, subject: RefKind | None = None, default: object = MISSING
) -> Any:
    """A field written under ``key`` (by default the field's name) in the entry's data."""
    return field(default=default, metadata={_ROLE: DatumRole(doc, key, subject)})


@dataclass(frozen=True)
class Slot:
    """One field of a record as it is written: its name, key, type and role."""

    name: str
    key: Key
    type: Any
    role: DatumRole

    @property
    def optional(self) -> bool:
        return Absent in _members(self.type)


@dataclass(frozen=True)
class Layout:
    actor: tuple[str, ActorRole]
    subject: tuple[str, SubjectRole | DatumRole] | None
    data: tuple[Slot, ...]
    subject_optional: bool = False
    """The subject field may be ``None``: the entry then has none."""


# --- the layout of a record, read once from its fields ------------------------------------------


def layout_of(cls: type[Record]) -> Layout:
    """Where each field of ``cls`` goes."""
    return cls._layout


def _read_layout(cls: type[Record]) -> Layout:
    """Read when ``cls`` is made: a declaration that does not add up is a TypeError then."""
    hints = type_hints(cls)
    actor: tuple[str, ActorRole] | None = None
    subject: tuple[str, SubjectRole | DatumRole] | None = None
    data: list[Slot] = []
    for item in dataclasses.fields(cast(Any, cls)):
        role = item.metadata.get(_ROLE)
        if isinstance(role, ActorRole):
            if actor is not None:
                raise TypeError(f"{cls.__name__} has two actors")
            actor = (item.name, role)
        elif isinstance(role, SubjectRole) or (
            isinstance(role, DatumRole) and role.subject is not None
        ):
            if subject is not None:
                raise TypeError(f"{cls.__name__} has two subjects")
            subject = (item.name, role)
        if isinstance(role, DatumRole):
            if role.key is None and item.name not in _KEYS:
                raise TypeError(f"{cls.__name__}.{item.name} is not a Key; give it one")
            data.append(Slot(item.name, role.key or Key(item.name), hints[item.name], role))
            _check_type(hints[item.name], cls.__name__)
        elif role is None:
            raise TypeError(f"{cls.__name__}.{item.name} does not say where it goes")
    if getattr(cls, "kind", None) is not None and actor is None:
        raise TypeError(f"{cls.__name__} names no actor")
    optional = subject is not None and type(None) in _members(hints[subject[0]])
    return Layout(actor or ("", ActorRole((), "")), subject, tuple(data), optional)


_SCALARS: Final = (str, int, bool, type(None), Absent)


def _members(hint: Any) -> tuple[Any, ...]:
    if get_origin(hint) in (Union, types.UnionType):
        return get_args(hint)
    return (hint,)


def _check_type(hint: Any, owner: str) -> None:
    """Only what JSON holds exactly: text, integers, booleans, null, lists, objects with text
    keys, and nested records."""
    for member in _members(hint):
        origin, args = get_origin(member), get_args(member)
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            _check_type(args[0], owner)
        elif origin is dict and args[0] is str:
            _check_type(args[1], owner)
        elif not (member in _SCALARS or (isinstance(member, type) and issubclass(member, Record))):
            raise TypeError(f"{owner}: {member!r} is not a type the audit log writes")


# --- records and events --------------------------------------------------------------------


@dataclass_transform(
    frozen_default=True, kw_only_default=True, field_specifiers=(acted_by, about, datum)
)
class Record:
    """A frozen, keyword-only dataclass whose fields are data (:func:`datum`): an event, or a
    value nested in an event's data."""

    _layout: ClassVar[Layout]

    def __init_subclass__(cls, **options: Any) -> None:
        super().__init_subclass__(**options)
        dataclass(frozen=True, kw_only=True)(cls)
        cls._layout = _read_layout(cls)


class AuditEvent(Record):
    """What happened, before it has a place in the chain: one subclass per
    :class:`EventKind`, in :mod:`gateway.infra.audit.events`."""

    kind: ClassVar[EventKind]
    withheld: ClassVar[str]
    """What the entry never holds."""

    def __post_init__(self) -> None:
        layout = layout_of(type(self))
        name, actor = layout.actor
        _check_ref(getattr(self, name), actor.kinds, "actor")
        if layout.subject is not None and isinstance(layout.subject[1], SubjectRole):
            value = getattr(self, layout.subject[0])
            if not (value is None and layout.subject_optional):
                _check_ref(value, layout.subject[1].kinds, "subject")

    @property
    def actor(self) -> str:
        return str(getattr(self, layout_of(type(self)).actor[0]))

    @property
    def subject(self) -> str:
        found = layout_of(type(self)).subject
        if found is None:
            return ""
        name, role = found
        value = getattr(self, name)
        if value is None:
            return ""
        if isinstance(role, DatumRole):
            assert role.subject is not None
            return str(Ref(role.subject, value))
        return str(value)

    @property
    def data(self) -> Mapping[str, object]:
        return _dump_fields(self)

    @classmethod
    def parsed(cls, actor: str, subject: str, data: Mapping[str, object]) -> Self:
        """The event an entry with this ``actor``, ``subject`` and ``data`` records, or
        :class:`~gateway.infra.audit.refs.AuditEntryInvalid`."""
        layout = layout_of(cls)
        values = _load_fields(cls, data)
        name, role = layout.actor
        values[name] = _ref(Ref.actor, actor, role.kinds, "actor")
        if layout.subject is None:
            if subject:
                raise AuditEntryInvalid(f"{cls.kind} has no subject, found {subject!r}")
        elif isinstance(layout.subject[1], SubjectRole):
            values[layout.subject[0]] = (
                None
                if subject == "" and layout.subject_optional
                else _ref(Ref.parse, subject, layout.subject[1].kinds, "subject")
            )
        try:
            made = cls(**values)
        except TypeError as exc:
            raise AuditEntryInvalid(f"{cls.kind}: {exc}") from exc
        if made.subject != subject:
            raise AuditEntryInvalid(f"{cls.kind}: the subject {subject!r} is not the data's")
        return made


def _check_ref(value: object, kinds: tuple[RefKind, ...], what: str) -> None:
    if not isinstance(value, Ref) or value.kind not in kinds:
        allowed = ", ".join(kinds)
        raise AuditEntryInvalid(f"the {what} must be a reference of kind {allowed}, not {value!r}")


def _ref(read: Any, text: str, kinds: tuple[RefKind, ...], what: str) -> Ref:
    try:
        ref: Ref = read(text)
    except AuditEntryInvalid as exc:
        raise AuditEntryInvalid(f"the {what}: {exc}") from exc
    if ref.kind not in kinds:
        raise AuditEntryInvalid(f"the {what} {text!r} is not of kind {', '.join(kinds)}")
    return ref


# --- writing and reading data ------------------------------------------------------------------


def _dump_fields(record: Record) -> dict[str, object]:
    return {
        slot.key.value: _dump(value)
        for slot in layout_of(type(record)).data
        if (value := getattr(record, slot.name)) is not ABSENT
    }


def _dump(value: object) -> object:
    if isinstance(value, tuple | list):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _dump(v) for k, v in value.items()}
    if isinstance(value, Record):
        return _dump_fields(value)
    return value


def _load_fields(cls: type[Record], data: object) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise AuditEntryInvalid(f"{cls.__name__}: expected an object, found {data!r}")
    slots = layout_of(cls).data
    unknown = set(data) - {slot.key.value for slot in slots}
    if unknown:
        raise AuditEntryInvalid(f"{cls.__name__}: unknown keys {sorted(unknown)}")
    values: dict[str, Any] = {}
    for slot in slots:
        if slot.key.value in data:
            values[slot.name] = _load(slot.type, data[slot.key.value], f"{cls.__name__}.{slot.key}")
        elif slot.optional:
            values[slot.name] = ABSENT
        else:
            raise AuditEntryInvalid(f"{cls.__name__}: {slot.key} is missing")
    return values


def _load(hint: Any, value: object, where: str) -> Any:
    for member in _members(hint):
        try:
            return _load_one(member, value, where)
        except AuditEntryInvalid:
            continue
    raise AuditEntryInvalid(f"{where}: {value!r} is not {hint}")


def _load_one(member: Any, value: object, where: str) -> Any:
    origin, args = get_origin(member), get_args(member)
    if origin is tuple and isinstance(value, list):
        return tuple(_load(args[0], v, where) for v in value)
    if origin is dict and isinstance(value, dict):
        return {k: _load(args[1], v, where) for k, v in value.items()}
    if isinstance(member, type) and issubclass(member, Record):
        return member(**_load_fields(member, value))
    if member is type(None) and value is None:
        return None
    if member is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if member in (str, bool) and type(value) is member:
        return value
    raise AuditEntryInvalid(f"{where}: {value!r} is not {member}")
