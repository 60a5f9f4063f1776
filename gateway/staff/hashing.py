"""Password hashing's own threads, apart from everything else the gateway does.

An argon2id verification takes 64 MiB and tens of milliseconds of CPU
(:mod:`gateway.staff.passwords`). Run in asyncio's default executor, a flood of sign-ins
would hold every thread that database reads use, and partners' requests would wait behind
it. Here at most ``workers`` hashes run at once (which also bounds their memory); further
sign-ins wait their turn in this pool's queue, and nothing else waits for them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Final, TypeVar

T = TypeVar("T")
DEFAULT_WORKERS: Final = 2


class HashingPool:
    def __init__(self, workers: int = DEFAULT_WORKERS) -> None:
        if workers < 1:
            raise ValueError("password hashing needs at least one thread")
        self.workers = workers
        self._executor = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="euregate-passwords"
        )

    async def run(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    def close(self) -> None:
        """Finish the hashes running, drop those still waiting (their callers are gone)."""
        self._executor.shutdown(wait=True, cancel_futures=True)
