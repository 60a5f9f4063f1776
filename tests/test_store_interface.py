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


@pytest.mark.parametrize("cls", [Store, SqliteStore], ids=["interface", "sqlite"])
def test_every_public_method_of_the_store_is_awaited(cls: type) -> None:
    methods = dict(public_methods(cls))

    assert len(methods) > 100
    assert [name for name, f in methods.items() if not inspect.iscoroutinefunction(f)] == []


def test_the_sqlite_backend_implements_every_method_of_the_interface_with_its_parameters() -> None:
    backend = dict(public_methods(SqliteStore))

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


def test_only_the_places_that_choose_the_backend_import_it_and_only_the_store() -> None:
    """Whatever else the SQLite backend holds (its database layer, the SQL of each concern)
    stays inside it: the gateway is put together with a SqliteStore and speaks to a Store; the
    commands that keep the store as a whole (migrate, backup, restore) and ``serve --migrate``
    get its SqliteMaintenance where they choose the backend, and speak to a StoreMaintenance."""
    package = REPO / "gateway"
    outside = {
        (str(path.relative_to(REPO)), f"{module}:{name}")
        for path in package.rglob("*.py")
        if not path.is_relative_to(package / "store" / "sqlite")
        for module, name in imports_of(path)
        if module.startswith("gateway.store.sqlite")
    }

    assert outside == {
        ("gateway/edges/server.py", "gateway.store.sqlite:SqliteStore"),
        ("gateway/edges/server.py", "gateway.store.sqlite:SqliteMaintenance"),
        ("gateway/edges/cli/common.py", "gateway.store.sqlite:SqliteStore"),
        ("gateway/edges/cli/common.py", "gateway.store.sqlite:SqliteMaintenance"),
    }
