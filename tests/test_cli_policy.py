"""``euregate policy``: check, explain, and reload a running gateway's policy."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
from euregate_client import EuregateClient

from gateway.edges.cli import main
from gateway.infra.config import DataDir
from tests.conftest import EXAMPLES, REPO, client_context, free_port, gateway_process, load_example


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_the_reference_policy_checks_clean(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "policy", "check", str(REPO / "deploy" / "policy" / "euregio.toml"))
    assert code == 0, out
    assert "0 error(s)" in out


def test_a_syntax_error_is_reported_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "policy.toml"
    broken.write_text('version = 1\n\n[[rule]]\nid = "1"\nverdict = \n', encoding="utf-8")
    code, out = run(capsys, "policy", "check", str(broken))
    assert code == 1
    assert "line 5" in out


def test_explain_prints_each_recipients_decision_with_rules_and_legal_basis(
    layout: DataDir, capsys: pytest.CaptureFixture[str]
) -> None:
    signal = str(EXAMPLES / "nl-drug-waste-maastricht.json")
    d = ("--data-dir", str(layout.root))
    code, out = run(capsys, "policy", "explain", signal, "--as", "nl-pol-limburg", "--json", *d)
    assert code == 0, out
    explained = json.loads(out)
    assert [x["recipient"] for x in explained["decisions"]] == ["be-pol-liege", "de-pol-aachen"]
    assert all(x["verdict"] == "deliver" for x in explained["decisions"])
    code, out = run(
        capsys, "policy", "explain", signal, "--as", "nl-pol-limburg", "--lang", "fr", *d
    )
    assert code == 0
    assert "be-pol-liege (services de police, Belgique)" in out
    assert "règle 2" in out


async def test_a_changed_rule_is_in_force_after_reload_and_a_broken_file_is_refused(
    layout: DataDir,
) -> None:
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    signal = load_example("nl-drug-waste-maastricht.json")

    async def post(reference: str) -> dict[str, object]:
        context = client_context(layout, "nl-pol-limburg")
        async with EuregateClient(url, ssl_context=context) as client:
            return await client.post_signal({**signal, "sender_reference": reference})

    async def reload() -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "gateway", "policy", "reload", "--data-dir", str(layout.root)),
            cwd=REPO,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await process.communicate()
        return process.returncode or 0, output.decode()

    async with gateway_process(layout, port):
        before = await post("RELOAD-1")
        assert before["recipients"][0]["verdict"] == "deliver"  # type: ignore[index]

        text = layout.policy.read_text(encoding="utf-8")
        rule_2 = text.index('id = "2"\n')
        verdict = text.index('verdict = "deliver"', rule_2)
        layout.policy.write_text(
            text[:verdict] + 'verdict = "review"' + text[verdict + len('verdict = "deliver"') :],
            encoding="utf-8",
        )
        code, output = await reload()
        assert code == 0, output
        after = await post("RELOAD-2")
        assert after["recipients"][0]["verdict"] == "review"  # type: ignore[index]

        layout.policy.write_text("this is not a policy", encoding="utf-8")
        code, output = await reload()
        assert code == 1
        assert "refused" in output
        still = await post("RELOAD-3")
        assert still["recipients"][0]["verdict"] == "review"  # type: ignore[index]
