"""Every check of a deployment, in the order an operator reads them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

from gateway.infra.config import DataDir, Settings
from gateway.infra.errors import StorageUnavailable
from gateway.registry.doctor import files, reach, storage
from gateway.registry.doctor.findings import Finding
from gateway.registry.doctor.policy import policy
from gateway.store import StoreFacts


async def examine(
    settings: Settings, *, now: datetime, inspect: Callable[[DataDir], Awaitable[StoreFacts]]
) -> list[Finding]:
    """What every check found for the deployment ``settings`` describe; ``inspect`` reads its
    store (the backend's, chosen by the caller) without changing it."""
    layout = DataDir(settings.data_dir)
    missing = files.data_directory(layout)
    if missing is not None:
        return [missing]
    found = [
        *files.modes(layout),
        *files.keys(layout),
        *files.certificates(layout, now),
        *policy(settings.policy_file or layout.policy),
        *storage.space(layout.root),
    ]
    try:
        facts = await inspect(layout)
    except StorageUnavailable as fault:
        found.append(storage.unreadable(layout.database, fault))
        facts = None
    if facts is not None:
        found += [
            storage.schema(facts),
            storage.clock(facts, now),
            *storage.partner_certificates(facts, now),
        ]
    translation, webhooks = await asyncio.gather(
        reach.translation_backend(settings.libretranslate_url),
        reach.webhooks(facts.webhooks if facts is not None else {}),
    )
    return [*found, translation, *webhooks]
