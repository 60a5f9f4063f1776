"""Intake: the path of a posted signal from raw bytes to a durable receipt.

receive (bytes from an identified partner) → examine (parse, validate Signal v1,
canonicalise: in a worker of the :class:`~gateway.flow.fair_pool.FairPool`, the partners taking
turns) → route (recipients) → decide (the sharing policy, per recipient) → seal at rest
(per-signal data key) → store with its decisions and audit entry (group commit) → receipt.
Every refusal on the way is audited too, with the error kinds but never the body.
``explain`` runs the same path up to decide and stops there.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import uuid6
from euregate_client import canonical as canonical_json

from gateway.contract.partners import Partner
from gateway.contract.signal import Signal
from gateway.contract.validate import parse_json, validate_signal
from gateway.decide import routing
from gateway.decide.decision import Decision, Forwarded, Verdict
from gateway.decide.policy import Policy, decide
from gateway.decide.review import review_need
from gateway.decide.sharing import PolicyInForce
from gateway.flow import deadlines
from gateway.flow.backlog import SealingBacklog
from gateway.flow.fair_pool import FairPool
from gateway.flow.intake_watch import NO_RECIPIENT, IntakeObserver, Outcome, Stage, Unwatched
from gateway.flow.subjects import SUBJECT_SECRET, subject_keys
from gateway.flow.tracking import SenderView, accepted_track, sender_view, withdrawn_json
from gateway.infra.audit import events, refs, timestamp
from gateway.infra.clock import Clock
from gateway.infra.errors import ClientError, FieldIssue, SealingBehind, SignalInvalid
from gateway.infra.i18n import N_, translate
from gateway.infra.vault import MasterKey
from gateway.store import (
    Accepted,
    CopyReview,
    NewCopy,
    NewRequest,
    NewReviewItem,
    NewSignal,
    Store,
    StoredSignal,
)
from gateway.transparency.log import LeafProof


@dataclass(frozen=True)
class Receipt:
    """What the sender gets back: proof that the gateway holds its signal, and where it goes.

    Its audit entry is named by sequence number and chain hash, and by its leaf in the audit
    log's Merkle tree (index and hash, which the sequencer integrates within a second);
    ``proven``, once it is, adds ``inclusion``: a signed checkpoint and the leaf's proof;
    ``view``, where given, shows each recipient's copy as it stands now and a request's
    deadline (:mod:`gateway.flow.tracking`)."""

    signal: StoredSignal
    replayed: bool
    proven: LeafProof | None = None
    view: SenderView | None = None

    def as_json(self, language: str = "en") -> dict[str, object]:
        stored = self.signal
        receipt: dict[str, object] = {
            "signal_id": stored.id,
            "status": stored.state,
            "received_at": timestamp(stored.received_at),
            "sender": stored.sender_id,
            "sender_reference": stored.sender_reference,
            "body_sha256": stored.body_sha256,
            "recipients": [
                {"partner": d.recipient_id, "verdict": d.verdict, "rules": list(d.rule_ids)}
                for d in stored.decisions
            ]
            if self.view is None
            else [copy.as_json(language) for copy in self.view.copies],
            "audit": {
                "seq": stored.audit_seq,
                "hash": stored.audit_hash,
                "leaf_index": stored.audit_seq - 1,
                "leaf_hash": base64.b64encode(stored.audit_leaf_hash).decode(),
            },
        }
        if self.proven is not None:
            receipt["inclusion"] = self.proven.as_json()
        if self.view is not None and self.view.request is not None:
            receipt["request"] = self.view.request.as_json()
        if self.view is not None and self.view.withdrawn is not None:
            receipt["withdrawn"] = withdrawn_json(self.view.withdrawn)
        if stored.decisions and all(d.verdict == Verdict.DENY for d in stored.decisions):
            receipt["notice"] = translate(NOBODY_MAY_RECEIVE, language)
        return receipt


NOBODY_MAY_RECEIVE = N_(
    "The gateway keeps this signal, but the sharing policy lets none of its recipients "
    "receive it: it will not be delivered to anyone."
)
UNKNOWN_REPLY = N_("No signal {id} was delivered to you; a reply must answer one that was.")


def canonical_digest(document: object) -> tuple[bytes, str]:
    """The RFC 8785 canonical form of a document and its SHA-256, the signal's identity."""
    canonical = canonical_json.dumps(document)
    return canonical, hashlib.sha256(canonical).hexdigest()


INLINE_BODY_BYTES: Final = 8 * 1024
"""Bodies up to this size are examined on the event loop: a typical signal is 2 to 4 KiB and
takes a fraction of a millisecond, the worst of 8 KiB about 2 ms, less than handing it to a
worker costs. Larger ones go to the workers, whatever they hold."""


@dataclass(frozen=True)
class Examined:
    """A body that is a valid Signal v1: the signal, and its canonical form and digest."""

    signal: Signal
    canonical: bytes
    digest: str


def examine(body: bytes, now: datetime) -> Examined:
    """parse → validate → canonicalise: the part of intake whose cost grows with the body.

    Pure and picklable both ways, so it runs in a worker process; ``now`` is the gateway's
    clock at receipt.
    """
    document = parse_json(body)
    signal = validate_signal(document, now=now)
    canonical, digest = canonical_digest(document)
    return Examined(signal, canonical, digest)


@dataclass(frozen=True)
class Checked:
    """A signal that passed examine, route and decide: everything but keeping it."""

    examined: Examined
    decisions: tuple[Decision, ...]

    @property
    def signal(self) -> Signal:
        return self.examined.signal


ForwardedLookup = Callable[[str, str], Awaitable[Forwarded | None]]


async def check_signal(
    examined: Examined,
    *,
    sender: Partner,
    registry: Sequence[Partner],
    policy: Policy,
    forwarded: ForwardedLookup,
) -> Checked:
    """route → decide, for an examined signal: everything intake does before it keeps it."""
    signal = examined.signal
    recipients = routing.resolve(
        partners=signal.recipients.partners,
        countries=signal.recipients.countries,
        agency_types=signal.recipients.agency_types,
        sender=sender,
        registry=registry,
    )
    answered = None
    if signal.in_reply_to is not None:
        answered = await forwarded(str(signal.in_reply_to), sender.id)
        if answered is None:
            issue = FieldIssue(
                "/in_reply_to", "unknown_reply", UNKNOWN_REPLY, {"id": str(signal.in_reply_to)}
            )
            raise SignalInvalid([issue])
    by_id = {partner.id: partner for partner in registry}
    decisions = tuple(
        decide(signal, sender, by_id[recipient], policy, forwarded=answered)
        for recipient in recipients
    )
    return Checked(examined, decisions)


@dataclass(frozen=True)
class Plan:
    """What happens to each recipient's copy once the signal is kept."""

    reviews: tuple[NewReviewItem, ...]
    copies: tuple[NewCopy, ...]


def plan_copies(signal: Signal, decisions: Sequence[Decision], registry: Sequence[Partner]) -> Plan:
    """Which copies wait for a liaison officer of the recipient's country, and which go out
    now: those that need no review, and ``immediate`` ones marked unreviewed (not rule 1)."""
    by_id = {partner.id: partner for partner in registry}
    reviews: list[NewReviewItem] = []
    copies: list[NewCopy] = []
    for decision in decisions:
        if decision.verdict is Verdict.DENY:
            continue
        recipient = by_id[decision.recipient_id]
        need = review_need(signal, decision, recipient)
        if need is None:
            copies.append(NewCopy(str(uuid6.uuid7()), recipient.id, review=CopyReview.NONE))
            continue
        item_id = str(uuid6.uuid7())
        reviews.append(
            NewReviewItem(
                id=item_id,
                recipient_id=recipient.id,
                country=recipient.country,
                urgency=signal.urgency,
                reasons=tuple(str(reason) for reason in need.reasons),
                release_now=need.release_now,
            )
        )
        if need.release_now:
            copies.append(
                NewCopy(
                    str(uuid6.uuid7()),
                    recipient.id,
                    review=CopyReview.PENDING,
                    review_item_id=item_id,
                )
            )
    return Plan(tuple(reviews), tuple(copies))


class Intake:
    def __init__(
        self,
        *,
        store: Store,
        master_key: MasterKey,
        clock: Clock,
        policy: PolicyInForce,
        pool: FairPool,
        on_accepted: Callable[[], None] = lambda: None,
        observer: IntakeObserver | None = None,
        backlog: SealingBacklog | None = None,
    ) -> None:
        """``pool`` examines bodies; ``on_accepted`` hears of each newly kept signal (the
        courier, to seal its copies); ``observer`` its times and outcomes (metrics);
        ``backlog`` refuses a sender's signals while the courier's backlog is too long, before
        they are parsed, so that a refusal costs less than the post it answers."""
        self._backlog = backlog
        self._observer = observer or Unwatched()
        self._pool = pool
        self._store = store
        self._master_key = master_key
        self._clock = clock
        self._policy = policy
        self._on_accepted = on_accepted
        self._subject_secret = master_key.derive(SUBJECT_SECRET)

    async def receive(
        self, sender: Partner, body: bytes, *, registry: Sequence[Partner]
    ) -> Receipt:
        """Accept a signal for good, or raise the :class:`ClientError` that says why not.

        ``registry`` is every partner as read when the caller was admitted.
        """
        try:
            accepted, record = await self._accept(sender, body, registry)
        except ClientError as error:
            self._observer.counted(Outcome.REFUSED, sender.country, NO_RECIPIENT)
            await self.refused(sender, error)
            raise
        except SealingBehind:
            self._observer.counted(Outcome.REFUSED, sender.country, NO_RECIPIENT)
            raise  # counted, not audited: the refusal must cost less than the write it saves
        self._count(sender, accepted, registry)
        if accepted.replayed:
            return Receipt(accepted.signal, replayed=True)
        self._on_accepted()
        view = sender_view(accepted_track(record), self._clock.now())
        return Receipt(accepted.signal, replayed=False, view=view)

    def _count(self, sender: Partner, accepted: Accepted, registry: Sequence[Partner]) -> None:
        countries = {partner.id: partner.country for partner in registry}
        for decision in accepted.signal.decisions:
            outcome = Outcome.REPLAYED if accepted.replayed else Outcome(decision.verdict)
            recipient = countries.get(decision.recipient_id, NO_RECIPIENT)
            self._observer.counted(outcome, sender.country, recipient)

    async def refused(self, sender: Partner, error: ClientError) -> None:
        await self._store.record(
            events.SignalRefused(
                by=refs.partner(sender.id),
                status=error.status,
                error_kind=error.kind,
                codes=tuple(sorted({issue.code for issue in error.issues})),
            )
        )

    async def _check(
        self, sender: Partner, body: bytes, registry: Sequence[Partner], now: datetime
    ) -> Checked:
        with self._timed(Stage.VALIDATE):
            if len(body) <= INLINE_BODY_BYTES:
                examined = examine(body, now)
            else:
                examined = await self._pool.run(sender.id, examine, body, now)
        with self._timed(Stage.DECIDE):
            return await check_signal(
                examined,
                sender=sender,
                registry=registry,
                policy=self._policy.policy,
                forwarded=self._store.forwarded,
            )

    def _sealed_body(self, canonical: bytes, signal_id: str) -> bytes:
        """The signal as posted, compressed and sealed at rest for its id: canonical JSON
        compresses to about half, so a row of ``signals`` fits a page with others."""
        sealed = self._master_key.seal(canonical, context=signal_id.encode(), compress=True)
        return sealed.to_bytes()

    @contextlib.contextmanager
    def _timed(self, stage: Stage) -> Iterator[None]:
        """Tell the observer how long ``stage`` took, refused or not."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self._observer.timed(stage, time.perf_counter() - started)

    async def _accept(
        self, sender: Partner, body: bytes, registry: Sequence[Partner]
    ) -> tuple[Accepted, NewSignal]:
        """The signal kept (or found kept: a replay), and the record intake made of it."""
        received = self._clock.now()
        if self._backlog is not None:
            await self._backlog.admit(sender.id)
        checked = await self._check(sender, body, registry, received)
        canonical, digest = checked.examined.canonical, checked.examined.digest
        signal_id = str(uuid6.uuid7())
        signal = checked.signal
        plan = plan_copies(signal, checked.decisions, registry)
        record = NewSignal(
            id=signal_id,
            sender_id=sender.id,
            sender_reference=signal.sender_reference,
            body_sha256=digest,
            received_at=received,
            recipients=tuple(d.recipient_id for d in checked.decisions),
            sealed_body=self._sealed_body(canonical, signal_id),
            handling_code=signal.handling_code,
            category=signal.category,
            purpose=signal.purpose,
            urgency=signal.urgency,
            decisions=checked.decisions,
            reviews=plan.reviews,
            copies=plan.copies,
            request=None
            if signal.request is None
            else NewRequest(
                kind=signal.request.deadline,
                deadline=deadlines.deadline(signal.request.deadline, received),
            ),
            in_reply_to=signal.in_reply_to,
            subject_keys=subject_keys(signal, self._subject_secret),
        )
        event = events.SignalAccepted(
            by=refs.partner(sender.id),
            signal_id=signal_id,
            sender_reference=record.sender_reference,
            body_sha256=digest,
            recipients=record.recipients,
            schema=signal.schema_version,
            language=signal.language,
            category=signal.category,
            urgency=signal.urgency,
            purpose=signal.purpose,
            handling_code=signal.handling_code,
            policy_sha256=self._policy.policy.digest,
            decisions=tuple(
                events.Decided(recipient=d.recipient_id, verdict=str(d.verdict), rules=d.rule_ids)
                for d in checked.decisions
            ),
        )
        return await self._store.accept_signal(record, event), record

    async def explain(
        self, sender: Partner, body: bytes, registry: Sequence[Partner]
    ) -> tuple[Decision, ...]:
        """What a post of ``body`` would decide, per recipient; nothing is kept but the audit."""
        try:
            checked = await self._check(sender, body, registry, self._clock.now())
        except ClientError as error:
            await self.refused(sender, error)
            raise
        await self._store.record(
            events.PolicyExplained(
                by=refs.partner(sender.id),
                body_sha256=checked.examined.digest,
                policy_sha256=self._policy.policy.digest,
                recipients=tuple(d.recipient_id for d in checked.decisions),
            )
        )
        return checked.decisions

    async def status(self, caller: Partner, signal_id: str) -> StoredSignal | None:
        """A signal's state for its sender; for anyone else it does not exist."""
        stored = await self._store.signal(signal_id)
        if stored is None or stored.sender_id != caller.id:
            return None
        return stored
