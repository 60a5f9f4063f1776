"""``euregate schema``: write the JSON Schema and OpenAPI files, and validate signal files
offline.

``schema validate`` runs the same stage as the server (:func:`parse_json` and
:func:`validate_signal` against the current time), so a file it calls valid is
refused by the gateway only for reasons outside the document: unknown or
inactive recipients, or a reused ``sender_reference``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from gateway.contract.codelists import SCHEMAS_DIR
from gateway.contract.schema_export import drifted_schemas, export_schemas
from gateway.contract.validate import parse_json, validate_signal
from gateway.edges.cli.common import Subparsers, unlisted_errors
from gateway.edges.openapi import drifted_documents, export_documents
from gateway.edges.problems import issue_document, problem_document
from gateway.infra.errors import ClientError
from gateway.infra.i18n import LANGUAGES, N_, negotiate, translate

EXIT_VALID: Final = 0
EXIT_INVALID: Final = 1
EXIT_UNREADABLE: Final = 2


UNREADABLE: Final = N_("{path}: cannot be read: {reason}")
VALID: Final = N_("{path}: valid")
DRIFTED: Final = N_("{path}: differs from the models; run `euregate schema export`")
WROTE: Final = N_("wrote {path}")
LANGUAGE_HELP: Final = N_("language of the messages (default: from $LANGUAGE or $LANG, else en)")


def register(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "schema", help=N_("the Signal v1 schema: write its files, validate signal files offline")
    )
    actions = parser.add_subparsers(dest="schema_command", required=True, metavar="ACTION")

    export = actions.add_parser(
        "export", help=N_("write the JSON Schema and OpenAPI files from the models")
    )
    export.add_argument(
        "--dir", type=Path, default=SCHEMAS_DIR, help=N_("target directory (default: %(default)s)")
    )
    export.add_argument(
        "--check",
        action="store_true",
        help=N_("write nothing; list the files that differ from the models and exit 1 if any do"),
    )
    export.add_argument("--lang", choices=LANGUAGES, help=LANGUAGE_HELP)
    export.set_defaults(handler=run_export)

    validate = actions.add_parser(
        "validate",
        help=N_("validate signal files exactly as the gateway does, without sending them"),
    )
    validate.add_argument(
        "files", nargs="+", type=Path, metavar="FILE", help=N_("signal files (JSON)")
    )
    validate.add_argument("--lang", choices=LANGUAGES, help=LANGUAGE_HELP)
    validate.add_argument("--json", action="store_true", help=N_("print the results as JSON"))
    validate.set_defaults(handler=run_validate)


async def run_export(args: argparse.Namespace) -> int:
    directory: Path = args.dir
    language = args.lang or environment_language(os.environ)
    if args.check:
        drifted = drifted_schemas(directory) + drifted_documents(directory)
        for name in drifted:
            print(translate(DRIFTED, language, path=directory / name))
        return EXIT_INVALID if drifted else EXIT_VALID
    for path in export_schemas(directory) + export_documents(directory):
        print(translate(WROTE, language, path=path))
    return EXIT_VALID


@dataclass
class FileResult:
    """What validating one file found: nothing, a refusal, or no file to read."""

    path: Path
    error: ClientError | None = None
    unreadable: str | None = None

    @property
    def valid(self) -> bool:
        return self.error is None and self.unreadable is None


def check_file(path: Path, *, now: datetime) -> FileResult:
    """Validate one file as the gateway would have at ``now``."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return FileResult(path, unreadable=exc.strerror or str(exc))
    try:
        validate_signal(parse_json(raw), now=now)
    except ClientError as error:
        return FileResult(path, error=error)
    return FileResult(path)


async def run_validate(args: argparse.Namespace) -> int:
    language = args.lang or environment_language(os.environ)
    now = datetime.now(UTC)
    results = [check_file(path, now=now) for path in args.files]
    if args.json:
        print(
            json.dumps(
                [_as_json(result, language) for result in results], indent=2, ensure_ascii=False
            )
        )
    else:
        for result in results:
            _print_text(result, language)
    if any(result.unreadable is not None for result in results):
        return EXIT_UNREADABLE
    return EXIT_VALID if all(result.valid for result in results) else EXIT_INVALID


def environment_language(environ: Mapping[str, str]) -> str:
    """Our language for a POSIX locale: $LANGUAGE (a list such as ``nl:en``), then $LANG."""
    tags = [*environ.get("LANGUAGE", "").split(":"), environ.get("LANG", "")]
    ranked = [_locale_tag(tag) for tag in tags]
    return negotiate(", ".join(tag for tag in ranked if tag))


def _locale_tag(locale: str) -> str:
    """``nl_BE.UTF-8@euro`` as the language tag ``nl-BE``; ``C`` and ``POSIX`` name no language."""
    tag = re.split(r"[.@]", locale, maxsplit=1)[0].replace("_", "-")
    return "" if tag in ("", "C", "POSIX") else tag


def _print_text(result: FileResult, language: str) -> None:
    if result.unreadable is not None:
        said = translate(UNREADABLE, language, path=result.path, reason=result.unreadable)
        print(said, file=sys.stderr)
        return
    if result.error is None:
        print(translate(VALID, language, path=result.path))
        return
    problem = problem_document(result.error, language=language)
    if not result.error.issues:
        print(f"{result.path}: {problem['detail']}")
    for issue in result.error.issues:
        print(f"{result.path}: {issue.pointer or '/'}: {issue_document(issue, language)['detail']}")
    unlisted = unlisted_errors(problem, language)
    if unlisted is not None:
        print(f"{result.path}: {unlisted}")


def _as_json(result: FileResult, language: str) -> dict[str, object]:
    entry: dict[str, object] = {"file": str(result.path), "valid": result.valid}
    if result.unreadable is not None:
        entry["unreadable"] = result.unreadable
    if result.error is not None:
        entry["problem"] = problem_document(result.error, language=language)
    return entry
