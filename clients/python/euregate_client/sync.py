"""The client for scripts: :class:`SyncClient` runs an :class:`EuregateClient` on its own
event loop, so that each call simply returns its answer.

    with connect_sync(url, cert=..., key=..., ca=..., decryption_key=...) as client:
        print(client.post(signal)["signal_id"])
        for message in client.inbox():
            print(message.text)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Coroutine, Iterator, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar, Unpack

from euregate_client.checkpoint import SignedCheckpoint
from euregate_client.client import EuregateClient, Message, PartnerFiles

T = TypeVar("T")


class SyncClient:
    """An :class:`EuregateClient` whose methods block until answered; use it in ``with``."""

    def __init__(self, client: EuregateClient) -> None:
        self.client = client
        self._runner: asyncio.Runner | None = None

    def __enter__(self) -> Self:
        self._runner = asyncio.Runner()
        self._run(self.client.__aenter__())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._run(self.client.__aexit__(exc_type, exc, tb))
        finally:
            if self._runner is not None:
                self._runner.close()
                self._runner = None

    def _run(self, call: Coroutine[Any, Any, T]) -> T:
        if self._runner is None:
            call.close()
            raise RuntimeError("use SyncClient in `with`")
        return self._runner.run(call)

    def post(self, signal: Mapping[str, Any] | bytes) -> dict[str, Any]:
        """:meth:`EuregateClient.post`."""
        return self._run(self.client.post(signal))

    def status(self, signal_id: str) -> dict[str, Any]:
        """:meth:`EuregateClient.status`."""
        return self._run(self.client.status(signal_id))

    def explain(self, signal: Mapping[str, Any] | bytes) -> dict[str, Any]:
        """:meth:`EuregateClient.explain`."""
        return self._run(self.client.explain(signal))

    def requests(self, state: str = "open") -> dict[str, Any]:
        """:meth:`EuregateClient.requests`."""
        return self._run(self.client.requests(state))

    def verify_inclusion(self, receipt: Mapping[str, Any]) -> SignedCheckpoint:
        """:meth:`EuregateClient.verify_inclusion` against the latest checkpoint."""
        return self._run(self.client.verify_inclusion(receipt))

    def inbox(self, *, after: int = 0, limit: int = 100, wait: int = 0) -> Iterator[Message]:
        """:meth:`EuregateClient.inbox`: a message is acknowledged when the loop comes back
        for the next one, not when its body raised or broke off."""
        messages = self.client.inbox(after=after, limit=limit, wait=wait)
        try:
            while True:
                try:
                    message = self._run(_next(messages))
                except StopAsyncIteration:
                    return
                yield message
        finally:
            self._run(messages.aclose())


async def _next(messages: AsyncGenerator[Message, None]) -> Message:
    return await anext(messages)


def connect_sync(url: str, **files: Unpack[PartnerFiles]) -> SyncClient:
    """A :class:`SyncClient` from the partner's files, as :meth:`EuregateClient.from_files`."""
    return SyncClient(EuregateClient.from_files(url, **files))
