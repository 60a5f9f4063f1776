"""Settings (flags, then ``EUREGATE_*`` variables, then defaults) and the data directory layout."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """What a deployment may set. Every field can come from ``EUREGATE_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="EUREGATE_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Where the database and keys live.")
    host: str = Field(default="localhost", description="Address the API listens on.")
    port: int = Field(default=8443, ge=0, le=65535, description="Port the API listens on.")
    gateway_id: str = Field(
        default="euregate.emr",
        pattern=r"^[a-z0-9][a-z0-9.-]{0,62}$",
        description="This gateway's name in the envelopes it seals.",
    )
    staff_port: int = Field(
        default=8444, ge=0, le=65535, description="Port the staff listener (review API) uses."
    )
    max_body_bytes: int = Field(
        default=256 * 1024, ge=1024, description="Largest signal body accepted, in bytes."
    )
    server_names: list[str] = Field(
        default_factory=lambda: ["localhost", "127.0.0.1", "::1"],
        description="Names and addresses the server certificate is issued for.",
    )
    policy_file: Path | None = Field(
        default=None, description="The sharing policy (default: policy.toml in the data directory)."
    )
    log_level: str = Field(default="info", description="debug, info, warning or error.")
    group_commit_max: int = Field(
        default=256, ge=1, description="Most writes committed together in one transaction."
    )
    intake_workers: int = Field(
        default=2,
        ge=1,
        description="Worker processes that parse, validate and canonicalise posted signals "
        "and explanations, off the event loop; partners take turns for them.",
    )
    intake_worker_kind: Literal["process", "thread"] = Field(
        default="process",
        description="process (uses the other cores too) or thread (one core, for a machine "
        "that cannot start processes).",
    )
    partner_concurrency: int = Field(
        default=4,
        ge=1,
        description="Signals and explanations of one partner in progress at once; more are "
        "refused with 429 before their body is read.",
    )
    partner_rate: float = Field(
        default=10.0,
        gt=0,
        description="Signals and explanations one partner may send per second, sustained, a "
        "body counting once for every 4 KiB it starts; more are refused with 429 and "
        "Retry-After.",
    )
    partner_burst: int = Field(
        default=64,
        ge=1,
        description="How many signals and explanations (counted as for partner_rate) one "
        "partner may send at once before partner_rate applies.",
    )
    store_read_threads: int = Field(
        default=4, ge=1, description="Threads that run the store's reads (SQLite, read-only)."
    )
    translator: Literal["none", "memory", "libretranslate"] = Field(
        default="memory",
        description="Translation of free text: none, memory (officers' corrections and the "
        "glossary; chained to LibreTranslate when its URL is set) or libretranslate.",
    )
    libretranslate_url: str | None = Field(
        default=None, description="A LibreTranslate server on the deployment's premises."
    )
    libretranslate_allow_http: bool = Field(
        default=False,
        description="Allow a plain-http LibreTranslate URL (the text would cross the network "
        "unencrypted); only for a server on the same host.",
    )
    libretranslate_api_key_file: Path | None = Field(
        default=None, description="A file holding that server's API key, if it asks for one."
    )
    webhook_ca_file: Path | None = Field(
        default=None,
        description="The CA that partners' webhook servers' certificates must come from "
        "(default: the gateway's own CA).",
    )
    webhook_max_attempts: int = Field(
        default=8, ge=1, description="Push attempts before a delivery is dead-lettered."
    )
    webhook_timeout: float = Field(
        default=10.0, gt=0, description="Seconds one push may take before it counts as failed."
    )
    webhook_concurrency: int = Field(
        default=16,
        ge=0,
        description="Pushes in flight at once, all partners together (0: this instance does "
        "not push; deliveries wait in the outbox).",
    )
    webhook_partner_concurrency: int = Field(
        default=2, ge=1, description="Pushes in flight at once to any one partner."
    )


REFERENCE_POLICY = Path(__file__).resolve().parent.parent / "deploy" / "policy" / "euregio.toml"


@dataclass(frozen=True)
class DataDir:
    """Where each file of a data directory lives; nothing here touches the disk."""

    root: Path

    @property
    def database(self) -> Path:
        return self.root / "euregate.db"

    @property
    def policy(self) -> Path:
        """The deployment's sharing policy; ``init`` starts it as a copy of the reference."""
        return self.root / "policy.toml"

    @property
    def pid_file(self) -> Path:
        return self.root / "euregate.pid"

    @property
    def master_key(self) -> Path:
        return self.root / "keys" / "master.key"

    @property
    def signing_key(self) -> Path:
        """The gateway's Ed25519 signing key, sealed under the master key."""
        return self.root / "keys" / "signing.key"

    @property
    def ca_certificate(self) -> Path:
        return self.root / "ca" / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.root / "ca" / "ca.key"

    @property
    def server_certificate(self) -> Path:
        return self.root / "server" / "server.pem"

    @property
    def server_key(self) -> Path:
        return self.root / "server" / "server.key"

    @property
    def gateway_client_certificate(self) -> Path:
        """The gateway's own client certificate, presented to partners' webhooks."""
        return self.root / "server" / "client.pem"

    @property
    def gateway_client_key(self) -> Path:
        return self.root / "server" / "client.key"

    def partner_dir(self, partner_id: str) -> Path:
        """Where ``init --demo`` and ``cert issue`` put a partner's credentials by default."""
        return self.root / "partners" / partner_id

    def partner_certificate(self, partner_id: str) -> Path:
        return self.partner_dir(partner_id) / "client.pem"

    def partner_key(self, partner_id: str) -> Path:
        return self.partner_dir(partner_id) / "client.key"

    def partner_encryption_key(self, partner_id: str) -> Path:
        """The demo partner's HPKE private key (its public half beside it, ``.pub``)."""
        return self.partner_dir(partner_id) / "encryption.key"

    def partner_encryption_public_key(self, partner_id: str) -> Path:
        return self.partner_dir(partner_id) / "encryption.pub"
