"""The benchmarks' history (``bench/history.py``): a row from the reports of one run, the CSV
it is appended to, and the README's table written between its markers."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st


def _load_history() -> ModuleType:
    path = Path(__file__).resolve().parent.parent / "bench" / "history.py"
    spec = importlib.util.spec_from_file_location("bench_history", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


history = _load_history()


def _level(concurrency: int, baseline: float, **systems: float) -> dict[str, Any]:
    return {
        "concurrency": concurrency,
        "baseline": {"throughput_rps": baseline, "server_cpu_ms_per_request": 0.5},
        **{
            name.replace("_", "-"): {"throughput_rps": rps, "server_cpu_ms_per_request": 4.25}
            for name, rps in systems.items()
        },
    }


INTAKE: dict[str, Any] = {
    "started_at": "2026-12-05T02:30:00+00:00",
    "machine": {
        "git_commit": "abc1234",
        "cpu_model": "AMD EPYC",
        "usable_cpus": 2,
        "load_average": [3.5, 2.0, 1.0],
    },
    "summary": [
        _level(1, 1000.0, gateway=250.0, workers_2=240.0),
        _level(16, 2000.0, gateway=400.0, workers_2=600.0),
        _level(64, 3000.0, gateway=300.0, workers_2=600.0, pg_2=150.0),
    ],
}
PATH: dict[str, Any] = {
    "summary": [
        {"system": "gateway", "recipients": 1, "ratio": 0.61, "sealed_per_s": 140.0,
         "bytes_per_signal_per_recipient": 32000.0},
        {"system": "gateway", "recipients": 9, "ratio": 0.75, "sealed_per_s": 187.5,
         "bytes_per_signal_per_recipient": 26949.5},
        {"system": "workers-2", "recipients": 9, "ratio": 0.2, "sealed_per_s": 1.0,
         "bytes_per_signal_per_recipient": 1.0},
    ]
}  # fmt: skip


def test_a_row_holds_each_systems_throughput_and_ratio_to_the_baseline_of_its_run() -> None:
    row = history.history_row(INTAKE, PATH)

    assert row["date"] == "2026-12-05T02:30:00+00:00"
    assert row["commit"] == "abc1234"
    assert row["machine"] == "AMD EPYC, 2 CPUs"
    assert row["load_average"] == "3.5"
    assert row["cpu_ms_per_signal"] == "4.25"
    assert row["gateway_c64_rps"] == "300"
    assert row["gateway_c64_ratio"] == "0.1"
    assert row["workers-2_c16_ratio"] == "0.3"
    assert row["pg-2_c64_ratio"] == "0.05"
    assert row["pg-2_c1_rps"] == ""  # not measured at that level


def test_the_whole_paths_figures_come_from_one_process_and_nine_recipients() -> None:
    row = history.history_row(INTAKE, PATH)

    assert row["path_ratio_1"] == "0.61"
    assert row["path_ratio_9"] == "0.75"
    assert row["path_envelopes_per_s_9"] == "187.5"
    assert row["bytes_per_signal_per_recipient"] == "26949.5"


def test_without_a_whole_path_report_its_columns_stay_empty() -> None:
    row = history.history_row(INTAKE, None)

    assert row["path_ratio_9"] == row["bytes_per_signal_per_recipient"] == ""
    assert row["gateway_c1_rps"] == "250"


def test_rows_are_appended_under_one_header(tmp_path: Path) -> None:
    csv_file = tmp_path / "history.csv"

    history.append_row(csv_file, history.history_row(INTAKE, PATH))
    history.append_row(csv_file, history.history_row(INTAKE, None))

    lines = csv_file.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(history.COLUMNS)
    assert len(lines) == 3
    rows = history.read_rows(csv_file)
    assert [row["path_ratio_9"] for row in rows] == ["0.75", ""]


def test_the_table_shows_the_latest_rows_oldest_first_with_ratios_at_64() -> None:
    rows = [
        {**history.history_row(INTAKE, PATH), "commit": f"c{n}"}
        for n in range(history.TABLE_ROWS + 3)
    ]

    table = history.history_table(rows).splitlines()

    assert len(table) == 2 + history.TABLE_ROWS
    assert "`c3`" in table[2]
    assert "`c17`" in table[-1]
    assert "| 300 (0.1) | 600 (0.2) | 150 (0.05) | 0.61 | 0.75 | 188 | 26,950 |" in table[-1]
    assert all(line.count("|") == table[0].count("|") for line in table)


def test_a_readme_without_the_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="markers"):
        history.with_table("# Benchmarks\n", "| table |")


text = st.text(st.characters(blacklist_characters="<>"), max_size=200)


@given(before=text, old=text, after=text, table=text)
def test_only_the_marked_section_changes_and_rewriting_is_idempotent(
    before: str, old: str, after: str, table: str
) -> None:
    readme = f"{before}{history.START}{old}{history.END}{after}"

    rewritten = history.with_table(readme, table)

    assert rewritten == f"{before}{history.START}\n{table}\n{history.END}{after}"
    assert history.with_table(rewritten, table) == rewritten
