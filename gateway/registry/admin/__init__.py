"""Administration: every audited change to the registry, one function each, used by the
command line and the staff pages alike.

partners        enrol a partner; suspend, reactivate or revoke it; set or remove its webhook
certificates    certify a partner's request (client or webhook); the demo network's own;
                revoke one
keys            a partner's encryption keys, added and retired; the gateway's signing key
                registered
staff           staff accounts: enrol, change, enable and disable, reset, sign-in blocks,
                API tokens
approvals       a staff change proposed by one administrator and decided by a second person
deliveries      a dead push put back in the outbox

Each change goes to the store with its audit event, in one transaction; the actor is the
administrator (``admin:`` from the command line, ``staff:`` from the pages).
"""
