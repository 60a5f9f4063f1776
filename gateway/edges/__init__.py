"""The edges: where requests come in and answers go out, and where the gateway is put together.

server          the composition root: settings and a data directory to a running gateway
partner_app     the partners' HTTP API (mutual TLS)
staff_app       the staff listener's review API (API tokens)
holds_api       the staff listener's legal holds: list, hold, lift (compliance staff)
web             the staff web pages
http            what both apps share: bodies, query parameters, problem answers, request ids
problems        RFC 9457 problem documents in the caller's language
listener        the listeners: connections admitted and timed before TLS
refusals        refused credentials counted per address and summarised in the audit
cli             the ``euregate`` command
client          the partner SDK: send, pull the inbox, open envelopes
staff_client    the staff API's client, for the command line
"""
