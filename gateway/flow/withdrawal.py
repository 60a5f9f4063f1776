"""Withdrawal by the sender (LED (EU) 2016/680 art. 7(3), 16): the closed list of reasons, and
the notice each recipient that got the signal reads, in its languages.

A notice is a ``euregate.message/1`` document like a signal's copy, with ``kind`` set to
``notice`` and a ``notice`` member in place of the signal: it is sealed with HPKE for its
recipient and goes through the inbox and webhooks like any envelope (``docs/envelope.md``).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from euregate_client import canonical

from gateway.flow.payload import MESSAGE_FORMAT
from gateway.infra.audit import events, refs, timestamp
from gateway.infra.audit.schema import ABSENT
from gateway.infra.errors import WithdrawalReasonInvalid
from gateway.infra.i18n import N_, translate
from gateway.store.interface.withdrawal import (
    UnacknowledgedNotice,
    Withdrawal,
    WithdrawalStore,
)


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
REPLACED: Final = "replaced"
"""The reason a rectification records: the signal was replaced by a new version."""
REPLACED_LABEL: Final = N_("replaced by a new version")
REPLACED_TEXT: Final = N_("Signal {signal_id} replaced by version {version}: signal {replaced_by}")


def reason_label(reason: str, language: str) -> str:
    """A reason code's label in ``language``; an unknown code as it is."""
    if reason == REPLACED:
        return translate(REPLACED_LABEL, language)
    try:
        return translate(REASON_LABELS[WithdrawalReason(reason)], language)
    except ValueError:
        return reason


def notice_text(notice: Mapping[str, Any], signal_id: str, language: str) -> str:
    """A notice's sentence in ``language``, from its ``notice`` member."""
    if notice.get("type") == REPLACED:
        return translate(
            REPLACED_TEXT,
            language,
            signal_id=signal_id,
            version=notice.get("replaced_version"),
            replaced_by=notice.get("replaced_by"),
        )
    return translate(
        WITHDRAWN_TEXT,
        language,
        signal_id=signal_id,
        reason=reason_label(str(notice.get("reason")), language),
    )


def notice_member(withdrawn: Withdrawal) -> dict[str, Any]:
    """What a notice says of a withdrawal or replacement, but its texts."""
    if withdrawn.replaced_by is None:
        return {"type": "withdrawn", "reason": withdrawn.reason}
    return {
        "type": REPLACED,
        "replaced_by": withdrawn.replaced_by,
        "replaced_version": withdrawn.replaced_version,
    }


def notice_payload(
    withdrawn: Withdrawal,
    *,
    sender: str,
    recipient: str,
    received_at: datetime,
    version: int,
    languages: Collection[str],
) -> bytes:
    """The plaintext sealed for a recipient told of a withdrawal or a replacement: what
    happened, and its text in each of the recipient's ``languages`` (``text``: the first)."""
    signal_id = withdrawn.signal_id
    notice = notice_member(withdrawn) | {"at": timestamp(withdrawn.withdrawn_at)}
    texts = {language: notice_text(notice, signal_id, language) for language in languages}
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
            "notice": notice | {"texts": texts},
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
    store: WithdrawalStore,
    sender: str,
    signal_id: str,
    reason: WithdrawalReason | str,
    *,
    replaced_by: str | None = None,
) -> Withdrawal | None:
    """Withdraw ``sender``'s signal (with ``replaced_by``: replaced by that new version),
    audited; the earlier withdrawal if it was withdrawn already (whatever reason this one
    gives); None if ``sender`` sent no such signal."""

    def event(done: Withdrawal) -> events.SignalWithdrawn:
        return events.SignalWithdrawn(
            by=refs.partner(sender),
            signal_id=signal_id,
            reason=done.reason,
            cancelled=done.cancelled,
            review_items=done.review_items,
            notices=done.notices,
            replaced_by=ABSENT if done.replaced_by is None else done.replaced_by,
        )

    return await store.withdraw_signal(
        signal_id, reason=str(reason), by=sender, event=event, replaced_by=replaced_by
    )


def withdrawal_json(withdrawn: Withdrawal) -> dict[str, object]:
    return {
        "signal_id": withdrawn.signal_id,
        "reason": withdrawn.reason,
        "withdrawn_at": timestamp(withdrawn.withdrawn_at),
        "cancelled": withdrawn.cancelled,
        "review_items": withdrawn.review_items,
        "notices": withdrawn.notices,
    }


OVERDUE_AFTER: Final = timedelta(days=3)
"""How long a recipient has to acknowledge a withdrawal notice before compliance staff see it
as overdue."""


MAX_LISTED_NOTICES: Final = 1000
"""Most overdue notices one answer lists, the oldest first; it says when there are more."""


def overdue_since(now: datetime) -> datetime:
    """A notice sealed before this and not acknowledged is overdue at ``now``."""
    return now - OVERDUE_AFTER


def notice_overdue(sealed_at: datetime | None, acked_at: datetime | None, now: datetime) -> bool:
    """Whether a notice is overdue at ``now``: the rule :func:`overdue_notices` asks the
    store for, for one notice already read."""
    return acked_at is None and sealed_at is not None and sealed_at < overdue_since(now)


async def overdue_notices(
    store: WithdrawalStore, now: datetime, *, limit: int = MAX_LISTED_NOTICES
) -> list[UnacknowledgedNotice]:
    """The first ``limit`` notices sealed more than :data:`OVERDUE_AFTER` before ``now`` that
    their recipients have not acknowledged, the oldest first."""
    return await store.unacknowledged_notices(sealed_before=overdue_since(now), limit=limit)
