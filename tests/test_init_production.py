"""``euregate init --production``: a data directory only its owner can read, with no demo
partner, given to the service account when root runs it."""

from __future__ import annotations

import json
import os
import pwd
import stat
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.edges.cli import main
from gateway.infra.config import DataDir
from gateway.registry import production

SERVICE_ACCOUNT_STAND_IN = "nobody"
"""An account every Debian machine has, standing in for ``euregate`` in the tests."""


def modes(root: Path) -> dict[str, int]:
    """Every path under ``root`` (and ``root``) with its permission bits."""
    return {
        str(path.relative_to(root)): stat.S_IMODE(path.lstat().st_mode)
        for path in [root, *root.rglob("*")]
    }


def test_production_makes_every_directory_0700_and_every_file_0600(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "var-lib-euregate")
    assert main(["init", "--production", "--data-dir", str(data.root)]) == 0
    found = modes(data.root)
    for key in (data.master_key, data.signing_key, data.ca_key, data.server_key):
        assert found[str(key.relative_to(data.root))] == 0o600, key
    assert found[str(data.database.relative_to(data.root))] == 0o600
    assert {path: mode for path, mode in found.items() if mode not in (0o700, 0o600)} == {}
    for path, mode in found.items():
        assert (mode == 0o700) == (data.root / path).is_dir(), path


def test_production_enrols_no_partner(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = DataDir(tmp_path / "data")
    assert main(["init", "--production", "--data-dir", str(data.root)]) == 0
    capsys.readouterr()
    assert main(["partner", "list", "--json", "--data-dir", str(data.root)]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert not (data.root / "partners").exists()


def test_production_and_demo_exclude_each_other(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["init", "--production", "--demo", "--data-dir", str(tmp_path / "data")])
    assert refused.value.code == 2
    assert not (tmp_path / "data").exists()


def test_a_second_run_keeps_the_keys_and_restricts_again(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "data")
    assert main(["init", "--production", "--data-dir", str(data.root)]) == 0
    master_key = data.master_key.read_bytes()
    data.policy.chmod(0o644)
    (data.root / "ca").chmod(0o755)
    assert main(["init", "--production", "--data-dir", str(data.root)]) == 0
    assert data.master_key.read_bytes() == master_key
    assert stat.S_IMODE(data.policy.stat().st_mode) == 0o600
    assert stat.S_IMODE((data.root / "ca").stat().st_mode) == 0o700


def test_the_owner_gets_the_whole_data_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As root the tree is given to the account; as anyone else the command says it needs
    root, rather than leaving a tree the service cannot open."""
    data = DataDir(tmp_path / "data")
    account = pwd.getpwnam(SERVICE_ACCOUNT_STAND_IN)
    command = ["init", "--production", "--owner", account.pw_name, "--data-dir", str(data.root)]
    if os.geteuid() != 0:
        assert main(command) == 1
        assert "only root can give" in capsys.readouterr().err
        return
    assert main(command) == 0
    owners = {
        (path.lstat().st_uid, path.lstat().st_gid) for path in [data.root, *data.root.rglob("*")]
    }
    assert owners == {(account.pw_uid, account.pw_gid)}


def test_an_unknown_owner_is_refused_before_anything_is_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = ["init", "--production", "--owner", "no-such-account-here"]
    assert main([*command, "--data-dir", str(tmp_path / "data")]) == 1
    assert "no user account no-such-account-here" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()


def test_owner_without_production_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "--owner", "nobody", "--data-dir", str(tmp_path / "data")]) == 1
    assert "--owner goes with --production" in capsys.readouterr().err


# --- restrict, for any tree ---------------------------------------------------------------------

names = st.text(alphabet="abcdefgh", min_size=1, max_size=4)
trees = st.recursive(
    st.integers(min_value=0o400, max_value=0o777),
    lambda children: st.dictionaries(names, children, min_size=1, max_size=4),
    max_leaves=12,
)


def build(root: Path, tree: dict[str, object] | int) -> None:
    """Files (a mode) and directories (a dict of names) as ``tree`` describes them."""
    assert isinstance(tree, dict)
    for name, node in tree.items():
        path = root / name
        if isinstance(node, dict):
            path.mkdir()
            build(path, node)
            path.chmod(0o755)
        else:
            path.write_bytes(b"x")
            path.chmod(node)


@given(tree=st.dictionaries(names, trees, max_size=4))
def test_restrict_leaves_every_directory_0700_and_every_file_0600(
    tree: dict[str, object],
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory) / "data"
        root.mkdir(mode=0o755)
        build(root, tree)
        count = production.restrict(root)
        found = modes(root)
        assert count == len(found)
        for path, mode in found.items():
            assert mode == (0o700 if (root / path).is_dir() else 0o600), path
