"""Backing up a data directory while the gateway serves, and restoring it elsewhere.

manifest   what an archive holds and proves: members' hashes, counts, the audit checkpoint,
           the master key's id (never the key), under a MAC keyed from the master key
archive    the tar file: written whole or not at all, mode 0600; read only after checking
making     ``euregate backup``
restoring  ``euregate restore``: into an empty directory only, never over a newer log
"""
