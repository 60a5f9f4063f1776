"""A real data directory whose gateway the test starts and stops, and the ``euregate``
commands run against it as an operator and the partners run them."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gateway.edges.cli import main
from gateway.infra.audit.checkpoint import DEFAULT_ORIGIN
from gateway.infra.audit.note import Ed25519Signer
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir, Settings
from gateway.registry import datadir
from gateway.store import Store
from gateway.transparency.leadership import LockFile
from gateway.transparency.sequencer import Sequencer
from tests.conftest import RunningGateway, gateway_in_process, load_example
from tests.polling import until

QUICK_CHECKPOINTS = 0.05
"""Seconds between the sequencer's steps in these tests (the default is half a second)."""


async def integrated(store: Store) -> int:
    """Wait until the tree holds every entry written so far; its size."""
    wanted = len(await store.audit_entries())

    async def grown() -> bool:
        latest = await store.latest_checkpoint()
        return latest is not None and latest.size >= wanted

    await until(grown)
    return wanted


def sequencer_for(store: Store, layout: DataDir) -> Sequencer:
    """The gateway's sequencer, stepped by the test instead of by the gateway."""
    signer = Ed25519Signer(DEFAULT_ORIGIN, datadir.load_signer(layout))
    lock = LockFile(layout.root / "test-sequencer.lock")
    return Sequencer(store=store, signer=signer, clock=SystemClock(), leadership=lock)


def not_sequencing(layout: DataDir) -> Settings:
    return Settings(
        data_dir=layout.root, host="127.0.0.1", port=0, staff_port=0, audit_sequencer=False
    )


@dataclass
class Scene:
    layout: DataDir
    capsys: pytest.CaptureFixture[str]
    url: str = ""

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[RunningGateway]:
        """The gateway on this data directory, until the block ends."""
        settings = Settings(
            data_dir=self.layout.root,
            host="127.0.0.1",
            port=0,
            staff_port=0,
            checkpoint_interval=QUICK_CHECKPOINTS,
        )
        async with gateway_in_process(settings) as running:
            self.url = running.url
            yield running

    async def cli(self, *argv: str) -> tuple[int, str]:
        """``euregate ARGV`` on this data directory (and the running gateway's URL, for the
        partners' commands): its exit code and what it printed."""
        self.capsys.readouterr()
        arguments = [*argv, "--data-dir", str(self.layout.root)]
        if argv[0] in ("witness", "send") or argv[:2] == ("audit", "prove"):
            arguments += ["--url", self.url]
        code = await asyncio.to_thread(main, arguments)
        captured = self.capsys.readouterr()
        return code, captured.out + captured.err

    async def witness(self, partner: str, *, language: str = "en") -> tuple[int, str]:
        return await self.cli("witness", "run", "--once", "--as", partner, "--lang", language)

    async def send(self, gateway: RunningGateway, reference: str) -> dict[str, Any]:
        signal = {**load_example("nl-drug-waste-maastricht.json"), "sender_reference": reference}
        async with gateway.client("nl-pol-limburg") as client:
            return await client.post_signal(signal)

    async def save_checkpoint(self, name: str) -> Path:
        path = self.layout.root.parent / name
        code, output = await self.cli("audit", "checkpoint", "--out", str(path))
        assert code == 0, output
        return path

    async def verify(self, checkpoint: Path, *, language: str = "en") -> tuple[int, str]:
        return await self.cli(
            "audit", "verify", "--checkpoint", str(checkpoint), "--lang", language
        )

    async def verify_json(self, checkpoint: Path) -> dict[str, Any]:
        _, output = await self.cli("audit", "verify", "--checkpoint", str(checkpoint), "--json")
        found: dict[str, Any] = json.loads(output)
        return found


@pytest.fixture
def scene(layout: DataDir, capsys: pytest.CaptureFixture[str], log_stream: io.StringIO) -> Scene:
    """The demo data directory's scene; the gateway's log lines go to ``log_stream``, so that
    what the commands print is all that is captured."""
    return Scene(layout, capsys)
