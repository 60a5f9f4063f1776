"""``euregate retention``: run (dry or not), hold, lift and holds; ``euregate backup list``:
against a running gateway's data directory."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gateway.decide.policy import load_policy
from gateway.edges.cli import main
from gateway.edges.cli import retention as retention_cli
from gateway.edges.cli.retention import report
from gateway.flow.retention import Due, RetentionRun, run_retention
from gateway.store.interface.retention import Erased
from tests.conftest import RunningGateway


async def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """The command as a person runs it, beside the running gateway (in a thread of its own:
    it runs its own event loop)."""
    code = await asyncio.to_thread(main, list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


async def posted(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> tuple[str, tuple[str, str]]:
    """A signal posted to the gateway (its id), and the option naming its data directory."""
    async with gateway.client("be-pol-lanaken") as sender:
        signal_id = (await sender.post_signal(example("be-cannabis-lanaken.json")))["signal_id"]
    return str(signal_id), ("--data-dir", str(gateway.layout.root))


async def test_a_held_signal_is_not_due_and_is_again_once_lifted(
    gateway: RunningGateway,
    example: Callable[[str], dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    signal_id, d = await posted(gateway, example)
    later = (datetime.now(UTC) + timedelta(days=400)).date().isoformat()
    review = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()

    code, out = await run(capsys, "retention", "run", "--dry-run", "--on", later, *d)
    assert code == 0, out
    assert signal_id in out
    assert "1 would be erased (dry run: nothing was changed)" in out
    assert "0 acknowledged envelope(s) kept past their re-delivery days would be erased." in out

    code, out = await run(
        capsys, "retention", "hold", signal_id, "--reason", "Rb Maastricht 03/123",
        "--review-on", review, "--lang", "de", *d,
    )  # fmt: skip
    assert code == 0, out
    assert f"die Meldung {signal_id} ist gesperrt" in out
    code, out = await run(capsys, "retention", "holds", *d)
    assert signal_id in out
    assert "Rb Maastricht 03/123" in out
    code, out = await run(capsys, "retention", "run", "--dry-run", "--on", later, *d)
    assert signal_id not in out
    assert "0 would be erased" in out
    entries = [e.kind for e in await gateway.store.audit_entries()]
    assert entries.count("signal.held") == 1
    assert all(b"Rb Maastricht" not in e.canonical for e in await gateway.store.audit_entries())

    code, out = await run(capsys, "retention", "lift", signal_id, "--lang", "fr", *d)
    assert code == 0, out
    assert f"le signalement {signal_id} n’est plus gelé" in out
    code, out = await run(capsys, "retention", "lift", signal_id, *d)
    assert code != 0
    assert f"signal {signal_id} is not on hold" in out
    code, out = await run(capsys, "retention", "run", "--dry-run", "--on", later, *d)
    assert signal_id in out


async def test_a_real_run_erases_only_what_is_due_today_and_refuses_another_day(
    gateway: RunningGateway,
    example: Callable[[str], dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    signal_id, d = await posted(gateway, example)

    code, out = await run(capsys, "retention", "run", "--on", "2030-01-01", *d)
    assert code != 0
    assert "--on goes with --dry-run" in out
    code, out = await run(capsys, "retention", "run", *d)
    assert code == 0, out
    assert ": 0 erased, with 0 envelope(s)" in out
    assert "0 translation memory entries learnt only from the erased signals were deleted" in out
    assert "date from before the gateway recorded" not in out, "no entry of unknown origin"
    assert await gateway.store.sealed_body(signal_id) is not None
    code, out = await run(
        capsys, "retention", "hold", signal_id, "--reason", "x", "--review-on", "2020-01-01", *d
    )
    assert code != 0
    assert "the review date must be after today" in out


async def test_a_backup_made_before_a_signal_was_erased_is_to_be_destroyed_from_that_day(
    gateway: RunningGateway,
    example: Callable[[str], dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    _, d = await posted(gateway, example)
    archive = tmp_path / "before.tar"
    code, out = await run(capsys, "backup", "--out", str(archive), *d)
    assert code == 0, out
    code, out = await run(capsys, "backup", "list", str(archive), *d)
    assert code == 0, out
    assert "nothing erased since" in out

    policy = load_policy(gateway.layout.policy)
    later = datetime.now(UTC).date() + timedelta(days=400)
    erased = await run_retention(gateway.store, policy, today=later)
    assert len(erased.erased) == 1

    code, out = await run(capsys, "backup", "list", str(archive), "--lang", "fr", *d)
    assert code == 0, out
    assert "à détruire après le" in out
    assert datetime.now(UTC).date().isoformat() in out.splitlines()[-1]
    code, out = await run(capsys, "backup", *d)
    assert code != 0
    assert "give --out FILE" in out


@pytest.mark.parametrize(
    ("language", "erased", "unsourced"),
    [
        ("en", "3 translation memory entries learnt only from the erased signals", "2 translation"),
        ("nl", "3 vermeldingen in het vertaalgeheugen", "2 vermeldingen in het vertaalgeheugen"),
        ("fr", "3 entrées de la mémoire de traduction", "2 entrées de la mémoire de traduction"),
        ("de", "3 Einträge im Übersetzungsspeicher", "2 Einträge im Übersetzungsspeicher"),
    ],
)
def test_a_runs_summary_counts_the_memory_entries_and_jobs_erased_and_those_it_cannot_reach(
    capsys: pytest.CaptureFixture[str], language: str, erased: str, unsourced: str
) -> None:
    day = date(2027, 3, 2)
    done = RetentionRun(
        examined=4,
        due=(Due("s-1", "K0", day), Due("s-2", "K0", day)),
        erased=(
            Erased("s-1", 1, 0, 2, memory_segments=1, translation_jobs=0),
            Erased("s-2", 0, 1, 0, memory_segments=2, translation_jobs=5),
        ),
        dry_run=False,
        unsourced_memory=2,
    )

    report(done, day, language)

    out = capsys.readouterr().out
    assert erased in out
    assert " 5 " in out.split(erased)[1].splitlines()[0], "the jobs, on the same line"
    assert unsourced in out


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "could not be purged now"),
        ("nl", "konden nu niet worden opgeschoond"),
        ("fr", "n’ont pas pu être purgées"),
        ("de", "konnten jetzt nicht bereinigt werden"),
    ],
)
def test_a_purge_left_for_the_next_run_is_said_in_the_readers_language(
    capsys: pytest.CaptureFixture[str], language: str, said: str
) -> None:
    postponed = RetentionRun(3, (), (), dry_run=False, postponed=("signal_keys",))
    retention_cli.report(postponed, date(2026, 3, 2), language)
    told = capsys.readouterr().out
    retention_cli.report(replace(postponed, postponed=()), date(2026, 3, 2), language)

    assert said in told
    assert "signal_keys" in told
    assert said not in capsys.readouterr().out
