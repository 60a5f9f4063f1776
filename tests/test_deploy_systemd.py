"""The systemd units in ``deploy/systemd/``: each passes ``systemd-analyze verify``, is rated by
``systemd-analyze security`` at an exposure of at most ``EXPOSURE_LIMIT``, and starts the
gateway the way the production layout says (``gateway.production``); the witness's template
unit runs ``euregate witness run`` for the partner its instance names, hardened as the gateway.

``verify`` checks that the program of ``ExecStart=`` exists; ``/opt/euregate`` exists only on
an installed machine, so each unit is checked as a copy whose ``ExecStart=`` names this
checkout's ``euregate`` instead, its only change (a template as one of its instances, so that
``%i`` is filled in)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.edges.cli import build_parser
from gateway.edges.cli.serve import run_serve
from gateway.edges.cli.witness import run_witness
from gateway.edges.server import ANSWERS_WRITTEN
from gateway.infra.config import Settings
from gateway.registry import production
from tests.confinement import service_lines
from tests.conftest import REPO

UNITS = sorted((REPO / "deploy" / "systemd").glob("*.service"))
INSTALLED = "/opt/euregate/bin/euregate"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"
EXPOSURE_LIMIT = 2.0
"""``systemd-analyze security`` rates 0 (locked down) to 10 (exposed); up to 2 is "OK"."""
OVERALL = re.compile(r"Overall exposure level for \S+: (\d+\.\d+) ")
INSTANCE = "nl-pol-limburg"
"""The instance a template unit is checked as."""
WITNESS_UNIT = REPO / "deploy" / "systemd" / "euregate-witness@.service"
WHAT_RUNS = {
    "Type",
    "NotifyAccess",
    "ExecStart",
    "ExecReload",
    "Restart",
    "RestartSec",
    "RestartPreventExitStatus",
    "TimeoutStartSec",
    "TimeoutStopSec",
    "SyslogIdentifier",
    "LimitNOFILE",
    "User",
    "Group",
    "StateDirectory",
    "ReadWritePaths",
    "WorkingDirectory",
}
"""What a unit says about its program and its own files; everything else is its hardening."""


def service_section(unit: Path) -> dict[str, list[str]]:
    """The ``[Service]`` section's assignments, each key with every value given to it."""
    found: dict[str, list[str]] = {}
    for key, value in service_lines(unit):
        found.setdefault(key, []).append(value)
    return found


def runnable_copy(unit: Path, directory: Path) -> Path:
    """``unit`` with this checkout's ``euregate`` in place of the installed one."""
    here = Path(sys.executable).with_name("euregate")
    assert here.exists(), f"{here}: run `make install` first"
    text = unit.read_text(encoding="utf-8")
    assert INSTALLED in text
    copy = directory / unit.name.replace("@.", f"@{INSTANCE}.")
    copy.write_text(text.replace(INSTALLED, str(here)), encoding="utf-8")
    return copy


def analyze(*arguments: str) -> subprocess.CompletedProcess[str]:
    assert Path(SYSTEMD_ANALYZE).exists(), "systemd-analyze is missing: .ci/run installs systemd"
    return subprocess.run(
        [SYSTEMD_ANALYZE, *arguments], capture_output=True, text=True, check=False, timeout=120
    )


def test_there_is_a_unit_for_the_gateway_and_a_template_for_witnesses() -> None:
    assert [unit.name for unit in UNITS] == ["euregate-witness@.service", "euregate.service"]


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_every_unit_passes_systemd_analyze_verify(unit: Path, tmp_path: Path) -> None:
    copy = runnable_copy(unit, tmp_path)
    checked = analyze("verify", str(copy))
    assert checked.returncode == 0, checked.stderr
    about_this_unit = [line for line in checked.stderr.splitlines() if copy.name in line]
    assert about_this_unit == []


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_every_unit_is_rated_ok_by_systemd_analyze_security(unit: Path, tmp_path: Path) -> None:
    rated = analyze("security", "--offline=yes", "--no-pager", str(runnable_copy(unit, tmp_path)))
    assert rated.returncode == 0, rated.stderr
    overall = OVERALL.search(rated.stdout)
    assert overall is not None, rated.stdout
    assert float(overall.group(1)) <= EXPOSURE_LIMIT, rated.stdout


def test_a_unit_without_the_hardening_is_rated_worse(tmp_path: Path) -> None:
    """The rating above measures the unit's settings, not a constant of the tool."""
    bare = tmp_path / "bare.service"
    bare.write_text(f"[Service]\nType=notify\nExecStart={sys.executable} -V\n", encoding="utf-8")
    rated = analyze("security", "--offline=yes", "--no-pager", str(bare))
    overall = OVERALL.search(rated.stdout)
    assert overall is not None, rated.stdout
    assert float(overall.group(1)) > EXPOSURE_LIMIT


def test_the_gateway_unit_runs_the_production_layout() -> None:
    service = service_section(REPO / "deploy" / "systemd" / "euregate.service")
    assert service["User"] == service["Group"] == [production.SERVICE_ACCOUNT]
    assert service["ReadWritePaths"] == [str(production.DATA_DIR)]
    assert service["StateDirectory"] == service["ConfigurationDirectory"] == ["euregate"]
    assert service["WorkingDirectory"] == [str(production.DATA_DIR)]
    assert service["ProtectSystem"] == ["strict"]
    assert service["CapabilityBoundingSet"] == service["AmbientCapabilities"] == [""]
    assert (service["Type"], service["NotifyAccess"]) == (["notify"], ["main"])
    assert service["UMask"] == ["0077"]

    program, *arguments = shlex.split(service["ExecStart"][0])
    assert program == INSTALLED
    parsed = build_parser().parse_args(arguments)
    assert parsed.handler is run_serve
    assert parsed.config == production.CONFIG_FILE


def test_systemd_waits_long_enough_for_a_clean_stop() -> None:
    service = service_section(REPO / "deploy" / "systemd" / "euregate.service")
    (stop,) = service["TimeoutStopSec"]
    assert stop.endswith("s")
    drain = Settings.model_fields["stop_timeout"].get_default()
    assert float(stop.removesuffix("s")) >= drain + ANSWERS_WRITTEN + 15


def test_the_witness_unit_runs_the_witness_of_the_partner_its_instance_names() -> None:
    service = service_section(WITNESS_UNIT)
    own = "/var/lib/euregate-witness/%i"
    assert service["StateDirectory"] == ["euregate-witness/%i"]
    assert service["ReadWritePaths"] == service["WorkingDirectory"] == [own]
    assert service["User"] == service["Group"] == ["euregate-witness"]

    program, *arguments = shlex.split(service["ExecStart"][0].replace("%i", INSTANCE))
    assert program == INSTALLED
    parsed = build_parser().parse_args(arguments)
    assert parsed.handler is run_witness
    assert parsed.partner == INSTANCE
    assert parsed.config == Path(f"/etc/euregate/witness-{INSTANCE}.toml")
    assert not parsed.once
    files = [parsed.cert, parsed.key, parsed.ca, parsed.witness_key, parsed.state]
    assert all(path.parent == Path(own.replace("%i", INSTANCE)) for path in files)


def test_a_refusal_stops_the_witness_unit_for_someone_to_look() -> None:
    """``witness run`` ends with 1 on a refusal (evidence kept and reported): restarting would
    only refuse again."""
    service = service_section(WITNESS_UNIT)
    assert service["Restart"] == ["on-failure"]
    assert service["RestartPreventExitStatus"] == ["1"]


def test_the_witness_unit_is_hardened_as_the_gateway() -> None:
    gateway = service_section(REPO / "deploy" / "systemd" / "euregate.service")
    witness = service_section(WITNESS_UNIT)
    hardening = {key: values for key, values in gateway.items() if key not in WHAT_RUNS}
    assert len(hardening) > 30
    assert {key: witness.get(key) for key in hardening} == hardening
