"""A person's mistake at the command line is one sentence in their language, never a traceback:
exit code 2 for what was given wrong (a partner's name, a file), 1 for what stands in the way
(no data directory, a port taken, a gateway not running); ``--debug`` shows the traceback."""

from __future__ import annotations

import errno
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from euregate_client import Unreachable

from gateway.edges.cli.failures import explained, unknown_partner
from gateway.infra.config import DataDir
from gateway.infra.errors import CommandFailed, FileUnreadable, GatewayUnreachable
from tests.conftest import REPO, free_port

EXAMPLE = REPO / "examples" / "nl-drug-waste-maastricht.json"


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


def euregate(*argv: str | Path) -> Outcome:
    done = subprocess.run(
        [sys.executable, "-m", "gateway", *map(str, argv)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


def said_plainly(outcome: Outcome) -> str:
    """The one line the person was told, having checked that it is one line and no traceback."""
    assert "Traceback" not in outcome.err
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1, outcome.err
    assert lines[0].startswith("euregate: ")
    return lines[0]


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_a_mistyped_partner_is_named_with_the_one_meant(layout: DataDir) -> None:
    outcome = euregate("inbox", "pull", "--as", "be-pol-luik", "--data-dir", layout.root)
    line = said_plainly(outcome)
    assert outcome.code == 2
    assert "be-pol-luik" in line
    assert "be-pol-liege?" in line
    assert "nl-pol-limburg" in line


def test_a_partner_far_from_any_known_gets_the_list_without_a_guess(layout: DataDir) -> None:
    outcome = euregate("send", EXAMPLE, "--as", "xx-unknown", "--data-dir", layout.root)
    line = said_plainly(outcome)
    assert outcome.code == 2
    assert "?" not in line
    assert "de-pol-aachen" in line


def test_no_data_directory_says_to_run_init(tmp_path: Path) -> None:
    outcome = euregate("inbox", "pull", "--as", "be-pol-liege", "--data-dir", tmp_path / "none")
    assert outcome.code == 1
    assert "euregate init" in said_plainly(outcome)


def test_a_missing_token_file_is_named(layout: DataDir, tmp_path: Path) -> None:
    missing = tmp_path / "missing.token"
    outcome = euregate("review", "list", "--token-file", missing, "--data-dir", layout.root)
    assert outcome.code == 2
    assert str(missing) in said_plainly(outcome)


def test_a_missing_signal_file_is_named(layout: DataDir, tmp_path: Path) -> None:
    outcome = euregate(
        "send", tmp_path / "nope.json", "--as", "nl-pol-limburg", "--data-dir", layout.root
    )
    assert outcome.code == 2
    assert "nope.json" in said_plainly(outcome)


def test_a_gateway_that_is_not_running_is_asked_about(layout: DataDir) -> None:
    url = f"https://127.0.0.1:{free_port()}"
    outcome = euregate(
        "send", EXAMPLE, "--as", "nl-pol-limburg", "--data-dir", layout.root, "--url", url
    )
    line = said_plainly(outcome)
    assert outcome.code == 1
    assert url in line
    assert "euregate serve" in line


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_port_in_use_names_the_option_that_moves_it(
    layout: DataDir, taken_port: int, workers: str
) -> None:
    outcome = euregate(
        "serve", "--data-dir", layout.root, "--host", "127.0.0.1", "--port", str(taken_port),
        "--staff-port", "0", "--operations-port", "0", "--workers", workers,
    )  # fmt: skip
    line = said_plainly(outcome)
    assert outcome.code == 1
    assert str(taken_port) in line
    assert "--port" in line


@pytest.mark.parametrize(
    ("language", "words"),
    [("fr", "Vouliez-vous dire be-pol-liege ?"), ("de", "Meinten Sie be-pol-liege?")],
)
def test_the_sentence_is_in_the_users_language(layout: DataDir, language: str, words: str) -> None:
    outcome = euregate(
        "inbox", "pull", "--as", "be-pol-luik", "--data-dir", layout.root, "--lang", language
    )
    assert words in said_plainly(outcome)


def test_debug_shows_the_traceback_after_all(layout: DataDir) -> None:
    outcome = euregate("inbox", "pull", "--as", "be-pol-luik", "--data-dir", layout.root, "--debug")
    assert outcome.code == 1
    assert "Traceback" in outcome.err
    assert "UnknownPartnerName" in outcome.err


def test_an_unforeseen_error_is_named_by_its_kind_only() -> None:
    told = explained(RuntimeError("Jansen, 1987-06-02"))
    assert isinstance(told, CommandFailed)
    assert told.params == {"error": "RuntimeError"}


@pytest.mark.parametrize(
    ("number", "cause"),
    [(errno.ENOENT, "missing"), (errno.EACCES, "forbidden"), (errno.EISDIR, "folder"),
     (errno.EIO, "other")],
)  # fmt: skip
def test_a_file_error_says_which_file_and_why(number: int, cause: str) -> None:
    told = explained(OSError(number, "os says", "/srv/x.token"))
    assert isinstance(told, FileUnreadable)
    assert told.params["path"] == "/srv/x.token"
    assert told.params["cause"] == cause


def test_an_unreachable_gateway_keeps_its_url() -> None:
    told = explained(Unreachable("https://gw.example:8443", ConnectionRefusedError()))
    assert isinstance(told, GatewayUnreachable)
    assert told.params["url"] == "https://gw.example:8443"


def test_a_suggestion_is_only_made_when_close() -> None:
    known = ["be-pol-liege", "nl-pol-limburg"]
    assert unknown_partner("nl-pol-limbrug", "data", known).params["suggestion"] == "nl-pol-limburg"
    assert unknown_partner("zz", "data", known).params["suggestion"] == ""
