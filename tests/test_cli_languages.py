"""Every command speaks the user's language: its ``--help`` (argparse's own words too) and its
main outputs under ``--lang fr`` and ``--lang de`` contain no English that the catalogs do not
translate.

Two checks, neither a list of words: every message the commands (and the gateway answering
them, which runs in this process) look up must have a translation in that catalog (a
recorder added as the catalog's gettext fallback hears each miss), and no English message of
the catalog whose translation differs may appear in what was printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gettext
import io
import json
import re
import sqlite3
import string
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from gateway.edges.cli import build_parser, main
from gateway.edges.cli.language import chosen_language, language_of, language_of_argv
from gateway.infra.config import DataDir
from gateway.infra.i18n import LOCALES_DIR, _catalog, translate
from tests.conftest import REPO, RunningGateway

LANGUAGES = ("fr", "de")
EXAMPLE = REPO / "examples" / "nl-drug-waste-maastricht.json"
SHORTEST_TELLING = 12
"""English text shorter than this (``URL``, ``label``) may stand in a translation as well."""


class MissRecorder(gettext.NullTranslations):
    """The last fallback of a catalog: hears every message the catalog lacks."""

    def __init__(self) -> None:
        super().__init__()
        self.missed: set[str] = set()

    def gettext(self, message: str) -> str:
        self.missed.add(message)
        return message


@pytest.fixture(scope="module")
def misses() -> dict[str, MissRecorder]:
    recorders = {language: MissRecorder() for language in LANGUAGES}
    for language, recorder in recorders.items():
        _catalog(language).add_fallback(recorder)
    return recorders


@pytest.fixture(autouse=True)
def no_miss_left_over(misses: dict[str, MissRecorder]) -> None:
    for recorder in misses.values():
        recorder.missed.clear()


def english_fragments(language: str) -> set[str]:
    """The English text of every message whose translation into ``language`` differs, cut at
    its placeholders; the pieces long enough to tell English from a translation."""
    path = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    fragments: set[str] = set()
    for message in catalog:
        if not message.id or message.string == message.id:
            continue
        for literal, *_ in string.Formatter().parse(str(message.id).replace("%", " ")):
            piece = " ".join(literal.split())
            if len(piece) >= SHORTEST_TELLING and piece not in str(message.string):
                fragments.add(piece)
    return fragments


@dataclass(frozen=True)
class Said:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        """What was printed on one line, without the choices an option takes (``{nl,fr}``):
        those are what is typed, in every language alike."""
        printed = re.sub(r"\{[^{}\s]*\}", "", self.out + "\n" + self.err)
        return " ".join(printed.split())


def run_here(*argv: str) -> Said:
    """``euregate ARGV`` in this process (the recorders hear it), its output captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return Said(code, out.getvalue(), err.getvalue())


async def run_beside(*argv: str) -> Said:
    """The same beside a gateway running on this event loop: the command in its own thread."""
    return await asyncio.to_thread(run_here, *argv)


def assert_all_translated(said: Said, language: str, misses: dict[str, MissRecorder]) -> None:
    missed = sorted(misses[language].missed)
    assert missed == [], f"not in the {language} catalog: {missed}"
    english = sorted(piece for piece in english_fragments(language) if piece in said.text)
    assert english == [], f"English left in {language}: {english}\n{said.out}{said.err}"


def command_paths() -> list[tuple[str, ...]]:
    """Every command and sub-command of ``euregate``, as the words that name it."""
    found: list[tuple[str, ...]] = []

    def walk(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> None:
        found.append(path)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    walk(child, (*path, name))

    walk(build_parser(), ())
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_commands_help_is_in_the_language(
    language: str, misses: dict[str, MissRecorder]
) -> None:
    paths = command_paths()
    assert len(paths) > 60
    for path in paths:
        said = run_here(*path, "--help", "--lang", language)
        assert said.code == 0, (path, said.err)
        assert_all_translated(said, language, misses)


@pytest.mark.parametrize("language", LANGUAGES)
def test_argparse_refusals_are_in_the_language(
    language: str, misses: dict[str, MissRecorder]
) -> None:
    for argv in (("review", "lis"), ("requests", "--tz", "Mars/Olympus"), ("send",)):
        said = run_here(*argv, "--lang", language)
        assert said.code == 2
        assert_all_translated(said, language, misses)
    said = run_here("send", "--lang", language)
    assert ("arguments suivants sont requis" if language == "fr" else "Argumente sind") in said.err


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_main_outputs_are_in_the_language(
    language: str,
    gateway: RunningGateway,
    staff_token: Callable[..., Awaitable[str]],
    misses: dict[str, MissRecorder],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = ("--data-dir", str(gateway.layout.root), "--lang", language)
    partner = ("--url", gateway.url, *data)
    malformed = tmp_path / "malformed.json"
    malformed.write_text('{"schema": "signal/1",\n  "summary": "unterminated', encoding="utf-8")

    first = await run_beside("send", str(EXAMPLE), "--as", "nl-pol-limburg", *partner)
    again = await run_beside("send", str(EXAMPLE), "--as", "nl-pol-limburg", *partner)
    refused = await run_beside("send", str(malformed), "--as", "nl-pol-limburg", *partner)
    assert (first.code, again.code, refused.code) == (0, 0, 1)
    assert "(202)" in first.out
    assert "(200)" in again.out
    unclosed = {"fr": "une chaîne n’est pas fermée", "de": "Zeichenkette ist nicht"}[language]
    assert unclosed in refused.out
    assert " 2, " in refused.out, "at line 2"

    pulled = await run_beside("inbox", "pull", "--as", "de-pol-aachen", *partner)
    empty = await run_beside("inbox", "pull", "--as", "de-pol-aachen", *partner)
    assert (pulled.code, empty.code) == (0, 0)
    assert (
        empty.out.strip()
        == {"fr": "Aucun nouveau message.", "de": "Keine neuen Nachrichten."}[language]
    )

    token = await staff_token("m.dubois", desk="BE")
    monkeypatch.setenv("EUREGATE_TOKEN", token)
    staff = ("--url", gateway.staff_url, *data)
    listed = await run_beside("review", "list", *staff)
    (item,) = json.loads((await run_beside("review", "list", "--json", *staff)).out)
    shown = await run_beside("review", "show", item["id"], *staff)
    assert (listed.code, shown.code) == (0, 0)
    assert re.search(r"\d{2}[./]\d{2}[./]\d{2,4},? \d{2}:\d{2} CES?T", listed.out), listed.out

    outputs = [
        first,
        again,
        refused,
        pulled,
        empty,
        listed,
        shown,
        await run_beside("requests", *data),
        await run_beside("policy", "explain", str(EXAMPLE), "--as", "nl-pol-limburg", *data),
        await run_beside("audit", "verify", *data),
        await run_beside("doctor", *data),
        await run_beside("staff", "list", *data),
        await run_beside("delivery", "list", *data),
        await run_beside("partner", "list", *data),
        await run_beside("partner", "show", "be-pol-liege", *data),
        await run_beside("partner", "key", "list", "be-pol-liege", *data),
        await run_beside("partner", "witness-key", "list", "be-pol-liege", *data),
        await run_beside("cert", "expiry", *data),
        await run_beside("keys", "list", *data),
        await run_beside("policy", "show", *data),
    ]
    for said in outputs:
        assert "Traceback" not in said.err
        assert_all_translated(said, language, misses)


@pytest.mark.parametrize("language", LANGUAGES)
def test_refusals_listed_together_the_broken_chain_schema_files_and_key_states_are_in_the_language(
    language: str, layout: DataDir, misses: dict[str, MissRecorder], tmp_path: Path
) -> None:
    data = ("--data-dir", str(layout.root), "--lang", language)
    partner = ("partner", "add", "Polizei_XX", "--name", " ", "--country", "NL")
    refused = run_here(*partner, "--agency-type", "oracle", "--languages", "sv", *data)
    hook = ("--agency-type", "police", "--languages", "nl", "--webhook-url", "http://u:p@/in")
    refused_hook = run_here(
        "partner", "add", "nl-police", "--name", "P", "--country", "NL", *hook, *data
    )
    assert (refused.code, refused_hook.code) == (1, 1)
    assert refused.err.count("; ") == 3, f"four reasons: {refused.err}"
    assert refused_hook.err.count("; ") == 2, f"three reasons: {refused_hook.err}"
    keys = run_here("keys", "list", *data)
    assert translate("current (seals)", language) in keys.out
    written = run_here("schema", "export", "--dir", str(tmp_path / "schemas"), "--lang", language)
    drifted = run_here(
        "schema", "export", "--check", "--dir", str(tmp_path / "empty"), "--lang", language
    )
    assert (written.code, drifted.code) == (0, 1)
    assert written.out.count("\n") == drifted.out.count("\n") > 1

    with sqlite3.connect(layout.database) as connection:
        connection.execute("DELETE FROM audit WHERE seq = 3")
    broken = run_here("audit", "verify", *data)
    assert broken.code == 1
    expected = {"fr": "inscription 3 attendue, 4 trouvée", "de": "Eintrag 3 erwartet, 4 gefunden"}
    assert expected[language] in broken.out

    for said in (refused, refused_hook, keys, written, drifted, broken):
        assert "Traceback" not in said.err
        assert_all_translated(said, language, misses)


def test_the_language_comes_from_the_command_line_else_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("LANGUAGE", "LC_ALL", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert chosen_language(None, None) == "en"
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    assert chosen_language(None, None) == "de"
    monkeypatch.setenv("LC_ALL", "C")
    monkeypatch.setenv("LANGUAGE", "sv:nl_BE:fr")
    assert chosen_language(None, None) == "nl"
    assert chosen_language(None, "fr") == "fr", "what the gateway knows of the person comes first"
    assert chosen_language("en", "fr") == "en", "--lang comes before everything"
    assert language_of_argv(["review", "list", "--lang", "de"]) == "de"
    assert language_of_argv(["review", "list", "--lang=fr"]) == "fr"
    assert language_of_argv(["review", "list", "--lang"]) is None
    assert language_of("POSIX") is None


AS_COMMANDS: dict[str, tuple[Callable[[Path], tuple[str, ...]], dict[str, str]]] = {
    "send": (
        lambda malformed: ("send", str(malformed)),
        {"fr": "une chaîne n’est pas fermée", "de": "Zeichenkette ist nicht"},
    ),
    "send, refused before sending": (
        lambda malformed: ("send", str(malformed.with_name("missing.json"))),
        {"fr": "n’existe pas", "de": "existiert nicht"},
    ),
    "status": (
        lambda _: ("status", "0190-no-such-signal"),
        {"fr": "Introuvable", "de": "Nicht gefunden"},
    ),
    "inbox pull": (
        lambda _: ("inbox", "pull", "--no-ack"),
        {"fr": "Aucun nouveau message.", "de": "Keine neuen Nachrichten."},
    ),
    "policy explain": (
        lambda _: ("policy", "explain", str(EXAMPLE)),
        {
            "fr": "Impossible de déterminer les destinataires",
            "de": "Empfänger können nicht ermittelt werden",
        },
    ),
}
"""Every command that acts ``--as`` a partner, and a phrase of its answer in each language."""


async def test_every_as_command_speaks_lang_else_the_partners_language_else_the_environments(
    gateway: RunningGateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("LANGUAGE", "LC_ALL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "nl_BE.UTF-8")
    malformed = tmp_path / "malformed.json"
    malformed.write_text('{"schema": "signal/1",\n  "summary": "unterminated', encoding="utf-8")
    elsewhere = tmp_path / "partner-files-only"
    elsewhere.mkdir()
    for command, (argv, phrases) in AS_COMMANDS.items():
        url = () if command == "policy explain" else ("--url", gateway.url)
        data = ("--data-dir", str(gateway.layout.root), *url)
        liege = await run_beside(*argv(malformed), "--as", "be-pol-liege", *data)
        chosen = await run_beside(*argv(malformed), "--as", "be-pol-liege", "--lang", "de", *data)
        aachen = await run_beside(*argv(malformed), "--as", "de-pol-aachen", *data)
        assert phrases["fr"] in liege.out + liege.err, (command, liege)
        assert phrases["de"] in chosen.out + chosen.err, (command, chosen)
        assert phrases["de"] in aachen.out + aachen.err, (command, aachen)
    said = await run_beside(
        "send", str(malformed), "--as", "be-pol-liege", "--data-dir", str(elsewhere)
    )
    assert "geen Euregate-gegevensmap" in said.err, "a partner the gateway does not know: $LANG"
