"""Operational logs: structlog, one JSON object a line on stdout.

What goes in: request ids, partner ids, paths, statuses, durations, error kinds and
codes. What never goes in: bodies, field values, or exception messages that may quote
them. Personal data has no place in operational logs; the audit log keeps digests.
"""

from __future__ import annotations

import logging
import sys
from typing import Final, TextIO

import structlog

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
LONGEST_QUOTED: Final = 200
"""Most characters of anything a caller chose (a path, a method) that a log line quotes."""


def configure(level: str = "info", stream: TextIO | None = None) -> None:
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS.get(level, logging.ERROR)),
        logger_factory=structlog.PrintLoggerFactory(file=stream or sys.stdout),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger(name)
    return logger


def quoted(text: str, *, limit: int = LONGEST_QUOTED) -> str:
    """What a caller chose, fit for a log line: every character outside printable ASCII
    (control characters, bidirectional overrides, anything else) as ``%XX`` of its UTF-8
    bytes, and at most ``limit`` characters, ending in ``...`` when cut."""
    escaped = "".join(
        char
        if " " < char <= "~" and char != "%"
        else "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
        for char in text[: limit + 1]
    )
    return escaped if len(escaped) <= limit else escaped[: limit - 3] + "..."
