"""Contract tests: schemathesis sends every operation of both OpenAPI documents its examples
and generated inputs (valid and invalid) against a real ``euregate serve`` process over real
TLS, the partners' API with a demo partner's client certificate and the staff API with API
tokens. Every answer must be no 5xx, a status and a body the document lists for that
operation (a problem ``type`` it does not list fails), and every refusal a problem document.

``make test`` sends a few examples per operation (``EUREGATE_CONTRACT_EXAMPLES``, 8);
``make fuzz`` sets it high enough for 100,000 requests and more.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis import Case
from schemathesis.config import SchemathesisConfig
from schemathesis.core.transport import Response

from gateway.contract.codelists import SCHEMAS_DIR
from gateway.edges.problems import MEDIA_TYPE as PROBLEM
from gateway.flow.inbox import MAX_WAIT
from gateway.infra.config import DataDir
from gateway.staff import Passwords
from tests.conftest import EXAMPLES, REPO, enrol_staff, free_port

EXAMPLES_PER_OPERATION = int(os.environ.get("EUREGATE_CONTRACT_EXAMPLES", "8"))
SENDER = "nl-pol-limburg"
SEEDS = ("nl-drug-waste-maastricht.json", "nl-care-vulnerable-youth-maastricht.json")
LONGEST_WAIT = "1"
"""The most seconds an inbox request here long-polls (the API allows 60): a case waiting for
an envelope that will not come tells nothing more after one second than after sixty."""


def _config() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "generation": {
                "max-examples": EXAMPLES_PER_OPERATION,
                "mode": "all",
                "deterministic": EXAMPLES_PER_OPERATION < 100,
            },
            "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
            "operations": [
                {
                    # What JSON Schema cannot say either: a proof's index below its tree's size
                    # and ``from`` at most ``to``, a cosignature line in canonical base64.
                    "include-path-regex": "^/v1/audit/(proof/|cosignatures$)",
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": ["2XX", "400", "401", "403", "404", "422"]
                        }
                    },
                }
            ],
            "checks": {
                # A document the schemas allow may still break a rule JSON Schema cannot say
                # (check digits, references between entities, a correction's placeholders):
                # 422 names each. A 400 to a valid request stays a failure.
                "positive_data_acceptance": {
                    "expected-statuses": ["2XX", "401", "403", "404", "409", "422", "429"]
                }
            },
        }
    )


PARTNER_API = schemathesis.openapi.from_path(SCHEMAS_DIR / "openapi.json", config=_config())
STAFF_API = schemathesis.openapi.from_path(SCHEMAS_DIR / "openapi-staff.json", config=_config())


@dataclass
class Listener:
    url: str
    session: requests.Session
    answered: Counter[str] = field(default_factory=Counter)


@dataclass
class ContractGateway:
    partner: Listener
    staff: Listener


def _enrol(layout: DataDir) -> dict[str, str]:
    passwords = Passwords(time_cost=1, memory_cost_kib=8, parallelism=1)

    async def enrol() -> dict[str, str]:
        return {
            "liaison": await enrol_staff(layout, passwords, "liaison", role="liaison_officer"),
            "compliance": await enrol_staff(layout, passwords, "compliance", role="compliance"),
        }

    with ThreadPoolExecutor(1) as apart:
        return apart.submit(asyncio.run, enrol()).result()


def _until_listening(process: subprocess.Popen[bytes]) -> None:
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while b"listening" not in (line := process.stdout.readline()):
        assert line, "the gateway exited before listening"
        assert time.monotonic() < deadline, "the gateway did not start"


def _seed(partner: Listener) -> None:
    """Signals to look at: copies waiting at the desk, envelopes, a signed checkpoint."""
    for name in SEEDS:
        body = (EXAMPLES / name).read_bytes()
        answer = partner.session.post(
            partner.url + "/v1/signals",
            data=body,
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        assert answer.status_code == 202, answer.text
    deadline = time.monotonic() + 30
    while partner.session.get(partner.url + "/v1/audit/checkpoint", timeout=30).status_code != 200:
        assert time.monotonic() < deadline, "no checkpoint was signed"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def contract_gateway(
    demo_template: DataDir, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ContractGateway]:
    """``euregate serve`` on a copy of the demo data directory, with generous partner limits
    so that the generated requests reach the handlers rather than the rate limit."""

    root = tmp_path_factory.mktemp("contract") / "data"
    shutil.copytree(demo_template.root, root)
    layout = DataDir(root)
    STAFF_TOKENS.update(_enrol(layout))
    port, staff_port = free_port(), free_port()
    environment = {
        **os.environ,
        "EUREGATE_PARTNER_RATE": "100000",
        "EUREGATE_PARTNER_BURST": "100000",
        "EUREGATE_PARTNER_CONCURRENCY": "64",
        "EUREGATE_REFUSALS_PER_MINUTE": "1000000",
    }
    command = [sys.executable, "-m", "gateway", "serve", "--data-dir", str(root)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--staff-port", str(staff_port)]
    command += ["--operations-port", "0"]
    process = subprocess.Popen(
        command, cwd=REPO, env=environment, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    stdout = process.stdout
    assert stdout is not None
    try:
        _until_listening(process)
        drain = threading.Thread(target=stdout.read, daemon=True)
        drain.start()
        certificate, key = layout.partner_certificate(SENDER), layout.partner_key(SENDER)
        PARTNER_API.config.update(
            tls_verify=str(layout.ca_certificate),
            request_cert=str(certificate),
            request_cert_key=str(key),
        )
        STAFF_API.config.update(tls_verify=str(layout.ca_certificate))
        partner = _session(layout)
        partner.cert = (str(certificate), str(key))
        staff = _session(layout)
        gateway = ContractGateway(
            Listener(f"https://127.0.0.1:{port}", partner),
            Listener(f"https://127.0.0.1:{staff_port}", staff),
        )
        _seed(gateway.partner)
        yield gateway
        _report(gateway)
    finally:
        process.kill()
        process.wait()
        drain.join()
        stdout.close()


def _session(layout: DataDir) -> requests.Session:
    """A session that trusts the gateway's CA alone, whatever the environment names."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(layout.ca_certificate)
    return session


def _report(gateway: ContractGateway) -> None:
    for name, listener in (("partner", gateway.partner), ("staff", gateway.staff)):
        total = sum(listener.answered.values())
        by_status = dict(sorted(listener.answered.items()))
        print(f"\ncontract {name}: {total} requests, by status {by_status}")


def refusals_are_problem_documents(_: Any, response: Response, case: Case) -> bool:
    """Every answer of 400 or more is an RFC 9457 problem document naming its status."""
    if response.status_code < 400:
        return True
    media_type = response.headers.get("content-type", [""])[0].split(";")[0]
    assert media_type == PROBLEM, f"{case.method} {case.path}: {response.status_code} {media_type}"
    document = json.loads(response.content)
    assert document["status"] == response.status_code
    assert document["type"].startswith("urn:euregate:problem:")
    return True


def shortened_wait(wait: str) -> str:
    """``wait`` as sent here: one the API allows shortened to :data:`LONGEST_WAIT`; one it
    does not allow still one it does not allow (a case generated to be refused must be)."""
    if not (wait.isascii() and wait.isdigit()):
        return "x"
    return LONGEST_WAIT if int(wait) <= MAX_WAIT else wait


def test_a_wait_the_api_refuses_is_not_shortened_into_one_it_allows() -> None:
    """``make fuzz`` found ``GET /v1/inbox?wait=61`` sent as ``wait=1`` and accepted."""
    assert [shortened_wait(w) for w in ("0", "60", "61", "0061", "4500", "", "-1", "٥")] == [
        LONGEST_WAIT,
        LONGEST_WAIT,
        "61",
        "0061",
        "4500",
        "x",
        "x",
        "x",
    ]


def _call(case: Case, listener: Listener) -> None:
    marked = (case.headers or {}).get("Authorization", "")
    if marked.startswith(ROLE_MARK):
        case.headers["Authorization"] = f"Bearer {STAFF_TOKENS[marked.removeprefix(ROLE_MARK)]}"
    if isinstance(case.query, dict) and "wait" in case.query:
        case.query["wait"] = shortened_wait(str(case.query["wait"]))
    session = listener.session
    response = case.call(base_url=listener.url, session=session, verify=session.verify, timeout=90)
    listener.answered[str(response.status_code)] += 1
    case.validate_response(response, additional_checks=[refusals_are_problem_documents])


@PARTNER_API.parametrize()
def test_the_partner_api_answers_as_its_document_says(
    case: Case, contract_gateway: ContractGateway
) -> None:
    _call(case, contract_gateway.partner)


STAFF_TOKENS: dict[str, str] = {}
"""The API tokens of the staff accounts, by role, once the gateway's fixture has issued them."""
ROLE_MARK = "Bearer role:"


@STAFF_API.auth()
class StaffToken:
    """A compliance officer's token for the audit log, a liaison officer's for the rest; left
    out when schemathesis sends a case without a token on purpose. Some cases are made at
    collection, before the fixture issues the tokens: for those this names the role, and
    :func:`_call` puts the role's token in its place."""

    def get(self, case: Case, context: Any) -> str:
        return ROLE_MARK

    def set(self, case: Case, data: str, context: Any) -> None:
        role = "compliance" if case.path.startswith("/v1/audit") else "liaison"
        token = STAFF_TOKENS.get(role)
        credential = f"Bearer {token}" if token else data + role
        case.headers = {**(case.headers or {}), "Authorization": credential}


@STAFF_API.parametrize()
def test_the_staff_api_answers_as_its_document_says(
    case: Case, contract_gateway: ContractGateway
) -> None:
    _call(case, contract_gateway.staff)
