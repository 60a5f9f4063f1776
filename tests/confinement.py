"""Run a command under the process confinement a systemd unit asks for, without systemd.

    python -m tests.confinement deploy/systemd/euregate.service -- COMMAND [ARGUMENT ...]

systemd is not the init process where the tests run, so ``systemd-run`` cannot start the
gateway under its unit. This does, from the unit's own lines, what systemd does in the
process before it executes the service, with the same kernel mechanisms:

- ``NoNewPrivileges=yes``: ``prctl(PR_SET_NO_NEW_PRIVS)``;
- ``MemoryDenyWriteExecute=yes``: ``prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN)`` (Linux 6.3
  and later; systemd uses it too where the kernel has it, and a seccomp filter before);
- ``SystemCallFilter=`` (allowed sets, then ``~`` sets taken out), with the groups expanded by
  ``systemd-analyze syscall-filter``, ``SystemCallErrorNumber=`` for everything else, and
  ``RestrictAddressFamilies=`` on ``socket()``: one seccomp filter through libseccomp.

Not reproduced: the mount namespace (``ProtectSystem=``, ``PrivateTmp=``, ...), the user,
capabilities and ``PrivateUsers=``; ``tests/test_deploy_systemd.py`` checks those settings."""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

PR_SET_NO_NEW_PRIVS = 38
PR_SET_MDWE = 65
PR_MDWE_REFUSE_EXEC_GAIN = 1
SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_EQ = 4


def SCMP_ACT_ERRNO(number: int) -> int:  # noqa: N802 - libseccomp's macro
    return 0x00050000 | (number & 0x0000FFFF)


class ArgumentComparison(ctypes.Structure):
    """libseccomp's ``struct scmp_arg_cmp``."""

    _fields_ = (
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    )


def service_lines(unit: Path) -> list[tuple[str, str]]:
    """The ``[Service]`` section's assignments in order (a line ending in a backslash goes on
    in the next, as systemd reads it)."""
    section, found = "", []
    text = re.sub(r"\\\n[ \t]*", " ", unit.read_text(encoding="utf-8"))
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line
        elif section == "[Service]":
            key, _, value = line.partition("=")
            found.append((key, value))
    return found


def syscall_groups(listing: str) -> dict[str, list[str]]:
    """``systemd-analyze syscall-filter``'s output: each ``@group`` with its members (system
    calls and other groups)."""
    groups: dict[str, list[str]] = {}
    current = None
    for raw in listing.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not raw.startswith((" ", "\t")) and line.startswith("@"):
            current = groups.setdefault(line, [])
        elif current is not None:
            current.append(line)
    return groups


def expand(names: Iterable[str], groups: dict[str, list[str]]) -> set[str]:
    """System call names, with every group replaced by its members, recursively."""
    found: set[str] = set()
    for name in names:
        if name.startswith("@"):
            found |= expand(groups[name], groups)
        else:
            found.add(name)
    return found


def allowed_syscalls(lines: Sequence[tuple[str, str]], groups: dict[str, list[str]]) -> set[str]:
    """What ``SystemCallFilter=`` lines allow: the sets named, less those after ``~``."""
    allowed: set[str] = set()
    for key, value in lines:
        if key != "SystemCallFilter":
            continue
        if value.startswith("~"):
            allowed -= expand(value[1:].split(), groups)
        else:
            allowed |= expand(value.split(), groups)
    return allowed


def address_families(lines: Sequence[tuple[str, str]]) -> list[int]:
    (value,) = [value for key, value in lines if key == "RestrictAddressFamilies"]
    return [int(getattr(socket, name)) for name in value.split()]


def error_number(lines: Sequence[tuple[str, str]]) -> int:
    (value,) = [value for key, value in lines if key == "SystemCallErrorNumber"]
    return int(getattr(errno, value))


def _prctl(libc: ctypes.CDLL, option: int, value: int) -> None:
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}) refused")


def _load_filter(allowed: set[str], families: list[int], default: int) -> None:
    name = ctypes.util.find_library("seccomp")
    if name is None:
        raise OSError("libseccomp is missing (Debian: libseccomp2, which systemd depends on)")
    seccomp = ctypes.CDLL(name, use_errno=True)
    seccomp.seccomp_init.restype = ctypes.c_void_p
    seccomp.seccomp_init.argtypes = (ctypes.c_uint32,)
    seccomp.seccomp_syscall_resolve_name.argtypes = (ctypes.c_char_p,)
    seccomp.seccomp_rule_add_array.argtypes = (
        ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
        ctypes.POINTER(ArgumentComparison),
    )  # fmt: skip
    seccomp.seccomp_load.argtypes = (ctypes.c_void_p,)
    context = seccomp.seccomp_init(SCMP_ACT_ERRNO(default))
    for syscall in sorted(allowed - {"socket"}):
        number = seccomp.seccomp_syscall_resolve_name(syscall.encode())
        if number >= 0:
            result = seccomp.seccomp_rule_add_array(context, SCMP_ACT_ALLOW, number, 0, None)
            if result != 0:
                raise OSError(-result, f"seccomp refused a rule for {syscall}")
    if "socket" in allowed:
        number = seccomp.seccomp_syscall_resolve_name(b"socket")
        for family in families:
            condition = ArgumentComparison(0, SCMP_CMP_EQ, family, 0)
            seccomp.seccomp_rule_add_array(context, SCMP_ACT_ALLOW, number, 1, condition)
    result = seccomp.seccomp_load(context)
    if result != 0:
        raise OSError(-result, "seccomp refused the filter")


def confine(unit: Path) -> None:
    """Apply ``unit``'s process confinement to this process (and what it executes)."""
    lines = service_lines(unit)
    settings = dict(lines)
    listing = subprocess.run(
        ["systemd-analyze", "syscall-filter"], capture_output=True, text=True, check=True
    ).stdout
    libc = ctypes.CDLL(None, use_errno=True)
    if settings.get("NoNewPrivileges") == "yes":
        _prctl(libc, PR_SET_NO_NEW_PRIVS, 1)
    if settings.get("MemoryDenyWriteExecute") == "yes":
        _prctl(libc, PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN)
    _load_filter(
        allowed_syscalls(lines, syscall_groups(listing)),
        address_families(lines),
        error_number(lines),
    )


def main(arguments: Sequence[str]) -> None:
    unit, separator, *command = arguments
    assert separator == "--", __doc__
    assert command, __doc__
    confine(Path(unit))
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
