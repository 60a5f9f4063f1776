"""``euregate review``: a liaison officer works the queue from a terminal, as a newcomer would.

The commands run as their own processes against the real gateway's staff listener, signing
in with a token from ``$EUREGATE_TOKEN`` and checking the gateway's certificate.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from tests.conftest import REPO, RunningGateway

FRENCH_SUMMARY = "Déchets de production de drogues déversés le long de la Lage Kanaaldijk"


async def euregate(gateway: RunningGateway, token: str | None, *args: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k != "EUREGATE_TOKEN"}
    if token is not None:
        env["EUREGATE_TOKEN"] = token
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", "review", *args,
        "--url", gateway.staff_url, "--data-dir", str(gateway.layout.root),
        cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def post_dutch(gateway: RunningGateway, document: dict[str, Any]) -> str:
    async with gateway.client("nl-pol-limburg") as partner:
        return str((await partner.post_signal(document))["signal_id"])


async def test_list_show_release_and_the_next_identical_sentence_comes_from_memory(
    gateway: RunningGateway,
    staff_token: Callable[..., Awaitable[str]],
    example: Callable[[str], dict[str, Any]],
) -> None:
    token = await staff_token("m.dubois", desk="BE")
    signal = example("nl-drug-waste-maastricht.json")
    await post_dutch(gateway, signal)

    code, out, _ = await euregate(gateway, token, "list", "--lang", "fr")
    assert code == 0
    assert "be-pol-liege" in out
    assert "de-pol-aachen" not in out
    assert "texte libre dans une langue que le destinataire n'a pas indiquée" in out

    code, out, _ = await euregate(gateway, token, "list", "--json")
    (item,) = json.loads(out)
    code, shown, _ = await euregate(gateway, token, "show", item["id"])
    assert code == 0
    assert signal["summary"] in shown

    code, _, err = await euregate(gateway, token, "release", item["id"], "--correct", "/x=y")
    assert code == 1
    assert "/x" in err
    code, _, err = await euregate(gateway, token, "release", item["id"], "--correct", "summary")
    assert code == 2
    assert "POINTER=TEXT" in err

    assert "/description is still in Dutch, which the recipient does not read" in shown
    assert "--as-written /description or --withhold /description" in shown

    code, _, err = await euregate(
        gateway, token, "release", item["id"], "--correct", f"/summary={FRENCH_SUMMARY}"
    )
    assert code == 1
    assert "Untranslated text needs a choice" in err
    assert "/description is still in Dutch" in err
    assert "/summary is still" not in err
    code, out, _ = await euregate(
        gateway, token, "release", item["id"],
        "--correct", f"/summary={FRENCH_SUMMARY}", "--as-written", "/description",
    )  # fmt: skip
    assert code == 0, out
    assert item["id"] in out

    again = copy.deepcopy(signal)
    again["sender_reference"] = "PL2400-2026-041999"
    await post_dutch(gateway, again)
    code, out, _ = await euregate(gateway, token, "list", "--json")
    (second,) = json.loads(out)
    code, out, _ = await euregate(gateway, token, "show", second["id"], "--json")
    summary = json.loads(out)["translation"]["fields"]["/summary"]
    assert summary["text"] == FRENCH_SUMMARY
    assert summary["provenance"]["kind"] == "memory"


async def test_without_a_token_the_command_says_how_to_get_one(gateway: RunningGateway) -> None:
    code, _, err = await euregate(gateway, None, "list")
    assert code == 1
    assert "euregate staff token issue" in err


async def test_a_refused_token_is_reported_in_the_officers_language(
    gateway: RunningGateway,
) -> None:
    code, _, err = await euregate(gateway, "egt_" + "x" * 52, "list", "--lang", "de")
    assert code == 1
    assert "Nicht angemeldet" in err
