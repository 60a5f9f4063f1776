"""``euregate serve --workers N``: N gateway processes on one machine, sharing its listening
sockets and its store, so that the CPU-heavy work of requests (TLS, parsing, validation,
rendering, sealing) uses every core.

The parent binds both listeners once and hands their sockets to each worker (inherited file
descriptors): the kernel spreads the connections over the workers, and port 0 still means one
port for all. Each worker is a whole gateway on the same store: the writers of SQLite take
turns, each with its own group commit; one sequencer leads (its lock); every worker's courier
may seal a copy but the store keeps one envelope per copy; the policy adopted by one worker is
followed by the others (:meth:`~gateway.decide.sharing.PolicyInForce.follow`).

The parent serves nothing. It adopts the policy once before the workers start (so they do not
race to adopt it), tells the service manager ``READY=1`` once every worker told it so (the
workers speak ``sd_notify`` to the parent), forwards SIGHUP and SIGTERM to every worker, and
starts a worker again when one dies after it was ready. A
worker that fails before it is ready ends the whole ``serve`` with its exit status: a
configuration that cannot start does not restart forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from gateway.edges import systemd_notify
from gateway.edges.ports import binding
from gateway.infra.logs import get_logger

INHERIT_OPTION: Final = "--inherit-listeners"
"""How the parent tells a worker which inherited descriptors are its listeners and its
lifeline: ``--inherit-listeners 3,4/5/6`` (the partners' sockets, the staff listener's, then
the read end of a pipe whose other end only the parent holds)."""

RESPAWN_DELAY: Final = 1.0
"""Seconds before a worker that died is started again."""

STOP_PATIENCE: Final = 90.0
"""Seconds the workers have to drain after SIGTERM before they are killed."""

BACKLOG: Final = 1024

log = get_logger("euregate.workers")


@dataclass(frozen=True)
class Listeners:
    """The bound sockets of both listeners (one per address the host name resolves to)."""

    partners: tuple[socket.socket, ...]
    staff: tuple[socket.socket, ...]
    lifeline: int
    """A pipe's read end: it reads as closed once the parent is gone, however it ended."""
    held: int | None = None
    """The pipe's write end, which only the parent holds (never handed to a worker)."""

    def descriptors(self) -> list[int]:
        return [s.fileno() for s in (*self.partners, *self.staff)] + [self.lifeline]

    def option(self) -> str:
        """The value of :data:`INHERIT_OPTION` naming these descriptors."""
        groups = [",".join(str(s.fileno()) for s in g) for g in (self.partners, self.staff)]
        return "/".join([*groups, str(self.lifeline)])

    def close(self) -> None:
        for sock in (*self.partners, *self.staff):
            sock.close()
        for end in (self.lifeline, self.held):
            if end is not None:
                os.close(end)


def inherited(option: str) -> Listeners:
    """The listeners a worker inherited, from the value of :data:`INHERIT_OPTION`."""
    partners, staff, lifeline = option.split("/")

    def sockets(descriptors: str) -> tuple[socket.socket, ...]:
        return tuple(socket.socket(fileno=int(fd)) for fd in descriptors.split(","))

    return Listeners(sockets(partners), sockets(staff), int(lifeline))


def stop_with_parent(listeners: Listeners) -> None:
    """Stop this worker as SIGTERM would, once its parent is gone: a parent killed outright
    (SIGKILL, a crash) leaves no worker serving on behind it."""
    loop = asyncio.get_running_loop()

    def parent_gone() -> None:
        loop.remove_reader(listeners.lifeline)
        log.warning("worker_parent_gone", parent=os.getppid())
        os.kill(os.getpid(), signal.SIGTERM)

    loop.add_reader(listeners.lifeline, parent_gone)


def bind(host: str, ports: tuple[int, int]) -> Listeners:
    """Both listeners' sockets, bound and listening on every address ``host`` resolves to (as
    the gateway binds them itself); port 0 is one free port, the same on every address. None
    accepts until a worker serves it."""
    with binding(host, ports[0], "partners"):
        partners = _bind_one(host, ports[0])
    try:
        with binding(host, ports[1], "staff"):
            staff = _bind_one(host, ports[1])
    except OSError:
        for sock in partners:
            sock.close()
        raise
    lifeline, held = os.pipe()
    os.set_inheritable(lifeline, True)
    return Listeners(partners, staff, lifeline, held)


def _bind_one(host: str, port: int) -> tuple[socket.socket, ...]:
    bound: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        ):
            sock = socket.socket(family, kind, proto)
            bound.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            same_port = port == 0 and len(bound) > 1
            sock.bind(
                (address[0], bound[0].getsockname()[1], *address[2:]) if same_port else address
            )
            sock.listen(BACKLOG)
            sock.set_inheritable(True)
    except OSError:
        for sock in bound:
            sock.close()
        raise
    return tuple(bound)


def worker_command(argv: Sequence[str], listeners: Listeners, operations_port: int) -> list[str]:
    """The command line of one worker: this ``serve`` as it was asked for, as one process on
    the inherited listeners, with its operations listener on ``operations_port``."""
    return [
        sys.executable,
        "-m",
        "gateway",
        *argv,
        "--workers",
        "1",
        "--operations-port",
        str(operations_port),
        INHERIT_OPTION,
        listeners.option(),
    ]


def operations_port(first: int, slot: int) -> int:
    """Where worker ``slot`` (0, 1, ...) answers ``/healthz``, ``/readyz`` and ``/metrics``:
    each worker counts its own requests, so each is a target of its own, on the ports after
    the configured one (any free port for each when that is 0)."""
    return first + slot if first else 0


@dataclass
class Readiness:
    """The workers' notifications, heard on a datagram socket of the parent's own, each with
    the sender's process id (``SO_PASSCRED``)."""

    path: Path
    ready: set[int] = field(default_factory=set)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    _socket: socket.socket | None = None

    def open(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        sock.bind(str(self.path))
        sock.setblocking(False)
        asyncio.get_running_loop().add_reader(sock.fileno(), self._receive)
        self._socket = sock

    def _receive(self) -> None:
        assert self._socket is not None
        while True:
            try:
                data, ancillary, _, _ = self._socket.recvmsg(4096, socket.CMSG_SPACE(12))
            except BlockingIOError:
                return
            pid = _sender(ancillary)
            if pid is not None and b"READY=1" in data.split(b"\n"):
                self.ready.add(pid)
                self.changed.set()

    def close(self) -> None:
        if self._socket is not None:
            asyncio.get_running_loop().remove_reader(self._socket.fileno())
            self._socket.close()
            self._socket = None


def _sender(ancillary: list[tuple[int, int, bytes]]) -> int | None:
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS and len(data) >= 12:
            return int.from_bytes(data[:4], sys.byteorder, signed=True)
    return None


class Supervisor:
    """Starts ``count`` workers, keeps them running, stops them."""

    def __init__(
        self,
        argv: Sequence[str],
        listeners: Listeners,
        count: int,
        readiness: Readiness,
        *,
        operations: int,
    ) -> None:
        self._argv = argv
        self._listeners = listeners
        self._count = count
        self._readiness = readiness
        self._operations = operations
        self._workers: dict[int, asyncio.subprocess.Process] = {}
        self._slots: dict[int, int] = {}
        self._watching: set[asyncio.Task[None]] = set()
        self._stopping = False
        self.failed: int | None = None
        self.ended = asyncio.Event()

    @property
    def pids(self) -> list[int]:
        return sorted(self._workers)

    async def start(self) -> None:
        for slot in range(self._count):
            await self._spawn(slot)

    async def _spawn(self, slot: int) -> None:
        environment = dict(os.environ)
        environment[systemd_notify.SOCKET_VARIABLE] = str(self._readiness.path)
        command = worker_command(
            self._argv, self._listeners, operations_port(self._operations, slot)
        )
        process = await asyncio.create_subprocess_exec(
            *command, pass_fds=self._listeners.descriptors(), env=environment
        )
        self._workers[process.pid] = process
        self._slots[process.pid] = slot
        watching = asyncio.get_running_loop().create_task(self._watch(process))
        self._watching.add(watching)
        watching.add_done_callback(self._watching.discard)

    async def _watch(self, process: asyncio.subprocess.Process) -> None:
        status = await process.wait()
        del self._workers[process.pid]
        slot = self._slots.pop(process.pid)
        was_ready = process.pid in self._readiness.ready
        self._readiness.ready.discard(process.pid)
        self._readiness.changed.set()
        if self._stopping:
            if not self._workers:
                self.ended.set()
            return
        if not was_ready:
            log.error("worker_failed_to_start", pid=process.pid, status=status)
            self.failed = status if status > 0 else 1
            await self.stop()
            return
        log.warning("worker_died", pid=process.pid, status=status)
        await asyncio.sleep(RESPAWN_DELAY)
        if not self._stopping:
            await self._spawn(slot)

    async def all_ready(self) -> bool:
        """Wait until every worker is ready (True), or the workers ended (False)."""
        while not self.ended.is_set():
            if len(self._readiness.ready & set(self._workers)) == self._count:
                return True
            self._readiness.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._readiness.changed.wait(), 0.5)
        return False

    def hangup(self) -> None:
        """SIGHUP to every ready worker: each re-reads the policy (the store records an adoption
        once, whoever is first) and the master key's versions, which each must hold itself."""
        for pid in self.pids:
            if pid in self._readiness.ready:
                os.kill(pid, signal.SIGHUP)

    async def stop(self) -> None:
        """SIGTERM to every worker, SIGKILL to those still there after :data:`STOP_PATIENCE`."""
        self._stopping = True
        if not self._workers:
            self.ended.set()
            return
        for process in list(self._workers.values()):
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.ended.wait(), STOP_PATIENCE)
        except TimeoutError:
            for process in list(self._workers.values()):
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
            await self.ended.wait()


async def supervise(
    argv: Sequence[str],
    *,
    host: str,
    ports: tuple[int, int],
    count: int,
    operations: int,
    pid_file: Path,
    announce: Callable[[str, str], None],
) -> int:
    """Run ``count`` workers until SIGINT or SIGTERM; the exit status of ``serve``."""
    listeners = bind(host, ports)
    loop = asyncio.get_running_loop()
    with tempfile.TemporaryDirectory(prefix="euregate-workers-") as directory:
        readiness = Readiness(Path(directory) / "notify")
        readiness.open()
        supervisor = Supervisor(argv, listeners, count, readiness, operations=operations)
        stop_requested = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop_requested.set)
        loop.add_signal_handler(signal.SIGHUP, supervisor.hangup)
        try:
            await supervisor.start()
            if await supervisor.all_ready():
                urls = _urls(host, listeners)
                await asyncio.to_thread(pid_file.write_text, f"{os.getpid()}\n")
                announce(*urls)
                log.info("workers_ready", workers=count, pids=supervisor.pids)
                systemd_notify.notify(
                    READY="1",
                    STATUS=f"{count} workers: partners on {urls[0]}, staff on {urls[1]}",
                )
                ended = asyncio.ensure_future(supervisor.ended.wait())
                requested = asyncio.ensure_future(stop_requested.wait())
                await asyncio.wait({ended, requested}, return_when=asyncio.FIRST_COMPLETED)
                ended.cancel()
                requested.cancel()
                systemd_notify.notify(STOPPING="1", STATUS="finishing the requests in flight")
            await supervisor.stop()
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                loop.remove_signal_handler(signum)
            readiness.close()
            listeners.close()
            await asyncio.to_thread(pid_file.unlink, missing_ok=True)
    return supervisor.failed or 0


def _urls(host: str, listeners: Listeners) -> tuple[str, str]:
    """The URLs of both listeners, as ``serve`` announces them."""
    ports = (listeners.partners[0].getsockname()[1], listeners.staff[0].getsockname()[1])
    return f"https://{host}:{ports[0]}", f"https://{host}:{ports[1]}"
