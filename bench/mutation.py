"""Mutation testing of the pure core: how many planted bugs its own tests catch.

Each module of the pure core (policy, validation, minimise, seal, canonical JSON, the
audit chain) is mutated with mutmut 3 and run against its own test files only, so that a
module's score says how well *its* specification pins it, not how much the whole suite
happens to pass through it. A survivor is a mutant no test of the module notices. Some
cannot be noticed: they change nothing a caller could see (*equivalent*), or they sit in
code that runs only while the module is imported, before mutmut switches a mutant on
(*unreachable*). Those are listed with the reason in ``bench/mutation_equivalents.toml``
and left out of the score; every other survivor is a gap in the tests.

    make mutation                                     # every module, into docs/mutation.md
    .venv/bin/python bench/mutation.py seal canonical # some modules; the others' rows kept
    .venv/bin/python bench/mutation.py --resume seal  # go on where the budget stopped it
    .venv/bin/python bench/mutation.py --report-only  # after editing the excuses

Each module runs in ``build/mutation/<module>/`` with mutmut's parallelism at ``--jobs``
(2) for at most ``--budget`` minutes (30). A module cut short is marked so in the report,
its unchecked mutants counted as not killed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "build" / "mutation"
EXCUSES = REPO / "bench" / "mutation_equivalents.toml"
REPORT = REPO / "docs" / "mutation.md"
SHARED = ("gateway", "tests", "examples", "schemas", "locales", "deploy", "docs")
"""What a module's work directory links to: the code and whatever its tests read."""
GOAL = 0.9
BEFORE_COMMIT = "8bbd13f"
BEFORE: dict[str, tuple[int, int, int]] = {
    "policy": (847, 1029, 1029),
    "validate": (440, 595, 595),
    "minimise": (264, 328, 663),
    "seal": (418, 528, 528),
    "canonical": (42, 61, 61),
    "audit": (106, 125, 125),
}
"""Killed, checked and all mutants per module, measured the same way at BEFORE_COMMIT (the
modules at their places in the tree then; the audit chain was ``gateway/audit.py``), before
the tests were made to pin what mutants slipped past."""


@dataclass(frozen=True)
class Target:
    """One module of the pure core: its source files and its own test files."""

    sources: tuple[str, ...]
    tests: tuple[str, ...]


TARGETS: dict[str, Target] = {
    "policy": Target(
        ("gateway/decide/policy/*.py",), ("tests/test_policy.py", "tests/test_policy_check.py")
    ),
    "validate": Target(("gateway/contract/validate.py",), ("tests/test_validate.py",)),
    "minimise": Target(("gateway/minimise/*.py",), ("tests/test_minimise.py",)),
    "seal": Target(
        ("gateway/infra/seal.py",), ("tests/test_seal.py", "tests/test_seal_interop.py")
    ),
    "canonical": Target(
        ("clients/python/euregate_client/canonical.py",), ("tests/test_canonical.py",)
    ),
    "audit": Target(("gateway/infra/audit/hashchain.py",), ("tests/test_audit.py",)),
}

KILLED = frozenset({1, 3, 36, 37, 255, 24, -24, 152})  # mutmut: a test failed, or timed out
SKIPPED = frozenset({34})
STATUS = {0: "survived", 5: "no tests", 33: "no tests", None: "not checked"}


@dataclass(frozen=True)
class Mutant:
    """A surviving mutant, as the line it changes: ``was`` before, ``now`` after."""

    name: str
    function: str
    was: str
    now: str
    status: str


@dataclass(frozen=True)
class Excuse:
    """Why a survivor is no gap: ``kind`` is "equivalent" or "unreachable"."""

    kind: str
    module: str
    function: str
    was: str
    now: str | list[str]
    reason: str

    def covers(self, module: str, mutant: Mutant) -> bool:
        nows = [self.now] if isinstance(self.now, str) else self.now
        same_line = (self.module, self.function, self.was) == (module, mutant.function, mutant.was)
        return same_line and mutant.now in nows


@dataclass
class Result:
    module: str
    total: int = 0
    killed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    complete: bool = True
    survivors: list[Mutant] = field(default_factory=list)


@dataclass(frozen=True)
class Assessment:
    """A module's result with each survivor excused or not."""

    result: Result
    excused: list[tuple[Mutant, Excuse]]
    gaps: list[Mutant]

    def count(self, kind: str) -> int:
        return sum(excuse.kind == kind for _, excuse in self.excused)

    @property
    def raw_score(self) -> float:
        return self.result.killed / max(1, self.result.total - self.result.skipped)

    @property
    def score(self) -> float:
        tested = self.result.total - self.result.skipped - len(self.excused)
        return self.result.killed / max(1, tested)


# --- running mutmut -----------------------------------------------------------------------


def mutmut_section(target: Target) -> str:
    """The ``[tool.mutmut]`` table for one module, appended to the project's pyproject."""
    also_copy = [name for name in SHARED if name not in ("gateway", "tests")]
    lines = [
        "[tool.mutmut]",
        'source_paths = ["gateway"]',
        f"only_mutate = {json.dumps(list(target.sources))}",
        f"pytest_add_cli_args_test_selection = {json.dumps(list(target.tests))}",
        f"also_copy = {json.dumps(also_copy)}",
        'pytest_add_cli_args = ["-p", "no:cacheprovider"]',
        "use_git_change_detection = false",
    ]
    return "\n".join(lines) + "\n"


def prepare(module: str, target: Target, *, resume: bool) -> Path:
    """A work directory for ``module``: links to the tree and its own pyproject. Fresh,
    unless ``resume`` and there is one: then mutmut checks only what it has not yet."""
    work = WORK / module
    if resume and (work / "mutants").is_dir():
        return work
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name in SHARED:
        (work / name).symlink_to(REPO / name)
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    (work / "pyproject.toml").write_text(pyproject + "\n" + mutmut_section(target), "utf-8")
    return work


def run_mutmut(work: Path, *, jobs: int, budget: float) -> bool:
    """Run mutmut in ``work``; False if it had to be stopped at the end of its budget."""
    mutmut = Path(sys.executable).with_name("mutmut")
    with (work / "mutmut.log").open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [str(mutmut), "run", "--max-children", str(jobs)],
            cwd=work,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            process.wait(timeout=budget)
        except subprocess.TimeoutExpired:
            _stop(process)
            return False
    if process.returncode != 0:
        tail = (work / "mutmut.log").read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"mutmut failed in {work} (exit {process.returncode}):\n{tail}")
    return True


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop mutmut and the workers it forked (its own process group)."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# --- reading the results ------------------------------------------------------------------


def exit_codes(work: Path) -> dict[str, tuple[Path, int | None]]:
    """Each mutant's name with its source path (relative) and mutmut's exit code."""
    found: dict[str, tuple[Path, int | None]] = {}
    for meta in sorted((work / "mutants" / "gateway").rglob("*.py.meta")):
        source = meta.relative_to(work / "mutants").with_suffix("")
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        for name, code in codes.items():
            found[name] = (source, code)
    return found


_FUNCTION = re.compile(r"\.x(?:_|ǁ(?P<cls>[^ǁ]+)ǁ)(?P<name>.+?)__mutmut_\d+$")


def function_of(mutant_name: str) -> str:
    """``Class.method`` or ``function`` for mutmut's name of a mutant."""
    match = _FUNCTION.search(mutant_name)
    if match is None:
        return mutant_name
    cls = match.group("cls")
    return f"{cls}.{match.group('name')}" if cls else match.group("name")


def describe(work: Path, name: str, source: Path, status: str) -> Mutant:
    """The mutant as the lines it changes, before and after."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    with contextlib.chdir(work):
        diff = get_diff_for_mutant(name, path=source)
    lines = diff.splitlines()[2:]
    was = " / ".join(line[1:].strip() for line in lines if line.startswith("-"))
    now = " / ".join(line[1:].strip() for line in lines if line.startswith("+"))
    return Mutant(name=name, function=function_of(name), was=was, now=now, status=status)


def collect(module: str, work: Path) -> Result:
    result = Result(module=module)
    for name, (source, code) in sorted(exit_codes(work).items()):
        result.total += 1
        if code in KILLED:
            result.killed += 1
        elif code in SKIPPED:
            result.skipped += 1
        else:
            status = STATUS.get(code, f"exit code {code}")
            result.survivors.append(describe(work, name, source, status))
    return result


def load_excuses(path: Path = EXCUSES) -> list[Excuse]:
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        Excuse(kind=kind, **entry)
        for kind in ("equivalent", "unreachable")
        for entry in document.get(kind, [])
    ]


def assess(result: Result, excuses: Sequence[Excuse]) -> Assessment:
    excused, gaps = [], []
    for mutant in result.survivors:
        excuse = next((e for e in excuses if e.covers(result.module, mutant)), None)
        if excuse is None or mutant.status != "survived":
            gaps.append(mutant)
        else:
            excused.append((mutant, excuse))
    return Assessment(result, excused, gaps)


def unused(excuses: Sequence[Excuse], assessments: Sequence[Assessment]) -> list[Excuse]:
    """The excuses of the modules assessed that no survivor needs any more: the code or the
    tests changed, and the entry can go."""
    modules = {a.result.module for a in assessments}
    used = {id(excuse) for a in assessments for _, excuse in a.excused}
    return [e for e in excuses if e.module in modules and id(e) not in used]


# --- the report ---------------------------------------------------------------------------

_INTRO = """\
# Mutation testing of the pure core

Written by `make mutation` (`bench/mutation.py`); not edited by hand. Each module of the
pure core is mutated by [mutmut](https://pypi.org/project/mutmut/) 3 and run against its own
test files only. A mutant is a small planted bug (a flipped comparison, a changed constant,
a dropped argument); it is *killed* when a test fails or hangs. A survivor no caller could
tell from the original is *equivalent*; one in code that runs only while the module is
imported, before mutmut switches a mutant on, is *unreachable* (the behaviour is pinned by
tests all the same, as the reason says). Both are listed below with the reason, from
`bench/mutation_equivalents.toml`, and left out of the score. Every other survivor is a
gap in the tests. The goal is at least 90 % per module.

Score = killed ÷ (mutants − equivalent − unreachable); "raw" = killed ÷ mutants. "Before" is
the raw score at commit {before}, before the tests were made to pin what mutants slipped
past (no survivor was excused then); marked \\* where the run reached its time limit first,
as the share of the mutants it checked.
"""


def _change(mutant: Mutant) -> str:
    return f"`{mutant.was}` → `{mutant.now}`"


def render(assessments: Iterable[Assessment]) -> str:
    ordered = sorted(assessments, key=lambda a: list(TARGETS).index(a.result.module))
    rows = [
        "| module | test files | mutants | killed | equivalent | unreachable | gaps | before "
        "| raw | score |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for a in ordered:
        result, target = a.result, TARGETS[a.result.module]
        note = "" if result.complete else " (cut short)"
        killed, checked, total = BEFORE[result.module]
        before = f"{killed / checked:.0%}" + ("\\*" if checked < total else "")
        rows.append(
            f"| {result.module}{note} | {', '.join(f'`{t}`' for t in target.tests)} "
            f"| {result.total} | {result.killed} | {a.count('equivalent')} "
            f"| {a.count('unreachable')} | {len(a.gaps)} | {before} "
            f"| {a.raw_score:.0%} | {a.score:.0%} |"
        )
    sections = [_INTRO.format(before=BEFORE_COMMIT), "\n".join(rows)]
    for a in ordered:
        result, target = a.result, TARGETS[a.result.module]
        sources = ", ".join(f"`{source}`" for source in target.sources)
        lines = [
            f"## {result.module}",
            "",
            f"{sources}: {result.total} mutants, {result.seconds / 60:.0f} min.",
        ]
        if a.gaps:
            lines += ["", "Gaps:", ""]
            lines += [f"- `{m.function}`: {_change(m)} ({m.status})" for m in a.gaps]
        for kind in ("equivalent", "unreachable"):
            listed = [(m, e) for m, e in a.excused if e.kind == kind]
            if listed:
                lines += ["", f"{kind.capitalize()}:", ""]
                lines += [f"- `{m.function}`: {_change(m)}. {e.reason}" for m, e in listed]
        sections.append("\n".join(lines))
    return "\n\n".join(sections) + "\n"


def save(result: Result) -> None:
    (WORK / f"{result.module}.json").write_text(json.dumps(asdict(result), indent=1), "utf-8")


def saved(module: str) -> Result | None:
    path = WORK / f"{module}.json"
    if not path.exists():
        return None
    document: dict[str, Any] = json.loads(path.read_text("utf-8"))
    survivors = [Mutant(**mutant) for mutant in document.pop("survivors")]
    return Result(**document, survivors=survivors)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", metavar="MODULE", help=", ".join(TARGETS))
    parser.add_argument("--jobs", type=int, default=2, help="mutmut's --max-children (2)")
    parser.add_argument("--budget", type=float, default=30, help="minutes per module (30)")
    parser.add_argument("--report", type=Path, default=REPORT)
    parser.add_argument(
        "--resume", action="store_true", help="go on where a run cut short by its budget stopped"
    )
    parser.add_argument(
        "--report-only", action="store_true", help="only write the report from the last runs"
    )
    args = parser.parse_args(argv)
    modules = [] if args.report_only else args.modules or list(TARGETS)
    unknown = set(modules) - set(TARGETS)
    if unknown:
        parser.error(f"no such module: {', '.join(sorted(unknown))}")
    excuses = load_excuses()
    WORK.mkdir(parents=True, exist_ok=True)
    for module in modules:
        work = prepare(module, TARGETS[module], resume=args.resume)
        print(f"{module}: mutmut in {work.relative_to(REPO)} …", flush=True)
        started = time.monotonic()
        complete = run_mutmut(work, jobs=args.jobs, budget=args.budget * 60)
        result = collect(module, work)
        result.seconds, result.complete = time.monotonic() - started, complete
        save(result)
        found = assess(result, excuses)
        print(
            f"{module}: {result.killed} of {result.total} killed, {len(found.excused)} excused, "
            f"{len(found.gaps)} gaps: {found.score:.1%}",
            flush=True,
        )
    assessments = [assess(r, excuses) for r in map(saved, TARGETS) if r is not None]
    args.report.write_text(render(assessments), encoding="utf-8")
    short = [a.result.module for a in assessments if a.score < GOAL]
    print(f"{args.report}: below {GOAL:.0%}: {', '.join(short) or 'none'}")
    for excuse in unused(excuses, assessments):
        print(
            f"{EXCUSES.name}: excuses no survivor: {excuse.module} {excuse.function}: {excuse.was}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
