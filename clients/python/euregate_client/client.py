"""The partner's side: an async client for a partner system talking to Euregate.

    async with EuregateClient.from_files(url, cert=..., key=..., ca=..., decryption_key=...) as c:
        receipt = await c.post(document)
        async for message in c.inbox():
            handle(message)  # acknowledged once this returns and the loop asks for the next

Refusals raise :class:`~euregate_client.errors.Problem` carrying the gateway's RFC 9457
document; a gateway that cannot be reached raises :class:`~euregate_client.errors.Unreachable`.
Both derive from :class:`~euregate_client.errors.ClientFailure`. An envelope that does not
open raises an :class:`~euregate_client.errors.EnvelopeRefused` saying why.
"""

from __future__ import annotations

import base64
import json
import ssl
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Required, Self, TypedDict, Unpack
from urllib.parse import quote, urlencode

import aiohttp

from euregate_client.checkpoint import DEFAULT_ORIGIN, SignedCheckpoint
from euregate_client.envelope import Envelope, open_envelope, unb64url
from euregate_client.errors import (
    EnvelopeMisaddressed,
    InclusionUnproven,
    Problem,
    Unreachable,
)
from euregate_client.keys import RecipientPrivateKey, load_private_key
from euregate_client.proof import (
    ReceiptLeaf,
    decode_proof,
    log_verifiers,
    open_log_checkpoint,
    prove_receipt,
)
from euregate_client.tls import client_ssl_context, partner_id_of


class ClientOptions(TypedDict, total=False):
    """How a client asks: ``language`` in ``Accept-Language`` (None: none, and the gateway
    answers in the caller's), ``timeout`` in seconds per request, further ``headers``."""

    language: str | None
    timeout: float
    headers: Mapping[str, str] | None


class PartnerFiles(TypedDict, total=False):
    """What :meth:`EuregateClient.from_files` reads: ``cert``, ``key`` and ``ca`` (PEM paths)
    are needed, the rest not."""

    cert: Required[str | Path]
    key: Required[str | Path]
    ca: Required[str | Path]
    decryption_key: str | Path | None
    partner_id: str | None
    language: str | None
    timeout: float


@dataclass(frozen=True)
class Submitted:
    """The gateway's answer to a signal: 202 when it is new, 200 when it was received before
    (the same ``sender_reference`` and body), with the receipt either way."""

    status: int
    receipt: dict[str, Any]

    @property
    def received_before(self) -> bool:
        return self.status == 200


class JsonClient:
    """JSON over HTTPS to one of the gateway's listeners, problems raised as :class:`Problem`."""

    def __init__(
        self,
        base_url: str,
        *,
        ssl_context: ssl.SSLContext,
        language: str | None = "en",
        timeout: float = 30.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """``language`` is asked for in ``Accept-Language``; None asks for none, and the
        gateway answers in the language it knows for the caller (:attr:`answered_language`)."""
        self._base_url = base_url.rstrip("/")
        self._ssl = ssl_context
        asked = {} if language is None else {"Accept-Language": language}
        self._headers = {**asked, **(headers or {})}
        self.answered_language: str | None = language
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        self._session = aiohttp.ClientSession(
            headers=self._headers,
            timeout=self._timeout,
            connector=aiohttp.TCPConnector(ssl=self._ssl),
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _exchange(self, method: str, path: str, **kwargs: Any) -> tuple[int, str]:
        """The status and text of the answer; a refusal (4xx, 5xx) raised as :class:`Problem`."""
        if self._session is None:
            raise RuntimeError(f"use {type(self).__name__} in `async with`")
        try:
            async with self._session.request(
                method, self._base_url + path, allow_redirects=False, **kwargs
            ) as response:
                text = await response.text()
                status = response.status
                self.answered_language = response.headers.get(
                    "Content-Language", self.answered_language
                )
        except (aiohttp.ClientError, TimeoutError, ssl.SSLError) as exc:
            raise Unreachable(self._base_url, exc) from exc
        if status >= 400:
            raise Problem(status, _json_object(status, text))
        return status, text

    async def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        status, text = await self._exchange(method, path, **kwargs)
        return _json_object(status, text)


class AuditLogReader(JsonClient):
    """What partners and compliance staff alike read of the audit log's tree."""

    async def checkpoint(self) -> bytes:
        """The latest signed checkpoint of the audit log with its witnesses' cosignatures, as
        the signed note the gateway hands out (check it with the gateway's key)."""
        _, text = await self._exchange("GET", "/v1/audit/checkpoint")
        return text.encode()

    async def inclusion_proof(self, index: int, size: int | None = None) -> dict[str, Any]:
        """The audit path of leaf ``index`` in the tree of ``size`` entries (the latest when
        None); only for entries about this partner's own exchanges."""
        return await self._request(
            "GET", "/v1/audit/proof/inclusion" + _query(index=index, size=size)
        )

    async def consistency_proof(self, first: int, second: int | None = None) -> dict[str, Any]:
        """The proof that the tree of ``first`` entries is a prefix of the tree of ``second``
        (the latest when None)."""
        return await self._request(
            "GET", "/v1/audit/proof/consistency" + _query(**{"from": first, "to": second})
        )

    async def cosignatures(self, size: int | None = None) -> dict[str, Any]:
        """The witnesses' cosignatures of the checkpoint of ``size`` entries (the latest when
        None), each with its witness key, to compare with what this partner's witness saw."""
        return await self._request("GET", "/v1/audit/cosignatures" + _query(size=size))


class EuregateClient(AuditLogReader):
    """A partner system's client: identity is the TLS client certificate in ``ssl_context``;
    :meth:`inbox` opens envelopes with ``decryption_key`` as ``partner_id``."""

    def __init__(
        self,
        base_url: str,
        *,
        ssl_context: ssl.SSLContext,
        decryption_key: RecipientPrivateKey | None = None,
        partner_id: str | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(base_url, ssl_context=ssl_context, **options)
        self.decryption_key = decryption_key
        self.partner_id = partner_id

    @classmethod
    def from_files(cls, url: str, **files: Unpack[PartnerFiles]) -> Self:
        """A client from the partner's PEM files: its TLS certificate and key, the gateway's
        CA, and the private key its envelopes are sealed to (needed by :meth:`inbox` only).
        The partner's id is the certificate's common name unless given."""
        cert = Path(files["cert"])
        context = client_ssl_context(
            certificate=cert, private_key=Path(files["key"]), server_ca=Path(files["ca"])
        )
        opener = None
        if (decryption_key := files.get("decryption_key")) is not None:
            opener = load_private_key(Path(decryption_key).read_bytes())
        options: ClientOptions = {"language": files.get("language", "en")}
        if "timeout" in files:
            options["timeout"] = files["timeout"]
        return cls(
            url,
            ssl_context=context,
            decryption_key=opener,
            partner_id=files.get("partner_id") or partner_id_of(cert),
            **options,
        )

    async def post(self, signal: Mapping[str, Any] | bytes) -> dict[str, Any]:
        """Post a signal; the receipt on 202 (new) or 200 (the same signal sent before)."""
        return (await self.submit_signal(signal)).receipt

    post_signal = post

    async def submit_signal(self, signal: Mapping[str, Any] | bytes) -> Submitted:
        """Post a signal; its receipt, and whether the gateway took it as new or had
        received it before."""
        body = signal if isinstance(signal, bytes) else json.dumps(signal).encode()
        status, text = await self._exchange(
            "POST", "/v1/signals", data=body, headers={"Content-Type": "application/json"}
        )
        return Submitted(status=status, receipt=_json_object(status, text))

    async def explain(self, signal: Mapping[str, Any] | bytes) -> dict[str, Any]:
        """What posting ``signal`` would decide for each recipient, and why; nothing is kept."""
        body = signal if isinstance(signal, bytes) else json.dumps(signal).encode()
        return await self._request(
            "POST", "/v1/policy/explain", data=body, headers={"Content-Type": "application/json"}
        )

    async def status(self, signal_id: str) -> dict[str, Any]:
        """The receipt with what became of each recipient's copy; only for its sender."""
        return await self._request("GET", f"/v1/signals/{quote(signal_id, safe='')}")

    signal_status = status

    async def withdraw(self, signal_id: str, reason: str) -> dict[str, Any]:
        """Withdraw this partner's own signal, ``reason`` one of ``data_incorrect``,
        ``unlawfully_transmitted``, ``no_longer_relevant``, ``sent_in_error``: each recipient
        that got it is sent a notice. Asking again answers the first withdrawal."""
        return await self._request(
            "POST",
            f"/v1/signals/{quote(signal_id, safe='')}/withdraw",
            data=json.dumps({"reason": reason}).encode(),
            headers={"Content-Type": "application/json"},
        )

    async def post_version(
        self, signal_id: str, signal: Mapping[str, Any] | bytes
    ) -> dict[str, Any]:
        """Rectify this partner's own signal ``signal_id``: post its new version (a signal
        with a sender_reference of its own); its receipt. Each recipient that got the old
        one is sent a notice naming the new."""
        body = signal if isinstance(signal, bytes) else json.dumps(signal).encode()
        return await self._request(
            "POST",
            f"/v1/signals/{quote(signal_id, safe='')}/versions",
            data=body,
            headers={"Content-Type": "application/json"},
        )

    async def list_signals(
        self, *, after: int | None = None, limit: int | None = None
    ) -> dict[str, Any]:
        """This partner's own signals, newest first (``cursor``: the next page's ``after``)."""
        return await self._request("GET", "/v1/signals" + _query(after=after, limit=limit))

    async def inbox_page(
        self, *, after: int = 0, limit: int = 100, wait: int = 0
    ) -> dict[str, Any]:
        """Unacknowledged envelopes after position ``after`` (``cursor`` says where the next
        call may start), still sealed; waits up to ``wait`` seconds for the first when there
        is none."""
        query = f"?after={after}&limit={limit}&wait={wait}"
        return await self._request(
            "GET", "/v1/inbox" + query, timeout=aiohttp.ClientTimeout(total=wait + 30)
        )

    async def inbox(
        self, *, after: int = 0, limit: int = 100, wait: int = 0
    ) -> AsyncGenerator[Message, None]:
        """The messages waiting, each verified and opened, until the inbox is empty (after
        ``wait`` seconds for another, when it is).

        A message is acknowledged when the loop comes back for the next one, that is when
        the body of the ``async for`` ran to its end without an exception; leaving the loop
        by an exception or ``break`` leaves that message unacknowledged, and the gateway
        hands it out again. An envelope that does not open raises its
        :class:`~euregate_client.errors.EnvelopeRefused`, unacknowledged too.
        """
        if self.decryption_key is None or self.partner_id is None:
            raise RuntimeError("give the decryption key (and partner id) to read the inbox")
        keys = await self.gateway_keys()
        while True:
            page = await self.inbox_page(after=after, limit=limit, wait=wait)
            for entry in page["envelopes"]:
                yield open_message(
                    entry,
                    private_key=self.decryption_key,
                    recipient_id=self.partner_id,
                    gateway_keys=keys,
                )
                await self.acknowledge(str(entry["id"]))
            after = int(page["cursor"])
            if not page["envelopes"]:
                return

    async def acknowledge(self, envelope_id: str) -> dict[str, Any]:
        """Tell the gateway an envelope arrived; idempotent."""
        return await self._request("POST", f"/v1/inbox/{quote(envelope_id, safe='')}/ack")

    async def requests(self, state: str = "open") -> dict[str, Any]:
        """Requests for information this partner sent or was sent, in ``state`` (``open``,
        ``overdue`` or ``answered``), earliest deadline first, each with its time left or
        time overdue (Directive (EU) 2023/977, art. 5)."""
        return await self._request("GET", "/v1/requests?state=" + quote(state, safe=""))

    async def gateway_keys(self) -> dict[str, bytes]:
        """The gateway's public signing keys by id, to verify envelopes and checkpoints."""
        keys = (await self._request("GET", "/v1/gateway/keys"))["keys"]
        return {key["key_id"]: unb64url(key["public_key"]) for key in keys}

    async def post_cosignature(self, size: int, line: str) -> dict[str, Any]:
        """Hand the gateway this partner's witness's cosignature line on checkpoint ``size``."""
        return await self._request(
            "POST", "/v1/audit/cosignatures", json={"size": size, "cosignature": line}
        )

    async def report_inconsistency(
        self, kind: str, previous: bytes | None, submitted: bytes
    ) -> dict[str, Any]:
        """Tell the gateway (and its compliance staff) what this partner's witness refused,
        with the checkpoint it cosigned before and the one it was shown."""
        body = {
            "kind": kind,
            "previous": None if previous is None else previous.decode(),
            "submitted": submitted.decode(),
        }
        return await self._request("POST", "/v1/audit/inconsistencies", json=body)

    async def verify_inclusion(
        self,
        receipt: Mapping[str, Any],
        *,
        checkpoint: bytes | None = None,
        gateway_keys: Mapping[str, bytes] | None = None,
        origin: str = DEFAULT_ORIGIN,
    ) -> SignedCheckpoint:
        """Check that a receipt's audit entry is in a checkpoint signed by the gateway: the one
        given (one kept earlier, say), else the latest. The gateway's keys are fetched unless
        given; the inclusion proof is always fetched (it proves nothing unless it leads to the
        signed root). The checkpoint, or :class:`~euregate_client.errors.InclusionUnproven`,
        :class:`~euregate_client.errors.ReceiptMalformed` or a refusal of the checkpoint itself."""
        leaf = ReceiptLeaf.of(receipt)
        note = checkpoint if checkpoint is not None else await self.checkpoint()
        keys = gateway_keys if gateway_keys is not None else await self.gateway_keys()
        verifiers = log_verifiers(origin, keys.values())
        size = open_log_checkpoint(note, verifiers, origin=origin).checkpoint.size
        if leaf.index >= size:
            raise InclusionUnproven(
                index=leaf.index, leaf_hash=base64.b64encode(leaf.leaf_hash).decode(), size=size
            )
        proof = decode_proof((await self.inclusion_proof(leaf.index, size)).get("proof"))
        return prove_receipt(leaf, note, proof, verifiers, origin=origin)


def _json_object(status: int, text: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise Problem(status, {"title": "not JSON", "detail": text[:200]}) from exc
    if not isinstance(document, dict):
        raise Problem(status, {"title": "unexpected answer", "detail": text[:200]})
    return document


def _query(**parameters: int | None) -> str:
    given = {name: value for name, value in parameters.items() if value is not None}
    return "?" + urlencode(given) if given else ""


@dataclass(frozen=True)
class Message:
    """An opened envelope: the inbox entry and the plaintext message it carried."""

    envelope_id: str
    position: int
    signal_id: str
    version: int
    content: dict[str, Any]

    @property
    def text(self) -> str:
        """The message rendered for a person, in the recipient's language."""
        return str(self.content["text"])

    @property
    def kind(self) -> str:
        """``signal`` for a copy of a signal; ``notice`` for a notice about one sent before
        (its withdrawal by the sender: :attr:`notice`)."""
        return str(self.content.get("kind", "signal"))

    @property
    def notice(self) -> dict[str, Any] | None:
        """A notice's ``type`` (``withdrawn``), ``reason`` code, ``at`` and ``texts`` by
        language; None for a copy of a signal."""
        notice = self.content.get("notice")
        return notice if isinstance(notice, dict) else None


def open_message(
    entry: Mapping[str, Any],
    *,
    private_key: RecipientPrivateKey,
    recipient_id: str,
    gateway_keys: Mapping[str, bytes],
) -> Message:
    """Verify and decrypt one inbox entry; raises :class:`~euregate_client.errors.EnvelopeRefused`
    (misaddressed, wrong key, bad signature, altered) with the reason."""
    envelope = Envelope.from_json(entry["envelope"])
    if envelope.header.signal_id != entry["signal_id"]:
        raise EnvelopeMisaddressed(
            recipient=envelope.header.recipient_id, signal=envelope.header.signal_id
        )
    plaintext = open_envelope(
        envelope,
        private_key=private_key,
        recipient_id=recipient_id,
        signal_id=str(entry["signal_id"]),
        gateway_public_keys=gateway_keys,
    )
    return Message(
        envelope_id=str(entry["id"]),
        position=int(entry["position"]),
        signal_id=str(entry["signal_id"]),
        version=int(entry["version"]),
        content=json.loads(plaintext),
    )
