"""Withdrawal notices their recipients leave unacknowledged: past their days, compliance staff
see them on the staff API until they are acknowledged; a liaison officer does not. On a real
gateway whose clock the test moves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from euregate_client import Problem

from gateway.flow.withdrawal import OVERDUE_AFTER
from gateway.infra.clock import FixedClock
from gateway.infra.config import DataDir, Settings
from tests.conftest import gateway_in_process
from tests.polling import until

SENDER, RECIPIENT = "be-pol-lanaken", "nl-pol-limburg"


async def test_an_unacknowledged_notice_is_overdue_for_compliance_staff_after_its_days(
    layout: DataDir,
    example: Callable[[str], dict[str, Any]],
    staff_token: Callable[..., Awaitable[str]],
) -> None:
    start = datetime.now(UTC) + timedelta(minutes=1)  # the partners' keys are valid from init on
    clock = FixedClock(start)
    settings = Settings(data_dir=layout.root, host="127.0.0.1", port=0, staff_port=0)
    compliance = await staff_token("c.janssens", role="compliance")
    officer = await staff_token("m.dubois", desk="BE")
    body = {**example("be-cannabis-lanaken.json"), "recipients": {"partners": [RECIPIENT]}}
    async with gateway_in_process(settings, clock=clock) as gateway:
        store = gateway.store
        async with gateway.client(SENDER) as sender:
            signal_id = str((await sender.post_signal(body))["signal_id"])

            def sealed(count: int) -> Callable[[], Awaitable[bool]]:
                async def check() -> bool:
                    return len(await store.envelopes_of_signal(signal_id)) == count

                return check

            await until(sealed(1))
            await sender.withdraw(signal_id, "unlawfully_transmitted")
        await until(sealed(2))
        notice = max(await store.envelopes_of_signal(signal_id), key=lambda e: e.version)

        async with gateway.staff_client(compliance) as staff:
            assert (await staff.overdue_notices())["notices"] == []
            clock.set(start + OVERDUE_AFTER + timedelta(minutes=1))
            overdue = await staff.overdue_notices()
        assert overdue["overdue_after_days"] == OVERDUE_AFTER.days
        assert overdue["more"] is False
        (listed,) = overdue["notices"]
        assert (listed["signal_id"], listed["recipient"], listed["envelope"]) == (
            signal_id,
            RECIPIENT,
            notice.id,
        )
        assert listed["reason"] == "unlawfully_transmitted"

        async with gateway.staff_client(officer) as desk:
            with pytest.raises(Problem) as refused:
                await desk.overdue_notices()
        assert refused.value.status == 403

        async with gateway.client(RECIPIENT) as recipient:
            await recipient.acknowledge(notice.id)
        async with gateway.staff_client(compliance) as staff:
            assert (await staff.overdue_notices())["notices"] == []
