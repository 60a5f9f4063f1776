"""A partner's webhook for Euregate pushes: mutual TLS, the gateway's signature, HPKE, 2xx.

Standalone: it needs aiohttp and cryptography, nothing of the gateway's own code; everything
it checks is written out from ``docs/envelope.md``. The gateway POSTs each envelope as one
inbox entry (``{"id", "position", "signal_id", "version", "created_at", "envelope"}``) from
its client certificate; this receiver

1. admits only client certificates issued by ``--client-ca`` (the gateway's CA),
2. checks the envelope is addressed to ``--recipient-id`` and sealed to its own key,
3. verifies the gateway's Ed25519 signature with the keys saved from ``GET /v1/gateway/keys``,
4. opens it with HPKE (``X25519`` or ``MLKEM768_X25519``, HKDF-SHA256, AES-256-GCM, an
   empty AAD, ``info`` rebuilt from the header) and, for version 2, inflates the zlib
   stream and checks the padding is zeros,
5. writes the message to ``--out/<entry id>.json`` and only then answers 200: that answer
   is the acknowledgement. A refused envelope is answered 422 and kept nowhere; one it cannot
   write is answered 503, and the gateway pushes it again later.

Run it, e.g. for the demo partner ``nl-pol-limburg``::

    python examples/webhook_receiver.py --port 8443 \\
        --cert server.pem --key server.key --client-ca data/ca/ca.pem \\
        --recipient-id nl-pol-limburg --decryption-key encryption.key \\
        --gateway-keys gateway-keys.json --out inbox/
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import ssl
import uuid
import zlib
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hpke, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, mlkem, x25519

MAX_MESSAGE = 64 * 2**20
HEADER_MEMBERS = {
    1: {"version", "gateway_id", "signal_id", "recipient_id", "key_id", "suite", "created_at"}
    | {"signing_key_id"},
}
HEADER_MEMBERS[2] = HEADER_MEMBERS[1] | {"encoding"}
SUITES = {
    "X25519": hpke.KEM.X25519,
    "MLKEM768_X25519": hpke.KEM.MLKEM768_X25519,
}


class Refused(Exception):
    """The envelope is not one this receiver may accept; the reason is safe to answer."""


def canonical(value: object) -> bytes:
    """RFC 8785 for what an envelope holds: members sorted, no whitespace, UTF-8, small
    integers and strings only."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def unb64url(text: object) -> bytes:
    if not isinstance(text, str) or "=" in text:
        raise Refused("not unpadded base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class RecipientKey:
    """The partner's private key (PEM PKCS#8: X25519, or ML-KEM-768 then X25519) and the id
    of its public half: SHA-256 of the suite's name, a zero byte and the raw public key."""

    def __init__(self, pem: bytes) -> None:
        end = b"-----END PRIVATE KEY-----"
        blocks = [block + end for block in pem.split(end) if block.strip()]
        keys = [serialization.load_pem_private_key(block, password=None) for block in blocks]
        self.key: x25519.X25519PrivateKey | hpke.MLKEM768X25519PrivateKey
        match keys:
            case [x25519.X25519PrivateKey() as classical]:
                self.suite, self.key = "X25519", classical
                raw = classical.public_key().public_bytes_raw()
            case [mlkem.MLKEM768PrivateKey() as quantum, x25519.X25519PrivateKey() as classical]:
                self.suite = "MLKEM768_X25519"
                self.key = hpke.MLKEM768X25519PrivateKey(quantum, classical)
                raw = (
                    quantum.public_key().public_bytes_raw()
                    + classical.public_key().public_bytes_raw()
                )
            case _:
                raise ValueError("expected an X25519 key, or an ML-KEM-768 and an X25519 key")
        self.key_id = hashlib.sha256(self.suite.encode() + b"\x00" + raw).hexdigest()[:16]


def gateway_keys(answer: dict[str, Any]) -> dict[str, ed25519.Ed25519PublicKey]:
    """The signing keys by id, from the saved answer of ``GET /v1/gateway/keys``."""
    return {
        key["key_id"]: ed25519.Ed25519PublicKey.from_public_bytes(unb64url(key["public_key"]))
        for key in answer["keys"]
        if key["algorithm"] == "Ed25519"
    }


def open_envelope(
    envelope: object,
    *,
    recipient_id: str,
    key: RecipientKey,
    signing_keys: dict[str, ed25519.Ed25519PublicKey],
) -> bytes:
    """The message in ``envelope``, or :class:`Refused` saying why not."""
    if not isinstance(envelope, dict) or set(envelope) != {
        "header",
        "enc",
        "ciphertext",
        "signature",
    }:
        raise Refused("not an envelope")
    header = envelope["header"]
    if not isinstance(header, dict) or set(header) != HEADER_MEMBERS.get(header.get("version", 0)):
        raise Refused("not a header of a known version")
    if header["recipient_id"] != recipient_id:
        raise Refused("addressed to another recipient")
    if header["key_id"] != key.key_id or header["suite"] != key.suite:
        raise Refused("sealed to another key")
    enc, ciphertext = unb64url(envelope["enc"]), unb64url(envelope["ciphertext"])
    version = header["version"]
    signed = canonical(
        {
            "context": f"euregate/envelope/v{version}/signature",
            "header": header,
            "enc_sha256": hashlib.sha256(enc).hexdigest(),
            "ciphertext_sha256": hashlib.sha256(ciphertext).hexdigest(),
        }
    )
    verifier = signing_keys.get(header["signing_key_id"])
    if verifier is None:
        raise Refused("signed by a key this receiver does not know")
    try:
        verifier.verify(unb64url(envelope["signature"]), signed)
    except InvalidSignature as exc:
        raise Refused("the gateway's signature does not match") from exc
    bound = {name: header[name] for name in ("gateway_id", "signal_id", "recipient_id")}
    bound |= {"key_id": header["key_id"], "suite": header["suite"]}
    bound["context"] = f"euregate/envelope/v{version}/hpke-info"
    if version == 2:
        bound["encoding"] = header["encoding"]
    suite = hpke.Suite(SUITES[key.suite], hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
    try:
        content = suite.decrypt(enc + ciphertext, key.key, info=canonical(bound))
    except (InvalidTag, ValueError) as exc:
        raise Refused("it does not decrypt") from exc
    return content if version == 1 else inflated(content, header["encoding"])


def inflated(content: bytes, encoding: str) -> bytes:
    """Version 2: one zlib stream of at most 64 MiB, then nothing but zero bytes."""
    if encoding != "zlib":
        raise Refused("an unknown encoding")
    inflater = zlib.decompressobj()
    try:
        message = inflater.decompress(content, MAX_MESSAGE)
    except zlib.error as exc:
        raise Refused("the content is not a zlib stream") from exc
    if not inflater.eof or inflater.unconsumed_tail or inflater.unused_data.strip(b"\x00"):
        raise Refused("the content is not one zlib stream followed by zeros")
    return message


def create_app(
    *,
    recipient_id: str,
    key: RecipientKey,
    signing_keys: dict[str, ed25519.Ed25519PublicKey],
    out: Path,
) -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        try:
            entry = await request.json()
            entry_id = str(uuid.UUID(entry["id"]))
            message = open_envelope(
                entry["envelope"], recipient_id=recipient_id, key=key, signing_keys=signing_keys
            )
        except (Refused, ValueError, KeyError, TypeError, AttributeError) as refusal:
            return web.json_response({"refused": str(refusal)}, status=422)
        target = out / f"{entry_id}.json"
        try:
            written = target.with_suffix(".part")
            written.write_bytes(message)
            with written.open("rb") as kept:
                os.fsync(kept.fileno())
            written.replace(target)
        except OSError:
            return web.json_response({"refused": "not kept; push again"}, status=503)
        print(f"kept {entry['signal_id']} version {entry['version']} as {target}", flush=True)
        return web.json_response({"kept": entry_id})

    app = web.Application(client_max_size=2 * MAX_MESSAGE)
    app.router.add_post("/hook", receive)
    return app


def server_context(certificate: Path, private_key: Path, client_ca: Path) -> ssl.SSLContext:
    """TLS 1.3, a client certificate from ``client_ca`` required."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(certificate, private_key)
    context.load_verify_locations(cafile=client_ca)
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--cert", type=Path, required=True, help="this server's certificate")
    parser.add_argument("--key", type=Path, required=True, help="this server's private key")
    parser.add_argument("--client-ca", type=Path, required=True, help="the gateway's CA")
    parser.add_argument("--recipient-id", required=True, help="the partner id pushed to")
    parser.add_argument("--decryption-key", type=Path, required=True, help="PEM private key")
    parser.add_argument(
        "--gateway-keys", type=Path, required=True, help="saved GET /v1/gateway/keys answer"
    )
    parser.add_argument("--out", type=Path, required=True, help="where messages are kept")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = create_app(
        recipient_id=args.recipient_id,
        key=RecipientKey(args.decryption_key.read_bytes()),
        signing_keys=gateway_keys(json.loads(args.gateway_keys.read_text(encoding="utf-8"))),
        out=args.out,
    )
    context = server_context(args.cert, args.key, args.client_ca)
    web.run_app(app, host=args.host, port=args.port, ssl_context=context, print=print)


if __name__ == "__main__":
    main()
