"""A rejection's category: chosen by the liaison officer from a closed list on every surface
(``euregate review reject --reason-category``, the staff API, the staff page's form), kept with
the item, written in the audit entry, and shown to the sender as code and label in its
language, while the officer's own words stay with the desks.

The commands run as their own processes against the real gateway over TLS.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import markupsafe
import pytest
import sqlite_utils
from euregate_client import Problem

from gateway.decide.review import REJECTION_LABELS, RejectionCategory
from gateway.infra.clock import FixedClock
from gateway.infra.config import DataDir
from gateway.infra.i18n import LANGUAGES, translate
from gateway.staff import Passwords
from gateway.store.migrations import sqlite_steps
from tests.conftest import RunningGateway
from tests.test_abuse_sessions import People, running, signed_in
from tests.test_cli_review import euregate

REASON = "Zuständig ist die Staatsanwaltschaft Aachen, nicht die Polizei."
LIMBURG = "nl-pol-limburg"


async def waiting_for_aachen(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> tuple[str, str]:
    """A Dutch signal whose German copy waits at the German desk: its id and the item's."""
    async with gateway.client(LIMBURG) as limburg:
        posted = await limburg.post_signal(example("nl-drug-waste-maastricht.json"))
    (item,) = await gateway.store.pending_reviews(countries=("DE",))
    return str(posted["signal_id"]), item.id


async def state_of(gateway: RunningGateway, item_id: str) -> str:
    item = await gateway.store.review_item(item_id)
    assert item is not None
    return str(item.state)


def test_every_category_has_a_label_in_every_language() -> None:
    assert set(REJECTION_LABELS) == set(RejectionCategory)
    for label in REJECTION_LABELS.values():
        shown = {language: translate(label, language) for language in LANGUAGES}
        assert len(set(shown.values())) == len(LANGUAGES), shown


async def test_the_command_needs_a_category_from_the_list(
    gateway: RunningGateway,
    staff_token: Callable[..., Awaitable[str]],
    example: Callable[[str], dict[str, Any]],
) -> None:
    signal_id, item_id = await waiting_for_aachen(gateway, example)
    token = await staff_token("k.schmidt", desk="DE")

    for missing_or_unknown in ((), ("--reason-category", "bored")):
        code, _, err = await euregate(
            gateway, token, "reject", item_id, "--reason", REASON, *missing_or_unknown
        )
        assert code == 2, err
        assert "--reason-category" in err
    assert await state_of(gateway, item_id) == "pending"

    code, out, err = await euregate(
        gateway, token, "reject", item_id, "--reason", REASON, "--reason-category", "duplicate"
    )
    assert code == 0, err
    assert item_id in out
    code, shown, _ = await euregate(gateway, token, "show", item_id, "--lang", "de")
    assert code == 0
    assert "(dem Empfänger liegt diese Information bereits vor): " + REASON in shown
    code, as_json, _ = await euregate(gateway, token, "show", item_id, "--json", "--lang", "fr")
    assert json.loads(as_json)["rejection_category"] == {
        "code": "duplicate",
        "label": "le destinataire dispose déjà de cette information",
    }

    (entry,) = [e for e in await gateway.store.audit_entries() if e.kind == "review.rejected"]
    assert entry.data["category"] == "duplicate"
    assert REASON not in json.dumps(entry.data)
    async with gateway.client(LIMBURG, language="de") as limburg:
        status = await limburg.signal_status(signal_id)
    (aachen,) = [c for c in status["recipients"] if c["partner"] == "de-pol-aachen"]
    assert aachen["review"]["rejection_category"] == {
        "code": "duplicate",
        "label": "dem Empfänger liegt diese Information bereits vor",
    }
    assert REASON not in json.dumps(status)


@pytest.mark.parametrize(
    "body",
    [
        {"reason": REASON},
        {"reason": REASON, "category": "bored"},
        {"reason": REASON, "category": None},
        {"reason": REASON, "category": ["duplicate"]},
        {"reason": REASON, "category": "DUPLICATE"},
    ],
)
async def test_the_api_refuses_a_rejection_without_a_listed_category(
    gateway: RunningGateway,
    staff_token: Callable[..., Awaitable[str]],
    example: Callable[[str], dict[str, Any]],
    body: dict[str, Any],
) -> None:
    _, item_id = await waiting_for_aachen(gateway, example)
    token = await staff_token("k.schmidt", desk="DE")
    async with gateway.staff_client(token) as desk:
        with pytest.raises(Problem) as refused:
            await desk._post(f"/v1/review/{item_id}/reject", body)
    assert refused.value.status == 400
    assert refused.value.document["type"].endswith("body-shape-invalid")
    assert refused.value.document["pointer"] == "/category"
    assert await state_of(gateway, item_id) == "pending"
    assert "review.rejected" not in [e.kind for e in await gateway.store.audit_entries()]


def test_a_copy_rejected_before_the_list_existed_reads_as_other(tmp_path: Path) -> None:
    """Version 17 on a store of version 16: a rejected item gets ``other``; one that waits or
    was released gets none."""
    path = tmp_path / "before.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE review_items (id TEXT PRIMARY KEY, state TEXT NOT NULL)")
        conn.executemany(
            "INSERT INTO review_items VALUES (?, ?)",
            [("a", "rejected"), ("b", "pending"), ("c", "released")],
        )
    sqlite_steps.add_rejection_categories(sqlite_utils.Database(path))
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT id, rejection_category FROM review_items ORDER BY id")
        assert list(rows) == [("a", "other"), ("b", None), ("c", None)]


async def test_the_staff_page_asks_for_a_category_and_keeps_it(
    layout: DataDir,
    cheap_passwords: Passwords,
    log_stream: object,
    example: Callable[[str], dict[str, Any]],
) -> None:
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    async with running(layout, clock, cheap_passwords) as gateway:
        people = People(gateway.store, layout, clock, cheap_passwords)
        await people.enrol("k.schmidt", desk="DE")
        _, item_id = await waiting_for_aachen(gateway, example)
        async with signed_in(gateway, people, "k.schmidt") as officer:
            page = await officer.page(f"/review/{item_id}")
            assert page.status == 200
            assert '<select id="category" name="category" required' in page.text
            for category, label in REJECTION_LABELS.items():
                shown = markupsafe.escape(translate(label, "en"))
                assert f'<option value="{category}">{shown}</option>' in page.text

            refused = await officer.post(f"/review/{item_id}/reject", {"reason": REASON})
            assert refused.status == 422
            assert refused.shows("Choose the reason category the sender will be shown.")
            assert refused.shows(REASON), "the officer's words come back in the form"
            assert await state_of(gateway, item_id) == "pending"

            done = await officer.post(
                f"/review/{item_id}/reject", {"reason": REASON, "category": "not_lawful_to_share"}
            )
            assert done.status == 303
    with sqlite3.connect(layout.database) as conn:
        row = conn.execute(
            "SELECT state, rejection_category FROM review_items WHERE id = ?", (item_id,)
        ).fetchone()
    assert row == ("rejected", "not_lawful_to_share")
