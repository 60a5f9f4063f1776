"""Partners: enrolled, suspended, let work again, revoked for good; their webhooks."""

from __future__ import annotations

from urllib.parse import urlsplit

from gateway.contract.partners import Partner, PartnerState
from gateway.infra.audit import events, refs
from gateway.infra.audit.refs import Ref
from gateway.infra.errors import Reason, RegistryError
from gateway.infra.i18n import N_
from gateway.store import Store


async def add_partner(store: Store, partner: Partner, *, actor: Ref) -> Partner:
    return await store.add_partner(
        partner,
        events.PartnerAdded(
            by=actor,
            about=refs.partner(partner.id),
            country=partner.country,
            agency_type=partner.agency_type,
            languages=tuple(partner.languages),
        ),
    )


async def change_partner_state(
    store: Store, partner_id: str, state: PartnerState, *, actor: Ref
) -> Partner:
    def event(current: Partner) -> events.PartnerStateChanged:
        return events.PartnerStateChanged(
            by=actor, about=refs.partner(partner_id), was=str(current.state), now=str(state)
        )

    return await store.set_partner_state(partner_id, state, event)


NOT_A_URL = N_("'{url}' is not a URL")
NOT_HTTPS = N_("a webhook URL must start with https://")
NO_HOST = N_("a webhook URL needs a host")
CREDENTIALS = N_("a webhook URL must not carry a user name or password")


def webhook_problems(url: str) -> list[Reason]:
    """What is wrong with a webhook URL: it must be https, with a host, and no credentials."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return [Reason(NOT_A_URL, {"url": url})]
    problems = []
    if parts.scheme != "https":
        problems.append(Reason(NOT_HTTPS))
    if not parts.hostname:
        problems.append(Reason(NO_HOST))
    if parts.username or parts.password:
        problems.append(Reason(CREDENTIALS))
    return problems


async def change_webhook(store: Store, partner_id: str, url: str | None, *, actor: Ref) -> Partner:
    """Set, change or (``None``) remove a partner's webhook; audited. Pushes not yet delivered
    follow the new URL, or leave the outbox with the webhook (the inbox keeps the envelopes)."""
    if url is not None and (problems := webhook_problems(url)):
        raise RegistryError(problems)

    def event(current: Partner, moved: int) -> events.PartnerWebhookChanged:
        return events.PartnerWebhookChanged(
            by=actor,
            about=refs.partner(partner_id),
            was=current.webhook_url,
            now=url,
            outbox_changed=moved,
        )

    return await store.set_webhook(partner_id, url, event)
