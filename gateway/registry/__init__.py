"""The registry's keeping: changing who the gateway knows, checking who signs in, and setting
up a data directory.

admin        every audited change to the registry: partners, certificates, keys, staff
             accounts and their approvals, the push outbox
auth         Authenticator: staff sign-in, sessions and API tokens, against the store
datadir      first-run setup of a data directory (``euregate init``)
production   an installed gateway's layout, and its data directory given to the service account

Who the staff are (accounts, roles and desks, permissions, the rules of signing in) is
:mod:`gateway.staff`, below the store that keeps their records.
"""
