"""Withdrawal by the sender (LED (EU) 2016/680 art. 7(3), 16): the closed list of reasons, and
the notice each recipient that got the signal reads, in its languages.

A notice is a ``euregate.message/1`` document like a signal's copy, with ``kind`` set to
``notice`` and a ``notice`` member in place of the signal: it is sealed with HPKE for its
recipient and goes through the inbox and webhooks like any envelope (``docs/envelope.md``).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from enum import StrEnum
from typing import Final

from euregate_client import canonical

from gateway.flow.payload import MESSAGE_FORMAT
from gateway.infra.audit import events, refs, timestamp
from gateway.infra.errors import WithdrawalReasonInvalid
from gateway.infra.i18n import N_, translate
from gateway.store.interface.withdrawal import Withdrawal, WithdrawalStore


class WithdrawalReason(StrEnum):
    DATA_INCORRECT = "data_incorrect"
    UNLAWFULLY_TRANSMITTED = "unlawfully_transmitted"
    NO_LONGER_RELEVANT = "no_longer_relevant"
    SENT_IN_ERROR = "sent_in_error"


REASON_LABELS: Final = {
    WithdrawalReason.DATA_INCORRECT: N_("data incorrect"),
    WithdrawalReason.UNLAWFULLY_TRANSMITTED: N_("unlawfully transmitted"),
    WithdrawalReason.NO_LONGER_RELEVANT: N_("no longer relevant"),
    WithdrawalReason.SENT_IN_ERROR: N_("sent in error"),
}
WITHDRAWN_TEXT: Final = N_("Signal {signal_id} withdrawn by the sender: {reason}")


def reason_label(reason: str, language: str) -> str:
    """A reason code's label in ``language``; an unknown code as it is."""
    try:
        return translate(REASON_LABELS[WithdrawalReason(reason)], language)
    except ValueError:
        return reason


def withdrawn_text(signal_id: str, reason: WithdrawalReason, language: str) -> str:
    """The notice's sentence in ``language``."""
    label = reason_label(reason, language)
    return translate(WITHDRAWN_TEXT, language, signal_id=signal_id, reason=label)


def notice_payload(
    *,
    signal_id: str,
    sender: str,
    recipient: str,
    received_at: datetime,
    version: int,
    reason: WithdrawalReason,
    withdrawn_at: datetime,
    languages: Collection[str],
) -> bytes:
    """The plaintext sealed for a recipient told of a withdrawal: the reason's code, and its
    text in each of the recipient's ``languages`` (``text``: in the first)."""
    texts = {language: withdrawn_text(signal_id, reason, language) for language in languages}
    return canonical.dumps(
        {
            "format": MESSAGE_FORMAT,
            "kind": "notice",
            "signal_id": signal_id,
            "sender": sender,
            "recipient": recipient,
            "received_at": timestamp(received_at),
            "version": version,
            "review": "none",
            "notice": {
                "type": "withdrawn",
                "reason": str(reason),
                "at": timestamp(withdrawn_at),
                "texts": texts,
            },
            "text": texts[next(iter(languages))],
        }
    )


def reason_of(body: bytes) -> WithdrawalReason:
    """The reason code a withdrawal's body ``{"reason": CODE}`` names."""
    try:
        document = json.loads(body)
        return WithdrawalReason(document["reason"])
    except (ValueError, KeyError, TypeError) as exc:
        raise WithdrawalReasonInvalid(choices=", ".join(WithdrawalReason)) from exc


async def withdraw(
    store: WithdrawalStore, sender: str, signal_id: str, reason: WithdrawalReason
) -> Withdrawal | None:
    """Withdraw ``sender``'s signal, audited; the earlier withdrawal if it was withdrawn
    already (whatever reason this one gives); None if ``sender`` sent no such signal."""

    def event(done: Withdrawal) -> events.SignalWithdrawn:
        return events.SignalWithdrawn(
            by=refs.partner(sender),
            signal_id=signal_id,
            reason=done.reason,
            cancelled=done.cancelled,
            review_items=done.review_items,
            notices=done.notices,
        )

    return await store.withdraw_signal(signal_id, reason=str(reason), by=sender, event=event)


def withdrawal_json(withdrawn: Withdrawal) -> dict[str, object]:
    return {
        "signal_id": withdrawn.signal_id,
        "reason": withdrawn.reason,
        "withdrawn_at": timestamp(withdrawn.withdrawn_at),
        "cancelled": withdrawn.cancelled,
        "review_items": withdrawn.review_items,
        "notices": withdrawn.notices,
    }
