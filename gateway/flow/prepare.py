"""One recipient's copy of a signal, from the sealed original to the rendered document.

decide (as recorded at intake) → minimise → translate (only the free text the recipient
may see) → render. The liaison desk prepares a copy to show an officer; the courier
prepares one to seal and deliver. Texts an officer released stand in for translation,
held text included: releasing it is the officer's decision that the recipient may read it.

A copy is translated with the memory as its recipient's desk may use it
(:mod:`gateway.translate.scope`): ``reviewed`` only when an officer of that desk reads it
before it goes out, never for a copy the courier seals unreviewed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from typing import Any, TypeVar

from gateway import minimise
from gateway.contract import json_pointer
from gateway.contract.partners import Partner
from gateway.contract.signal import Signal
from gateway.decide.decision import Decision
from gateway.decide.policy import RetentionTerms
from gateway.decide.policy.retention import described, terms_for
from gateway.decide.sharing import PolicyInForce
from gateway.infra.vault import MasterKey, SealedBlob
from gateway.minimise import FREE_TEXT_POINTERS, RecipientView
from gateway.render.renderer import RenderedDocument, render
from gateway.render.sharing import for_recipient, rendering_key
from gateway.store import Store, StoredSignal
from gateway.translate import TranslationBackend, translate_view
from gateway.translate.base import Scopable, for_signal
from gateway.translate.types import MemoryScope, Provenance, TranslatedText

T = TypeVar("T")


class CopyUnavailable(Exception):
    """The signal, its decision for this recipient or the recipient itself is not kept."""


@dataclass(frozen=True)
class PreparedCopy:
    stored: StoredSignal
    signal: Signal
    recipient: Partner
    decision: Decision
    view: RecipientView
    source_language: str
    target_language: str
    translations: Mapping[str, TranslatedText]
    rendered: RenderedDocument
    retention: RetentionTerms | None = None
    """The terms the signal is kept under (the policy in force's); None: the policy has none."""


def free_texts(signal: Signal) -> dict[str, str]:
    """The sender's free text, by JSON pointer."""
    document = signal.model_dump(mode="json", exclude_none=True)
    found = {pointer: json_pointer.get(document, pointer) for pointer in FREE_TEXT_POINTERS}
    return {pointer: text for pointer, text in found.items() if isinstance(text, str)}


def target_language(signal: Signal, recipient: Partner) -> str:
    """The text stays in its own language when the recipient reads it, else its first."""
    return signal.language if signal.language in recipient.languages else recipient.languages[0]


@dataclass(frozen=True)
class Released:
    """What an officer released: the final texts by pointer, and the free-text fields the
    officer withheld from the recipient."""

    texts: Mapping[str, TranslatedText]
    withheld: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {
            "texts": {p: t.as_json() for p, t in self.texts.items()},
            "withheld": list(self.withheld),
        }

    @classmethod
    def from_json(cls, kept: Mapping[str, Any]) -> Released:
        """What :meth:`as_json` wrote; or, kept before fields could be withheld, the texts
        alone by pointer (a pointer starts with ``/``, so never reads as ``texts``)."""
        texts = kept.get("texts", kept)
        return cls(
            {
                pointer: TranslatedText(
                    value["text"], value["language"], Provenance(**value["provenance"])
                )
                for pointer, value in texts.items()
            },
            tuple(kept.get("withheld", ())),
        )


def with_released(view: RecipientView, released: Released) -> RecipientView:
    """``view`` with the held free text an officer released put back (as written), and the
    free text the officer withheld taken out and listed as withheld."""
    document = view.document
    for pointer in view.held:
        if pointer in released.texts:
            document = json_pointer.updated(document, pointer, released.texts[pointer].text)
    withheld = tuple(p for p in FREE_TEXT_POINTERS if p in released.withheld)
    document = {k: v for k, v in document.items() if json_pointer.join(k) not in withheld}
    held = tuple(p for p in view.held if p not in released.texts and p not in withheld)
    return replace(view, document=document, held=held, withheld_texts=withheld)


@dataclass(frozen=True)
class _Read:
    """What the copies of one signal read from the store: the signal, its body opened, its
    decisions, and the partners."""

    stored: StoredSignal
    body: bytes
    decisions: tuple[Decision, ...]
    partners: Mapping[str, Partner]


class Renderings:
    """The documents rendered for one batch of copies, by :func:`rendering_key`: copies whose
    views, languages and rules are the same share one rendering, the copies sealed at the same
    time included (the first to ask renders, the others wait for it); and what the copies of
    one signal read from the store, read once. Kept for one batch only, so that rendered
    personal data does not outlive the copies it was rendered for."""

    def __init__(self) -> None:
        self._rendered: dict[bytes, asyncio.Future[RenderedDocument]] = {}
        self._read: dict[str, asyncio.Future[_Read | None]] = {}
        self.rendered = 0
        """How many documents were rendered rather than shared."""

    async def read(
        self, signal_id: str, read: Callable[[], Awaitable[_Read | None]]
    ) -> _Read | None:
        """What the copies of ``signal_id`` read, read by ``read`` if no copy of this batch did."""
        found = self._read.get(signal_id)
        if found is None:
            found = asyncio.ensure_future(read())
            self._read[signal_id] = found
        return await asyncio.shield(found)

    async def get(
        self, key: bytes, make: Callable[[], Awaitable[RenderedDocument]]
    ) -> RenderedDocument:
        """The document for ``key``, made by ``make`` if no copy of this batch made it yet."""
        found = self._rendered.get(key)
        if found is None:
            found = asyncio.ensure_future(make())
            self._rendered[key] = found
            self.rendered += 1
        return await asyncio.shield(found)


class Preparer:
    def __init__(
        self,
        *,
        store: Store,
        master_key: MasterKey,
        translator: TranslationBackend,
        policy: PolicyInForce | None = None,
        cpu: Executor | None = None,
    ) -> None:
        """``cpu`` runs the CPU-heavy steps (decoding, minimising, rendering; the courier's
        encoding and sealing too): one thread, so that they take turns with the event loop
        rather than crowd it out (asyncio's default pool when not given)."""
        self._cpu = cpu
        self._store = store
        self._master_key = master_key
        self._translator = translator
        self._policy = policy
        self._pseudonym_secret = master_key.derive(minimise.PSEUDONYM_SECRET)

    @property
    def translator(self) -> TranslationBackend:
        return self._translator

    def translator_for(
        self, recipient: Partner, *, reviewed: bool, signal_id: str
    ) -> TranslationBackend:
        """The backend as a copy of ``signal_id`` for ``recipient`` may use it, keeping
        whatever it keeps of the texts as the signal's."""
        backend = self._translator
        if isinstance(backend, Scopable):
            scope = MemoryScope(recipient.id, recipient.country, reviewed=reviewed)
            backend = backend.scoped(scope)
        return for_signal(backend, signal_id)

    async def run_cpu(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``function(*args, **kwargs)`` on the executor for CPU-heavy steps."""
        call = partial(function, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._cpu, call)

    def seal_released(self, item_id: str, released: Released) -> bytes:
        """What an officer released, sealed under the master key for the review item."""
        plain = json.dumps(released.as_json(), ensure_ascii=False)
        sealed = self._master_key.seal(
            plain.encode(), context=released_context(item_id), compress=True
        )
        return sealed.to_bytes()

    async def released_texts(self, item_id: str) -> Released:
        """What an officer released for ``item_id`` (nothing if nothing was released)."""
        sealed = await self._store.review_correction(item_id)
        if sealed is None:
            return Released({})
        plain = self._master_key.open(
            SealedBlob.from_bytes(sealed), context=released_context(item_id)
        )
        return Released.from_json(json.loads(plain))

    async def prepare(
        self,
        signal_id: str,
        recipient_id: str,
        *,
        released: Released | None = None,
        reviewed: bool = False,
        renderings: Renderings | None = None,
    ) -> PreparedCopy:
        """The copy for ``recipient_id``; with ``released``, the officer's texts as they are.
        ``reviewed``: an officer of the recipient's desk reads it before it goes out;
        ``renderings``: the documents other copies of a batch rendered, to share."""
        load = partial(self._read, signal_id)
        read = await (load() if renderings is None else renderings.read(signal_id, load))
        recorded = (
            [] if read is None else [d for d in read.decisions if d.recipient_id == recipient_id]
        )
        if read is None or not recorded or recipient_id not in read.partners:
            raise CopyUnavailable(f"{signal_id} for {recipient_id}")
        stored, body = read.stored, read.body
        recipient = read.partners[recipient_id]
        decision = recorded[0]
        signal, view = await self.run_cpu(
            _minimised,
            body,
            decision,
            minimise.pseudonym_key(self._pseudonym_secret, recipient.id),
        )
        target = target_language(signal, recipient)
        if released is None:
            translations = await translate_view(
                view,
                target=target,
                source=signal.language,
                backend=self.translator_for(recipient, reviewed=reviewed, signal_id=signal_id),
            )
        else:
            view = with_released(view, released)
            translations = {p: t for p, t in released.texts.items() if _shown(view, p)}
        in_force = None if self._policy is None else self._policy.policy
        policy = in_force if in_force and in_force.digest == decision.policy_digest else None
        retention = (
            None
            if in_force is None or in_force.retention is None
            else terms_for(in_force.retention, described(signal))
        )
        inputs: dict[str, Any] = {
            "translations": translations,
            "received_at": stored.received_at,
            "policy": policy,
            "retention": retention,
        }
        make = partial(self.run_cpu, render, view, recipient, decision, **inputs)
        if renderings is None:
            rendered = await make()
        else:
            key = rendering_key(view, recipient, decision, **inputs)
            rendered = for_recipient(await renderings.get(key, make), recipient.id)
        return PreparedCopy(
            stored=stored,
            signal=signal,
            recipient=recipient,
            decision=decision,
            view=view,
            source_language=signal.language,
            target_language=target,
            translations=translations,
            rendered=rendered,
            retention=retention,
        )

    async def _read(self, signal_id: str) -> _Read | None:
        """The signal, its body opened, its decisions and the partners; None if not kept."""
        stored = await self._store.signal(signal_id)
        sealed = await self._store.sealed_body(signal_id)
        if stored is None or sealed is None:
            return None
        body = self._master_key.open(SealedBlob.from_bytes(sealed), context=signal_id.encode())
        return _Read(
            stored,
            body,
            tuple(await self._store.decisions(signal_id)),
            {p.id: p for p in await self._store.partners()},
        )


def _minimised(
    body: bytes, decision: Decision, pseudonym_key: bytes
) -> tuple[Signal, RecipientView]:
    """The signal in ``body`` and the recipient's view of it: CPU work, run off the loop."""
    signal, source = _decoded(body)
    return signal, minimise.apply(signal, decision, pseudonym_key=pseudonym_key, source=source)


@lru_cache(maxsize=8)
def _decoded(body: bytes) -> tuple[Signal, minimise.SignalDocument]:
    """The signal a stored body holds, decoded, dumped and classified once for all of its
    recipients' copies (for the largest signal decoding is some 60 ms each time)."""
    signal = Signal.model_validate_json(body)
    return signal, minimise.signal_document(signal)


def released_context(item_id: str) -> bytes:
    return f"review:{item_id}".encode()


def _shown(view: RecipientView, pointer: str) -> bool:
    return pointer not in view.held and isinstance(json_pointer.get(view.document, pointer), str)
