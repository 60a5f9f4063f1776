"""The registry: who the gateway knows, and setting up a data directory.

staff       staff accounts, roles and desks, passwords and second factors, tokens, sessions,
            the sign-in throttle and proposals
datadir     first-run setup of a data directory (``euregate init``)
"""
