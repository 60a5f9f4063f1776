"""``euregate doctor``: check a deployment and say, in plain words, what is wrong and how to
fix it. Exit code 0 when nothing is wrong, 1 on any error (or, with ``--strict``, warning)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

from gateway.edges.cli.common import (
    Subparsers,
    add_data_dir,
    output_language,
    settings,
)
from gateway.infra.i18n import N_, translate
from gateway.registry.doctor import Finding, Status, examine

STATUS_LABELS: Final = {
    Status.OK: N_("ok"),
    Status.WARNING: N_("warning"),
    Status.ERROR: N_("error"),
}
SUMMARY: Final = N_("{errors} error(s), {warnings} warning(s).")


def register(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "doctor", help=N_("check a deployment: what is wrong, and how to fix it")
    )
    add_data_dir(parser)
    parser.add_argument("--json", action="store_true", help=N_("machine-readable output"))
    parser.add_argument("--strict", action="store_true", help=N_("warnings fail too (exit code 1)"))
    parser.set_defaults(handler=run_doctor)


async def run_doctor(args: argparse.Namespace) -> int:
    language = output_language(args)
    found = await examine(settings(args), now=datetime.now(UTC))
    errors = sum(finding.status is Status.ERROR for finding in found)
    warnings = sum(finding.status is Status.WARNING for finding in found)
    failed = errors > 0 or (args.strict and warnings > 0)
    if args.json:
        report = {
            "ok": not failed,
            "errors": errors,
            "warnings": warnings,
            "checks": [finding.as_json(language) for finding in found],
        }
        print(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    else:
        print(render(found, language))
        print(translate(SUMMARY, language, errors=errors, warnings=warnings))
    return 1 if failed else 0


def render(found: Sequence[Finding], language: str) -> str:
    """One line a finding, its fix indented under it."""
    labels = {status: translate(label, language) for status, label in STATUS_LABELS.items()}
    status_width = max(len(label) for label in labels.values())
    check_width = max(len(finding.check) for finding in found)
    indent = " " * (status_width + check_width + 4)
    lines: list[str] = []
    for finding in found:
        label = labels[finding.status]
        label = label.upper() if finding.status is Status.ERROR else label
        lines.append(
            f"{label.ljust(status_width)}  {finding.check.ljust(check_width)}  "
            f"{finding.said(language)}"
        )
        fix = finding.fix_said(language)
        if fix is not None:
            lines.append(f"{indent}→ {fix}")
    return "\n".join(lines)
