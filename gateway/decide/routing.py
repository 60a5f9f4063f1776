"""Routing: turn a signal's ``recipients`` into the active partners it goes to.

Explicitly named partners must exist and be active; routing by ``countries`` and
``agency_types`` selects every active partner that matches both (a list left out
matches all). The sender never receives its own signal.
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.contract.partners import Partner
from gateway.infra.errors import FieldIssue, RecipientsInvalid
from gateway.infra.i18n import N_


def resolve(
    *,
    partners: Sequence[str] | None,
    countries: Sequence[str] | None,
    agency_types: Sequence[str] | None,
    sender: Partner,
    registry: Sequence[Partner],
) -> tuple[str, ...]:
    """The recipients' partner ids in registry order, or :class:`RecipientsInvalid`."""
    by_id = {partner.id: partner for partner in registry}
    issues: list[FieldIssue] = []
    chosen: set[str] = set()
    for index, partner_id in enumerate(partners or ()):
        issue = _named_issue(partner_id, by_id.get(partner_id), sender, index)
        if issue is None:
            chosen.add(partner_id)
        else:
            issues.append(issue)
    if countries or agency_types:
        chosen.update(
            partner.id
            for partner in registry
            if partner.active
            and partner.id != sender.id
            and (not countries or partner.country in countries)
            and (not agency_types or partner.agency_type in agency_types)
        )
    if issues:
        raise RecipientsInvalid(issues)
    if not chosen:
        raise RecipientsInvalid(
            [
                FieldIssue(
                    pointer="/recipients",
                    code="no_recipients",
                    message=N_("No active partner other than you matches these recipients."),
                )
            ]
        )
    return tuple(partner.id for partner in registry if partner.id in chosen)


def _named_issue(
    partner_id: str, partner: Partner | None, sender: Partner, index: int
) -> FieldIssue | None:
    pointer = f"/recipients/partners/{index}"
    if partner is None:
        return FieldIssue(
            pointer,
            "unknown_recipient",
            N_("There is no partner \u201c{id}\u201d."),
            {"id": partner_id},
        )
    if partner.id == sender.id:
        return FieldIssue(
            pointer, "recipient_is_sender", N_("You cannot send a signal to yourself.")
        )
    if not partner.active:
        return FieldIssue(
            pointer,
            "recipient_inactive",
            N_("Partner \u201c{id}\u201d does not receive signals at present."),
            {"id": partner_id},
        )
    return None
