"""A script's or the CLI's side of the staff listener: the review queue by API token.

async with StaffClient(url, token=token, ssl_context=pki.client_ssl_context(...)) as desk:
    items = await desk.queue()
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from euregate_client import AuditLogReader


class StaffClient(AuditLogReader):
    """A person's script: the review desk, and the audit log's tree for compliance staff."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str,
        ssl_context: ssl.SSLContext,
        language: str | None = "en",
        account_language_first: bool = False,
        timeout: float = 60.0,
    ) -> None:
        """``account_language_first``: answers in the account's language, ``language`` only
        for a refusal before the token is known (``Prefer: account-language``)."""
        preference = {"Prefer": "account-language"} if account_language_first else {}
        super().__init__(
            base_url,
            ssl_context=ssl_context,
            language=language,
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}", **preference},
        )

    async def queue(self) -> list[dict[str, Any]]:
        """What waits at the desk of the token's account, most pressing first."""
        items = (await self._request("GET", "/v1/review"))["items"]
        return list(items)

    async def item(self, item_id: str) -> dict[str, Any]:
        """The original beside the recipient's rendering, and what the rules removed."""
        return await self._request("GET", f"/v1/review/{quote(item_id, safe='')}")

    async def release(
        self,
        item_id: str,
        corrections: Mapping[str, str] | None = None,
        *,
        as_written: Sequence[str] = (),
        withheld: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Release the copy, with ``corrections`` (JSON pointer → text) in place of the
        translation, the texts at ``as_written`` as written and those at ``withheld`` left
        out."""
        return await self._post(
            f"/v1/review/{quote(item_id, safe='')}/release",
            {
                "corrections": dict(corrections or {}),
                "as_written": list(as_written),
                "withheld": list(withheld),
            },
        )

    async def reject(self, item_id: str, reason: str, category: str) -> dict[str, Any]:
        """Reject the copy: ``category`` (a rejection category's code) is shown to its sender,
        ``reason`` only to the desks' officers."""
        return await self._post(
            f"/v1/review/{quote(item_id, safe='')}/reject",
            {"reason": reason, "category": category},
        )

    async def memory(self) -> list[dict[str, Any]]:
        """What the officers of the token's desk taught the translation memory."""
        entries = (await self._request("GET", "/v1/memory"))["entries"]
        return list(entries)

    async def confirm_memory(self, entry_id: str) -> dict[str, Any]:
        """Confirm another officer's translation-memory entry for wider use."""
        return await self._post(f"/v1/memory/{quote(entry_id, safe='')}/confirm", {})

    async def holds(self) -> list[dict[str, Any]]:
        """The signals on legal hold, the earliest review first (compliance staff)."""
        return list((await self._request("GET", "/v1/holds"))["holds"])

    async def hold(self, signal_id: str, *, reason: str, review_on: str) -> dict[str, Any]:
        """Put ``signal_id`` on legal hold until lifted, to be reviewed on ``review_on``."""
        return await self._post(
            f"/v1/holds/{quote(signal_id, safe='')}", {"reason": reason, "review_on": review_on}
        )

    async def lift(self, signal_id: str) -> None:
        """Lift the legal hold on ``signal_id``."""
        await self._exchange("DELETE", f"/v1/holds/{quote(signal_id, safe='')}")

    async def restrictions(self) -> list[dict[str, Any]]:
        """The restrictions of processing in force, the earliest due first (compliance)."""
        return list((await self._request("GET", "/v1/restrictions"))["restrictions"])

    async def restrict(self, **given: str) -> dict[str, Any]:
        """Restrict processing for a person: ``identifier``, or ``family_name`` with
        ``date_of_birth``; ``reason``, ``due_on`` and an optional ``note``."""
        return await self._post("/v1/restrictions", given)

    async def lift_restriction(
        self, restriction_id: str, decision: str = "lifted"
    ) -> dict[str, Any]:
        """Lift a restriction with ``decision``: what it held is delivered."""
        return await self._request(
            "DELETE",
            f"/v1/restrictions/{quote(restriction_id, safe='')}?decision="
            + quote(decision, safe=""),
        )

    async def overdue_notices(self) -> dict[str, Any]:
        """Withdrawal notices their recipients have not acknowledged in time (compliance)."""
        return await self._request("GET", "/v1/withdrawals/overdue")

    async def _post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return await self._request(
            "POST",
            path,
            data=json.dumps(body, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"},
        )
