"""The configuration file: every setting from TOML, under the flags and the environment, a key
that is no setting refused by name, and an example that documents every setting truly."""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.edges.cli import build_parser, main
from gateway.edges.cli.common import settings
from gateway.infra.config import Settings, load_settings
from gateway.infra.errors import SettingInvalid
from tests.conftest import REPO

EXAMPLE = REPO / "deploy" / "euregate.toml.example"
KEY_LINE = re.compile(r"^(# )?([a-z_]+) = (.+)$")
NOT_IN_A_FILE = {"config"}
"""``config`` names the file; it is the one setting the file cannot hold."""


def example_keys() -> dict[str, tuple[bool, str, int]]:
    """Each setting the example shows: whether it is set (not commented out), its value as
    written, and its line's index."""
    found: dict[str, tuple[bool, str, int]] = {}
    for index, line in enumerate(EXAMPLE.read_text(encoding="utf-8").splitlines()):
        if match := KEY_LINE.match(line):
            commented, name, value = match.groups()
            assert name not in found, f"{name} is in the example twice"
            found[name] = (commented is None, value, index)
    return found


@pytest.fixture
def clean_environment() -> Iterator[None]:
    """No ``EUREGATE_*`` variable of the machine running the tests leaks into these."""
    kept = {name: value for name, value in os.environ.items() if not name.startswith("EUREGATE_")}
    with mock.patch.dict(os.environ, kept, clear=True):
        yield


pytestmark = pytest.mark.usefixtures("clean_environment")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- the example ------------------------------------------------------------------------------


def test_every_setting_is_in_the_example_with_a_comment_above_it() -> None:
    shown = example_keys()
    fields = Settings.model_fields.keys() - NOT_IN_A_FILE
    assert sorted(fields - shown.keys()) == [], "settings missing from the example"
    assert sorted(shown.keys() - fields) == [], "keys in the example that are no settings"
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    for name, (_, _, index) in shown.items():
        above = lines[index - 1]
        assert above.startswith("# "), f"{name} is not explained"
        assert not KEY_LINE.match(above), f"{name} is not explained"


def test_a_commented_out_setting_shows_its_default_where_it_has_one() -> None:
    for name, (is_set, value, _) in example_keys().items():
        default = Settings.model_fields[name].get_default(call_default_factory=True)
        if is_set or default is None:
            continue
        written = tomllib.loads(f"{name} = {value}")[name]
        assert getattr(load_settings(**{name: written}), name) == default, name


def test_the_example_parses_into_the_production_layout() -> None:
    loaded = load_settings(config=EXAMPLE)
    assert loaded.data_dir == Path("/var/lib/euregate")
    assert loaded.host == "0.0.0.0"
    assert loaded.config == EXAMPLE
    assert loaded.port == 8443


def test_uncommenting_every_setting_of_the_example_still_parses(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    uncommented = "\n".join(
        line[2:] if KEY_LINE.match(line) and line.startswith("# ") else line
        for line in text.splitlines()
    )
    loaded = load_settings(config=write(tmp_path / "all.toml", uncommented))
    assert loaded.libretranslate_url == "https://translate.internal:5000"
    assert loaded.policy_file == Path("/var/lib/euregate/policy.toml")


# --- where each setting comes from ------------------------------------------------------------

LAYERS = ("flag", "environment", "file")


@given(present=st.sets(st.sampled_from(LAYERS)))
def test_a_flag_beats_the_environment_beats_the_file_beats_the_default(
    present: set[str],
) -> None:
    ports = {"flag": 9001, "environment": 9002, "file": 9003}
    with tempfile.TemporaryDirectory() as directory:
        config = write(Path(directory) / "euregate.toml", "staff_port = 9100\n")
        if "file" in present:
            config.write_text(f"staff_port = 9100\nport = {ports['file']}\n", encoding="utf-8")
        environment = {"EUREGATE_PORT": str(ports["environment"])}
        with mock.patch.dict(os.environ, environment if "environment" in present else {}):
            loaded = load_settings(config=config, port=ports["flag"] if "flag" in present else None)
    expected = next((ports[layer] for layer in LAYERS if layer in present), 8443)
    assert loaded.port == expected
    assert loaded.staff_port == 9100, "the file's other settings still count"


def test_the_environment_names_the_file_when_no_flag_does(tmp_path: Path) -> None:
    config = write(tmp_path / "euregate.toml", 'data_dir = "/srv/euregate"\nport = 9443\n')
    with mock.patch.dict(os.environ, {"EUREGATE_CONFIG": str(config)}):
        assert load_settings().data_dir == Path("/srv/euregate")
        args = build_parser().parse_args(["partner", "list", "--data-dir", str(tmp_path)])
        assert (settings(args).data_dir, settings(args).port) == (tmp_path, 9443)
        other = write(tmp_path / "other.toml", "port = 9444\n")
        args = build_parser().parse_args(["serve", "--config", str(other)])
        assert settings(args).port == 9444, "--config goes before EUREGATE_CONFIG"


def test_lists_and_address_blocks_come_as_toml_arrays(tmp_path: Path) -> None:
    config = write(
        tmp_path / "euregate.toml",
        'server_names = ["gateway.euregio.example", "192.0.2.10"]\n'
        'staff_allow = ["10.20.0.0/16", "192.0.2.7/32"]\n',
    )
    loaded = load_settings(config=config)
    assert loaded.server_names == ["gateway.euregio.example", "192.0.2.10"]
    assert [str(block) for block in loaded.staff_allow] == ["10.20.0.0/16", "192.0.2.7/32"]


# --- what is refused, and how it is said --------------------------------------------------------


def test_a_key_that_is_no_setting_is_refused_by_name(tmp_path: Path) -> None:
    config = write(tmp_path / "euregate.toml", "port = 8443\nstaff_prot = 8444\n")
    with pytest.raises(SettingInvalid) as refused:
        load_settings(config=config)
    assert "staff_prot" in str(refused.value)
    assert str(config) in str(refused.value)
    assert "not a setting" in str(refused.value)


def test_a_table_is_no_setting_either(tmp_path: Path) -> None:
    config = write(tmp_path / "euregate.toml", "[listeners]\nport = 8443\n")
    with pytest.raises(SettingInvalid, match="listeners"):
        load_settings(config=config)


def test_the_file_cannot_name_another_file(tmp_path: Path) -> None:
    config = write(tmp_path / "euregate.toml", f'config = "{tmp_path / "other.toml"}"\n')
    with pytest.raises(SettingInvalid, match="config: names the configuration file"):
        load_settings(config=config)


def test_a_missing_file_is_refused_not_skipped(tmp_path: Path) -> None:
    with pytest.raises(SettingInvalid, match="no such configuration file"):
        load_settings(config=tmp_path / "absent.toml")


def test_a_file_that_is_not_toml_is_refused_with_where(tmp_path: Path) -> None:
    config = write(tmp_path / "euregate.toml", "port = 8443\nhost: localhost\n")
    with pytest.raises(SettingInvalid, match=r"line 2.*not valid TOML"):
        load_settings(config=config)


def test_a_value_a_setting_cannot_take_is_refused_by_the_setting_s_name(tmp_path: Path) -> None:
    config = write(tmp_path / "euregate.toml", "port = 99999\n")
    with pytest.raises(SettingInvalid, match=r"^port: "):
        load_settings(config=config)


def test_the_command_says_what_is_wrong_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path / "euregate.toml", "data_dri = '/var/lib/euregate'\n")
    assert main(["partner", "list", "--config", str(config)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("euregate: ")
    assert "data_dri" in error
    assert "Traceback" not in error
