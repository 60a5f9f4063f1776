"""The backup archive: one tar file, ``manifest.json`` first, then each member the manifest
names. It is written under a temporary name with mode 0600 and linked into place only once
complete, never over an existing file; it is read only after every member was checked against
the manifest, and written out only to names the manifest allows, hashing again as it goes.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Final

from gateway.infra.errors import ArchiveTampered, ArchiveUnreadable
from gateway.registry.backup.manifest import MANIFEST_MAX_BYTES, MANIFEST_NAME, Manifest, Member

CHUNK: Final = 1024 * 1024


def describe(path: Path) -> Member:
    """A file's SHA-256, size and permission bits, as the manifest lists them."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return Member(digest.hexdigest(), size, path.stat().st_mode & 0o777)


def write_archive(destination: Path, manifest: Manifest, files: Mapping[str, Path]) -> None:
    """The archive of ``manifest`` and ``files`` (member name to file) at ``destination``, which
    must not exist; mode 0600 from the first byte."""
    temporary = destination.with_name(f".{destination.name}.{os.getpid()}.partial")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
            _add(tar, MANIFEST_NAME, io.BytesIO(manifest.to_bytes()), 0o600)
            for name in sorted(files):
                with files[name].open("rb") as file:
                    _add(tar, name, file, manifest.members[name].mode)
            tar.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.link(temporary, destination)
    finally:
        temporary.unlink(missing_ok=True)


def _add(tar: tarfile.TarFile, name: str, file: IO[bytes], mode: int) -> None:
    info = tarfile.TarInfo(name)
    file.seek(0, os.SEEK_END)
    info.size = file.tell()
    file.seek(0)
    info.mode = mode
    tar.addfile(info, file)


def read_manifest(archive: Path) -> Manifest:
    """The manifest of ``archive`` (its first member); :class:`ArchiveUnreadable` if there is
    none, or it is malformed."""
    try:
        with tarfile.open(archive, mode="r:") as tar:
            first = tar.next()
            if first is None or first.name != MANIFEST_NAME or not first.isfile():
                raise ArchiveUnreadable(archive=str(archive), reason="no manifest.json first")
            if first.size > MANIFEST_MAX_BYTES:
                raise ArchiveUnreadable(archive=str(archive), reason="manifest.json too large")
            extracted = tar.extractfile(first)
            assert extracted is not None  # a regular file always has content
            return Manifest.from_bytes(extracted.read())
    except (OSError, tarfile.TarError, ValueError) as exc:
        raise ArchiveUnreadable(archive=str(archive), reason=str(exc)) from exc


def check_members(archive: Path, manifest: Manifest) -> None:
    """Every member of ``archive`` is one the manifest lists, with its hash and size, and none
    it lists is missing; :class:`ArchiveTampered` naming the first that is not. Reads only."""
    for _ in _members(archive, manifest, lambda _name, _chunk: None):
        pass


def extract(archive: Path, manifest: Manifest, to: Callable[[str], Path]) -> None:
    """Write each member to ``to(name)`` (a new file, the manifest's mode), hashing as it goes;
    :class:`ArchiveTampered` if the archive changed since :func:`check_members`."""
    outputs: dict[str, IO[bytes]] = {}

    def write(name: str, chunk: bytes) -> None:
        if name not in outputs:
            path = to(name)
            _private_folders(path.parent)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
            outputs[name] = os.fdopen(os.open(path, flags, manifest.members[name].mode), "wb")
        outputs[name].write(chunk)

    try:
        for name in _members(archive, manifest, write):
            if name not in outputs:
                write(name, b"")
            output = outputs[name]
            output.flush()
            os.fsync(output.fileno())
            output.close()
    finally:
        for output in outputs.values():
            output.close()


def _private_folders(folder: Path) -> None:
    """``folder`` and each missing folder above it, made with mode 0700 (``mkdir(parents=True)``
    would give those above the process's default mode)."""
    missing = [folder, *folder.parents]
    for each in reversed([path for path in missing if not path.exists()]):
        each.mkdir(mode=0o700)


def _members(
    archive: Path, manifest: Manifest, chunk: Callable[[str, bytes], None]
) -> Iterator[str]:
    """Each member's name once it was read whole and found as the manifest lists it."""
    seen: set[str] = set()
    try:
        with tarfile.open(archive, mode="r:") as tar:
            for index, info in enumerate(tar):
                if index == 0:
                    if info.name != MANIFEST_NAME:
                        raise ArchiveTampered(member=MANIFEST_NAME)
                    continue
                expected = manifest.members.get(info.name)
                if expected is None or info.name in seen or not info.isfile():
                    raise ArchiveTampered(member=info.name)
                digest, size = hashlib.sha256(), 0
                content = tar.extractfile(info)
                assert content is not None  # a regular file always has content
                while block := content.read(CHUNK):
                    digest.update(block)
                    size += len(block)
                    chunk(info.name, block)
                if (digest.hexdigest(), size) != (expected.sha256, expected.size):
                    raise ArchiveTampered(member=info.name)
                seen.add(info.name)
                yield info.name
    except (OSError, tarfile.TarError) as exc:
        raise ArchiveTampered(member=str(exc)) from exc
    missing = sorted(set(manifest.members) - seen)
    if missing:
        raise ArchiveTampered(member=missing[0])
