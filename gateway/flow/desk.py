"""The liaison desk: a waiting copy opened for an officer, and the officer's release or rejection.

Opening a copy runs the path of a signal for that one recipient from the sealed original:
decide (as recorded at intake) → minimise → translate (only what the recipient may see,
with the memory as the recipient's desk may use it for a copy it reviews) → render.
Releasing keeps the final texts sealed with the officer's id, teaches the translation memory
the officer's corrections for the officer's desk, and audits the act; rejecting keeps the
reason sealed like the texts, opened only to show it to the desk's officers beside the
copy. What the queue lists and what an officer may open follows the officer's desk.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from typing import Final

import uuid6

from gateway.contract.partners import Partner
from gateway.decide.decision import Decision
from gateway.decide.review import REASON_LABELS, RejectionCategory, ReviewReason
from gateway.flow.prepare import CopyUnavailable, Preparer, Released, free_texts
from gateway.flow.rejection import open_reason, rejection_category_json, seal_reason
from gateway.flow.release_choices import (
    FieldChoice,
    ReleaseChoices,
    UntranslatedField,
    release_choices,
    untranslated_fields,
)
from gateway.infra.audit import AuditEvent, events, refs, timestamp
from gateway.infra.clock import Clock
from gateway.infra.errors import CorrectionInvalid, NotFound, ReleaseRestricted, ReviewDecided
from gateway.infra.i18n import translate
from gateway.infra.vault import MasterKey
from gateway.minimise import RecipientView
from gateway.render.renderer import RenderedDocument
from gateway.staff import Permission, StaffAccount, require
from gateway.store import CopyReview, NewCopy, ReviewItem, ReviewOutcome, ReviewState, Store
from gateway.translate.base import Learner
from gateway.translate.types import Provenance, TranslatedText

MAX_CORRECTION_CHARS: Final = 10_000
MAX_REASON_CHARS: Final = 1_000


@dataclass(frozen=True)
class ReviewCase:
    """One waiting copy as an officer sees it: the sender's words beside the recipient's."""

    item: ReviewItem
    sender_id: str
    recipient: Partner
    source_language: str
    target_language: str
    originals: Mapping[str, str]
    translations: Mapping[str, TranslatedText]
    held: tuple[str, ...]
    decision: Decision
    view: RecipientView
    rendered: RenderedDocument
    untranslated: tuple[UntranslatedField, ...] = ()
    rejection_reason: str | None = None

    def as_json(self, language: str) -> dict[str, object]:
        rejection = {} if self.rejection_reason is None else {"reason": self.rejection_reason}
        return {
            **item_json(self.item, language),
            "sender": self.sender_id,
            "recipient_languages": list(self.recipient.languages),
            "original": {"language": self.source_language, "fields": dict(self.originals)},
            "translation": {
                "language": self.target_language,
                "fields": {ptr: text.as_json() for ptr, text in self.translations.items()},
            },
            "held": list(self.held),
            "untranslated": [field.as_json() for field in self.untranslated],
            "removed": {
                "withheld": [str(c) for c in self.view.withheld],
                "generalised": [str(c) for c in self.view.generalised],
                "pseudonymised": [str(c) for c in self.view.pseudonymised],
            },
            "decision": self.decision.as_json(),
            "rendering": self.rendered.as_json(),
            "rendering_text": self.rendered.as_text(),
            **({"rejection": rejection} if rejection else {}),
        }


def item_json(item: ReviewItem, language: str) -> dict[str, object]:
    return {
        "id": item.id,
        "signal_id": item.signal_id,
        "recipient": item.recipient_id,
        "country": item.country,
        "urgency": item.urgency,
        "reasons": [
            {"code": reason, "label": translate(REASON_LABELS[ReviewReason(reason)], language)}
            for reason in item.reasons
        ],
        "release_now": item.release_now,
        "state": item.state,
        "created_at": timestamp(item.created_at),
        **({"decided_at": timestamp(item.decided_at)} if item.decided_at else {}),
        **({"officer": item.officer_id} if item.officer_id else {}),
        **(
            {"rejection_category": rejection_category_json(item.rejection_category, language)}
            if item.rejection_category
            else {}
        ),
    }


class ReviewDesk:
    def __init__(
        self,
        *,
        store: Store,
        preparer: Preparer,
        clock: Clock,
        master_key: MasterKey,
        on_released: Callable[[], None] = lambda: None,
    ) -> None:
        """``on_released`` hears of each release (the courier, to seal the released copy);
        ``master_key`` seals and opens rejection reasons."""
        self._on_released = on_released
        self._master_key = master_key
        self._store = store
        self._preparer = preparer
        self._translator = preparer.translator
        self._clock = clock

    async def queue(self, account: StaffAccount) -> list[ReviewItem]:
        """What waits at ``account``'s desk, most pressing first."""
        require(account, Permission.REVIEW_READ)
        desk = account.desk
        countries = None if desk.country is None else (desk.country,)
        items = await self._store.pending_reviews(countries=countries)
        return [i for i in items if desk.admits(partner_id=i.recipient_id, country=i.country)]

    async def open(self, account: StaffAccount, item_id: str) -> ReviewCase:
        item = await self._item(account, item_id, Permission.REVIEW_READ)
        case = await self._case(item)
        if item.state is ReviewState.REJECTED:
            case = replace(case, rejection_reason=await self._rejection_reason(item))
        await self._store.record(
            events.ReviewOpened(
                by=refs.staff(account.id),
                about=refs.signal(item.signal_id),
                item=item.id,
                recipient=item.recipient_id,
            )
        )
        return case

    async def release(
        self,
        account: StaffAccount,
        item_id: str,
        corrections: Mapping[str, str],
        *,
        as_written: Collection[str] = (),
        withheld: Collection[str] = (),
    ) -> ReviewItem:
        """Let the copy go with ``corrections`` (pointer → text) in place of the translation,
        the texts at ``as_written`` as the sender wrote them and those at ``withheld`` left out.

        Every text still in a language the recipient does not read needs one of the three
        (:mod:`gateway.flow.release_choices`). Held text in a language the recipient reads
        goes as written without a choice: releasing is the officer's decision that the
        recipient may read it.
        """
        item = await self._item(account, item_id, Permission.REVIEW_RELEASE)
        _check_pending(item)
        if await self._store.signal_restricted(item.signal_id):
            raise ReleaseRestricted(item_id=item.id)
        case = await self._case(item)
        choices = release_choices(
            corrections,
            as_written=as_written,
            withheld=withheld,
            fields=case.originals,
            untranslated=case.untranslated,
            limit=MAX_CORRECTION_CHARS,
        )
        corrected = Provenance("human", officer=account.id, at=timestamp(self._clock.now()))
        final = _final_texts(case, choices, corrected)
        learned = await self._learn(case, choices.translated, account)
        outcome = ReviewOutcome(
            ReviewState.RELEASED,
            account.id,
            correction=self._preparer.seal_released(
                item.id, Released(final, tuple(sorted(choices.withheld)))
            ),
            copy=NewCopy(
                str(uuid6.uuid7()),
                item.recipient_id,
                review=CopyReview.RELEASED,
                review_item_id=item.id,
            ),
        )
        event = events.ReviewReleased(
            by=refs.staff(account.id),
            about=refs.signal(item.signal_id),
            item=item.id,
            recipient=item.recipient_id,
            corrected=tuple(sorted(choices.translated)),
            learned_segments=learned,
            as_written=tuple(sorted(choices.as_written)),
            withheld_texts=tuple(sorted(choices.withheld)),
        )
        decided = await self._decide(item, outcome, event)
        self._on_released()
        return decided

    async def reject(
        self,
        account: StaffAccount,
        item_id: str,
        reason: str,
        category: RejectionCategory,
    ) -> ReviewItem:
        """Stop the copy for ``category``, which its sender is shown, and ``reason``, the
        officer's words, which only the desk reads."""
        item = await self._item(account, item_id, Permission.REVIEW_REJECT)
        _check_pending(item)
        reason = reason.strip()
        if not reason or len(reason) > MAX_REASON_CHARS:
            raise CorrectionInvalid(pointer="/reason", limit=MAX_REASON_CHARS)
        outcome = ReviewOutcome(
            ReviewState.REJECTED,
            account.id,
            rejection_sealed=seal_reason(self._master_key, item.id, reason),
            rejection_category=str(category),
        )
        event = events.ReviewRejected(
            by=refs.staff(account.id),
            about=refs.signal(item.signal_id),
            item=item.id,
            recipient=item.recipient_id,
            category=str(category),
        )
        return await self._decide(item, outcome, event)

    async def _item(
        self, account: StaffAccount, item_id: str, permission: Permission
    ) -> ReviewItem:
        """The item if ``account`` may act on it; one outside the desk is not found, as if it
        did not exist."""
        require(account, Permission.REVIEW_READ)
        item = await self._store.review_item(item_id)
        if item is None or not account.desk.admits(
            partner_id=item.recipient_id, country=item.country
        ):
            raise NotFound()
        require(account, permission, partner_id=item.recipient_id, country=item.country)
        return item

    async def _rejection_reason(self, item: ReviewItem) -> str | None:
        sealed = await self._store.rejection_reason(item.id)
        return None if sealed is None else open_reason(self._master_key, item.id, sealed)

    async def _case(self, item: ReviewItem) -> ReviewCase:
        try:
            copy = await self._preparer.prepare(item.signal_id, item.recipient_id, reviewed=True)
        except CopyUnavailable as exc:
            raise NotFound() from exc
        originals = free_texts(copy.signal)
        held = tuple(p for p in copy.view.held if p in originals)
        reviewable = set(copy.translations) | set(held)
        untranslated = untranslated_fields(
            copy.translations,
            held=held,
            source_language=copy.source_language,
            readable=copy.recipient.languages,
        )
        return ReviewCase(
            item=item,
            sender_id=copy.stored.sender_id,
            recipient=copy.recipient,
            source_language=copy.source_language,
            target_language=copy.target_language,
            originals={p: text for p, text in originals.items() if p in reviewable},
            translations=copy.translations,
            held=held,
            decision=copy.decision,
            view=copy.view,
            rendered=copy.rendered,
            untranslated=untranslated,
        )

    async def _learn(
        self, case: ReviewCase, corrections: Mapping[str, str], account: StaffAccount
    ) -> int:
        if (
            not isinstance(self._translator, Learner)
            or case.source_language == case.target_language
        ):
            return 0
        learned = 0
        for pointer, text in corrections.items():
            learned += await self._translator.learn(
                case.originals[pointer],
                text,
                source=case.source_language,
                target=case.target_language,
                officer_id=account.id,
                desk=str(account.desk),
                signal_id=case.item.signal_id,
            )
        return learned

    async def _decide(
        self, item: ReviewItem, outcome: ReviewOutcome, event: AuditEvent
    ) -> ReviewItem:
        decided = await self._store.decide_review(item.id, outcome, event)
        if decided is None:
            raise ReviewDecided(item_id=item.id)
        return decided


def _check_pending(item: ReviewItem) -> None:
    if item.state is not ReviewState.PENDING:
        raise ReviewDecided(item_id=item.id)


def _final_texts(
    case: ReviewCase, choices: ReleaseChoices, corrected: Provenance
) -> dict[str, TranslatedText]:
    """The texts that go out, by pointer: the officer's translations (``corrected``), the texts
    to send as written, the translations left as they were, and held text released as written;
    nothing for a text withheld."""
    final: dict[str, TranslatedText] = {}
    for pointer, original in case.originals.items():
        choice = choices.choice(pointer)
        if choice is FieldChoice.TRANSLATED:
            final[pointer] = TranslatedText(
                choices.translated[pointer], case.target_language, corrected
            )
        elif choice is FieldChoice.AS_WRITTEN or (choice is None and pointer in case.held):
            final[pointer] = TranslatedText(original, case.source_language, Provenance("original"))
        elif choice is None and pointer in case.translations:
            final[pointer] = case.translations[pointer]
    return final


__all__ = ["ReviewCase", "ReviewDesk", "item_json"]
