"""The writers' turn: the processes of one host that share a SQLite file take turns to write,
each asking for the turn every half millisecond rather than sleeping on SQLite's schedule."""

from __future__ import annotations

import stat
import threading
import time
from pathlib import Path

from gateway.store.sqlite.writer_turn import WriterTurn, turn_path


def test_a_second_writer_gets_the_turn_only_once_the_first_lets_it_go(tmp_path: Path) -> None:
    database = tmp_path / "euregate.db"
    first, second = WriterTurn(database, patience=10), WriterTurn(database, patience=10)
    let_go = threading.Event()
    seen: list[tuple[bool, bool]] = []

    def write_second() -> None:
        with second.held() as had:
            seen.append((had, let_go.is_set()))

    with first.held() as had:
        assert had
        other = threading.Thread(target=write_second)
        other.start()
        time.sleep(0.05)
        assert seen == []
        let_go.set()
    other.join(5)
    assert seen == [(True, True)]
    first.close()
    second.close()


def test_a_writer_goes_on_without_the_turn_once_its_patience_is_spent(tmp_path: Path) -> None:
    database = tmp_path / "euregate.db"
    holder, waiter = WriterTurn(database, patience=10), WriterTurn(database, patience=0.05)
    with holder.held():
        started = time.monotonic()
        with waiter.held() as had:
            assert had is False
        assert time.monotonic() - started >= 0.05
    with waiter.held() as had:
        assert had is True
    holder.close()
    waiter.close()


def test_the_turn_is_a_file_beside_the_database_only_its_owner_may_open(tmp_path: Path) -> None:
    database = tmp_path / "euregate.db"
    turn = WriterTurn(database, patience=1)
    with turn.held():
        pass
    turn.close()
    assert turn_path(database) == tmp_path / "euregate.db.writer"
    assert stat.S_IMODE(turn_path(database).stat().st_mode) == 0o600


def test_a_turn_that_cannot_be_kept_leaves_the_writing_to_sqlite_alone(tmp_path: Path) -> None:
    turn = WriterTurn(tmp_path / "missing" / "euregate.db", patience=1)
    with turn.held() as had:
        assert had is False
