"""``euregate doctor``: what is wrong with a deployment, and how to fix it.

Each check is a small function over the data directory, the settings or what the database
holds, returning :class:`Finding` records (a status, a message and a fix, in any of the four
languages); :func:`examine` runs them all, and the command renders them."""

from __future__ import annotations

from gateway.registry.doctor.examine import examine
from gateway.registry.doctor.findings import Finding, Status

__all__ = ["Finding", "Status", "examine"]
