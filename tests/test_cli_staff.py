"""``euregate staff``: accounts and tokens from the command line, against the demo data
directory that ``euregate init --demo`` makes; secrets shown once, passwords never argv."""

from __future__ import annotations

import asyncio
import io
import json
import re
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pyotp
import pytest

from gateway.edges.cli import main
from gateway.infra import datafiles
from gateway.infra.audit import verify
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.infra.errors import StaffNotAuthenticated
from gateway.registry.auth import Authenticator
from gateway.staff import StaffAccount
from gateway.store.sqlite import SqliteStore
from tests.conftest import REPO

T = TypeVar("T")
PASSWORD = "correct horse battery"
NEW_PASSWORD = "a whole new passphrase"


class Cli:
    """The ``euregate`` command run through its ``main``, one data directory, stdin given."""

    def __init__(
        self, layout: DataDir, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self.layout = layout
        self._capsys = capsys
        self._monkeypatch = monkeypatch
        self.seen: list[str] = []

    def __call__(self, *argv: str, stdin: str = "") -> tuple[int, str, str]:
        self._monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main([*argv, "--data-dir", str(self.layout.root)])
        captured = self._capsys.readouterr()
        self.seen.append(captured.out + captured.err)
        return code, captured.out, captured.err

    def add(self, staff_id: str = "j.jansen", *extra: str) -> str:
        """Enrol a liaison officer for NL; the TOTP secret the command showed."""
        code, out, _ = self(
            "staff", "add", staff_id, "--name", "Jan Jansen", "--role", "liaison_officer",
            "--desk", "NL", "--password-stdin", *extra, stdin=PASSWORD + "\n",
        )  # fmt: skip
        assert code == 0, out
        return shown_secret(out)

    def printed(self, secret: str) -> int:
        """How many outputs so far contained ``secret``."""
        return sum(secret in text for text in self.seen)


def shown_secret(out: str) -> str:
    match = re.search(r"^totp secret +([A-Z2-7]+)$", out, re.MULTILINE)
    assert match is not None, out
    return match.group(1)


@pytest.fixture
def cli(
    layout: DataDir, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Cli:
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.setenv("LANG", "C")
    return Cli(layout, capsys, monkeypatch)


def with_authenticator(layout: DataDir, use: Callable[[Authenticator], Awaitable[T]]) -> T:
    """``use`` an authenticator on the data directory's store, as the staff listener would,
    beside the commands (each runs its own event loop)."""

    async def run() -> T:
        clock = SystemClock()
        async with SqliteStore(layout.database, clock=clock) as store:
            authenticator = Authenticator(store, datafiles.load_master_key(layout), clock=clock)
            try:
                return await use(authenticator)
            finally:
                authenticator.close()

    return asyncio.run(run())


def sign_in(layout: DataDir, staff_id: str, password: str, secret: str) -> StaffAccount:
    """A sign-in as the staff listener makes it, with the code an app shows for ``secret``."""
    code = pyotp.TOTP(secret).now()
    return with_authenticator(
        layout,
        lambda authenticator: authenticator.login(staff_id, password, code, address="127.0.0.1"),
    )


def authenticate(layout: DataDir, token: str) -> StaffAccount:
    return with_authenticator(layout, lambda authenticator: authenticator.authenticate_token(token))


def staff_kinds(layout: DataDir) -> list[str]:
    async def read() -> list[str]:
        async with SqliteStore(layout.database, clock=SystemClock()) as store:
            assert verify(await store.audit_entries()).ok
            return [e.kind for e in await store.audit_entries() if e.kind.startswith("staff.")]

    return asyncio.run(read())


def test_add_shows_the_second_factor_once_and_it_signs_the_person_in(cli: Cli) -> None:
    secret = cli.add()
    out = cli.seen[0]
    assert "Added j.jansen (liaison officer, desk NL)." in out
    assert f"otpauth://totp/Euregate:j.jansen?secret={secret}&issuer=Euregate" in out
    assert sign_in(cli.layout, "j.jansen", PASSWORD, secret).id == "j.jansen"

    code, listing, _ = cli("staff", "list")
    assert code == 0
    assert re.search(r"^j\.jansen +liaison officer +NL +en +active +- +Jan Jansen$", listing, re.M)
    code, listing, _ = cli("staff", "list", "--json")
    [account] = json.loads(listing)
    assert account["id"] == "j.jansen"
    assert account["desk"] == "NL"
    assert set(account) == {
        "id", "name", "role", "desk", "language", "state", "sign_in_blocks", "created_at",
    }  # fmt: skip
    assert cli.printed(secret) == 1
    assert cli.printed(PASSWORD) == 0
    assert staff_kinds(cli.layout) == ["staff.added", "staff.login_succeeded"]


def test_the_messages_follow_lang(cli: Cli) -> None:
    cli.add("j.jansen", "--lang", "fr")
    assert "j.jansen ajouté (officier de liaison, bureau NL)." in cli.seen[0]
    assert "second facteur" in cli.seen[0]


def test_a_password_is_never_taken_from_the_command_line(cli: Cli) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli("staff", "add", "j.jansen", "--name", "J", "--role", "compliance", "--desk", "*",
            "--password", PASSWORD)  # fmt: skip
    assert exit_.value.code == 2


def test_without_a_terminal_add_asks_for_password_stdin_and_adds_nothing(
    layout: DataDir,
) -> None:
    command = [sys.executable, "-m", "gateway", "staff", "add", "m.dupont", "--name", "M",
               "--role", "compliance", "--desk", "*", "--data-dir", str(layout.root)]  # fmt: skip
    done = subprocess.run(
        command, cwd=REPO, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert "--password-stdin" in done.stderr
    assert "Traceback" not in done.stderr
    assert staff_kinds(layout) == []


def test_the_real_command_adds_from_a_pipe(layout: DataDir) -> None:
    command = [sys.executable, "-m", "gateway", "staff", "add", "m.dupont", "--name", "M",
               "--role", "compliance", "--desk", "*", "--password-stdin",
               "--data-dir", str(layout.root)]  # fmt: skip
    done = subprocess.run(
        command, cwd=REPO, input=PASSWORD + "\n", capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert sign_in(layout, "m.dupont", PASSWORD, shown_secret(done.stdout)).id == "m.dupont"


@pytest.mark.parametrize(
    ("password", "complaint"),
    [("", "no password given"), ("short", "12 to 1024 characters"), ("j.jansen-2026!", "login")],
)
def test_a_weak_password_is_refused_and_nothing_is_added(
    cli: Cli, password: str, complaint: str
) -> None:
    code, _, err = cli(
        "staff", "add", "j.jansen", "--name", "Jan Jansen", "--role", "liaison_officer",
        "--desk", "NL", "--password-stdin", stdin=password + "\n",
    )  # fmt: skip
    assert code == 1
    assert complaint in err
    assert staff_kinds(cli.layout) == []


def test_a_liaison_officer_for_every_desk_is_refused(cli: Cli) -> None:
    code, _, err = cli(
        "staff", "add", "j.jansen", "--name", "Jan Jansen", "--role", "liaison_officer",
        "--desk", "*", "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert code == 1
    assert "not every desk" in err


def test_a_token_is_printed_once_alone_on_stdout_and_stops_when_revoked(cli: Cli) -> None:
    cli.add()
    code, out, err = cli("staff", "token", "issue", "j.jansen", "--label", "nightly export")
    assert code == 0
    token = out.strip()
    assert re.fullmatch(r"egt_[a-z2-7]{52}", token)
    token_id = re.search(r"Token (tok-[0-9a-f]{16}) for j\.jansen", err)
    assert token_id is not None
    assert authenticate(cli.layout, token).id == "j.jansen"

    code, listing, _ = cli("staff", "token", "list", "j.jansen", "--json")
    [listed] = json.loads(listing)
    assert (listed["id"], listed["label"], listed["revoked_at"]) == (
        token_id.group(1), "nightly export", None,
    )  # fmt: skip
    code, out, _ = cli("staff", "token", "revoke", token_id.group(1))
    assert code == 0
    assert f"Token {token_id.group(1)} of j.jansen is revoked." in out
    with pytest.raises(StaffNotAuthenticated):
        authenticate(cli.layout, token)
    code, _, err = cli("staff", "token", "revoke", token_id.group(1))
    assert code == 1
    assert "no active token" in err
    cli("staff", "token", "list", "j.jansen")
    assert cli.printed(token) == 1
    assert staff_kinds(cli.layout) == ["staff.added", "staff.token_issued", "staff.token_revoked"]


def test_disable_stops_the_person_and_their_tokens_and_enable_admits_them_again(
    cli: Cli,
) -> None:
    secret = cli.add()
    _, out, _ = cli("staff", "token", "issue", "j.jansen", "--label", "script")
    token = out.strip()
    code, out, _ = cli("staff", "disable", "j.jansen")
    assert code == 0
    assert "j.jansen is disabled" in out
    with pytest.raises(StaffNotAuthenticated):
        authenticate(cli.layout, token)
    with pytest.raises(StaffNotAuthenticated):
        sign_in(cli.layout, "j.jansen", PASSWORD, secret)
    _, listing, _ = cli("staff", "list", "--json")
    assert json.loads(listing)[0]["state"] == "disabled"
    code, _, err = cli("staff", "token", "issue", "j.jansen", "--label", "another")
    assert code == 1
    assert "not active" in err

    code, out, _ = cli("staff", "enable", "j.jansen")
    assert code == 0
    assert "j.jansen is active again" in out
    assert authenticate(cli.layout, token).id == "j.jansen"


def test_reset_gives_a_new_second_factor_and_password_and_revokes_every_token(cli: Cli) -> None:
    old_secret = cli.add()
    tokens = [cli("staff", "token", "issue", "j.jansen", "--label", f"t{i}")[1].strip()
              for i in (1, 2)]  # fmt: skip
    code, out, _ = cli("staff", "reset", "j.jansen", "--password-stdin", stdin=NEW_PASSWORD)
    assert code == 0
    assert "Reset j.jansen: new password and second factor; 2 token(s) revoked." in out
    new_secret = shown_secret(out)
    assert new_secret != old_secret
    for token in tokens:
        with pytest.raises(StaffNotAuthenticated):
            authenticate(cli.layout, token)
    with pytest.raises(StaffNotAuthenticated):
        sign_in(cli.layout, "j.jansen", PASSWORD, new_secret)
    with pytest.raises(StaffNotAuthenticated):
        sign_in(cli.layout, "j.jansen", NEW_PASSWORD, old_secret)
    assert sign_in(cli.layout, "j.jansen", NEW_PASSWORD, new_secret).id == "j.jansen"
    cli("staff", "list", "--json")
    assert cli.printed(new_secret) == 1
    assert cli.printed(NEW_PASSWORD) == 0
    assert "staff.credentials_reset" in staff_kinds(cli.layout)


def test_change_moves_a_person_to_another_role_and_desk(cli: Cli) -> None:
    cli.add()
    code, out, _ = cli(
        "staff", "change", "j.jansen", "--role", "compliance", "--desk", "*", "--language", "de"
    )
    assert code == 0
    assert "j.jansen: compliance staff, language de." in out
    _, listing, _ = cli("staff", "list", "--json")
    [account] = json.loads(listing)
    assert (account["role"], account["desk"], account["language"], account["name"]) == (
        "compliance", "*", "de", "Jan Jansen",
    )  # fmt: skip
    code, _, err = cli("staff", "change", "j.jansen", "--role", "liaison_officer")
    assert code == 1
    assert "not every desk" in err


@pytest.mark.parametrize(
    "argv",
    [
        ("staff", "disable", "nobody"),
        ("staff", "enable", "nobody"),
        ("staff", "change", "nobody", "--name", "N"),
        ("staff", "token", "issue", "nobody", "--label", "x"),
        ("staff", "token", "list", "nobody"),
    ],
)
def test_an_unknown_person_is_named_as_such(cli: Cli, argv: tuple[str, ...]) -> None:
    code, _, err = cli(*argv)
    assert code == 1
    assert "no staff nobody" in err


def test_the_commands_need_a_data_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["staff", "list", "--data-dir", str(tmp_path / "nothing")])
    assert code == 1
    assert "run `euregate init` first" in capsys.readouterr().err


def test_the_fixture_is_what_init_demo_makes(cli: Cli) -> None:
    """The data directory under test is a real one: certificates, key and demo partners."""
    assert cli.layout.master_key.is_file()

    async def partners() -> int:
        async with SqliteStore(cli.layout.database, clock=SystemClock()) as store:
            return len(await store.partners())

    assert asyncio.run(partners()) == 9


def test_list_shows_where_an_account_is_blocked_and_unlock_lifts_it(cli: Cli) -> None:
    secret = cli.add()
    for _ in range(5):
        with pytest.raises(StaffNotAuthenticated):
            sign_in(cli.layout, "j.jansen", "a wrong passphrase", secret)
    code, listing, _ = cli("staff", "list")
    assert code == 0
    assert re.search(r"^j\.jansen .* 127\.0\.0\.1 until \d+/\d+/\d+, .* CES?T ", listing, re.M)
    _, listing, _ = cli("staff", "list", "--json")
    [account] = json.loads(listing)
    [block] = account["sign_in_blocks"]
    assert (block["address"], block["failures"]) == ("127.0.0.1", 5)

    code, out, _ = cli("staff", "unlock", "j.jansen")
    assert code == 0
    assert "j.jansen may sign in again from every address: 1 address(es) unblocked." in out
    assert sign_in(cli.layout, "j.jansen", PASSWORD, secret).id == "j.jansen"
    assert staff_kinds(cli.layout)[-2:] == ["staff.sign_in_unblocked", "staff.login_succeeded"]
