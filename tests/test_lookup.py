"""Data-subject lookup: compliance staff find the signals that mention a person by number or
by name and date of birth, and neither the database nor the audit log keeps that person."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.flow.lookup import SubjectLookup, date_in_iso
from gateway.infra import datafiles
from gateway.infra.errors import Forbidden, LookupInvalid
from gateway.staff import Desk, Role, StaffAccount
from tests.conftest import RunningGateway

DUTCH = "nl-drug-waste-maastricht.json"
COMPLIANCE = StaffAccount(
    id="c.peeters", name="C. Peeters", role=Role.COMPLIANCE, desk=Desk.parse("*")
)
OFFICER = StaffAccount(
    id="m.dubois", name="M. Dubois", role=Role.LIAISON_OFFICER, desk=Desk.parse("BE")
)


@pytest.fixture
async def posted(gateway: RunningGateway, example: Callable[[str], dict[str, Any]]) -> str:
    async with gateway.client("nl-pol-limburg") as partner:
        return str((await partner.post_signal(example(DUTCH)))["signal_id"])


@pytest.fixture
def lookup(gateway: RunningGateway) -> SubjectLookup:
    return SubjectLookup(store=gateway.store, master_key=datafiles.load_master_key(gateway.layout))


def suspect(example: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    persons: list[dict[str, Any]] = example(DUTCH)["persons"]
    return next(p for p in persons if p.get("identifiers"))


async def test_a_national_number_finds_the_signal_however_it_is_written(
    lookup: SubjectLookup, posted: str, example: Callable[[str], dict[str, Any]]
) -> None:
    number = suspect(example)["identifiers"][0]["value"]
    spaced = " ".join(number[i : i + 3] for i in range(0, len(number), 3))

    found = await lookup.lookup(COMPLIANCE, identifier=spaced)

    assert [(f.signal_id, f.certainty) for f in found] == [(posted, "certain")]


async def test_a_name_with_date_of_birth_is_certain_and_with_the_year_only_possible(
    lookup: SubjectLookup, posted: str, example: Callable[[str], dict[str, Any]]
) -> None:
    person = suspect(example)
    name, born = person["family_name"].upper(), person["date_of_birth"]
    other_day = born[:8] + ("01" if born[8:] != "01" else "02")

    async def certainty(date_of_birth: str) -> list[str]:
        found = await lookup.lookup(COMPLIANCE, family_name=name, date_of_birth=date_of_birth)
        return [f.certainty for f in found]

    assert await certainty(born) == ["certain"]
    assert await certainty(born[:4]) == ["certain"]
    assert await certainty(other_day) == ["possible"]


async def test_the_date_of_birth_may_be_written_as_officials_of_each_language_write_it(
    lookup: SubjectLookup, posted: str, example: Callable[[str], dict[str, Any]]
) -> None:
    person = suspect(example)
    born = date.fromisoformat(person["date_of_birth"])
    for typed in (
        born.strftime("%d/%m/%Y"),
        f"{born.day}.{born.month}.{born.year}",
        born.strftime("%d-%m-%Y"),
        f" {born.isoformat()} ",
    ):
        found = await lookup.lookup(
            COMPLIANCE, family_name=person["family_name"], date_of_birth=typed
        )
        assert [f.certainty for f in found] == ["certain"], typed


@given(st.dates(min_value=date(1000, 1, 1)), st.sampled_from(["/", ".", "-"]), st.booleans())
def test_a_day_first_date_is_the_iso_date_of_that_day(
    day: date, separator: str, padded: bool
) -> None:
    written = (
        f"{day.day:02}{separator}{day.month:02}{separator}{day.year}"
        if padded
        else f"{day.day}{separator}{day.month}{separator}{day.year}"
    )
    assert date_in_iso(written) == day.isoformat()
    assert date_in_iso(day.isoformat()) == day.isoformat()
    assert date_in_iso(str(day.year)) == str(day.year)


@pytest.mark.parametrize(
    "typed", ["", "87", "1987-2-6", "06/13/1987", "31.04.1987", "2/6-1987", "1987/06/02", "x"]
)
def test_what_is_no_day_of_the_calendar_is_no_date(typed: str) -> None:
    assert date_in_iso(typed) is None


async def test_someone_else_is_not_found(lookup: SubjectLookup, posted: str) -> None:
    assert await lookup.lookup(COMPLIANCE, identifier="123456782") == []
    assert await lookup.lookup(COMPLIANCE, family_name="Nobody", date_of_birth="1990-01-01") == []


@pytest.mark.parametrize(
    "query",
    [
        {"identifier": " - "},
        {"family_name": "Jansen"},
        {"family_name": "Jansen", "date_of_birth": "30/02/1987"},
        {"family_name": "Jansen", "date_of_birth": "02/06/87"},
        {"family_name": "", "date_of_birth": "1987"},
    ],
)
async def test_a_lookup_needs_a_number_or_a_name_with_a_date(
    lookup: SubjectLookup, query: dict[str, str]
) -> None:
    with pytest.raises(LookupInvalid):
        await lookup.lookup(COMPLIANCE, **query)


async def test_only_compliance_staff_may_look_up(lookup: SubjectLookup) -> None:
    with pytest.raises(Forbidden):
        await lookup.lookup(OFFICER, identifier="314159265")


async def test_the_lookup_is_audited_without_what_was_looked_up(
    gateway: RunningGateway,
    lookup: SubjectLookup,
    posted: str,
    example: Callable[[str], dict[str, Any]],
) -> None:
    number = suspect(example)["identifiers"][0]["value"]
    await lookup.lookup(COMPLIANCE, identifier=number)

    (event,) = [e for e in await gateway.store.audit_entries() if e.kind == "subject.looked_up"]
    assert event.actor == "staff:c.peeters"
    assert event.data == {"by": "identifier", "found": [posted]}


async def test_the_database_file_never_holds_the_persons_number_or_name(
    gateway: RunningGateway, posted: str, example: Callable[[str], dict[str, Any]]
) -> None:
    person = suspect(example)
    files = [gateway.layout.database, *gateway.layout.database.parent.glob("euregate.db-*")]
    stored = b"".join(path.read_bytes() for path in files if path.exists())
    assert person["identifiers"][0]["value"].encode() not in stored
    assert person["family_name"].encode() not in stored
