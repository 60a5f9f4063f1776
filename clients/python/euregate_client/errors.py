"""What the partner's side refuses, and how it names a failed request.

    EuregateError                      anything Euregate refuses or fails at, with its problem
    │                                  ``type``, HTTP status, and English title and detail
    ├── ClientError                    the caller can fix it (4xx)
    │   └── NoteRefused                a signed note (C2SP signed-note) is not accepted
    │       ├── NoteMalformed          400  not in the signed-note format
    │       ├── NoteUnverified         403  no signature by a key we know
    │       ├── NoteSignatureInvalid   403  a known key's signature does not verify
    │       ├── VerifierKeyMalformed   400  not a verifier key we can use
    │       └── CheckpointMalformed    400  the note's text is not a C2SP checkpoint
    ├── EnvelopeRefused                an envelope is not opened (:mod:`euregate_client.envelope`)
    │   ├── EnvelopeMalformed          not the envelope format of docs/envelope.md
    │   ├── EnvelopeMisaddressed       sealed for another recipient or signal
    │   ├── EnvelopeWrongKey           sealed to another key than the one given
    │   ├── EnvelopeSignatureInvalid   unknown signing key, or anything changed after signing
    │   └── EnvelopeUndecryptable      HPKE refuses: altered, or bound to other ids
    └── ProofRefused                   the audit log's proof of a receipt is not accepted
        ├── ReceiptMalformed           not a receipt naming its audit entry's leaf
        └── InclusionUnproven          the entry is not shown to be in the signed checkpoint

    ClientFailure                      a request to the gateway got no answer it could use
    ├── Unreachable                    no HTTP answer: refused, TLS refused, timeout
    └── Problem                        the gateway refused it: its RFC 9457 document

Titles and details are English message ids (marked with :func:`N_`); the gateway's own
errors (``gateway.infra.errors``) build on :class:`EuregateError` and translate them all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

PROBLEM_BASE = "urn:euregate:problem:"


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a message for extraction without translating it yet."""
    return message


@dataclass(frozen=True)
class FieldIssue:
    """One thing wrong at one place of a document.

    ``pointer`` is an RFC 6901 JSON pointer into the posted document, ``code`` a
    stable machine-readable name, ``message`` an English message id with
    ``{placeholders}`` filled from ``params`` when translated.
    """

    pointer: str
    code: str
    message: str
    params: Mapping[str, object] = field(default_factory=dict)


class EuregateError(Exception):
    """Anything Euregate refuses or fails at: ``kind`` names its problem type, ``params`` fill
    the placeholders of its English ``title`` and ``detail_message``."""

    kind: ClassVar[str] = "internal"
    status: ClassVar[int] = 500
    title: ClassVar[str] = N_("Internal error")
    detail_message: ClassVar[str] = N_("The gateway could not complete the request.")

    def __init__(self, **params: object) -> None:
        self.params: dict[str, object] = params
        super().__init__(self.detail_message.format(**params) if params else self.detail_message)

    @property
    def type_uri(self) -> str:
        return PROBLEM_BASE + self.kind

    @property
    def issues(self) -> Sequence[FieldIssue]:
        return ()

    @property
    def detail_id(self) -> str:
        """The English message id of the detail; some errors choose among several."""
        return self.detail_message

    def extensions(self) -> dict[str, object]:
        """Members beyond the RFC 9457 core that a caller can act on."""
        return {}

    def __reduce__(self) -> tuple[object, ...]:
        return (_restore, (type(self), self.args, dict(self.__dict__)))


def _restore(
    cls: type[EuregateError], args: tuple[object, ...], state: dict[str, object]
) -> EuregateError:
    """An error as it was pickled, without calling its ``__init__`` (whose signature varies)."""
    error = cls.__new__(cls, *args)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class ClientError(EuregateError):
    kind = "bad-request"
    status = 400
    title = N_("Bad request")
    detail_message = N_("The gateway cannot process this request.")


class EnvelopeRefused(EuregateError):
    """A partner's side refuses a sealed envelope; each subclass says which check failed."""

    kind = "envelope-refused"
    status = 422
    title = N_("Envelope refused")
    detail_message = N_("The envelope cannot be opened.")


class EnvelopeMalformed(EnvelopeRefused):
    kind = "envelope-malformed"
    detail_message = N_("The envelope is not in the Euregate envelope format ({reason}).")

    def __init__(self, *, reason: str) -> None:
        super().__init__(reason=reason)


class EnvelopeMisaddressed(EnvelopeRefused):
    """Sealed for another recipient or another signal: a replay or a mix-up."""

    kind = "envelope-misaddressed"
    detail_message = N_(
        "The envelope was sealed for {recipient} and signal {signal}, not for this recipient "
        "and signal."
    )

    def __init__(self, *, recipient: str, signal: str) -> None:
        super().__init__(recipient=recipient, signal=signal)


class EnvelopeWrongKey(EnvelopeRefused):
    kind = "envelope-wrong-key"
    detail_message = N_(
        "The envelope is sealed to key {key_id} ({suite}); the private key given is {given}."
    )

    def __init__(self, *, key_id: str, suite: str, given: str) -> None:
        super().__init__(key_id=key_id, suite=suite, given=given)


class EnvelopeSignatureInvalid(EnvelopeRefused):
    kind = "envelope-signature-invalid"
    detail_message = N_("The gateway's signature on the envelope does not verify ({reason}).")

    def __init__(self, *, reason: str) -> None:
        super().__init__(reason=reason)


class EnvelopeUndecryptable(EnvelopeRefused):
    kind = "envelope-undecryptable"
    detail_message = N_(
        "The envelope does not decrypt with this key: it was altered, or it is bound to "
        "another recipient or signal."
    )


class NoteRefused(ClientError):
    """A signed note (``c2sp.org/signed-note``: a checkpoint, its cosignatures) is refused."""

    kind = "note-refused"
    status = 400
    title = N_("Signed note refused")
    detail_message = N_("The signed note is not accepted.")


class NoteMalformed(NoteRefused):
    """Not a signed note: ``reason`` (a message id) says what is wrong with its form."""

    kind = "note-malformed"
    title = N_("Malformed signed note")
    detail_message = N_("The text is not a signed note: {reason}")

    def __init__(self, *, reason: str) -> None:
        super().__init__(reason=reason)


class NoteUnverified(NoteRefused):
    """No signature on the note is by a key the verifier knows."""

    kind = "note-unverified"
    status = 403
    title = N_("Signed note not verified")
    detail_message = N_("The note carries no signature by a known key ({names}).")

    def __init__(self, *, names: str) -> None:
        super().__init__(names=names)


class NoteSignatureInvalid(NoteRefused):
    """A signature by a known key (name and key ID) fails: the note was changed or forged."""

    kind = "note-signature-invalid"
    status = 403
    title = N_("Signature does not verify")
    detail_message = N_(
        "The signature of {name} (key ID {key_id}) does not verify: the note was changed "
        "after it was signed, or that key did not sign it."
    )

    def __init__(self, *, name: str, key_id: str) -> None:
        super().__init__(name=name, key_id=key_id)


class VerifierKeyMalformed(NoteRefused):
    """Not a verifier key (``name+keyid+base64(type || key)``) of a type we use."""

    kind = "verifier-key-malformed"
    title = N_("Unusable verifier key")
    detail_message = N_("The verifier key is not usable: {reason}")

    def __init__(self, *, reason: str) -> None:
        super().__init__(reason=reason)


class CheckpointMalformed(NoteRefused):
    """The note's text is not a ``c2sp.org/tlog-checkpoint`` body."""

    kind = "checkpoint-malformed"
    title = N_("Malformed checkpoint")
    detail_message = N_("The note is not a checkpoint: {reason}")

    def __init__(self, *, reason: str) -> None:
        super().__init__(reason=reason)


class ProofRefused(EuregateError):
    """A partner's or an auditor's side does not accept what the gateway's log shows."""

    kind = "proof-refused"
    status = 422
    title = N_("Proof not accepted")
    detail_message = N_("The audit log's proof is not accepted.")


class ReceiptMalformed(ProofRefused):
    """Not a receipt (or status) of the gateway that names its audit entry's leaf."""

    kind = "receipt-malformed"
    title = N_("Not a receipt")
    detail_message = N_(
        "This is not a receipt of the gateway: it names no audit entry with its leaf index and "
        "leaf hash (base64)."
    )


class InclusionUnproven(ProofRefused):
    """Leaf ``index`` with the receipt's ``leaf_hash`` is not shown to be in the checkpoint of
    ``size`` entries."""

    kind = "inclusion-unproven"
    title = N_("Entry not proven to be in the log")
    detail_message = N_(
        "The proof does not show that the audit entry at leaf {index} (leaf hash {leaf_hash}) is "
        "in the gateway's signed checkpoint of {size} entries: the entry was changed or removed, "
        "or the proof is wrong."
    )

    def __init__(self, *, index: int, leaf_hash: str, size: int) -> None:
        super().__init__(index=index, leaf_hash=leaf_hash, size=size)


class ClientFailure(Exception):
    """Anything that kept a request from getting an answer it could use."""


class Unreachable(ClientFailure):
    """No HTTP answer: connection refused, TLS handshake refused, timeout. ``url`` is the
    gateway's; the failure itself is ``__cause__``."""

    def __init__(self, url: str, failure: BaseException) -> None:
        self.url = url
        super().__init__(f"{url}: {failure}")


class Problem(ClientFailure):
    """The gateway refused the request; ``document`` is its problem document."""

    def __init__(self, status: int, document: Mapping[str, Any]) -> None:
        self.status = status
        self.document = dict(document)
        super().__init__(f"{status} {document.get('title', '')}: {document.get('detail', '')}")

    @property
    def errors(self) -> list[dict[str, Any]]:
        errors = self.document.get("errors", [])
        return list(errors) if isinstance(errors, list) else []
