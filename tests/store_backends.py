"""The store's backends for the contract tests (``tests/test_store_contract_<concern>.py``):
each test there runs once per backend that keeps its concern, against the interface alone, on
an empty store (``empty_store``) and a clock the test moves (``store_clock``). Whatever a test
asks of it, every time in every record the store returns must be aware and in UTC
(:class:`TimesChecked`). Both backends keep every concern (the PostgreSQL tests get a database
of their own on the session's cluster, :mod:`tests.postgres`)."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, cast

import pytest

from gateway.infra.clock import FixedClock
from gateway.store import Store
from gateway.store.postgres import PostgresStore
from gateway.store.sqlite import SqliteStore

BACKENDS: Final = ("sqlite", "postgres")
START: Final = datetime(2026, 3, 2, 9, 0, 7, 123456, tzinfo=UTC)
"""Where the clock of each contract test starts: a time with microseconds, in UTC."""


def parametrize_empty_store(metafunc: pytest.Metafunc) -> None:
    """Run a test that takes ``empty_store`` once per backend."""
    if "empty_store" in metafunc.fixturenames:
        metafunc.parametrize("empty_store", BACKENDS, indirect=True)


@asynccontextmanager
async def open_backend(
    name: str, request: pytest.FixtureRequest, directory: Path, clock: FixedClock
) -> AsyncIterator[Store]:
    """A new, empty store of backend ``name``, started; closed after."""
    if name == "sqlite":
        async with SqliteStore(directory / "euregate.db", clock=clock) as store:
            yield store
    elif name == "postgres":
        url = request.getfixturevalue("postgres_url")
        async with PostgresStore(url, clock=clock, pool_size=4) as store:
            yield store
    else:
        raise ValueError(f"no store backend {name!r}")


@pytest.fixture
def store_clock() -> FixedClock:
    """The clock of :func:`empty_store`, at :data:`START` until the test moves it."""
    return FixedClock(START)


@pytest.fixture
async def empty_store(
    request: pytest.FixtureRequest, tmp_path: Path, store_clock: FixedClock
) -> AsyncIterator[Store]:
    """An empty store of each backend in turn (:func:`parametrize_empty_store`)."""
    async with open_backend(request.param, request, tmp_path, store_clock) as opened:
        yield cast(Store, TimesChecked(opened))


class TimesChecked:
    """A store whose every awaited answer is checked: each time in it aware, in UTC."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._store, name)
        if not inspect.iscoroutinefunction(found):
            return found

        async def checked(*args: Any, **kwargs: Any) -> Any:
            answer = await found(*args, **kwargs)
            assert_times_in_utc(answer, f"{name}()")
            return answer

        return checked


def assert_times_in_utc(value: object, where: str) -> None:
    if isinstance(value, datetime):
        assert value.tzinfo is UTC, f"{where} is {value!r}, not an aware time in UTC"
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            assert_times_in_utc(getattr(value, field.name), f"{where}.{field.name}")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            assert_times_in_utc(item, f"{where}[{key!r}]")
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            assert_times_in_utc(item, f"{where}[]")
