"""Without ``--lang`` a command speaks what the gateway knows of the person (a staff account's
language, a partner's first language) before the environment's; ``--desk`` is asked of liaison
officers only; times are shown in the person's time zone with the zone named.

The commands run as their own processes, in an environment whose language is English (or
whatever a test sets), against the real gateway in this process.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from gateway.edges.cli.times import shown, shown_text
from gateway.infra.config import DataDir
from tests.conftest import REPO, RunningGateway

PASSWORD = "correct horse battery staple"


async def euregate(*argv: str, environment: dict[str, str] | None = None) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LANG")}
    env.update(environment or {"LANG": "C.UTF-8"})
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", *argv, cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_review_speaks_the_accounts_language_unless_told_otherwise(
    gateway: RunningGateway, staff_token: Callable[..., Awaitable[str]]
) -> None:
    token = await staff_token("k.schmidt", desk="DE")
    data = ("--data-dir", str(gateway.layout.root))
    code, _, _ = await euregate("staff", "change", "k.schmidt", "--language", "de", *data)
    assert code == 0
    staff = ("--url", gateway.staff_url, *data)
    french_terminal = {"LANG": "fr_BE.UTF-8", "EUREGATE_TOKEN": token}

    code, out, _ = await euregate("review", "list", *staff, environment=french_terminal)
    assert (code, out.strip()) == (0, "An Ihrem Arbeitsplatz wartet nichts.")
    code, out, _ = await euregate(
        "review", "list", "--lang", "nl", *staff, environment=french_terminal
    )
    assert (code, out.strip()) == (0, "Er wacht niets op uw bureau.")


async def test_a_refused_token_is_told_in_the_environments_language(
    gateway: RunningGateway,
) -> None:
    """Before a token is accepted nobody's account is known: the environment's language."""
    staff = ("--url", gateway.staff_url, "--data-dir", str(gateway.layout.root))
    refused = {"EUREGATE_TOKEN": "egt_" + "x" * 52}
    code, _, err = await euregate("review", "list", *staff, environment=refused)
    assert code == 1
    assert "Not signed in" in err
    code, _, err = await euregate(
        "review", "list", *staff, environment={**refused, "LANG": "de_DE.UTF-8"}
    )
    assert code == 1
    assert "Nicht angemeldet" in err


async def test_inbox_pull_speaks_the_partners_first_language(gateway: RunningGateway) -> None:
    partner = ("--url", gateway.url, "--data-dir", str(gateway.layout.root))
    code, out, _ = await euregate("inbox", "pull", "--as", "be-pol-liege", *partner)
    assert (code, out.strip()) == (0, "Aucun nouveau message.")
    code, out, _ = await euregate("inbox", "pull", "--as", "de-pol-aachen", *partner)
    assert (code, out.strip()) == (0, "Keine neuen Nachrichten.")
    code, out, _ = await euregate(
        "inbox", "pull", "--as", "de-pol-aachen", "--lang", "en", *partner
    )
    assert (code, out.strip()) == (0, "No new messages.")


UNREACHABLE = "postgresql://euregate@/euregate?host=/nonexistent-socket-directory"
"""A PostgreSQL database no one answers for: its socket's directory does not exist."""


async def test_a_partner_command_goes_on_when_the_database_does_not_answer(
    gateway: RunningGateway,
) -> None:
    """``--as`` looks the partner's language up in the gateway's store where the data directory
    names one; a database that does not answer leaves the environment's language, and the
    command talks to the gateway as ever, without the driver's complaints on its output."""
    partner = ("--url", gateway.url, "--data-dir", str(gateway.layout.root))
    code, out, err = await euregate(
        "inbox", "pull", "--as", "de-pol-aachen", "--database", UNREACHABLE, *partner
    )
    assert (code, out.strip(), err) == (0, "No new messages.", "")


async def test_a_command_on_an_unreachable_database_says_so_in_one_line(
    layout: DataDir,
) -> None:
    code, out, err = await euregate(
        "requests", "--data-dir", str(layout.root), "--database", UNREACHABLE,
        environment={"LANG": "de_DE.UTF-8", "EUREGATE_DATABASE_WAIT": "1"},
    )  # fmt: skip
    assert (code, out) == (1, "")
    assert err.startswith("euregate: Das Gateway kann seine Datenbank derzeit nicht erreichen"), err
    assert len(err.strip().splitlines()) <= 2, err
    assert "error connecting" not in err


async def test_requests_follow_the_environments_language(layout: DataDir) -> None:
    data = ("--data-dir", str(layout.root))
    code, out, _ = await euregate("requests", *data, environment={"LANGUAGE": "sv:de"})
    assert (code, out.strip()) == (0, "Keine offenen Ersuchen.")
    code, out, _ = await euregate("requests", *data, environment={"LC_ALL": "nl_NL.UTF-8"})
    assert (code, out.strip()) == (0, "Geen openstaande verzoeken.")
    code, out, _ = await euregate("requests", *data)
    assert (code, out.strip()) == (0, "No open requests.")


def add_staff(layout: DataDir, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", "staff", "add", *args, "--password-stdin",
         "--data-dir", str(layout.root)],
        cwd=REPO, input=PASSWORD + "\n", capture_output=True, text=True, check=False,
        env={**os.environ, "LANG": "C.UTF-8"},
    )  # fmt: skip


def test_only_a_liaison_officer_is_asked_for_a_desk(layout: DataDir) -> None:
    compliance = add_staff(layout, "a.peeters", "--name", "An Peeters", "--role", "compliance")
    assert compliance.returncode == 0, compliance.stderr
    assert compliance.stdout.splitlines()[0] == "Added a.peeters (compliance staff)."
    assert "desk" not in compliance.stdout

    officer = add_staff(layout, "j.jansen", "--name", "Jan Jansen", "--role", "liaison_officer")
    assert officer.returncode == 2
    assert "Traceback" not in officer.stderr
    assert "a liaison officer serves a desk: give --desk NL, BE, DE" in officer.stderr

    listed = subprocess.run(
        [sys.executable, "-m", "gateway", "staff", "list", "--data-dir", str(layout.root)],
        cwd=REPO, capture_output=True, text=True, check=True,
        env={**os.environ, "LANG": "C.UTF-8"},
    ).stdout  # fmt: skip
    (row,) = [line for line in listed.splitlines() if line.startswith("a.peeters")]
    assert row.split()[1:4] == ["compliance", "staff", "-"], "no desk shown for compliance"


WINTER = datetime(2026, 12, 5, 13, 3, tzinfo=UTC)
SUMMER = datetime(2026, 7, 5, 13, 3, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "zone", "language", "expected"),
    [
        (WINTER, "Europe/Brussels", "nl", "05-12-2026, 14:03 CET"),
        (WINTER, "Europe/Brussels", "fr", "05/12/2026 14:03 CET"),
        (WINTER, "Europe/Brussels", "de", "05.12.26, 14:03 CET"),
        (WINTER, "Europe/Brussels", "en", "05/12/2026, 14:03 CET"),
        (SUMMER, "Europe/Brussels", "de", "05.07.26, 15:03 CEST"),
        (WINTER, "UTC", "fr", "05/12/2026 13:03 UTC"),
    ],
)
def test_a_moment_is_shown_in_the_zone_with_the_zone_named(
    moment: datetime, zone: str, language: str, expected: str
) -> None:
    assert shown(moment, language, ZoneInfo(zone)) == expected


def test_a_stamp_of_the_gateway_is_shown_and_anything_else_left_as_it_is() -> None:
    brussels = ZoneInfo("Europe/Brussels")
    assert shown_text("2026-12-05T13:03:00Z", "fr", brussels) == "05/12/2026 14:03 CET"
    assert shown_text("not a time", "fr", brussels) == "not a time"
    assert shown_text("2026-12-05T13:03:00", "fr", brussels) == "2026-12-05T13:03:00"


async def test_an_unknown_time_zone_is_refused_in_the_users_language(layout: DataDir) -> None:
    code, _, err = await euregate(
        "requests", "--tz", "Europe/Atlantis", "--lang", "de", "--data-dir", str(layout.root)
    )
    assert code == 2
    assert "Europe/Atlantis ist keine Zeitzone" in err
    assert "Traceback" not in err
