"""Opening a copy the gateway sealed, as its recipient would, straight from the store."""

from __future__ import annotations

import json
from typing import Any

from euregate_client import open_message

from gateway.flow.pusher import push_body
from gateway.infra import seal
from gateway.store import InboxEnvelope
from tests.conftest import RunningGateway


async def opened_by_recipient(gateway: RunningGateway, stored: InboxEnvelope) -> dict[str, Any]:
    """The message in ``stored``, opened from the entry the inbox and a push hand out, with
    the recipient's own key and the gateway's keys as served."""
    entry = json.loads(push_body(stored))
    recipient = stored.recipient_id
    async with gateway.client(recipient) as client:
        message = open_message(
            entry,
            private_key=seal.load_private_key(
                gateway.layout.partner_encryption_key(recipient).read_bytes()
            ),
            recipient_id=recipient,
            gateway_keys=await client.gateway_keys(),
        )
    return message.content
