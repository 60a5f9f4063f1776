"""Seal and deliver: pending copies sealed into envelopes, inboxes, acknowledgements, pushes.

payload    what a recipient's envelope holds once opened (``euregate.message/1``)
courier    Courier: seals each pending copy for its recipient, after a crash too
inbox      Inbox: a recipient's envelopes in order, long-polled, acknowledged
webhooks   Pusher: each envelope POSTed to its partner's webhook over mutual TLS, with
           backoff, jitter and a dead letter, from the durable outbox
requests   requests for information and their deadlines (Directive 2023/977, art. 5)
"""

from gateway.delivery.courier import Courier
from gateway.delivery.inbox import Inbox
from gateway.delivery.payload import MESSAGE_FORMAT, message_payload

__all__ = ["MESSAGE_FORMAT", "Courier", "Inbox", "message_payload"]
