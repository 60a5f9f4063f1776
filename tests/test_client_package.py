"""The partner client as a partner installs it: its own distribution (clients/python) in a
fresh virtualenv with its own dependencies only, its README example run against a live
gateway, and its inbox acknowledging a message only once the caller has handled it."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from euregate_client import EuregateClient, Message, connect_sync
from euregate_client.tls import partner_id_of

from gateway.infra.config import DataDir
from tests.conftest import EXAMPLES, REPO, RunningGateway

CLIENT = REPO / "clients" / "python"
WHEELS = Path(sys.prefix) / "wheels"
"""The client's dependencies as wheels, put there by `make install`: the install is offline."""
SENDER = "be-pol-lanaken"
RECIPIENT = "nl-pol-limburg"
LANAKEN = "be-cannabis-lanaken.json"
DUTCH = "nl-drug-waste-maastricht.json"
SERVER_ONLY = {"euregate", "sqlite-utils", "pygal", "argon2-cffi", "pydantic", "babel", "psycopg"}


@pytest.fixture(scope="module")
def client_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv without system site packages, holding `pip install clients/python` (of a
    copy, so that pip's build leaves nothing in the checkout)."""
    assert WHEELS.is_dir(), f"{WHEELS}: `make install` puts the client's dependencies there"
    partner = tmp_path_factory.mktemp("partner")
    source = partner / "euregate-client"
    shutil.copytree(CLIENT, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    venv = partner / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [
            str(venv / "bin" / "python"),
            *("-m", "pip", "install", "--quiet", "--no-index"),
            *("--find-links", str(WHEELS), str(source)),
        ],
        check=True,
        timeout=240,
        capture_output=True,
    )
    return venv


def run_in(venv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python args`` in ``venv``, from a folder outside the repository."""
    return subprocess.run(
        [str(venv / "bin" / "python"), *args],
        cwd=venv,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def readme_example() -> str:
    """The README's example: the first Python block under "Post a signal and read the inbox"."""
    readme = (CLIENT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Post a signal and read the inbox", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found is not None
    return found.group(1)


def test_the_package_brings_its_two_dependencies_and_nothing_of_the_gateway(
    client_venv: Path,
) -> None:
    listed = run_in(client_venv, "-m", "pip", "list", "--format=json")
    installed = {package["name"].lower() for package in json.loads(listed.stdout)}

    assert {"euregate-client", "aiohttp", "cryptography"} <= installed
    assert not installed & SERVER_ONLY
    assert run_in(client_venv, "-c", "import euregate_client").returncode == 0
    refused = run_in(client_venv, "-c", "import gateway")
    assert "ModuleNotFoundError" in refused.stderr


def test_the_readme_example_is_short() -> None:
    assert len(readme_example().strip().splitlines()) <= 10


async def test_the_readme_example_posts_a_signal_and_reads_the_inbox_of_a_live_gateway(
    client_venv: Path, gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    async with gateway.client(SENDER) as lanaken:
        sent_to_limburg = (await lanaken.post(example(LANAKEN)))["signal_id"]
    layout = gateway.layout
    environment = {
        "PATH": "/usr/bin:/bin",
        "EUREGATE_URL": gateway.url,
        "EUREGATE_CERT": str(layout.partner_certificate(RECIPIENT)),
        "EUREGATE_KEY": str(layout.partner_key(RECIPIENT)),
        "EUREGATE_CA": str(layout.ca_certificate),
        "EUREGATE_DECRYPTION_KEY": str(layout.partner_encryption_key(RECIPIENT)),
        "EUREGATE_SIGNAL": str(EXAMPLES / DUTCH),
    }
    script = client_venv / "example.py"
    script.write_text(readme_example(), encoding="utf-8")

    process = await asyncio.create_subprocess_exec(
        str(client_venv / "bin" / "python"),
        str(script),
        cwd=client_venv,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)

    assert process.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    (receipt,) = [line.split()[1] for line in lines if line.startswith("receipt ")]
    opened = [line.split()[1] for line in lines if line.startswith("message ")]
    assert opened == [sent_to_limburg]
    async with gateway.client(RECIPIENT) as limburg:
        assert (await limburg.status(receipt))["signal_id"] == receipt
        assert (await limburg.inbox_page())["envelopes"] == [], "the message was acknowledged"


class Handling(Exception):
    """The caller's handling of a message failed."""


async def test_the_inbox_acknowledges_a_message_only_after_the_loop_body_completed(
    gateway: RunningGateway, example: Callable[[str], dict[str, Any]]
) -> None:
    async with gateway.client(SENDER) as lanaken:
        signal_id = (await lanaken.post(example(LANAKEN)))["signal_id"]
    layout = gateway.layout
    client = EuregateClient.from_files(
        gateway.url,
        cert=layout.partner_certificate(RECIPIENT),
        key=layout.partner_key(RECIPIENT),
        ca=layout.ca_certificate,
        decryption_key=layout.partner_encryption_key(RECIPIENT),
    )
    assert client.partner_id == RECIPIENT, "the partner's id is its certificate's common name"

    async def fail_to_handle(messages: AsyncGenerator[Message, None]) -> None:
        async with aclosing(messages):
            async for message in messages:
                assert message.signal_id == signal_id
                raise Handling

    async with client:
        with pytest.raises(Handling):
            await fail_to_handle(client.inbox(wait=10))
        waiting = await client.inbox_page()
        assert [entry["signal_id"] for entry in waiting["envelopes"]] == [signal_id]

        async with aclosing(client.inbox()) as messages:
            async for _ in messages:
                break
        assert len((await client.inbox_page())["envelopes"]) == 1, "a loop left early: kept"

        handled = [message.content["signal_id"] async for message in client.inbox()]
        assert handled == [signal_id]
        assert (await client.inbox_page())["envelopes"] == []


def test_a_certificate_without_a_common_name_names_no_partner(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    nameless = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "issuer")]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    path = tmp_path / "client.pem"
    path.write_bytes(nameless.public_bytes(serialization.Encoding.PEM))

    with pytest.raises(ValueError, match="names no partner"):
        partner_id_of(path)


async def test_the_inbox_needs_the_decryption_key(layout: DataDir) -> None:
    client = EuregateClient.from_files(
        "https://127.0.0.1:1",
        cert=layout.partner_certificate(RECIPIENT),
        key=layout.partner_key(RECIPIENT),
        ca=layout.ca_certificate,
    )
    with pytest.raises(RuntimeError, match="decryption key"):
        await anext(client.inbox())


def test_the_sync_client_answers_only_inside_with(layout: DataDir) -> None:
    client = connect_sync(
        "https://127.0.0.1:1",
        cert=layout.partner_certificate(RECIPIENT),
        key=layout.partner_key(RECIPIENT),
        ca=layout.ca_certificate,
    )
    with pytest.raises(RuntimeError, match="with"):
        client.status("0193")
