"""Releasing a waiting copy over the staff API as an officer who chooses to send every text
still in a language the recipient does not read as written: for tests about what happens
after a release, which need that choice made but are not about it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from euregate_client import Problem

from gateway.edges.staff_client import StaffClient


async def release_as_written(
    desk: StaffClient, item_id: str, corrections: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Release ``item_id`` with ``corrections``; when the gateway names untranslated texts
    without a choice, release again choosing to send those as written."""
    try:
        return await desk.release(item_id, corrections)
    except Problem as problem:
        untranslated = problem.document.get("untranslated")
        if problem.status != 422 or not untranslated:
            raise
        as_written = [field["pointer"] for field in untranslated]
        return await desk.release(item_id, corrections, as_written=as_written)
