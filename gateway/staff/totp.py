"""The second factor: TOTP (RFC 6238) as authenticator apps expect it, kept sealed.

30-second steps, 6 digits, HMAC-SHA-1, a 160-bit secret (RFC 4226 §4). A code is
accepted one step either side of now, for clocks that drift; the step of the last
accepted code is kept with the secret, and a code of that step or an earlier one is
refused, so an observed code cannot be used again while it is still valid.

Secret and last step are sealed together under the master key with the staff id in
the context (:func:`seal`), so a blob copied to another account's row will not open.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Final

import pyotp

from gateway.infra.vault import MasterKey, SealedBlob

ISSUER: Final = "Euregate"
DIGITS: Final = 6
STEP_SECONDS: Final = 30
VALID_WINDOW: Final = 1
SECRET_BYTES: Final = 20
_CONTEXT: Final = b"euregate/staff/totp\x00"


@dataclass(frozen=True)
class Totp:
    """A person's TOTP secret (base32) and the step of the last code accepted."""

    secret: str = field(repr=False)
    last_step: int | None = None

    @classmethod
    def generate(cls) -> Totp:
        return cls(base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii"))

    def provisioning_uri(self, staff_id: str) -> str:
        """``otpauth://totp/Euregate:ID?secret=…&issuer=Euregate``, for a QR code."""
        return self._otp().provisioning_uri(name=staff_id, issuer_name=ISSUER)

    def match(self, code: str, now: datetime) -> int | None:
        """The step whose code ``code`` is, within one step of ``now``; replays not considered."""
        code = code.replace(" ", "")
        if len(code) != DIGITS or not code.isascii() or not code.isdigit():
            return None
        otp = self._otp()
        current = otp.timecode(now)
        found = None
        for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
            if hmac.compare_digest(otp.generate_otp(step), code):
                found = step
        return found

    def accepting(self, step: int) -> Totp:
        return replace(self, last_step=step)

    def _otp(self) -> pyotp.TOTP:
        return pyotp.TOTP(
            self.secret, digits=DIGITS, digest=hashlib.sha1, interval=STEP_SECONDS, issuer=ISSUER
        )


def seal(totp: Totp, key: MasterKey, staff_id: str) -> bytes:
    plain = json.dumps({"secret": totp.secret, "last_step": totp.last_step}).encode()
    return key.seal(plain, context=sealed_context(staff_id)).to_bytes()


def sealed_context(staff_id: str) -> bytes:
    """What a staff account's TOTP state is sealed for."""
    return _CONTEXT + staff_id.encode()


def open_sealed(blob: bytes, key: MasterKey, staff_id: str) -> Totp:
    """The TOTP state of ``staff_id``; :class:`~gateway.infra.vault.VaultError` if it does not
    open."""
    plain = key.open(SealedBlob.from_bytes(blob), context=sealed_context(staff_id))
    loaded = json.loads(plain)
    return Totp(secret=str(loaded["secret"]), last_step=loaded["last_step"])
