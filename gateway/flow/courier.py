"""The courier: every pending copy sealed for its recipient alone, and put in its inbox.

Copies are queued in the transaction that accepts a signal (or releases a reviewed one), so
the courier's work survives a crash: it runs at start, whenever intake or the desk wakes it,
and every ``poll`` seconds. Sealing runs off the intake path: a slow translation engine
delays a copy, never a receipt. A copy that cannot be sealed yet (its recipient has no valid
encryption key, say) waits and is tried again with growing pauses. Where the store claims the
copies it hands out, the claims are renewed while a batch is sealed
(:mod:`gateway.flow.claim_renewal`). The copies of a batch that read the same (the same
view, language and rules: a signal's Dutch police recipients) share one rendering
(:class:`~gateway.flow.prepare.Renderings`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

import uuid6

from gateway.flow.claim_renewal import renewing
from gateway.flow.payload import message_payload
from gateway.flow.prepare import CopyUnavailable, Preparer, Renderings
from gateway.flow.withdrawal import notice_payload
from gateway.infra import seal
from gateway.infra.audit import events, refs, timestamp
from gateway.infra.clock import Clock
from gateway.infra.errors import StorageUnavailable
from gateway.infra.logs import get_logger
from gateway.infra.seal import Signer
from gateway.store import CopyReview, PendingCopy, SealedCopy, Store

log = get_logger("euregate.courier")

Notify = Callable[[str], None]

FIRST_PAUSE = timedelta(seconds=30)
LONGEST_PAUSE = timedelta(hours=1)


def pause_after(attempts: int) -> timedelta:
    """How long a copy that failed ``attempts`` times waits: doubling, at most an hour."""
    pause: timedelta = min(FIRST_PAUSE * (2 ** min(attempts, 16)), LONGEST_PAUSE)
    return pause


class Courier:
    def __init__(
        self,
        *,
        store: Store,
        preparer: Preparer,
        signer: Signer,
        gateway_id: str,
        clock: Clock,
        sealed: Notify = lambda _: None,
        poll: float = 5.0,
        batch: int = 32,
    ) -> None:
        self._store = store
        self._preparer = preparer
        self._signer = signer
        self._gateway_id = gateway_id
        self._clock = clock
        self._sealed = sealed
        self._poll = poll
        self._batch = batch
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Something new is pending: seal it now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Seal what is pending, then wait to be woken or for the next poll; until cancelled."""
        while True:
            self._wake.clear()
            with contextlib.suppress(StorageUnavailable):  # the store logs it; the next poll
                while await self.seal_pending():
                    pass
            # asyncio.timeout, not wait_for: on 3.11 wait_for swallows the cancellation that
            # stops the gateway when a wake-up comes at the same moment.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll):
                    await self._wake.wait()

    async def seal_pending(self) -> int:
        """Seal the copies that are due, several at once so that their writes share commits;
        how many were sealed."""
        copies = await self._store.pending_copies(due=self._clock.now(), limit=self._batch)
        if not copies:
            return 0
        ids = [copy.id for copy in copies]
        renderings = Renderings()
        async with renewing(partial(self._store.renew_copy_claims, ids), self._store.claim_lease):
            sealed = await asyncio.gather(*(self._seal(copy, renderings) for copy in copies))
        return sum(sealed)

    async def _seal(self, copy: PendingCopy, renderings: Renderings) -> int:
        now = self._clock.now()
        key = await self._store.sealing_key(copy.recipient_id, now)
        if key is None:
            return await self._postpone(copy, "no_encryption_key")
        if copy.notice is not None:
            return await self._seal_notice(copy, key, now)
        try:
            released = None
            if copy.review is CopyReview.RELEASED and copy.review_item_id is not None:
                released = await self._preparer.released_texts(copy.review_item_id)
            # Unreviewed: the memory serves only what the recipient's own desk wrote.
            prepared = await self._preparer.prepare(
                copy.signal_id,
                copy.recipient_id,
                released=released,
                reviewed=False,
                renderings=renderings,
            )
        except CopyUnavailable:
            return await self._postpone(copy, "copy_unavailable")
        except StorageUnavailable:
            raise  # not the copy's fault: the next poll seals it
        except Exception as exc:  # noqa: BLE001 - one bad copy must not stop the others
            log.error(  # noqa: TRY400 - a traceback's messages may quote personal data
                "copy_not_prepared", copy=copy.id, error_type=type(exc).__name__
            )
            return await self._postpone(copy, type(exc).__name__)
        payload = await self._preparer.run_cpu(
            message_payload, prepared, version=copy.version, review=copy.review
        )
        return await self._keep(
            copy,
            key,
            payload,
            now,
            language=prepared.rendered.language,
            webhook_url=prepared.recipient.webhook_url,
        )

    async def _seal_notice(self, copy: PendingCopy, key: seal.PartnerKey, now: datetime) -> int:
        """Seal the notice ``copy`` is: the signal's withdrawal, in the recipient's languages."""
        stored = await self._store.signal(copy.signal_id)
        withdrawn = await self._store.withdrawal(copy.signal_id)
        if stored is None or withdrawn is None:
            return await self._postpone(copy, "notice_unavailable")
        recipient = await self._store.partner(copy.recipient_id)
        payload = notice_payload(
            withdrawn,
            sender=stored.sender_id,
            recipient=recipient.id,
            received_at=stored.received_at,
            version=copy.version,
            languages=recipient.languages,
        )
        return await self._keep(
            copy,
            key,
            payload,
            now,
            language=recipient.languages[0],
            webhook_url=recipient.webhook_url,
        )

    async def _keep(
        self,
        copy: PendingCopy,
        key: seal.PartnerKey,
        payload: bytes,
        now: datetime,
        *,
        language: str,
        webhook_url: str | None,
    ) -> int:
        """Seal ``payload`` for the copy's recipient and keep the envelope; 1 if it was kept."""
        envelope = await self._preparer.run_cpu(
            seal.seal,
            payload,
            recipient_key=key,
            gateway_id=self._gateway_id,
            signal_id=copy.signal_id,
            recipient_id=copy.recipient_id,
            signer=self._signer,
            now=now,
        )
        envelope_id = str(uuid6.uuid7())
        position = await self._store.keep_envelope(
            SealedCopy(
                copy_id=copy.id,
                envelope_id=envelope_id,
                signal_id=copy.signal_id,
                recipient_id=copy.recipient_id,
                key_id=key.key_id,
                envelope=envelope.to_bytes(),
                webhook_url=webhook_url,
            ),
            events.CopySealed(
                about=refs.signal(copy.signal_id),
                envelope=envelope_id,
                recipient=copy.recipient_id,
                version=copy.version,
                review=copy.review,
                key_id=key.key_id,
                suite=str(key.suite),
                language=language,
                payload_sha256=hashlib.sha256(payload).hexdigest(),
            ),
        )
        if position is None:
            return 0
        self._sealed(copy.recipient_id)
        return 1

    async def _postpone(self, copy: PendingCopy, reason: str) -> int:
        until = self._clock.now() + pause_after(copy.attempts)
        log.info("copy_postponed", copy=copy.id, reason=reason, until=timestamp(until))
        await self._store.postpone_copy(copy.id, until=until, error=reason)
        return 0
