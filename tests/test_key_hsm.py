"""The master key in an HSM, through PKCS#11, against a real SoftHSM2 token made for the test
session in a temporary directory (``.ci/run`` installs Debian's ``softhsm2`` when missing)."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pkcs11
import pytest
from euregate_client import EuregateClient, open_message
from pkcs11 import Attribute, KeyType, ObjectClass

from gateway.infra.config import DataDir
from gateway.infra.datafiles import load_master_key
from gateway.infra.hsm import TokenKey, TokenUri
from gateway.infra.keyring import read_keyring
from gateway.infra.seal import load_private_key
from gateway.infra.vault import SealedBlob, VaultError
from tests.conftest import REPO, client_context, free_port, gateway_process
from tests.polling import until

MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")
TOKEN = "euregate-test"
SENDER, READER, EXAMPLE = "be-pol-lanaken", "nl-pol-limburg", "be-cannabis-lanaken.json"


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A SoftHSM2 token in a temporary directory; its PIN in a 0600 file (returned)."""
    if not MODULE.exists() or shutil.which("softhsm2-util") is None:
        pytest.skip("Debian's softhsm2 is not installed here (.ci/run installs it)")
    root = tmp_path_factory.mktemp("softhsm")
    (root / "tokens").mkdir()
    config = root / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\n")
    before = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(config)  # the library reads it once, at its first use
    pin = secrets.token_hex(8)
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", TOKEN, "--pin", pin,
         "--so-pin", secrets.token_hex(8)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    pin_file = root / "pin"
    pin_file.write_text(pin + "\n")
    pin_file.chmod(0o600)
    yield pin_file
    if before is None:
        del os.environ["SOFTHSM2_CONF"]
    else:
        os.environ["SOFTHSM2_CONF"] = before


def token_uri(pin_file: Path, label: str) -> str:
    return f"pkcs11:token={TOKEN};object={label}?module-path={MODULE}&pin-source=file:{pin_file}"


async def euregate(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        *args,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode()


async def made_key(pin_file: Path) -> str:
    uri = token_uri(pin_file, f"master-{secrets.token_hex(4)}")
    code, output = await euregate("keys", "hsm-create", uri)
    assert code == 0, output
    return uri


async def post_and_read(layout: DataDir, template: dict[str, Any], count: int) -> None:
    """Post ``count`` signals to a real gateway process, then read every copy the reader has,
    each opened with its key: the courier opened each body under the master key to seal it."""
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    async with gateway_process(layout, port):
        async with EuregateClient(url, ssl_context=client_context(layout, SENDER)) as sender:
            for n in range(count):
                await sender.post_signal({**template, "sender_reference": f"HSM-{n}"})
        private = load_private_key(layout.partner_encryption_key(READER).read_bytes())
        async with EuregateClient(url, ssl_context=client_context(layout, READER)) as reader:
            keys = await reader.gateway_keys()

            async def everything_sealed() -> bool:
                return len((await reader.inbox_page(limit=500))["envelopes"]) >= count

            await until(everything_sealed)
            for entry in (await reader.inbox_page(limit=500))["envelopes"]:
                opened = open_message(
                    entry, private_key=private, recipient_id=READER, gateway_keys=keys
                )
                assert "Lanaken" in opened.text


async def test_a_gateway_initialised_with_its_master_key_in_the_hsm_serves_and_reads_back(
    softhsm: Path, tmp_path: Path, example: Callable[[str], dict[str, Any]]
) -> None:
    uri = await made_key(softhsm)
    layout = DataDir(tmp_path / "data")
    code, output = await euregate(
        "init", "--demo", "--data-dir", str(layout.root), env={"EUREGATE_MASTER_KEY": uri}
    )
    assert code == 0, output
    assert not layout.master_key.exists(), "no key file: the key is in the token"
    assert read_keyring(layout).current.key == uri
    assert "pin-value" not in layout.keyring.read_text(), "the PIN stays in its own file"

    await post_and_read(layout, example(EXAMPLE), 3)
    signal_id, sealed = first_signal(layout)
    blob = SealedBlob.from_bytes(sealed)
    assert blob.key_version == 1
    assert load_master_key(layout).open(blob, context=signal_id.encode())


async def test_rotate_master_moves_a_file_key_directory_into_the_hsm(
    softhsm: Path, layout: DataDir, example: Callable[[str], dict[str, Any]]
) -> None:
    template = example(EXAMPLE)
    await post_and_read(layout, template, 4)
    uri = await made_key(softhsm)

    code, output = await euregate(
        "keys", "rotate-master", "--to", uri, "--data-dir", str(layout.root)
    )
    assert code == 0, output
    assert "master key version 2 is the only one in use" in output
    layout.master_key.unlink()  # the retired file key, deleted as the command says

    keyring = read_keyring(layout)
    assert (keyring.current.version, keyring.current.key) == (2, uri)
    assert SealedBlob.from_bytes(first_signal(layout)[1]).key_version == 2
    await post_and_read(layout, template, 6)


def test_the_token_key_never_leaves_the_token_and_binds_what_it_wraps(
    softhsm: Path,
) -> None:
    uri = token_uri(softhsm, f"master-{secrets.token_hex(4)}")
    subprocess.run(
        [sys.executable, "-m", "gateway", "keys", "hsm-create", uri], cwd=REPO, check=True
    )
    key = TokenKey.open(uri, version=3)
    wrapped = key.wrap(b"k" * 32, b"for this")
    assert key.unwrap(wrapped, b"for this") == b"k" * 32
    with pytest.raises(VaultError):
        key.unwrap(wrapped, b"for that")

    named = TokenUri.parse(uri)
    library = pkcs11.lib(named.module_path)
    # Logged in already (by TokenKey.open): a login holds for every session of the process.
    with library.get_token(token_label=TOKEN).open() as session:
        inside = session.get_key(
            object_class=ObjectClass.SECRET_KEY, key_type=KeyType.AES, label=named.object
        )
        assert inside[Attribute.SENSITIVE] is True
        assert inside[Attribute.EXTRACTABLE] is False
        with pytest.raises(pkcs11.exceptions.PKCS11Error):
            inside[Attribute.VALUE]


def test_a_pin_in_the_uri_or_a_pin_file_others_may_read_is_refused(softhsm: Path) -> None:
    with pytest.raises(VaultError, match="never written into the URI"):
        TokenUri.parse(f"pkcs11:token={TOKEN};object=x;pin-value=1234?module-path={MODULE}")
    loose = softhsm.with_name("loose-pin")
    loose.write_text("1234")
    loose.chmod(0o644)
    with pytest.raises(VaultError, match="owner only"):
        TokenUri.parse(token_uri(loose, "x")).pin()


def first_signal(layout: DataDir) -> tuple[str, bytes]:
    """The first stored signal's id and sealed body, as the database file holds them (its key
    in a row of its own)."""
    with sqlite3.connect(f"file:{layout.database}?mode=ro", uri=True) as conn:
        row = conn.execute(
            "SELECT s.id, k.sealed_key, s.sealed_body FROM signals s "
            "JOIN signal_keys k ON k.signal_id = s.id ORDER BY s.id LIMIT 1"
        ).fetchone()
    return str(row[0]), bytes(row[1]) + bytes(row[2])
