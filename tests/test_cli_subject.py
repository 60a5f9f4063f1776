"""``euregate subject``: an administrator at the command line restricts processing for a person
named by family name and date of birth (written as a Dutch official writes it), lists the
restrictions in force and lifts one; each answer in the language asked, and a refusal says
why, in it too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.conftest import RunningGateway
from tests.test_cli_defaults import euregate


async def test_a_person_is_restricted_listed_and_lifted_at_the_command_line(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    async with gateway.client("nl-pol-limburg") as sender:
        signal_id = (await sender.post_signal(example("nl-drug-waste-maastricht.json")))[
            "signal_id"
        ]
    data = ("--data-dir", str(gateway.layout.root), "--lang", "nl")

    code, out, err = await euregate(
        "subject", "restrict", "--family-name", "Verhoeven", "--date-of-birth", "02-06-1987",
        "--reason", "kept_as_evidence", "--due-on", "2099-03-01", "--note", "OM-zaak 03/123",
        *data,
    )  # fmt: skip

    assert (code, err) == (0, "")
    (restriction,) = await gateway.store.active_restrictions(limit=10)
    assert out.strip() == (
        f"beperking {restriction.id} ingesteld (bewaard als bewijs): 1 signaal/signalen over "
        "de betrokkene tegengehouden, en elk later signaal, tot de beperking wordt opgeheven; "
        "het besluit moet vallen op 2099-03-01"
    )
    assert await gateway.store.signal_restricted(signal_id)
    code, out, _ = await euregate("subject", "restrictions", *data)
    assert code == 0
    (header, row) = out.strip().splitlines()
    assert header.split()[:2] == ["beperking", "reden"]
    assert row.startswith(restriction.id)
    assert "bewaard als bewijs" in row
    assert "OM-zaak 03/123" in row

    code, out, _ = await euregate("subject", "lift", restriction.id, *data)

    assert (code, out.strip()) == (
        0,
        f"beperking {restriction.id} opgeheven: 1 signaal/signalen vrijgegeven; wat was "
        "tegengehouden wordt nu afgeleverd",
    )
    assert not await gateway.store.signal_restricted(signal_id)
    code, out, _ = await euregate("subject", "restrictions", *data)
    assert (code, out.strip()) == (0, "er geldt geen beperking van de verwerking")
    code, out, err = await euregate("subject", "lift", restriction.id, *data)
    assert code != 0
    assert f"beperking {restriction.id} geldt niet: onbekend, of al opgeheven" in err


async def test_a_restriction_due_today_or_without_a_person_is_refused_and_nothing_is_kept(
    gateway: RunningGateway,
) -> None:
    data = ("--data-dir", str(gateway.layout.root), "--lang", "de")

    code, _, err = await euregate(
        "subject", "restrict", "--identifier", "314159265", "--reason", "accuracy_contested",
        "--due-on", "2020-01-01", *data,
    )  # fmt: skip
    assert code != 0
    assert "die Entscheidung muss nach heute" in err
    code, _, err = await euregate(
        "subject", "restrict", "--family-name", "Verhoeven", "--reason", "accuracy_contested",
        "--due-on", "2099-01-01", *data,
    )  # fmt: skip
    assert code != 0
    assert "bezeichnen Sie die Person" in err
    assert await gateway.store.active_restrictions(limit=10) == []
