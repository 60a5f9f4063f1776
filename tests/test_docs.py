"""The README documents every command, and the two commands a newcomer needs."""

from __future__ import annotations

import argparse

from gateway.cli import build_parser
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
