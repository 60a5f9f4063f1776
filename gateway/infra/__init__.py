"""Infrastructure: what every layer above may use, and which uses none of them.

audit       the hash-chained audit log of typed events, and the transparency log's parts
vault       the master key and what is sealed under it (AES-256-GCM)
seal        HPKE envelopes, the gateway's signing keys
pki         the gateway's certificate authority and TLS contexts
canonical   RFC 8785 canonical JSON
clock       the injected clock
logs        operational logs as JSON lines
i18n        catalogs, language negotiation and N_()
config      the settings and the data directory's layout
errors      every error, with its problem type, status and message
addresses   client addresses as the limits count them
"""
