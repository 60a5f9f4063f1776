"""The store has one calling convention: every method of its interface is awaited, a backend
implements all of it and offers nothing synchronous beside it, and what is synchronous inside
a backend (its writer thread, its readers, the SQL they run) stays inside it."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.store import Store
from gateway.store.interface import Store as InterfaceStore
from gateway.store.postgres import PostgresStore
from gateway.store.sqlite import SqliteStore

REPO = Path(__file__).resolve().parent.parent


def public_methods(cls: type) -> Iterator[tuple[str, object]]:
    for name, member in inspect.getmembers(cls):
        if name.startswith("_") and name not in ("__aenter__", "__aexit__"):
            continue
        if inspect.isfunction(member):
            yield name, member


def test_the_interface_is_the_one_callers_import() -> None:
    assert Store is InterfaceStore


@pytest.mark.parametrize(
    "cls", [Store, SqliteStore, PostgresStore], ids=["interface", "sqlite", "postgres"]
)
def test_every_public_method_of_the_store_is_awaited(cls: type) -> None:
    methods = dict(public_methods(cls))

    assert len(methods) > 100
    assert [name for name, f in methods.items() if not inspect.iscoroutinefunction(f)] == []


@pytest.mark.parametrize("cls", [SqliteStore, PostgresStore], ids=["sqlite", "postgres"])
def test_a_backend_implements_every_method_of_the_interface_with_its_parameters(
    cls: type,
) -> None:
    backend = dict(public_methods(cls))

    for name, declared in public_methods(Store):
        implemented = backend[name]
        assert implemented is not declared, f"{name} is not implemented"
        wanted = inspect.signature(declared).parameters  # type: ignore[arg-type]
        given = inspect.signature(implemented).parameters  # type: ignore[arg-type]
        assert [(p.name, p.kind) for p in given.values()] == [
            (p.name, p.kind) for p in wanted.values()
        ], name


def imports_of(path: Path) -> Iterator[tuple[str, str]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield from ((node.module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from ((alias.name, "") for alias in node.names)


@pytest.mark.parametrize(
    ("backend", "stores"),
    [
        ("sqlite", ("SqliteStore", "SqliteMaintenance")),
        ("postgres", ("PostgresStore", "PostgresMaintenance", "transfer", "inspect_database")),
    ],
)
def test_only_the_place_that_chooses_the_backend_imports_it_and_only_the_store(
    backend: str, stores: tuple[str, ...]
) -> None:
    """Whatever else a backend holds (its database layer, the SQL of each concern) stays inside
    it: the gateway is put together by gateway.store.backend and speaks to a Store (and, to
    migrate, back up or restore the store as a whole, to a StoreMaintenance; to move a SQLite
    store into PostgreSQL, to its transfer)."""
    package = REPO / "gateway"
    outside = {
        (str(path.relative_to(REPO)), f"{module}:{name}")
        for path in package.rglob("*.py")
        if not path.is_relative_to(package / "store" / backend)
        for module, name in imports_of(path)
        if module.startswith(f"gateway.store.{backend}")
    }

    assert outside == {("gateway/store/backend.py", f"gateway.store.{backend}:{s}") for s in stores}
