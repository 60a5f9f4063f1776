"""Settings (flags, then ``EUREGATE_*`` variables, then the configuration file, then
defaults) and the data directory layout."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import Field, IPvAnyNetwork, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from gateway.infra.audit.checkpoint import DEFAULT_ORIGIN
from gateway.infra.errors import SettingInvalid
from gateway.infra.i18n import N_

NO_SUCH_FILE: Final = N_("no such configuration file")
NOT_TOML: Final = N_("not valid TOML")
NOT_A_SETTING: Final = N_(
    "not a setting of Euregate; every setting is listed in deploy/euregate.toml.example"
)
NOT_IN_THE_FILE: Final = N_("names the configuration file and cannot be set inside it")


class Settings(BaseSettings):
    """What a deployment may set. Every field can come from ``EUREGATE_<NAME>`` and, but for
    ``config``, from the TOML file that ``config`` names."""

    model_config = SettingsConfigDict(env_prefix="EUREGATE_", extra="ignore")

    config: Path | None = Field(
        default=None, description="A TOML file the other settings are read from."
    )
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
    policy_follow_interval: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description="Seconds between checks for a policy another gateway process on the same "
        "store adopted, which this one then decides by too.",
    )
    log_level: str = Field(default="info", description="debug, info, warning or error.")
    log_format: Literal["console", "json"] | None = Field(
        default=None,
        description="console (lines for people) or json (one object a line, for the journal "
        "and log collectors); default: console when standard output is a terminal, else json.",
    )
    operations_host: str = Field(
        default="127.0.0.1",
        description="Address of the operations listener (/healthz, /readyz, /metrics): plain "
        "HTTP, so a loopback address only.",
    )
    operations_port: int = Field(
        default=9443, ge=0, le=65535, description="Port of the operations listener."
    )
    courier_stalled_after: float = Field(
        default=300.0,
        gt=0,
        description="Seconds a copy may wait to be sealed before /readyz reports the courier "
        "stalled.",
    )
    courier_backlog_limit: int = Field(
        default=5000,
        ge=1,
        description="Copies that may wait to be sealed (about 30 s of the courier's work) "
        "before intake refuses signals that would add more with 503 and Retry-After, the "
        "partners whose signals made most of them first.",
    )
    readiness_timeout: float = Field(
        default=2.0, gt=0, description="Seconds each readiness check of /readyz may take."
    )
    migrate_on_start: bool = Field(
        default=False,
        description="Whether serve brings an out-of-date store schema forward by itself (as "
        "euregate migrate does) instead of refusing to start.",
    )
    group_commit_max: int = Field(
        default=256, ge=1, description="Most writes committed together in one transaction."
    )
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Gateway processes that share the listeners and the store (`serve "
        "--workers`), to use more than one core.",
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
        description="Signals and explanations of one partner in progress at once in each "
        "gateway process; more are refused with 429 before their body is read.",
    )
    partner_rate: float = Field(
        default=10.0,
        gt=0,
        description="Signals and explanations one partner may send per second to the whole "
        "gateway (every instance on the store together), sustained, a body counting once for "
        "every 4 KiB it starts; more are refused with 429 and Retry-After.",
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
    database_url: str | None = Field(
        default=None,
        pattern=r"^postgres(ql)?://",
        description="A PostgreSQL database (postgresql://...) that every instance shares; "
        "none keeps the SQLite database in the data directory. Keep its password out of the "
        "URL: in ~/.pgpass or PGPASSFILE.",
    )
    database_pool_size: int = Field(
        default=8, ge=1, le=100, description="Connections one process keeps to PostgreSQL, at most."
    )
    database_wait: float = Field(
        default=30.0,
        ge=1,
        le=600,
        description="Seconds a request waits for a connection to PostgreSQL, and a process for "
        "the database as it starts, before it is refused as unreachable.",
    )
    pg_bin_dir: Path | None = Field(
        default=None,
        description="The folder of pg_dump and pg_restore for euregate backup and restore on "
        "PostgreSQL; none looks in Debian's newest /usr/lib/postgresql/*/bin, then on PATH.",
    )
    translator: Literal["none", "memory", "libretranslate", "etranslation"] = Field(
        default="memory",
        description="Translation of free text: none, memory (officers' corrections and the "
        "glossary; chained to LibreTranslate or eTranslation when either is set up), "
        "libretranslate or etranslation.",
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
    etranslation_application: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The application name the European Commission registered for this gateway "
        "with eTranslation (its Digest login); none leaves eTranslation unused.",
    )
    etranslation_password_file: Path | None = Field(
        default=None,
        description="A file holding the eTranslation application's password (never the "
        "password itself in the configuration).",
    )
    etranslation_username: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The user eTranslation's requests name (callerInformation.username); none "
        "names the application.",
    )
    etranslation_callback_url: str | None = Field(
        default=None,
        pattern=r"^https://[^\s/?#]+(/[^\s?#]*)?$",
        description="The https address at which eTranslation reaches the staff listener: its "
        "translations are posted to /v1/etranslation/... under it.",
    )
    etranslation_domain: str = Field(
        default="GEN",
        pattern=r"^[A-Z0-9_-]{1,40}$",
        description="The eTranslation domain (engine) to translate with: GEN, the general one, "
        "unless the Commission gave the gateway another.",
    )
    etranslation_url: str | None = Field(
        default=None,
        description="The eTranslation endpoint; none is the Commission's "
        "https://webgate.ec.europa.eu/etranslation/si/translate.",
    )
    password_hash_workers: int = Field(
        default=2,
        ge=1,
        le=32,
        description="Threads that check staff passwords (argon2id, 64 MiB each); sign-ins "
        "beyond these wait their turn without holding up anything else.",
    )
    enrolment_code_hours: int = Field(
        default=72,
        ge=1,
        le=24 * 30,
        description="Hours an approved enrolment code works for its holder's first sign-in.",
    )
    refusals_per_minute: int = Field(
        default=30,
        ge=1,
        description="Requests refused for want of a valid token or certificate that one "
        "address may have in a minute; further ones are answered 429 without a lookup.",
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
    handshake_timeout: float = Field(
        default=10.0, gt=0, description="Seconds a TLS handshake may take (both listeners)."
    )
    header_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds from the first byte of a request's head to its end (both listeners).",
    )
    body_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds from a request's head to the end of its body; a slower body is "
        "answered 408 (both listeners).",
    )
    idle_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds a connection may wait for its next request (both listeners).",
    )
    max_connections: int = Field(
        default=512, ge=1, description="Connections open at once on the partners' listener."
    )
    staff_max_connections: int = Field(
        default=256, ge=1, description="Connections open at once on the staff listener."
    )
    staff_max_connections_per_address: int = Field(
        default=32, ge=1, description="Connections open at once from one address (staff)."
    )
    staff_allow: Annotated[list[IPvAnyNetwork], NoDecode] = Field(
        default_factory=list,
        description="Address blocks (CIDR, comma-separated) the staff listener admits, checked "
        "before the TLS handshake; empty: every address.",
    )
    staff_client_ca_file: Path | None = Field(
        default=None,
        description="A CA whose client certificate the staff listener then requires of every "
        "browser and script (default: none required).",
    )
    long_polls_per_partner: int = Field(
        default=4, ge=1, description="Inbox long-polls one partner may have waiting at once."
    )
    long_poll_recheck: float = Field(
        default=2.0,
        gt=0,
        description="Seconds between the checks a waiting long-poll makes that its partner "
        "and certificate are still admitted.",
    )
    stop_timeout: float = Field(
        default=20.0,
        gt=0,
        description="Seconds a stop (SIGTERM) gives each listener's requests in flight to "
        "finish before it ends them; waiting long-polls are answered at once.",
    )

    audit_origin: str = Field(
        default=DEFAULT_ORIGIN,
        pattern=r"^[^\s+]{1,200}$",
        description="The audit log's name in its checkpoints (the first line) and the name of "
        "the gateway's key that signs them.",
    )
    audit_sequencer: bool = Field(
        default=True,
        description="Whether this instance integrates the audit log into its Merkle tree and "
        "signs checkpoints (only one instance does at a time).",
    )
    checkpoint_interval: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="Seconds between integrations of new audit entries into the tree, each "
        "with a new signed checkpoint.",
    )
    retention_interval: float = Field(
        default=3600,
        ge=1,
        le=86400,
        description="Seconds between the checks whether today's retention run is due; one "
        "instance a day runs it (erasing the signals whose time is up).",
    )
    retention_limit: int = Field(
        default=10000,
        ge=1,
        le=1_000_000,
        description="At most this many signals erased by one day's retention run; the rest "
        "wait for the next day's.",
    )
    checkpoint_republish: float = Field(
        default=3600,
        gt=0,
        le=3600,
        description="Seconds after which an unchanged checkpoint is signed and published again.",
    )
    signing_key_grace_days: int = Field(
        default=14,
        ge=1,
        le=365,
        description="Days the gateway's old signing key stays listed as valid after "
        "`keys rotate-signing`, for partners to verify what it signed and fetch the new one.",
    )
    certificate_warn_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="Days before a certificate expires that it is warned about (the admin "
        "page, `euregate cert list`, the metrics and `euregate doctor`).",
    )
    master_key: str | None = Field(
        default=None,
        description="The first master key, for `euregate init`: none for a key file "
        "(keys/master.key), or a PKCS#11 URI of an AES key in an HSM; afterwards "
        "keys/keyring.json says which keys there are (`keys rotate-master`).",
    )
    witness_stale_hours: int = Field(
        default=24,
        ge=1,
        description="Hours without a cosignature after which the compliance pages flag a "
        "partner's witness as stopped.",
    )

    @field_validator("staff_allow", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        """``EUREGATE_STAFF_ALLOW=10.20.0.0/16,192.0.2.7`` as well as a list."""
        if isinstance(value, str):
            return [entry.strip() for entry in value.split(",") if entry.strip()]
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Flags (keyword arguments), then the environment, then the file ``config`` names."""
        assert isinstance(init_settings, InitSettingsSource)
        named = init_settings.init_kwargs.get("config") or env_settings().get("config")
        sources = (init_settings, env_settings, dotenv_settings, file_secret_settings)
        return sources if named is None else (*sources, ConfigFile(settings_cls, Path(named)))


class ConfigFile(TomlConfigSettingsSource):
    """A TOML file of settings, each at the top level under its field's name. A key that is
    no setting is refused by name, lest a misspelt one be silently ignored."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        if not path.is_file():
            raise SettingInvalid(setting=str(path), reason=NO_SUCH_FILE)
        try:
            super().__init__(settings_cls, toml_file=path)
        except tomllib.TOMLDecodeError as exc:
            raise SettingInvalid(setting=f"{path}: {exc}", reason=NOT_TOML) from exc
        for key in self.toml_data:
            if key == "config":
                raise SettingInvalid(setting=f"{path}: {key}", reason=NOT_IN_THE_FILE)
            if key not in settings_cls.model_fields:
                raise SettingInvalid(setting=f"{path}: {key}", reason=NOT_A_SETTING)


def load_settings(**flags: Any) -> Settings:
    """The settings with ``flags`` (those given, not ``None``) over the environment, over the
    configuration file, over the defaults; a value a setting cannot take is refused by name."""
    given = {name: value for name, value in flags.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = ".".join(str(part) for part in error["loc"])
        raise SettingInvalid(setting=name, reason=error["msg"]) from exc


REFERENCE_POLICY = Path(__file__).resolve().parents[2] / "deploy" / "policy" / "euregio.toml"


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
    def sequencer_lock(self) -> Path:
        """Held by the one gateway process that sequences the audit log."""
        return self.root / "sequencer.lock"

    @property
    def master_key(self) -> Path:
        return self.root / "keys" / "master.key"

    def master_key_version(self, version: int) -> Path:
        """Where ``keys rotate-master`` writes master key ``version`` (2 onwards) in a file."""
        return self.root / "keys" / f"master.v{version}.key"

    @property
    def keyring(self) -> Path:
        """Which master key versions there are, where each is and which seals
        (:mod:`gateway.infra.keyring`); absent, the one key is ``keys/master.key``."""
        return self.root / "keys" / "keyring.json"

    @property
    def derivation_key(self) -> Path:
        """The root of the secrets derived from the master key, sealed under it."""
        return self.root / "keys" / "derivation.key"

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

    def partner_witness_key(self, partner_id: str) -> Path:
        """The demo partner's witness key (its verifier key beside it, ``.vkey``)."""
        return self.partner_dir(partner_id) / "witness.key"

    def partner_witness_state(self, partner_id: str) -> Path:
        """Where the demo partner's witness keeps the checkpoint it cosigned last."""
        return self.partner_dir(partner_id) / "witness.state"
