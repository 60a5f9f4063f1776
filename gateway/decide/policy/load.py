"""Reading a policy file: TOML, then the format of :mod:`gateway.decide.policy.model`, every problem
told.

A compliance officer edits the file by hand, so a refusal says where: the line (a TOML
syntax error's own; for a validation problem, the line of the key, or of the rule's
``[[rule]]`` header) and the path, such as ``rule[3] (id "3").outcomes.person_idnetity``.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from gateway.decide.policy.compiled import Policy, compile_policy
from gateway.decide.policy.lines import line_of
from gateway.decide.policy.model import PolicyDocument
from gateway.infra.i18n import LANGUAGES

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TEXTS = ("reason", "legal_basis")
_TABLES = ("match", "unless")


@dataclass(frozen=True)
class PolicyProblem:
    """One thing wrong with a policy file, at ``location`` (a path of keys) and ``line``."""

    location: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.location}: {self.message}"


class PolicyError(Exception):
    """A policy file that cannot be loaded, with every problem found in it."""

    def __init__(self, source: str, problems: Sequence[PolicyProblem]) -> None:
        self.source = source
        self.problems = list(problems)
        listed = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s) in the policy\n{listed}")


def load_policy(path: Path) -> Policy:
    """The policy in the file at ``path``, or :class:`PolicyError` naming every problem."""
    return parse_policy(path.read_bytes(), source=str(path))


def parse_policy(text: bytes, *, source: str = "<policy>") -> Policy:
    """The policy in ``text``; its digest is the SHA-256 of exactly these bytes."""
    digest = hashlib.sha256(text).hexdigest()
    decoded = _decode(text, source)
    document = _toml(decoded, source)
    lines = decoded.splitlines()
    problems = _duplicate_ids(document, lines)
    try:
        validated = PolicyDocument.model_validate(document)
    except ValidationError as error:
        problems.extend(_problem(e, document, lines) for e in error.errors())
    if problems:
        problems.sort(key=lambda p: (p.line is None, p.line or 0))
        raise PolicyError(source, problems)
    return compile_policy(validated, digest=digest, source=source)


def _decode(text: bytes, source: str) -> str:
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as error:
        line = text[: error.start].count(b"\n") + 1
        problem = PolicyProblem("file", f"not UTF-8 (byte {error.start})", line)
        raise PolicyError(source, [problem]) from error


def _toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        found = _TOML_POSITION.search(message)
        if found is None:
            raise PolicyError(source, [PolicyProblem("syntax", message)]) from error
        line, column = int(found.group(1)), int(found.group(2))
        reason = f"{message[: found.start()]} (column {column})"
        raise PolicyError(source, [PolicyProblem("syntax", reason, line)]) from error


def _duplicate_ids(document: dict[str, Any], lines: list[str]) -> list[PolicyProblem]:
    """Each rule id used before, by a rule or the default; checked on the raw tables."""
    rules = document.get("rule")
    default = document.get("default")
    seen: dict[str, str] = {}
    if isinstance(default, dict) and isinstance(default.get("id"), str):
        seen[default["id"]] = "the default"
    problems = []
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        rule_id = rule.get("id") if isinstance(rule, dict) else None
        if not isinstance(rule_id, str):
            continue
        loc = ("rule", index, "id")
        if rule_id in seen:
            message = f'duplicate id "{rule_id}": {seen[rule_id]} has it too'
            problems.append(PolicyProblem(_location(loc, document), message, line_of(loc, lines)))
        else:
            seen[rule_id] = f"rule[{index}]"
    return problems


def _problem(error: ErrorDetails, document: dict[str, Any], lines: list[str]) -> PolicyProblem:
    loc = tuple(error["loc"])
    return PolicyProblem(_location(loc, document), _message(error, loc), line_of(loc, lines))


def _message(error: ErrorDetails, loc: tuple[int | str, ...]) -> str:
    """pydantic's message, in the policy's words where it says something generic."""
    parent = next((part for part in reversed(loc[:-1]) if isinstance(part, str)), "")
    if error["type"] == "extra_forbidden":
        if parent == "outcomes":
            return "unknown data class"
        if parent in _TABLES:
            return "unknown attribute"
        if parent in _TEXTS:
            return f"unknown language (the languages are {', '.join(LANGUAGES)})"
        return "unknown key"
    if error["type"] == "missing":
        return "missing translation" if parent in _TEXTS else "missing"
    return error["msg"]


def _location(loc: tuple[int | str, ...], document: dict[str, Any]) -> str:
    """``rule[3] (id "3").outcomes.person_idnetity`` for pydantic's ``("rule", 3, ...)``."""
    text = ""
    for position, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{part}]"
            if position == 1 and loc[0] == "rule":
                text += _rule_id(document, part)
        else:
            text += f".{part}" if text else part
    return text or "policy"


def _rule_id(document: dict[str, Any], index: int) -> str:
    rules = document.get("rule")
    if isinstance(rules, list) and index < len(rules) and isinstance(rules[index], dict):
        rule_id = rules[index].get("id")
        if isinstance(rule_id, str):
            return f' (id "{rule_id}")'
    return ""
