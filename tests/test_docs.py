"""The README documents every command, and the two commands a newcomer needs; its "How it is
built" has a row for every folder of the gateway, in the order of the layers the import
contract holds (pyproject.toml), and names only modules that exist; the ASVS
checklist (docs/asvs.md) names only tests and files that exist, has one row with an allowed
status for each level 1 and 2 requirement of ASVS 5.0.0, and counts its rows right."""

from __future__ import annotations

import argparse
import ast
import csv
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from gateway.edges.cli import build_parser
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def commands(parser: argparse.ArgumentParser, prefix: str = "euregate") -> list[str]:
    found: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(f"{prefix} {name}")
                found.extend(commands(sub, f"{prefix} {name}"))
    return found


def test_every_command_is_in_the_readme() -> None:
    missing = []
    for command in commands(build_parser()):
        *group, action = command.split()
        line_starts = " ".join(group)
        if command not in README and not any(
            line_starts in line and action in line for line in README.splitlines()
        ):
            missing.append(command)
    assert missing == []


def test_the_readme_gives_the_two_commands() -> None:
    assert "make run" in README
    assert "make test" in README
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci


# --- docs/asvs.md: the OWASP ASVS 5.0.0 checklist -------------------------------------------

ASVS = (REPO / "docs" / "asvs.md").read_text(encoding="utf-8")
STATUSES = ("met", "met, no test", "partly", "not met", "n/a")
ROW_ID = re.compile(r"V\d+\.\d+\.\d+")
CHAPTER = re.compile(r"^## (V\d+) ")
TEST_REFERENCE = re.compile(r"\btests/([\w/]+\.py)::([\w:]+)(?:\[[^\]\s]*\])?")
PATH_REFERENCE = re.compile(
    r"(?<![\w/.-])(?:(?:gateway|tests|docs|schemas|deploy|locales|bench|examples)/[\w./-]*"
    r"|README\.md|SECURITY\.md|pyproject\.toml|Makefile)"
)


@dataclass(frozen=True)
class Row:
    id: str
    chapter: str
    asks: str
    status: str
    evidence: str


def requirements() -> dict[str, str]:
    """Every level 1 and 2 requirement of ASVS 5.0.0: its id and its chapter."""
    with (REPO / "docs" / "asvs-5.0.0-l1-l2.csv").open(encoding="utf-8", newline="") as file:
        return {line["req_id"]: line["chapter_id"] for line in csv.DictReader(file)}


def rows() -> list[Row]:
    """The checklist's rows, each with the chapter whose heading it stands under."""
    found, chapter = [], ""
    for line in ASVS.splitlines():
        heading = CHAPTER.match(line)
        if heading:
            chapter = heading.group(1)
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if line.startswith("| V") and ROW_ID.fullmatch(cells[0]):
            assert len(cells) == 4, line
            found.append(Row(cells[0], chapter, *cells[1:]))
    return found


def test_the_requirement_list_is_asvs_5_levels_1_and_2() -> None:
    listed = requirements()
    assert len(listed) == 253
    assert set(listed.values()) == {f"V{n}" for n in range(1, 18)}


def test_every_requirement_has_exactly_one_row_under_its_chapter() -> None:
    listed = requirements()
    ids = [row.id for row in rows()]
    assert sorted(id_ for id_ in set(ids) if ids.count(id_) > 1) == []
    assert set(ids) - set(listed) == set(), "rows for requirements outside levels 1 and 2"
    assert set(listed) - set(ids) == set(), "requirements without a row"
    assert [row.id for row in rows() if row.chapter != listed[row.id]] == []


def test_every_row_has_an_allowed_status_and_says_what_it_asks_and_why() -> None:
    for row in rows():
        assert row.status in STATUSES, row
        assert row.asks, row
        assert row.evidence, row


def test_a_met_row_names_a_test_and_a_row_without_a_test_names_the_code() -> None:
    for row in rows():
        if row.status == "met":
            assert TEST_REFERENCE.search(row.evidence), f"{row.id}: met, but which test?"
        if row.status == "met, no test":
            paths = [p for p in PATH_REFERENCE.findall(row.evidence) if not p.startswith("tests/")]
            assert paths, f"{row.id}: which file implements it?"


def functions_of(path: Path) -> set[str]:
    """The tests a pytest node id may name in ``path``: ``name`` and ``Class::name``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(
                f"{node.name}::{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            )
    return {name for name in names if name.rsplit("::", 1)[-1].startswith("test_")}


def test_every_test_named_in_the_checklist_exists() -> None:
    missing = []
    for file, name in TEST_REFERENCE.findall(ASVS):
        path = REPO / "tests" / file
        if not path.is_file() or name not in functions_of(path):
            missing.append(f"tests/{file}::{name}")
    assert TEST_REFERENCE.findall(ASVS)
    assert missing == []


def test_every_path_named_in_the_checklist_exists() -> None:
    named = set(PATH_REFERENCE.findall(ASVS))
    assert named
    assert sorted(path for path in named if not (REPO / path).exists()) == []


def test_the_summary_counts_are_the_counts_of_the_rows() -> None:
    every = rows()
    for status in STATUSES:
        counted = sum(row.status == status for row in every)
        assert f"\n| {status} | {counted} |\n" in ASVS, status
    assert f"| **total** | **{len(every)}** |" in ASVS
    for chapter in sorted({row.chapter for row in every}, key=lambda c: int(c[1:])):
        counts = " | ".join(
            str(sum(row.chapter == chapter and row.status == status for row in every))
            for status in STATUSES
        )
        assert re.search(rf"^\| {chapter} [^|]+ \| {counts} \|$", ASVS, re.M), chapter


def test_the_readme_links_the_checklist() -> None:
    assert "(docs/asvs.md)" in README
    assert "(docs/asvs.md)" in (REPO / "SECURITY.md").read_text(encoding="utf-8")


# --- the README's "How it is built": every layer and the modules it names -------------------

BUILT = README[README.index("\n## How it is built") :]
GATEWAY = REPO / "gateway"
NAMED = re.compile(r"`([a-z_]+(?:/[a-z_]+)*/?)`")


def is_module(path: Path) -> bool:
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def layer_rows() -> dict[str, list[str]]:
    """Each row of the table of layers: its folder and the modules named in it."""
    rows = {}
    for line in BUILT.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if line.startswith("| `") and len(cells) == 3:
            folder = cells[0].strip("`")
            rows[folder] = NAMED.findall(cells[2])
    return rows


def test_how_it_is_built_has_a_row_for_every_folder_of_the_gateway() -> None:
    folders = {f"{path.name}/" for path in GATEWAY.iterdir() if (path / "__init__.py").is_file()}

    assert set(layer_rows()) == folders


def test_every_module_a_layer_names_is_in_its_folder() -> None:
    missing = [
        f"{folder}{name}"
        for folder, names in layer_rows().items()
        for name in names
        if not is_module(GATEWAY / folder / name.rstrip("/"))
    ]
    assert all(layer_rows().values())
    assert missing == []


def test_every_module_the_path_of_a_signal_names_exists() -> None:
    stages = BUILT[BUILT.index("The path of one signal") :]
    named = [name for name in NAMED.findall(stages) if f"{name.split('/')[0]}/" in layer_rows()]
    assert len(named) > 20
    assert [name for name in named if not is_module(GATEWAY / name.rstrip("/"))] == []


def layers_of_the_import_contract() -> list[str]:
    """The modules of the layers contract, from the top down (siblings in their order)."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    (layers,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    return [name.strip() for layer in layers["layers"] for name in re.split(r"[|:]", layer)]


def test_the_import_contract_layers_every_folder_in_the_order_of_the_table() -> None:
    layered = [f"{name.removeprefix('gateway.')}/" for name in layers_of_the_import_contract()]

    assert layered == list(layer_rows())
