"""Waiting for what the gateway does in the background (the sequencer, the courier): a bound
on how long a test waits, never a claim about speed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Final

PATIENCE: Final = 30.0


async def until(check: Callable[[], Awaitable[bool]], *, patience: float = PATIENCE) -> None:
    """Wait for ``check`` to hold, at most ``patience`` seconds. It polls: what it waits for is
    in the database, with no event to wait on."""
    async with asyncio.timeout(patience):
        while not await check():  # noqa: ASYNC110 - see the docstring
            await asyncio.sleep(0.02)
