"""The benchmarks' headline figures over time: ``bench/history.csv``, and its table in
``bench/README.md``, so that a regression shows in review.

``make bench`` runs ``bench/intake.py`` and ``bench/path.py``, then

    .venv/bin/python bench/history.py append   # a row from the newest results of each
    .venv/bin/python bench/history.py readme   # only rewrite the README's table

A row holds: when and on what (date, commit, machine, load average at the start), the
gateway's server CPU per signal at the highest concurrency, req/s and the ratio to the
baseline of the same run at each concurrency for the gateway, ``workers-2`` and ``pg-2``
(empty when not measured), and from the whole path: intake with sealing over intake alone
for 1 and 9 recipients, envelopes sealed per second and bytes stored per signal and recipient
(9 recipients, one process). Standard library only, so that the tests can load it.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
HISTORY = BENCH / "history.csv"
README = BENCH / "README.md"
RESULTS = BENCH / "results"
LEVELS = (1, 16, 64)
SYSTEMS = ("gateway", "workers-2", "pg-2")
PATH_SYSTEM = "gateway"
START = "<!-- history:start (bench/history.py writes this table from bench/history.csv) -->"
END = "<!-- history:end -->"
COLUMNS = (
    "date",
    "commit",
    "machine",
    "load_average",
    "cpu_ms_per_signal",
    *(
        f"{system}_c{level}_{what}"
        for system in SYSTEMS
        for level in LEVELS
        for what in ("rps", "ratio")
    ),
    "path_ratio_1",
    "path_ratio_9",
    "path_envelopes_per_s_9",
    "bytes_per_signal_per_recipient",
)
TABLE_ROWS = 15
"""The README shows the latest rows; the CSV keeps them all."""


def history_row(intake: Mapping[str, Any], path: Mapping[str, Any] | None) -> dict[str, str]:
    """One CSV row from an ``intake.py`` report and, if there is one, a ``path.py`` report."""
    machine = intake["machine"]
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        date=str(intake["started_at"]),
        commit=str(machine.get("git_commit") or ""),
        machine=f"{machine['cpu_model']}, {machine['usable_cpus']} CPUs",
        load_average=_figure(machine["load_average"][0]),
    )
    levels = {level["concurrency"]: level for level in intake["summary"]}
    if top := levels.get(max(levels, default=0)):
        row["cpu_ms_per_signal"] = _figure(top["gateway"]["server_cpu_ms_per_request"])
    for (level, system), value in _throughputs(levels).items():
        row[f"{system}_c{level}_rps"] = _figure(value[0])
        row[f"{system}_c{level}_ratio"] = _figure(value[1])
    for comparison in (path or {}).get("summary", ()):
        if comparison["system"] != PATH_SYSTEM or comparison["recipients"] not in (1, 9):
            continue
        row[f"path_ratio_{comparison['recipients']}"] = _figure(comparison["ratio"])
        if comparison["recipients"] == 9:
            row["path_envelopes_per_s_9"] = _figure(comparison["sealed_per_s"])
            row["bytes_per_signal_per_recipient"] = _figure(
                comparison["bytes_per_signal_per_recipient"]
            )
    return row


def _throughputs(
    levels: Mapping[int, Mapping[str, Any]],
) -> dict[tuple[int, str], tuple[float, float | None]]:
    """(level, system) -> (req/s, ratio to the baseline), for the levels and systems kept."""
    found = {}
    for level, figures in levels.items():
        baseline = figures["baseline"]["throughput_rps"]
        for system in SYSTEMS:
            if level in LEVELS and system in figures:
                rps = figures[system]["throughput_rps"]
                found[level, system] = (rps, rps / baseline if baseline else None)
    return found


def _figure(value: float | None) -> str:
    """A number as the CSV keeps it: three significant decimals at most, empty if unknown."""
    if value is None:
        return ""
    return f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def append_row(history: Path, row: Mapping[str, str]) -> None:
    """Append ``row``; a new file starts with the header."""
    new = not history.exists() or history.stat().st_size == 0
    with history.open("a", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS, lineterminator="\n")
        if new:
            writer.writeheader()
        writer.writerow({column: row.get(column, "") for column in COLUMNS})


def read_rows(history: Path) -> list[dict[str, str]]:
    if not history.exists():
        return []
    with history.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def history_table(rows: Sequence[Mapping[str, str]]) -> str:
    """The latest rows as a Markdown table, oldest first: req/s at concurrency 64 with the
    ratio to the baseline in brackets, the whole path's ratios, bytes per copy."""
    header = (
        "| date (UTC) | commit | load | CPU ms/signal | gateway c64 | workers-2 c64 | pg-2 c64 "
        "| path 1 rcpt | path 9 rcpt | envelopes/s | bytes/signal/rcpt |"
    )
    lines = [header, "|" + " --- |" * header.count(" | ") + " --- |"]
    for row in rows[-TABLE_ROWS:]:
        cells = (
            row["date"][:16].replace("T", " "),
            f"`{row['commit']}`" if row["commit"] else "",
            row["load_average"],
            row["cpu_ms_per_signal"],
            *(_at_64(row, system) for system in SYSTEMS),
            row["path_ratio_1"],
            row["path_ratio_9"],
            _whole(row["path_envelopes_per_s_9"]),
            _whole(row["bytes_per_signal_per_recipient"]),
        )
        lines.append("| " + " | ".join(cell or "–" for cell in cells) + " |")
    return "\n".join(lines)


def _whole(figure: str) -> str:
    return f"{float(figure):,.0f}" if figure else ""


def _at_64(row: Mapping[str, str], system: str) -> str:
    rps, ratio = row.get(f"{system}_c64_rps", ""), row.get(f"{system}_c64_ratio", "")
    if not rps:
        return ""
    return f"{float(rps):.0f} ({ratio})" if ratio else f"{float(rps):.0f}"


def with_table(text: str, table: str) -> str:
    """``text`` with what stands between the history markers replaced by ``table``."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the history markers are missing: {START} … {END}")
    return f"{text[: start + len(START)]}\n{table}\n{text[end:]}"


def newest(pattern: str) -> Path | None:
    found = sorted(RESULTS.glob(pattern))
    return found[-1] if found else None


def rewrite_readme(readme: Path, rows: Iterable[Mapping[str, str]]) -> None:
    readme.write_text(with_table(readme.read_text(encoding="utf-8"), history_table(list(rows))))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("append", "readme"))
    parser.add_argument("--intake", type=Path, help="an intake report (default: the newest)")
    parser.add_argument("--path", type=Path, help="a whole-path report (default: the newest)")
    args = parser.parse_args(argv)
    if args.action == "append":
        intake_file = args.intake or newest("intake-*.json")
        if intake_file is None:
            parser.error("no intake report in bench/results: run bench/intake.py first")
        path_file = args.path or newest("path-*.json")
        intake = json.loads(intake_file.read_text(encoding="utf-8"))
        path = json.loads(path_file.read_text(encoding="utf-8")) if path_file else None
        append_row(HISTORY, history_row(intake, path))
        print(
            f"bench/history.csv: a row from {intake_file.name} and {path_file and path_file.name}"
        )
    rewrite_readme(README, read_rows(HISTORY))
    print("bench/README.md: the history table rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
