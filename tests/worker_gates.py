"""A gate that holds one partner's intake jobs inside the intake worker until the test opens
it: how the tests show that the gateway goes on serving everyone else while a body is being
examined. It crosses into worker processes by pickling, so it keeps its events in a
``multiprocessing`` manager and imports nothing else."""

from __future__ import annotations

from multiprocessing.managers import SyncManager

HOLD_LIMIT_SECONDS = 60.0
"""A hang guard: a gate nobody opens lets the job go after this long."""


class PartnerGate:
    """Holds the jobs of ``partner_id`` at the start, in the worker, until :meth:`open`."""

    def __init__(self, manager: SyncManager, partner_id: str) -> None:
        self.partner_id = partner_id
        self.entered = manager.Event()
        self.opened = manager.Event()

    def __call__(self, owner: str) -> None:
        if owner == self.partner_id:
            self.entered.set()
            self.opened.wait(HOLD_LIMIT_SECONDS)

    def open(self) -> None:
        self.opened.set()
