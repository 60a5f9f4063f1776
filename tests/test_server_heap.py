"""What start-up made is moved out of the garbage collector's way before the gateway serves:
a full collection stops the event loop, and walks only what requests leave behind."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from gateway.edges.server import freeze_startup_heap


@pytest.fixture
def frozen_afterwards_undone() -> Iterator[None]:
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("frozen_afterwards_undone")
def test_objects_made_before_serving_are_left_out_of_every_collection() -> None:
    made_at_start = {"policy": [object()], "code lists": {"nl": ["drugs"]}}
    assert any(o is made_at_start for o in gc.get_objects())

    freeze_startup_heap()

    assert gc.get_freeze_count() > 0
    assert not any(o is made_at_start for o in gc.get_objects())


@pytest.mark.usefixtures("frozen_afterwards_undone")
def test_what_requests_make_afterwards_is_still_collected() -> None:
    freeze_startup_heap()

    left_behind: list[object] = []
    left_behind.append(left_behind)
    del left_behind

    assert gc.collect() >= 1
