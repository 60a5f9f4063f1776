"""Operational logs: structlog on stdout, one JSON object a line for machines (the journal, a
log collector) or a readable line for people at a terminal (``console``).

What goes in: request ids, partner ids, paths, statuses, durations, error kinds and
codes. What never goes in: bodies, field values, or exception messages that may quote
them. Personal data has no place in operational logs; the audit log keeps digests.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Final, Literal, TextIO

import structlog

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
LONGEST_QUOTED: Final = 200
"""Most characters of anything a caller chose (a path, a method) that a log line quotes."""


LogFormat = Literal["console", "json"]


def default_format(stream: TextIO) -> LogFormat:
    """Console for a person at a terminal, JSON for everything else."""
    try:
        return "console" if stream.isatty() else "json"
    except ValueError:  # a closed stream
        return "json"


def configure(
    level: str = "info", stream: TextIO | None = None, log_format: LogFormat | None = None
) -> None:
    """Log lines of ``level`` and above to ``stream`` (stdout) in ``log_format`` (by default
    :func:`default_format` of the stream). Each line is written whole in one write, so that the
    lines of several processes on one pipe (``serve --workers``) do not run into each other."""
    target = stream or sys.stdout
    chosen = log_format or default_format(target)
    renderer: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer(colors=_colours(target))
        if chosen == "console"
        else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS.get(level, logging.ERROR)),
        logger_factory=structlog.WriteLoggerFactory(file=target),
        cache_logger_on_first_use=False,
    )
    _take_library_records()


def leave_library_records_unsaid() -> None:
    """Outside ``serve`` a command says itself, in its reader's language, what stopped it: the
    warnings libraries write to ``logging`` meanwhile (the PostgreSQL pool's "error connecting",
    each retry) are not printed bare on standard error. :func:`configure` takes them over for
    ``serve``, as lines of its log."""
    root = logging.getLogger()
    if not any(isinstance(h, logging.NullHandler) for h in root.handlers):
        root.addHandler(logging.NullHandler())


class _LibraryRecords(logging.Handler):
    """Warnings and errors that libraries (the PostgreSQL pool, aiohttp) write to the standard
    ``logging`` module, as lines of the gateway's own log: one format on the stream, not a bare
    line that a JSON log collector cannot read. The message is quoted and cut like anything a
    log line quotes; a traceback is left out (it may quote data), its exception type kept."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            fields: dict[str, str] = {
                "logger": record.name,
                "message": _sentence(record.getMessage()),
            }
            if record.exc_info and record.exc_info[0] is not None:
                fields["error"] = record.exc_info[0].__name__
            level = record.levelno if record.levelno >= logging.WARNING else logging.WARNING
            structlog.get_logger("library").log(level, "library_said", **fields)
        except Exception:  # noqa: BLE001  (a log line must never take the gateway down)
            self.handleError(record)


def _sentence(text: str, limit: int = 2 * LONGEST_QUOTED) -> str:
    """A library's message as :func:`quoted` would have it, its spaces left as they are."""
    words = " ".join(quoted(word, limit=limit) for word in text[: limit + 1].split(" "))
    return words if len(words) <= limit else words[: limit - 3] + "..."


def _take_library_records() -> None:
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _LibraryRecords)]:
        root.removeHandler(handler)
    root.addHandler(_LibraryRecords(logging.WARNING))
    root.setLevel(logging.WARNING)


def _colours(stream: TextIO) -> bool:
    """Colours only at a terminal, and not when ``NO_COLOR`` asks for none."""
    return default_format(stream) == "console" and "NO_COLOR" not in os.environ


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
