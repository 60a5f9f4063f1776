"""``euregate backup`` and ``euregate restore`` on real data directories and real archives: what
the archive holds and never holds, its modes, and every way a restore is refused before it
writes anything (a changed, added or forged member, a wrong master key, a directory in use, a
newer log, no word about a newer log at all)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import stat
import tarfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.edges.cli import main
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir
from gateway.infra.errors import RestoreForked, RestoreWouldRollBack
from gateway.registry.backup.manifest import LogPoint, Manifest
from gateway.registry.backup.restoring import NewerLog, refuse_rollback
from gateway.store.migrations import SCHEMA_VERSION
from gateway.store.sqlite import SqliteStore
from gateway.transparency.witnessing import STATE_FORMAT

ROOT_A = bytes(32)
ROOT_B = bytes([1]) * 32


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def archive(layout: DataDir, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    out = tmp_path / "backup.tar"
    code, _, err = run(capsys, "backup", "--data-dir", str(layout.root), "--out", str(out))
    assert code == 0, err
    return out


def manifest_of(archive: Path) -> Manifest:
    with tarfile.open(archive) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        return Manifest.from_bytes(member.read())


def restore(
    capsys: pytest.CaptureFixture[str], archive: Path, target: Path, *flags: str
) -> tuple[int, str, str]:
    return run(capsys, "restore", str(archive), "--data-dir", str(target), *flags)


def rewritten(archive: Path, out: Path, change: dict[str, bytes | None]) -> Path:
    """A copy of ``archive`` with members replaced (bytes), removed (None) or added."""
    with tarfile.open(archive) as tar:
        members = {info.name: tar.extractfile(info).read() for info in tar}  # type: ignore[union-attr]
    for name, content in change.items():
        if content is None:
            members.pop(name)
        else:
            members[name] = content
    with tarfile.open(out, "w") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return out


# --- what a backup holds ----------------------------------------------------------------------


def test_the_archive_is_0600_and_holds_neither_the_master_key_nor_anything_derived_plainly(
    layout: DataDir, archive: Path
) -> None:
    key = layout.master_key.read_bytes()
    content = archive.read_bytes()

    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    for form in (key, key.hex().encode(), key.hex().upper().encode(), base64.b64encode(key)):
        assert form not in content
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert names[0] == "manifest.json"
    assert "data/keys/master.key" not in names
    assert {"store/euregate.db", "data/keys/signing.key", "data/ca/ca.pem"} <= set(names)
    assert not [name for name in names if name.startswith("data/euregate.db")]


def test_the_manifest_names_the_master_key_by_id_and_counts_the_store(
    layout: DataDir, archive: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = manifest_of(archive)

    assert len(manifest.master_key_id) == 32
    assert manifest.master_key_id not in layout.master_key.read_bytes().hex()
    assert manifest.counts["partners"] == 9
    assert manifest.counts["audit_entries"] == manifest.log.entries > 0
    assert manifest.schema_version == SCHEMA_VERSION
    code, out, _ = run(capsys, "partner", "list", "--json", "--data-dir", str(layout.root))
    assert code == 0
    assert len(json.loads(out)) == manifest.counts["partners"]


def test_a_backup_never_overwrites_a_file(
    layout: DataDir, archive: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = archive.read_bytes()
    code, _, err = run(capsys, "backup", "--data-dir", str(layout.root), "--out", str(archive))

    assert code == 1
    assert "exists already" in err
    assert archive.read_bytes() == before


# --- restoring --------------------------------------------------------------------------------


def test_a_restored_directory_has_the_modes_of_the_original_and_its_master_key(
    layout: DataDir, archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = DataDir(tmp_path / "restored")
    code, out, err = restore(
        capsys, archive, target.root, "--master-key", str(layout.master_key), "--no-newer-log"
    )

    assert code == 0, err
    assert "Audit chain intact" in out
    assert "--no-newer-log" in err
    for folder in [target.root, *(path for path in target.root.rglob("*") if path.is_dir())]:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    for private in (target.master_key, target.signing_key, target.ca_key, target.server_key):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600, private
    assert stat.S_IMODE(target.database.stat().st_mode) == 0o600
    assert target.master_key.read_bytes() == layout.master_key.read_bytes()
    code, out, _ = run(capsys, "audit", "verify", "--data-dir", str(target.root))
    assert code == 0
    assert "intact" in out


async def test_the_restore_is_the_restored_logs_next_entry(
    layout: DataDir, archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Whoever checks the restored log (an auditor, the partners' witnesses) sees where it
    was restored, from which backup, and what it was compared with."""
    target = DataDir(tmp_path / "restored")
    manifest = manifest_of(archive)
    flags = ("--against", str(layout.root), "--master-key", str(layout.master_key))

    code, _, err = await asyncio.to_thread(restore, capsys, archive, target.root, *flags)

    assert code == 0, err
    async with SqliteStore(target.database, clock=SystemClock()) as store:
        (entry,) = await store.audit_entries(after=manifest.log.entries)
    recorded = json.loads(entry.canonical)
    assert recorded["kind"] == "gateway.store_restored"
    assert recorded["actor"].startswith("admin:")
    assert recorded["data"] == {
        "backup_made_at": manifest.made_at,
        "entries": manifest.log.entries,
        "size": manifest.log.tree_size,
        "compared_with": [str(layout.root)],
    }


def test_a_non_empty_directory_is_refused_and_left_as_it_was(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "in-use"
    target.mkdir()
    (target / "notes.txt").write_text("mine")

    code, _, err = restore(capsys, archive, target, "--no-newer-log", "--lang", "de")

    assert code == 1
    assert "ist nicht leer" in err
    assert [path.name for path in target.iterdir()] == ["notes.txt"]


def test_a_restore_that_names_no_newer_log_nor_says_there_is_none_is_refused(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = restore(capsys, archive, tmp_path / "new")

    assert code == 1
    assert "--no-newer-log" in err
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("member", ["store/euregate.db", "data/policy.toml", "data/ca/ca.pem"])
def test_a_member_changed_after_the_backup_is_refused_before_anything_is_written(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], member: str
) -> None:
    with tarfile.open(archive) as tar:
        original = tar.extractfile(member).read()  # type: ignore[union-attr]
    flipped = bytearray(original)
    flipped[len(flipped) // 2] ^= 0x01
    tampered = rewritten(archive, tmp_path / "tampered.tar", {member: bytes(flipped)})

    code, _, err = restore(capsys, tampered, tmp_path / "new", "--no-newer-log", "--lang", "fr")

    assert code == 1
    assert "ne correspond pas à son manifeste" in err
    assert member in err
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(
    "change",
    [{"data/extra.key": b"planted"}, {"data/policy.toml": None}],
    ids=["added", "removed"],
)
def test_a_member_added_or_removed_is_refused(
    archive: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: dict[str, bytes | None],
) -> None:
    tampered = rewritten(archive, tmp_path / "tampered.tar", change)

    code, _, err = restore(capsys, tampered, tmp_path / "new", "--no-newer-log")

    assert code == 1
    assert "does not match its manifest" in err
    assert not (tmp_path / "new").exists()


def test_a_member_changed_with_its_hash_in_the_manifest_fails_the_manifests_mac(
    layout: DataDir, archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Someone without the master key changes the policy and writes its new hash into the
    manifest: the hashes agree, but the manifest's MAC, keyed from the master key, does not."""
    policy = b'# anything goes\n[[rule]]\nid = "all"\n'
    document = json.loads(manifest_of(archive).to_bytes())
    document["members"]["data/policy.toml"]["sha256"] = hashlib.sha256(policy).hexdigest()
    document["members"]["data/policy.toml"]["size"] = len(policy)
    forged = rewritten(
        archive,
        tmp_path / "forged.tar",
        {"manifest.json": json.dumps(document).encode(), "data/policy.toml": policy},
    )
    key = ("--master-key", str(layout.master_key))

    code, _, err = restore(capsys, forged, tmp_path / "new", *key, "--no-newer-log")

    assert code == 1
    assert "(manifest.json)" in err
    assert not (tmp_path / "new").exists()


def test_another_master_key_is_refused_by_its_id(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.key"
    other.write_bytes(bytes(range(32)))
    other.chmod(0o600)

    code, _, err = restore(
        capsys, archive, tmp_path / "new", "--master-key", str(other), "--no-newer-log"
    )

    assert code == 1
    assert manifest_of(archive).master_key_id in err
    assert not (tmp_path / "new").exists()


def test_a_backup_older_than_the_data_directory_or_a_checkpoint_is_refused(
    layout: DataDir, archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After the backup the gateway records more (a partner suspended and reactivated, a
    checkpoint published and cosigned by a witness); restoring the backup against the data
    directory, the checkpoint or the witness's state is a rollback."""
    d = ("--data-dir", str(layout.root))
    assert run(capsys, "partner", "suspend", "be-gem-eupen", *d)[0] == 0
    assert run(capsys, "partner", "reactivate", "be-gem-eupen", *d)[0] == 0
    entries = manifest_of(archive).log.entries
    checkpoint = tmp_path / "checkpoint.txt"
    size = entries + 2
    checkpoint.write_text(
        f"euregate.euregio.eu/audit\n{size}\n{base64.b64encode(ROOT_A).decode()}\n\n"
        "\u2014 euregate.euregio.eu/audit AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
        encoding="utf-8",
    )

    state = tmp_path / "witness.state"
    state.write_text(
        json.dumps(
            {
                "format": STATE_FORMAT,
                "origin": "euregate.euregio.eu/audit",
                "log_key": None,
                "checkpoint": checkpoint.read_text(encoding="utf-8"),
            }
        ),
        encoding="utf-8",
    )

    by_dir = restore(capsys, archive, tmp_path / "a", "--against", str(layout.root))
    by_checkpoint = restore(capsys, archive, tmp_path / "b", "--checkpoint", str(checkpoint))
    by_witness = restore(capsys, archive, tmp_path / "c", "--checkpoint", str(state))

    assert by_dir[0] == by_checkpoint[0] == by_witness[0] == 1
    assert f"of {entries + 2} entries, the backup only {entries}" in by_dir[2]
    assert f"of {size} entries, the backup only {entries}" in by_checkpoint[2]
    assert f"{state} holds an audit log of {size} entries" in by_witness[2]
    assert not [name for name in "abc" if (tmp_path / name).exists()]


def test_a_backup_as_new_as_the_data_directory_is_restored_against_it(
    layout: DataDir, archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = restore(capsys, archive, tmp_path / "new", "--against", str(layout.root))

    assert code == 0, err
    assert f"Not older than the audit log of {layout.root}" in out
    assert "No master key given" in out


# --- the rule against rolling back, for every pair of logs ------------------------------------


@st.composite
def log_points(draw: st.DrawFn) -> LogPoint:
    entries = draw(st.integers(0, 50))
    tree = draw(st.integers(0, entries))
    return LogPoint(entries, draw(st.sampled_from(["a", "b"])), tree, ROOT_A if tree else None)


@given(backup=log_points(), newer=log_points(), root=st.sampled_from([ROOT_A, ROOT_B]))
def test_a_restore_is_refused_exactly_when_the_newer_log_is_longer_or_not_the_same_log(
    backup: LogPoint, newer: LogPoint, root: bytes
) -> None:
    seen = LogPoint(
        newer.entries, newer.last_hash, newer.tree_size, root if newer.tree_size else None
    )
    longer = max(seen.entries, seen.tree_size) > backup.entries
    other_tree = seen.tree_size == backup.tree_size > 0 and seen.tree_root != backup.tree_root
    other_chain = seen.entries == backup.entries and seen.last_hash != backup.last_hash

    try:
        refuse_rollback(backup, NewerLog("there", seen))
    except RestoreWouldRollBack:
        assert longer
    except RestoreForked:
        assert not longer
        assert other_tree or other_chain
    else:
        assert not longer
        assert not other_tree
        assert not other_chain


@pytest.mark.parametrize(
    ("store", "refusal"),
    [
        (
            {"backend": "sqlite", "schema_version": SCHEMA_VERSION + 1},
            f"newer than version {SCHEMA_VERSION}",
        ),
        ({"backend": "postgresql", "schema_version": SCHEMA_VERSION}, "its store is postgresql"),
    ],
    ids=["newer-schema", "other-backend"],
)
def test_a_store_this_gateway_cannot_take_is_refused_before_anything_is_written(
    archive: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    store: dict[str, object],
    refusal: str,
) -> None:
    document = json.loads(manifest_of(archive).to_bytes())
    document["store"] = store
    other = rewritten(
        archive, tmp_path / "other.tar", {"manifest.json": json.dumps(document).encode()}
    )

    code, _, err = restore(capsys, other, tmp_path / "new", "--no-newer-log")

    assert code == 1
    assert refusal in err
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("command", [("backup", "--out", "never.tar"), ("migrate",)])
def test_an_unreachable_postgresql_store_is_said_so_and_nothing_is_written(
    layout: DataDir, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    database = ("--database", "postgresql://euregate@db.invalid/euregate")
    argv = [*command, "--data-dir", str(layout.root), *database]
    argv = [str(tmp_path / part) if part.endswith(".tar") else part for part in argv]

    code, _, err = run(capsys, *argv)

    assert code == 1
    assert "cannot reach its database" in err
    assert not (tmp_path / "never.tar").exists()
    assert not list(tmp_path.glob(".euregate-backup-*"))
