"""Every check of a deployment, in the order an operator reads them."""

from __future__ import annotations

import asyncio
from datetime import datetime

from gateway.infra.config import DataDir, Settings
from gateway.infra.errors import StorageUnavailable
from gateway.registry.doctor import files, reach, storage
from gateway.registry.doctor.findings import Finding
from gateway.registry.doctor.policy import policy
from gateway.store import StoreFacts
from gateway.store.backend import database_described, inspect_for


async def examine(settings: Settings, *, now: datetime) -> list[Finding]:
    """What every check found for the deployment ``settings`` describe."""
    layout = DataDir(settings.data_dir)
    missing = files.data_directory(layout, database_elsewhere=settings.database_url is not None)
    if missing is not None:
        return [missing]
    found = [
        *files.modes(layout),
        *files.keys(layout),
        *files.certificates(layout, now),
        *policy(settings.policy_file or layout.policy),
        *storage.space(layout.root),
    ]
    facts, about_the_store = await _store(settings, layout, now)
    translation, webhooks = await asyncio.gather(
        reach.translation_backend(
            settings.libretranslate_url, etranslation=settings.etranslation_application
        ),
        reach.webhooks(facts.webhooks if facts is not None else {}),
    )
    return [*found, *about_the_store, translation, *webhooks]


async def _store(
    settings: Settings, layout: DataDir, now: datetime
) -> tuple[StoreFacts | None, list[Finding]]:
    """What the store holds, and what the checks of it found."""
    where = (
        layout.database
        if settings.database_url is None
        else database_described(settings.database_url)
    )
    try:
        facts = await inspect_for(settings, layout.database)
    except StorageUnavailable as fault:
        return None, [storage.unreadable(where, fault)]
    return facts, [
        storage.schema(facts),
        storage.clock(facts, now),
        *storage.partner_certificates(facts, now),
    ]
