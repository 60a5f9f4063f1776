"""A data subject's report for compliance staff: every exchange about the person a lookup
found (which partners, when, which categories, what the rules decided and under which legal
basis), on the lookup's page and as a text file with a manifest the gateway signs, as the
audit exports are (:mod:`gateway.infra.exports`), in the officer's language.

The report holds what the audit keeps of each exchange and nothing a signal says: no name,
number or free text of anyone, so none of the other people a signal mentions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from gateway.edges.web import present
from gateway.edges.web.export import Export
from gateway.edges.web.frame import Viewer
from gateway.edges.web.partner_names import PartnerNames
from gateway.flow.lookup import Found
from gateway.infra.exports import ALGORITHM, MANIFEST_FORMAT, sha256, signed_bytes
from gateway.infra.i18n import N_, translate
from gateway.infra.seal import Signer, b64url
from gateway.render import labels
from gateway.store import Store

MEDIA_TYPE: Final = "text/plain; charset=utf-8"
CERTAINTY: Final = {
    "certain": N_("certain"),
    "possible": N_("possible (year of birth only)"),
}


@dataclass(frozen=True)
class ReportRecipient:
    partner: str
    country: str
    verdict: str
    rules: tuple[present.RuleText, ...]


@dataclass(frozen=True)
class ReportSignal:
    signal_id: str
    sender: str
    received: str
    category: str
    certainty: str
    recipients: tuple[ReportRecipient, ...]


async def subject_report(
    store: Store, found: Sequence[Found], viewer: Viewer
) -> list[ReportSignal]:
    """The exchanges of each signal ``found``, as ``viewer`` reads them."""
    language = viewer.language
    names = PartnerNames(await store.partners())
    report = []
    for signal in found:
        decided = {d.recipient_id: d for d in await store.decisions(signal.signal_id)}
        recipients = tuple(
            ReportRecipient(
                partner=f"{names[e.recipient_id].name} ({e.recipient_id})",
                country=labels.country_name(e.recipient_country, language),
                verdict=labels.label("verdict", e.verdict, language),
                rules=tuple(present.fired_rules(decided[e.recipient_id], language))
                if e.recipient_id in decided
                else (),
            )
            for e in await store.exchanges_of_signal(signal.signal_id)
        )
        report.append(
            ReportSignal(
                signal_id=signal.signal_id,
                sender=f"{names[signal.sender_id].name} ({signal.sender_id})",
                received=viewer.moment(signal.received_at),
                category=present.label("category", signal.category, language),
                certainty=translate(CERTAINTY[signal.certainty], language),
                recipients=recipients,
            )
        )
    return report


TITLE: Final = N_("Report for a data subject: every exchange about the person")
MADE: Final = N_("Made on {moment} by {officer}, from a lookup by {kind}.")
KINDS: Final = {"number": N_("national or document number"), "name": N_("name and date of birth")}
NONE_FOUND: Final = N_("No signal mentions this person.")
SIGNAL_LINE: Final = N_(
    "Signal {id}: from {sender}, received {received}; category {category}; match {certainty}"
)
RECIPIENT_LINE: Final = N_("to {partner}, {country}: {verdict}")
RULE_LINE: Final = N_("rule {id}: {reason} (legal basis: {basis})")
NO_SUBJECT_DATA: Final = N_(
    "This report holds what the audit log keeps of each exchange; it holds nothing the signals "
    "say about this person or anyone else."
)


def report_text(
    report: Sequence[ReportSignal], *, language: str, made: str, officer: str, kind: str
) -> str:
    def _(message: str, **params: object) -> str:
        return translate(message, language, **params)

    lines = [_(TITLE), _(MADE, moment=made, officer=officer, kind=_(KINDS[kind])), ""]
    if not report:
        lines.append(_(NONE_FOUND))
    for signal in report:
        lines.append(
            _(
                SIGNAL_LINE,
                id=signal.signal_id,
                sender=signal.sender,
                received=signal.received,
                category=signal.category,
                certainty=signal.certainty,
            )
        )
        for to in signal.recipients:
            lines.append(
                "  " + _(RECIPIENT_LINE, partner=to.partner, country=to.country, verdict=to.verdict)
            )
            lines.extend(
                "    " + _(RULE_LINE, id=r.id, reason=r.reason, basis=r.legal_basis)
                for r in to.rules
            )
        lines.append("")
    lines.append(_(NO_SUBJECT_DATA))
    return "\n".join(lines) + "\n"


def make_report_export(
    text: str, *, signals: int, kind: str, exported_at: str, exported_by: str, signer: Signer
) -> Export:
    """``text`` with a manifest in the audit exports' format, signed by the gateway."""
    data = text.encode("utf-8")
    stamp = exported_at.replace(":", "").replace("-", "").split(".")[0]
    name = f"euregate-subject-report-{stamp}.txt"
    manifest: dict[str, object] = {
        "format": MANIFEST_FORMAT,
        "file": name,
        "media_type": MEDIA_TYPE,
        "bytes": len(data),
        "sha256": sha256(data),
        "rows": signals,
        "query": {"data_subject_lookup": kind},
        "exported_at": exported_at,
        "exported_by": exported_by,
        "algorithm": ALGORITHM,
        "key_id": signer.key_id,
    }
    manifest["signature"] = b64url(signer.sign(signed_bytes(manifest)))
    return Export(name, data, manifest)
