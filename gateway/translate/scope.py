"""Which remembered translations may serve which copy: the rule against a desk planting text.

An officer's correction is remembered for the desk the officer serves (a country, or a list
of partners; :class:`~gateway.staff.accounts.Desk`). It serves copies for that desk's
recipients, unreviewed ones included: the desk answers for its own text. Another desk's copy
gets it only once a second officer confirmed it, and only when an officer of that other desk
reads the copy before it is released; a copy that goes out unreviewed (an ``immediate``
signal's first version) never carries another desk's words. Where several entries know a
sentence, the recipient's own desk's wins over another desk's confirmed one, and the latest
of each kind over the earlier.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from gateway.infra.errors import RegistryError
from gateway.staff.accounts import Desk
from gateway.translate.matching import Remembered
from gateway.translate.types import MemoryScope


@lru_cache(maxsize=256)
def _desk(text: str) -> Desk | None:
    try:
        return Desk.parse(text)
    except RegistryError:
        return None


def own_desk(desk: str, scope: MemoryScope) -> bool:
    """Whether ``desk`` (as written on an entry) serves the recipient of ``scope``. No
    officer serves every desk (``*``), so an entry claiming to is nobody's own."""
    parsed = _desk(desk)
    return (
        parsed is not None
        and not parsed.everything
        and parsed.admits(partner_id=scope.recipient_id, country=scope.country)
    )


def may_serve(entry: Remembered, scope: MemoryScope | None) -> bool:
    """Whether ``entry`` may translate text of the copy ``scope`` describes."""
    if scope is None:
        return False
    if own_desk(entry.desk, scope):
        return True
    return scope.reviewed and entry.confirmed_by is not None


def usable(entries: Iterable[Remembered], scope: MemoryScope | None) -> list[Remembered]:
    """The entries that may serve ``scope``, in the order in which a later one replaces an
    earlier one of the same sentence: other desks' confirmed entries first, the recipient's
    own desk's last. ``entries`` come oldest first."""
    if scope is None:
        return []
    own, others = [], []
    for entry in entries:
        if own_desk(entry.desk, scope):
            own.append(entry)
        elif may_serve(entry, scope):
            others.append(entry)
    return others + own
