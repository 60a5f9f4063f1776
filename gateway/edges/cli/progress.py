"""A progress bar for a long command, on the terminal only.

``[##########----------]  52%  520,000/1,000,000 entries``, redrawn in place on standard
error as work is done and finished with a line break; nothing at all when standard error is
not a terminal (a script's log, a pipe), so output meant for machines stays clean.
"""

from __future__ import annotations

import sys
import time
from typing import Final, TextIO

WIDTH: Final = 30
REDRAW_SECONDS: Final = 0.1


class Progress:
    """Call it with how much is done so far; :meth:`finish` once done."""

    def __init__(self, total: int, unit: str, *, stream: TextIO | None = None) -> None:
        self._total = max(total, 1)
        self._unit = unit
        self._stream = stream if stream is not None else sys.stderr
        self._shown = self._stream.isatty()
        self._drawn_at = 0.0
        self._done = 0

    def __call__(self, done: int) -> None:
        self._done = done
        now = time.monotonic()
        if self._shown and now - self._drawn_at >= REDRAW_SECONDS:
            self._draw()
            self._drawn_at = now

    def finish(self) -> None:
        if self._shown:
            self._draw()
            self._stream.write("\n")
            self._stream.flush()

    def _draw(self) -> None:
        share = min(self._done, self._total) / self._total
        filled = round(share * WIDTH)
        bar = "#" * filled + "-" * (WIDTH - filled)
        self._stream.write(f"\r[{bar}] {share:4.0%}  {self._done:,}/{self._total:,} {self._unit}")
        self._stream.flush()
