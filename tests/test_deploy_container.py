"""``deploy/Containerfile`` and ``deploy/compose.yaml``, checked statically.

No container engine runs on the machines these tests run on (a ``docker`` command may be
there, but no daemon), so nothing is built or started here: the files are parsed and held to
what a production image must be. Multi-stage, with the final stage running as a non-root
account; no secret baked in (no ``ENV`` or ``ARG`` carrying a key, password, secret or token,
no data directory or key file copied in); the data directory a volume; a health check on the
operations listener's path (:mod:`gateway.operations`); compose with a read-only root file
system, that account, secrets from files, and PostgreSQL 15 beside the gateway."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from gateway.edges import operations
from gateway.edges.cli import build_parser
from gateway.edges.cli.serve import run_serve
from gateway.registry import production
from tests.conftest import REPO

CONTAINERFILE = REPO / "deploy" / "Containerfile"
COMPOSE = REPO / "deploy" / "compose.yaml"
SECRET_NAME = re.compile(r"KEY|PASSWORD|PASSWD|SECRET|TOKEN", re.IGNORECASE)
NEVER_COPIED = re.compile(r"(^|/)data(/|$)|\.key$|\.pem$|(^|/)secrets(/|$)|\.db$")


@dataclass(frozen=True)
class Instruction:
    stage: int
    keyword: str
    arguments: str

    def words(self) -> list[str]:
        """The arguments as the exec form (a JSON array) or as shell words."""
        if self.arguments.startswith("["):
            words: list[str] = json.loads(self.arguments)
            return words
        return shlex.split(self.arguments)


def instructions(text: str) -> list[Instruction]:
    """The Containerfile's instructions in order, each with the index of its stage; a line
    ending in a backslash goes on on the next, comments and blank lines are dropped."""
    logical: list[str] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    assert not pending, "the last instruction goes on past the end of the file"
    parsed, stage = [], -1
    for line in logical:
        keyword, _, arguments = line.partition(" ")
        if keyword.upper() == "FROM":
            stage += 1
        parsed.append(Instruction(stage, keyword.upper(), " ".join(arguments.split())))
    return parsed


@pytest.fixture(scope="module")
def containerfile() -> list[Instruction]:
    return instructions(CONTAINERFILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def final_stage(containerfile: list[Instruction]) -> list[Instruction]:
    last = containerfile[-1].stage
    return [item for item in containerfile if item.stage == last]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return loaded


def assignments(instruction: Instruction) -> dict[str, str]:
    """The names and values of an ``ENV`` or ``ARG``: ``A=1 B=2``, or the old ``A 1``."""
    words = instruction.words()
    if instruction.keyword == "ENV" and words and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}
    return {word.partition("=")[0]: word.partition("=")[2] for word in words}


def user_id(user: str) -> int:
    """The numeric user of ``USER`` or compose's ``user:`` (``UID[:GID]``); a name is refused:
    a runtime that checks for non-root (Kubernetes' ``runAsNonRoot``) needs the number."""
    uid = user.split(":", 1)[0]
    assert uid.isdigit(), f"{user}: give the account as a number"
    return int(uid)


# --- the Containerfile ----------------------------------------------------------------------


def test_the_parser_reads_stages_continuations_and_both_argument_forms() -> None:
    parsed = instructions(
        "# a comment\nFROM a AS build\nRUN one \\\n    two\n\nFROM b\n"
        'CMD ["serve", "--x"]\nENV A=1 B=2\nENV C 3 4\n'
    )
    assert [(item.stage, item.keyword) for item in parsed] == [
        (0, "FROM"), (0, "RUN"), (1, "FROM"), (1, "CMD"), (1, "ENV"), (1, "ENV"),
    ]  # fmt: skip
    assert parsed[1].arguments == "one two"
    assert parsed[3].words() == ["serve", "--x"]
    assert assignments(parsed[4]) == {"A": "1", "B": "2"}
    assert assignments(parsed[5]) == {"C": "3 4"}


def test_the_image_is_built_in_one_stage_and_run_from_a_slim_one(
    containerfile: list[Instruction], final_stage: list[Instruction]
) -> None:
    stages = [item for item in containerfile if item.keyword == "FROM"]
    assert len(stages) >= 2
    assert any("slim" in item.arguments for item in containerfile if item.keyword == "ARG")
    copied_from_build = [
        item for item in final_stage if item.keyword == "COPY" and "--from=build" in item.arguments
    ]
    assert copied_from_build, "the runtime stage takes the built environment from the build stage"
    assert not any(item.keyword == "RUN" and "pip" in item.arguments for item in final_stage)


def test_the_final_stage_runs_as_a_numbered_account_that_is_not_root(
    final_stage: list[Instruction],
) -> None:
    users = [item.arguments for item in final_stage if item.keyword == "USER"]
    assert users, "no USER in the final stage: it would run as root"
    assert user_id(users[-1]) >= 1000
    last_user = max(i for i, item in enumerate(final_stage) if item.keyword == "USER")
    after = [item.keyword for item in final_stage[last_user + 1 :]]
    assert "RUN" not in after, "nothing runs as root after the account is chosen"


def test_no_secret_is_baked_in(containerfile: list[Instruction]) -> None:
    for item in containerfile:
        if item.keyword in ("ENV", "ARG"):
            for name, value in assignments(item).items():
                assert not (SECRET_NAME.search(name) and value), f"{item.keyword} {name}"
        if item.keyword in ("COPY", "ADD"):
            sources = [word for word in item.words()[:-1] if not word.startswith("--")]
            assert [source for source in sources if NEVER_COPIED.search(source)] == [], item


def test_nothing_a_build_must_not_see_is_in_its_context() -> None:
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    for pattern in ("data", ".venv", ".git", "**/*.key"):
        assert pattern in ignored


def test_the_data_directory_is_a_volume_and_the_root_may_be_read_only(
    final_stage: list[Instruction],
) -> None:
    volumes = [word for item in final_stage if item.keyword == "VOLUME" for word in item.words()]
    assert str(production.DATA_DIR) in volumes
    environment = {
        name: value
        for item in final_stage
        if item.keyword == "ENV"
        for name, value in assignments(item).items()
    }
    assert environment["EUREGATE_DATA_DIR"] == str(production.DATA_DIR)
    assert environment["PYTHONDONTWRITEBYTECODE"] == "1", "no __pycache__ written at run time"


def test_the_health_check_asks_the_operations_listener(final_stage: list[Instruction]) -> None:
    (check,) = [item for item in final_stage if item.keyword == "HEALTHCHECK"]
    command = check.arguments.split(" CMD ", 1)[1]
    assert operations.health_url() in command
    assert operations.HEALTH_PATH == "/healthz"
    assert operations.OPERATIONS_PORT == 9443


def test_the_image_runs_euregate_serve(final_stage: list[Instruction]) -> None:
    (entrypoint,) = [item.words() for item in final_stage if item.keyword == "ENTRYPOINT"]
    (command,) = [item.words() for item in final_stage if item.keyword == "CMD"]
    assert entrypoint == ["/opt/euregate/bin/euregate"]
    assert build_parser().parse_args(command).handler is run_serve


# --- compose --------------------------------------------------------------------------------


def test_compose_runs_the_gateway_beside_postgresql_15(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"euregate", "postgres"}
    assert services["postgres"]["image"].rsplit("/", 1)[-1] == "postgres:15"
    assert services["euregate"]["build"]["dockerfile"] == "deploy/Containerfile"
    command = services["euregate"]["command"]
    parsed = build_parser().parse_args(command)
    assert parsed.handler is run_serve
    assert parsed.config == production.CONFIG_FILE
    targets = [config["target"] for config in services["euregate"]["configs"]]
    assert targets == [str(production.CONFIG_FILE)]


def test_compose_runs_both_services_read_only_and_the_gateway_as_the_image_s_account(
    compose: dict[str, Any], final_stage: list[Instruction]
) -> None:
    services = compose["services"]
    for name, service in services.items():
        assert service["read_only"] is True, name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert service["healthcheck"]["test"][0] == "CMD", name
    gateway = services["euregate"]
    (image_user,) = [item.arguments for item in final_stage if item.keyword == "USER"][-1:]
    assert gateway["user"] == image_user
    assert user_id(gateway["user"]) >= 1000
    assert gateway["cap_drop"] == ["ALL"]
    assert any(mount.split(":")[0] == "/tmp" for mount in gateway["tmpfs"])
    volumes = [mount.split(":") for mount in gateway["volumes"]]
    assert [target for _, target in volumes] == [str(production.DATA_DIR)]
    assert all(source in compose["volumes"] for source, _ in volumes), "named volumes only"
    assert operations.health_url() in " ".join(gateway["healthcheck"]["test"])


def test_compose_takes_secrets_from_files_and_writes_none_inline(compose: dict[str, Any]) -> None:
    declared = compose["secrets"]
    assert declared
    for name, secret in declared.items():
        assert set(secret) == {"file"}, f"secret {name} must come from a file"
        assert not (COMPOSE.parent / secret["file"]).exists(), "a secret file is in the checkout"
    for name, service in compose["services"].items():
        environment = service.get("environment", {})
        assert isinstance(environment, dict), f"{name}: environment as a mapping"
        for variable, value in environment.items():
            if SECRET_NAME.search(variable):
                assert variable.endswith("_FILE"), f"{name}: {variable} is inline"
                assert str(value).startswith("/run/secrets/"), f"{name}: {variable}"
                assert str(value).removeprefix("/run/secrets/") in service["secrets"]


def test_the_files_compose_reads_from_the_checkout_stay_out_of_it() -> None:
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8").split()
    assert "/deploy/secrets/" in ignored
    assert "/deploy/euregate.toml" in ignored
    assert (COMPOSE.parent / "euregate.toml.example").exists()


def test_compose_waits_as_long_as_systemd_does_for_a_clean_stop(compose: dict[str, Any]) -> None:
    unit = (REPO / "deploy" / "systemd" / "euregate.service").read_text(encoding="utf-8")
    (systemd_stop,) = re.findall(r"^TimeoutStopSec=(\S+)$", unit, re.MULTILINE)
    assert compose["services"]["euregate"]["stop_grace_period"] == systemd_stop


def test_the_container_files_are_where_the_readme_says() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "deploy/Containerfile" in readme
    assert "deploy/compose.yaml" in readme
