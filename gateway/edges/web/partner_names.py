"""Partners as the staff pages show them: by name, with the id beneath (and on hover).

An id the registry no longer knows (a partner removed since) stands for its name. A name or id
is not broken at its hyphens: ``nl-pol-limburg`` and ``Vesdre-Hoëgne`` stay whole on a line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from markupsafe import Markup

from gateway.contract.partners import Partner
from gateway.infra.audit.refs import Ref, RefKind


@dataclass(frozen=True)
class PartnerName:
    id: str
    name: str


class PartnerNames:
    """The registry's names by id, looked up as ``names[id]``."""

    def __init__(self, partners: Iterable[Partner]) -> None:
        self._names: Mapping[str, str] = {p.id: p.name for p in partners}

    def __getitem__(self, partner_id: str) -> PartnerName:
        return PartnerName(partner_id, self._names.get(partner_id, partner_id))

    def of_actor(self, actor: Ref) -> str:
        """An audit entry's actor in words: a partner by name, anyone else as written."""
        return self[actor.id].name if actor.kind is RefKind.PARTNER else str(actor)


def whole_words(text: str) -> Markup:
    """``text`` with each hyphenated word kept on one line."""
    return Markup(" ").join(
        Markup('<span class="whole">{}</span>').format(word) if "-" in word else word
        for word in text.split(" ")
    )


def shown(partner: PartnerName) -> Markup:
    """The partner's name, its id on a second line and as the title, for a table cell."""
    if partner.name == partner.id:
        return Markup('<span class="partner"><span class="partner-id">{}</span></span>').format(
            partner.id
        )
    return Markup(
        '<span class="partner" title="{id}"><span class="partner-name">{name}</span> '
        '<span class="partner-id">{id}</span></span>'
    ).format(id=partner.id, name=whole_words(partner.name))
