"""Two gateway instances on one PostgreSQL database, as an operator runs them behind a load
balancer: real ``euregate serve`` processes sharing the database (and the data directory's
keys), partners and liaison officers talking to either.

A signal posted on one instance is reviewed on the other and pulled from the first; a retry
that lands on the other instance gets the first receipt; when one instance is killed outright
the other goes on taking, sealing and proving signals (it takes the sequencer over), and every
signal that got a receipt is kept and sealed once per recipient."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from euregate_client import EuregateClient, Message, Problem, open_message

from gateway.edges.staff_client import StaffClient
from gateway.infra import datafiles, seal
from gateway.infra.audit import refs
from gateway.infra.clock import SystemClock
from gateway.infra.config import DataDir, Settings
from gateway.registry.admin import staff as staff_admin
from gateway.staff.accounts import Desk, Role, StaffAccount
from gateway.staff.passwords import Passwords
from gateway.store.postgres import PostgresStore
from tests.conftest import REPO, client_context, free_port, gateway_in_process, gateway_process
from tests.polling import until
from tests.postgres import start_cluster, start_server, stop_cluster, stop_server
from tests.review_release import release_as_written

DUTCH = "nl-drug-waste-maastricht.json"
SENDER = "nl-pol-limburg"
PATIENCE = 60.0


@dataclass(frozen=True)
class Instance:
    layout: DataDir
    port: int
    staff_port: int

    def client(self, partner_id: str) -> EuregateClient:
        context = client_context(self.layout, partner_id)
        return EuregateClient(f"https://127.0.0.1:{self.port}", ssl_context=context)

    def staff_client(self, token: str) -> StaffClient:
        context = client_context(self.layout, None)
        return StaffClient(f"https://127.0.0.1:{self.staff_port}", token=token, ssl_context=context)


async def command(*argv: str | Path) -> tuple[int, str, str]:
    """``euregate ...`` as its own process; its exit code, standard output and error."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", *map(str, argv), cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), PATIENCE)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
async def deployment(postgres_url: str, tmp_path: Path) -> DataDir:
    """``euregate init --demo`` with the registry in PostgreSQL, the keys in a data directory
    both instances read."""
    layout = DataDir(tmp_path / "data")
    code, _, err = await command(
        "init", "--demo", "--data-dir", layout.root, "--database", postgres_url
    )
    assert code == 0, err
    return layout


async def officer_token(
    layout: DataDir, url: str, staff_id: str, desk: str, passwords: Passwords
) -> str:
    """A liaison officer of ``desk`` enrolled in the shared database, with an API token."""
    key = datafiles.load_master_key(layout)
    account = StaffAccount(
        id=staff_id, name=staff_id.title(), role=Role("liaison_officer"), desk=Desk.parse(desk)
    )
    async with PostgresStore(url, clock=SystemClock(), pool_size=2) as store:
        await staff_admin.enrol(
            store, key, account, "correct horse battery staple", actor=refs.admin("test"),
            passwords=passwords,
        )  # fmt: skip
        issued = await staff_admin.issue_token(store, staff_id, "tests", actor=refs.admin("test"))
    return issued.secret


async def pull(instance: Instance, partner_id: str) -> list[Message]:
    """What waits in ``partner_id``'s inbox, verified and opened with the partner's own key."""
    private_key = seal.load_private_key(
        instance.layout.partner_encryption_key(partner_id).read_bytes()
    )
    async with instance.client(partner_id) as client:
        keys = await client.gateway_keys()
        entries = (await client.inbox_page(limit=500))["envelopes"]
    return [
        open_message(entry, private_key=private_key, recipient_id=partner_id, gateway_keys=keys)
        for entry in entries
    ]


def scalar(url: str, query: str) -> Any:
    with psycopg.connect(url) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return row[0]


async def test_two_instances_on_one_database_serve_as_one_gateway_and_survive_a_kill(
    deployment: DataDir,
    postgres_url: str,
    example: Callable[[str], dict[str, Any]],
    cheap_passwords: Passwords,
) -> None:
    tokens = {
        desk: await officer_token(
            deployment, postgres_url, f"officer.{desk.lower()}", desk, cheap_passwords
        )
        for desk in ("BE", "DE")
    }
    first = Instance(deployment, free_port(), free_port())
    second = Instance(deployment, free_port(), free_port())
    database = ("--database", postgres_url)

    async with gateway_process(
        deployment, second.port, staff_port=second.staff_port, options=database
    ):
        async with gateway_process(
            deployment, first.port, staff_port=first.staff_port, options=database
        ) as killed:
            async with first.client(SENDER) as police:
                receipt = await police.post_signal(example(DUTCH))
            async with second.client(SENDER) as police:
                retried = await police.post_signal(example(DUTCH))
            for token in tokens.values():
                async with second.staff_client(token) as desk:
                    queue = await desk.queue()
                    assert [item["signal_id"] for item in queue] == [receipt["signal_id"]]
                    await release_as_written(desk, queue[0]["id"])

            async def sealed_for_liege() -> bool:
                return len(await pull(first, "be-pol-liege")) == 1

            await until(sealed_for_liege, patience=PATIENCE)
            killed.kill()
            await killed.wait()

        after_kill = {**example(DUTCH), "recipients": {"partners": ["be-pol-lanaken"]}}
        accepted = []
        async with second.client(SENDER) as police:
            for n in range(5):
                posted = await police.post_signal({**after_kill, "sender_reference": f"K/{n}"})
                accepted.append(posted["signal_id"])
        entries = scalar(postgres_url, "SELECT max(seq) FROM audit")

        async def all_sealed_and_proven() -> bool:
            lanaken = {m.signal_id for m in await pull(second, "be-pol-lanaken")}
            tree = scalar(postgres_url, "SELECT coalesce(max(size), 0) FROM audit_checkpoints")
            return set(accepted) <= lanaken and tree >= entries

        await until(all_sealed_and_proven, patience=PATIENCE)
        liege = await pull(second, "be-pol-liege")
        aachen = await pull(second, "de-pol-aachen")

    assert retried["signal_id"] == receipt["signal_id"]
    assert [(m.signal_id, m.content["review"]) for m in liege] == [
        (receipt["signal_id"], "released")
    ]
    assert [m.signal_id for m in aachen] == [receipt["signal_id"]]
    assert liege[0].content["document"]["locale"] == "fr_BE"
    stored = scalar(postgres_url, "SELECT count(*) FROM signals")
    assert stored == 1 + len(accepted)
    for_lanaken = scalar(
        postgres_url, "SELECT count(*) FROM envelopes WHERE recipient_id = 'be-pol-lanaken'"
    )
    assert for_lanaken == len(accepted), "each copy sealed once, none lost with the instance"
    verified = await command("audit", "verify", "--data-dir", deployment.root, *database)
    assert verified[0] == 0, verified
    assert verified[1].startswith("audit chain intact")


async def test_a_database_restarted_under_load_is_the_operators_503_and_recovers_by_itself(
    tmp_path: Path, example: Callable[[str], dict[str, Any]]
) -> None:
    """``pg_ctl stop``, then start, while a partner keeps posting: in between every answer is a
    503 problem document with Retry-After (never a 500, never a 202 for what was not kept), and
    once the database is back the gateway takes signals again without a restart."""
    cluster = start_cluster()
    try:
        cluster.admin("CREATE DATABASE outage TEMPLATE template0")
        url = cluster.url("outage")
        layout = DataDir(tmp_path / "data")
        code, _, err = await command("init", "--demo", "--data-dir", layout.root, "--database", url)
        assert code == 0, err
        settings = Settings(
            data_dir=layout.root, host="127.0.0.1", port=0, staff_port=0, database_url=url
        )
        template = {**example(DUTCH), "recipients": {"partners": ["be-pol-lanaken"]}}
        answers: list[int] = []
        refusals: list[Problem] = []
        kept: list[str] = []
        async with gateway_in_process(settings) as gateway, gateway.client(SENDER) as police:

            async def post(reference: str) -> None:
                try:
                    receipt = await police.post_signal({**template, "sender_reference": reference})
                except Problem as refused:
                    answers.append(refused.status)
                    refusals.append(refused)
                    return
                answers.append(202)
                kept.append(str(receipt["signal_id"]))

            await post("before")
            stop_server(cluster)
            for n in range(5):
                await post(f"during/{n}")
            start_server(cluster)

            async def taken_again() -> bool:
                await post(f"after/{len(answers)}")
                return answers[-1] == 202

            await until(taken_again, patience=PATIENCE)
            degraded = gateway.store.health.degraded

        assert answers[0] == 202
        assert answers[1:6] == [503] * 5
        assert 500 not in answers
        assert {r.document["type"] for r in refusals} == {"urn:euregate:problem:store-unreachable"}
        assert all(r.document["retry_after"] > 0 for r in refusals)
        assert degraded is None
        assert scalar(url, "SELECT count(*) FROM signals") == len(kept)
    finally:
        stop_cluster(cluster)


async def test_a_partners_rate_holds_across_the_instances_it_posts_to(
    deployment: DataDir,
    postgres_url: str,
    example: Callable[[str], dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Posting to each instance in turn, a partner gets its burst once in all, not once per
    instance; then both refuse it (429 with Retry-After) until its rate lets it in again."""
    monkeypatch.setenv("EUREGATE_PARTNER_RATE", "0.001")
    monkeypatch.setenv("EUREGATE_PARTNER_BURST", "4")
    first = Instance(deployment, free_port(), free_port())
    second = Instance(deployment, free_port(), free_port())
    database = ("--database", postgres_url)
    async with (
        gateway_process(deployment, first.port, staff_port=first.staff_port, options=database),
        gateway_process(deployment, second.port, staff_port=second.staff_port, options=database),
    ):
        answers: list[tuple[int, str]] = []
        for n in range(10):
            instance = (first, second)[n % 2]
            async with instance.client(SENDER) as police:
                try:
                    await police.post_signal({**example(DUTCH), "sender_reference": f"RATE-{n}"})
                    answers.append((n % 2, "accepted"))
                except Problem as problem:
                    waits = int(problem.document.get("retry_after", 0)) >= 1
                    answers.append((n % 2, f"{problem.status} {problem.document['type']} {waits}"))
    refused = "429 urn:euregate:problem:partner-rate-limited True"
    assert answers == [(0, "accepted"), (1, "accepted")] * 2 + [(0, refused), (1, refused)] * 3
