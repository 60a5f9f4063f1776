"""The parts of a raw signal document that the rules between members walk.

These rules run on the document as posted, beside pydantic, so that their issues come
together with every other one: whatever is malformed is skipped here (pydantic reports it),
and so is an array longer than Signal v1 allows, whose items are never looked at.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gateway.contract.signal import MAX_ITEMS


def entries(document: Mapping[str, Any], member: str) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """The objects in the array ``member``, by index; none when the array is too long."""
    items = document.get(member)
    if isinstance(items, list | tuple) and not overlong(document, member):
        for index, item in enumerate(items):
            if isinstance(item, Mapping):
                yield index, item


def overlong(document: Mapping[str, Any], member: str) -> bool:
    items = document.get(member)
    return isinstance(items, list | tuple) and len(items) > MAX_ITEMS[member]


def places(document: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The places of a signal by pointer: its location, then the organisations' addresses."""
    location = document.get("location")
    if isinstance(location, Mapping):
        yield "/location", location
    for index, organisation in entries(document, "organisations"):
        address = organisation.get("address")
        if isinstance(address, Mapping):
            yield f"/organisations/{index}/address", address
