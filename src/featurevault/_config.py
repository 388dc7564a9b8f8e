"""Repo configuration: ``feature_store.yaml`` parsed into pydantic models.

Unknown keys are an error naming the key and the file. Each backend's config
model lives beside the backend; this module only knows where to find them, so
that reading the config never imports a driver. ``${VAR}`` in a value is
replaced from the environment.

The file is bounded before anything expands it: at most :data:`MAX_CONFIG_BYTES`
bytes, :data:`MAX_YAML_ALIASES` aliases (``*name``) and :data:`MAX_CONFIG_VALUES`
values once aliases are expanded, so a "billion laughs" file of nested anchors
is refused at once instead of filling memory.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from featurevault.errors import ConfigError

logger = logging.getLogger(__name__)

CONFIG_FILE = "feature_store.yaml"

#: Keys Feast reads that change nothing here: accepted, and said so once in the log.
NO_EFFECT_KEYS = ("entity_key_serialization_version", "coerce_tz_aware", "flags", "feature_server", "batch_engine")
#: The type of a backend section that leaves ``type`` out, as in Feast.
DEFAULT_TYPES = {"online_store": "sqlite", "offline_store": "duckdb"}
#: where a config came from, passed to RepoConfig by the loader for its error messages
_SOURCE_KEY = "__source__"
#: larger files are refused unread (a real feature_store.yaml is a few kilobytes)
MAX_CONFIG_BYTES = 1024 * 1024
#: more ``*alias`` references than this are refused while parsing
MAX_YAML_ALIASES = 1000
#: deeper nesting of lists and mappings than this is refused while parsing
MAX_YAML_DEPTH = 64
#: more values (scalars, lists, mappings) than this, counted with every alias expanded, are refused
MAX_CONFIG_VALUES = 100_000

# type name -> module holding ``Config`` (pydantic) and ``Store`` (the backend class)
ONLINE_STORES = {
    "sqlite": "featurevault._backends.online.sqlite",
    "redis": "featurevault._backends.online.redis",
    "postgres": "featurevault._backends.online.postgres",
}
OFFLINE_STORES = {
    "duckdb": "featurevault._backends.offline.duckdb",
    "file": "featurevault._backends.offline.duckdb",
    "spark": "featurevault._backends.offline.spark",
}
REGISTRIES = {
    "sqlite": "featurevault._backends.registry.sqlite",
    "file": "featurevault._backends.registry.sqlite",
    "sql": "featurevault._backends.registry.postgres",
    "postgres": "featurevault._backends.registry.postgres",
}


class StrictModel(BaseModel):
    """Base of every config section: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RegistryConfig(StrictModel):
    #: `file` or `sqlite`: a SQLite file at `path`; `sql` or `postgres`: a PostgreSQL database, `path` its URL
    registry_type: str = "file"
    #: the registry file (relative to the repo) or database URL
    path: str = "data/registry.db"
    #: how often readers check for a newer version (and re-read tokens and state)
    cache_ttl_seconds: float = 10.0
    #: a registry read that takes longer fails (RegistryUnavailableError)
    read_timeout_seconds: float = Field(default=2.0, gt=0)
    #: while the registry cannot be reached, the last good copy serves this long; then requests get 503
    max_staleness_seconds: float | None = Field(default=600.0, gt=0)

    @model_validator(mode="after")
    def _staleness_covers_ttl(self) -> RegistryConfig:
        if self.max_staleness_seconds is not None and self.max_staleness_seconds < self.cache_ttl_seconds:
            raise ValueError(
                f"registry.max_staleness_seconds ({self.max_staleness_seconds:g}) must be at least "
                f"registry.cache_ttl_seconds ({self.cache_ttl_seconds:g})"
            )
        return self

    @field_validator("registry_type")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in REGISTRIES:
            raise ValueError(f"registry_type {value!r} is not one of {sorted(REGISTRIES)}")
        return value


class NoAuthConfig(StrictModel):
    """Everything allowed; every caller is the principal "anonymous"."""

    #: the authentication method
    type: Literal["no_auth"] = "no_auth"


class TokenAuthConfig(StrictModel):
    """Bearer tokens made by ``featurevault tokens create``; salted hashes kept in the registry."""

    #: the authentication method
    type: Literal["token"]


class OidcAuthConfig(StrictModel):
    """JWTs (RS256/ES256) from an OpenID Connect issuer, keys from a JWKS file or URL."""

    #: the authentication method
    type: Literal["oidc"]
    #: the `iss` every token must carry
    issuer: str
    #: the `aud` every token must carry
    audience: str
    #: a JWKS file with the issuer's public keys (one of jwks_path / jwks_url)
    jwks_path: str | None = None
    #: the issuer's JWKS URL
    jwks_url: str | None = None
    #: the token claim holding the roles
    roles_claim: str = "roles"
    #: the token claim holding the groups
    groups_claim: str = "groups"
    #: the token claim naming the principal
    username_claim: str = "sub"
    #: clock skew allowed on exp / nbf
    leeway_seconds: float = 0.0
    #: how long fetched keys are kept
    jwks_cache_seconds: float = 300.0

    @model_validator(mode="after")
    def _one_key_source(self) -> OidcAuthConfig:
        if (self.jwks_path is None) == (self.jwks_url is None):
            raise ValueError("auth: give exactly one of jwks_path or jwks_url")
        return self


AuthConfig = Annotated[NoAuthConfig | TokenAuthConfig | OidcAuthConfig, Field(discriminator="type")]


class AuditConfig(StrictModel):
    """Where audit records go. Records are buffered and written by a background thread."""

    #: where audit records go: a JSON-lines file, a PostgreSQL table, or nowhere
    sink: Literal["file", "postgres", "none"] = "file"
    #: the audit file (sink: file), relative to the repo
    path: str = "data/audit.jsonl"
    #: the file rotates past this size
    max_bytes: int = Field(default=50_000_000, gt=0)
    #: rotated files kept
    backups: int = Field(default=5, ge=0)
    #: when the audit sink fails, refuse the call instead of logging and serving
    fail_closed: bool = False
    #: records are written at least this often
    flush_interval_ms: int = Field(default=200, gt=0)
    #: records buffered before a write
    buffer_size: int = Field(default=1000, gt=0)
    #: PostgreSQL connection string (sink: postgres)
    dsn: str | None = None
    #: the audit table (sink: postgres)
    table: str = "featurevault_audit"
    #: the HMAC key of the chain: this env var, else ``key_file`` (never the key itself here)
    key_env: str = "FEATUREVAULT_AUDIT_KEY"
    #: a file holding the audit chain key (instead of the key_env variable)
    key_file: str | None = None
    #: every this many records, the record's (seq, hash) is kept in the registry as a checkpoint
    checkpoint_every: int = Field(default=1000, gt=0)

    @field_validator("table")
    @classmethod
    def _plain_table(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", value):
            raise ValueError(f"table {value!r} must be letters, digits and '_'")
        return value

    @model_validator(mode="after")
    def _postgres_dsn(self) -> AuditConfig:
        if self.sink == "postgres" and not self.dsn:
            raise ValueError("audit: sink 'postgres' needs a dsn")
        return self


class PiiConfig(StrictModel):
    """Keys for PII hashing and encryption at rest (names of env vars or key files, never the keys)."""

    #: environment variable holding the key of the `hash` masking strategy
    hash_key_env: str = "FEATUREVAULT_PII_HASH_KEY"
    #: a file holding that key instead
    hash_key_file: str | None = None
    #: environment variable holding the master key of encryption at rest
    master_key_env: str = "FEATUREVAULT_MASTER_KEY"
    #: a file holding the master key instead
    master_key_file: str | None = None
    #: encrypt PII values in the online store
    encrypt_at_rest: bool = False


LintLevel = Literal["error", "warning", "off"]


class LintVocabularies(StrictModel):
    """Words the naming rules recognise. ``{n}`` in a window stands for a number (``{n}d`` matches ``30d``)."""

    #: accepted window suffixes in feature names
    windows: list[str] = ["{n}s", "{n}m", "{n}h", "{n}d", "{n}w", "{n}mo", "{n}y", "lifetime"]
    #: accepted aggregation words in feature names
    aggregations: list[str] = [
        "count",
        "sum",
        "avg",
        "mean",
        "min",
        "max",
        "median",
        "std",
        "var",
        "rate",
        "ratio",
        "score",
        "pct",
        "distinct",
    ]
    #: accepted update-frequency tag values
    frequencies: list[str] = ["realtime", "streaming", "minutely", "hourly", "daily", "weekly", "monthly"]
    # tag key -> allowed values; an empty list allows any value.
    #: allowed values of the listed tags
    tags: dict[str, list[str]] = {
        "team": [],
        "domain": [],
        "env": ["dev", "staging", "prod"],
        "pii": ["true", "false"],
        "freshness": ["realtime", "hourly", "daily", "weekly"],
    }
    #: entity names too generic to be useful
    generic_entity_names: list[str] = ["entity", "id", "key", "object", "item", "thing", "record", "row", "data"]
    #: join-key names too generic to be useful
    generic_join_keys: list[str] = ["id", "key", "pk", "uid", "uuid", "identifier", "code", "value"]
    #: words that say nothing in a name
    meaningless_words: list[str] = [
        "feature",
        "feat",
        "value",
        "val",
        "col",
        "column",
        "field",
        "data",
        "tmp",
        "temp",
        "test",
        "foo",
        "bar",
        "baz",
        "x",
        "y",
        "z",
        "misc",
        "new",
        "old",
    ]


class LintConfig(StrictModel):
    """The ``lint`` section: which rules run and at what level (see docs/lint.md)."""

    enforce: bool = Field(default=False, description="naming and design warnings become errors")
    #: rule ids or prefixes to run (comma list or YAML list); empty: all
    select: list[str] = []
    #: rule ids or prefixes to skip
    ignore: list[str] = []
    #: per rule: `error`, `warning` or `off` (a bare YAML `off` is read as off)
    severity: dict[str, LintLevel] = {}
    #: the word lists the naming rules check against
    vocabularies: LintVocabularies = LintVocabularies()

    @field_validator("select", "ignore", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        return [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value

    @field_validator("severity", mode="before")
    @classmethod
    def _yaml_off(cls, value: Any) -> Any:
        """YAML 1.1 reads a bare ``off`` as ``false``: take that as the level ``off``."""
        if not isinstance(value, dict):
            return value
        levels = {}
        for rule_id, level in value.items():
            if level is False:
                level = "off"
            elif level is True:
                raise ValueError(
                    f"lint.severity.{rule_id}: YAML read a bare on/yes/true as a boolean; "
                    'write one of "off", "warning", "error" (quoted)'
                )
            levels[rule_id] = level
        return levels


class BatchEngineConfig(StrictModel):
    """How materialization runs: ``local`` in this process, or ``spark`` on the Spark offline store's cluster."""

    #: "spark.engine" is Feast's spelling of "spark"
    type: Literal["local", "spark", "spark.engine"] = "local"
    #: partitions the latest rows are written in (each opens its own online store connection); Spark's choice when unset
    partitions: int | None = Field(default=None, gt=0)

    @property
    def distributed(self) -> bool:
        return self.type != "local"


#: the feature server's default cap on entity rows in one online read
DEFAULT_SERVER_MAX_ENTITY_ROWS = 10_000


class LimitsConfig(StrictModel):
    """The ``limits`` section: bounds on the size of one request (see docs/server.md)."""

    max_entity_rows: int | None = Field(
        default=None, gt=0, description="entity rows per get_online_features call in the SDK; none: unbounded"
    )
    server_max_entity_rows: int = Field(
        default=DEFAULT_SERVER_MAX_ENTITY_ROWS, gt=0, description="entity rows per HTTP online read; more get 413"
    )


class OnlineCacheConfig(StrictModel):
    """The ``online_cache`` section: an in-process cache of hot entities' online records (see docs/online.md)."""

    #: records kept (one per feature view and entity key); the least recently read go first
    max_entries: int = Field(default=10_000, gt=0)
    #: seconds a cached record is served; bounds how stale a value written by another process can be
    ttl_seconds: float = Field(default=5.0, gt=0)


class ReceiverConfig(StrictModel):
    """One receiver of ``alerting.receivers``: ``log``, ``webhook`` (JSON POST) or ``command``."""

    type: Literal["log", "webhook", "command"]
    url: str | None = None
    slack: bool = Field(default=False, description="post Slack's {'text': ...} payload instead of the JSON event")
    timeout_seconds: float = Field(default=5.0, gt=0)
    retries: int = Field(default=2, ge=0, description="retries after a failed POST, within one evaluation")
    headers: dict[str, str] = {}
    command: list[str] = []

    @model_validator(mode="after")
    def _target(self) -> ReceiverConfig:
        if self.type == "webhook" and not self.url:
            raise ValueError("a webhook receiver needs 'url'")
        if self.type == "command" and not self.command:
            raise ValueError("a command receiver needs 'command' (a list: program and arguments)")
        return self


class RouteConfig(StrictModel):
    """Which receivers get an alert of a severity and/or owner; escalation after a delay while it fires."""

    severity: str | None = None
    owner: str | None = None
    receivers: list[str]
    escalate_after_minutes: float | None = Field(default=None, gt=0)
    escalate_to: list[str] = []


class AlertingConfig(StrictModel):
    """The ``alerting`` section: receivers, routes (first match wins) and the default receivers."""

    #: named receivers (log, webhook, command) that notifications are sent to
    receivers: dict[str, ReceiverConfig] = {}
    #: severity/owner matches mapped to receivers and escalation; the first match wins
    routes: list[RouteConfig] = []
    #: receivers of an alert that no route matches
    default_receivers: list[str] = ["log"]

    @model_validator(mode="after")
    def _known_receivers(self) -> AlertingConfig:
        known = {*self.receivers, "log"}
        named = [*self.default_receivers, *(r for route in self.routes for r in [*route.receivers, *route.escalate_to])]
        for name in named:
            if name not in known:
                raise ValueError(f"receiver {name!r} is not defined under alerting.receivers (known: {sorted(known)})")
        return self


class BackendSection(BaseModel):
    """An online/offline store section before its backend's own model validates it."""

    model_config = ConfigDict(extra="allow", frozen=True)
    #: the backend: sqlite, redis or postgres online; duckdb (alias file) or spark offline
    type: str


_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: Any, what: str = "duration") -> float:
    """Seconds from a number or a text like ``90s``, ``15m``, ``1h``, ``30d``, ``2w``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _DURATION_RE.match(str(value))
        if match is None:
            raise ValueError(f"{what} {value!r} is not a duration (a number of seconds, or like 15m, 1h, 30d)")
        seconds = float(match.group(1)) * _DURATION_UNITS[match.group(2)]
    if seconds < 0:
        raise ValueError(f"{what} {value!r} must not be negative")
    return seconds


class BackupConfig(StrictModel):
    """``backup:``: where backups go and how many are kept (the seed's "hourly, 30 days" is keep_days: 30)."""

    #: whether `featurevault backup create` may run for this repo
    enabled: bool = True
    #: a directory (relative to the repo), s3://bucket/prefix, or a URI any pyarrow filesystem opens (file://, ...)
    target: str = "data/backups"
    #: for an s3:// target on an S3-compatible server: its endpoint, such as http://127.0.0.1:9000 (MinIO)
    s3_endpoint_override: str | None = None
    #: retention: keep at most this many complete backups (None: no count limit)
    keep_last: int | None = Field(default=None, ge=1)
    #: retention: remove backups older than this many days (None: no age limit)
    keep_days: float | None = Field(default=None, gt=0)
    #: what a backup holds by default: the registry, the online store, or both
    include: list[Literal["registry", "online"]] = ["registry", "online"]


class QuarantineConfig(StrictModel):
    """``quarantine:``: where rows a ``quarantine`` rule kept out of the stores are held (see docs/quality.md)."""

    #: a directory (relative to the repo) or s3://bucket/prefix; unset: data/quarantine, or a table in a
    #: PostgreSQL registry
    path: str | None = None
    #: for an s3:// path on an S3-compatible server: its endpoint, such as http://127.0.0.1:9000 (MinIO)
    s3_endpoint_override: str | None = None


class DrConfig(StrictModel):
    """``dr:``: recovery targets the drill is measured against (seconds, or 15m / 1h / 1d)."""

    #: recovery time objective: seconds (or 15m, 1h) from start of the drill to a verified store
    rto_target: float = 3600.0
    #: recovery point objective: the age of data a restore may lose before rematerialization
    rpo_target: float = 86400.0
    #: entities the drill checks against point-in-time offline values
    sample_size: int = Field(default=200, ge=1)

    @field_validator("rto_target", "rpo_target", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> float:
        return parse_duration(value, "dr target")


class OfflineMaintenanceConfig(StrictModel):
    """``offline_maintenance:``: compaction and vacuum of offline data (``featurevault offline compact|vacuum``)."""

    #: file size compaction aims at, in MB (the seed's 128 MB - 1 GB range suits most tables)
    target_file_size_mb: int = Field(default=256, ge=1, le=4096)
    #: how long a vacuum keeps files old Delta versions need: time travel reaches back this far (90d)
    vacuum_retain: float = 90 * 86400.0

    @field_validator("vacuum_retain", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> float:
        return parse_duration(value, "offline_maintenance.vacuum_retain")


class RepoConfig(StrictModel):
    """The whole feature_store.yaml."""

    #: the project name; namespaces every object and table
    project: str
    #: the registry section (or a path string)
    registry: RegistryConfig = RegistryConfig()
    #: only `local`
    provider: Literal["local"] = "local"
    #: the online store section: `type` is sqlite, redis or postgres
    online_store: BackendSection = BackendSection(type="sqlite")
    #: the offline store section: `type` is duckdb (or file)
    offline_store: BackendSection = BackendSection(type="duckdb")
    #: which engine materializes: local (this process) or spark (the Spark offline store's executors)
    batch_engine: BatchEngineConfig = BatchEngineConfig()
    #: how entity keys are encoded (Feast's version 3)
    entity_key_serialization_version: int = 3
    #: who callers are: no_auth, token or oidc
    auth: AuthConfig = NoAuthConfig()
    #: the audit trail
    audit: AuditConfig = AuditConfig()
    #: PII masking and encryption keys
    pii: PiiConfig = PiiConfig()
    #: the linter
    lint: LintConfig = LintConfig()
    #: request size bounds
    limits: LimitsConfig = LimitsConfig()
    #: the hot-entity cache of online reads; absent: off
    online_cache: OnlineCacheConfig | None = None
    #: backups of the registry and the online store (see docs/operations.md)
    backup: BackupConfig = BackupConfig()
    #: where quarantined rows are held (see docs/quality.md)
    quarantine: QuarantineConfig = QuarantineConfig()
    #: disaster-recovery targets the drill is measured against
    dr: DrConfig = DrConfig()
    #: compaction and vacuum of offline data (see docs/operations.md)
    offline_maintenance: OfflineMaintenanceConfig = OfflineMaintenanceConfig()
    #: alert receivers and on-call routing (see docs/monitoring.md)
    alerting: AlertingConfig = AlertingConfig()
    repo_path: Path | None = Field(default=None, description="set by the loader; not a yaml key")
    environment: str | None = Field(default=None, description="the active environment; set by the loader")
    environment_names: tuple[str, ...] = Field(
        default=(), description="environments the file defines; set by the loader"
    )

    @field_validator("project")
    @classmethod
    def _project_name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise ValueError(f"project name {value!r} must be letters, digits and '_', starting with a letter")
        return value

    @field_validator("registry", mode="before")
    @classmethod
    def _registry_path(cls, value: Any) -> Any:
        return {"path": value} if isinstance(value, str) else value

    @field_validator("batch_engine", mode="before")
    @classmethod
    def _engine_type(cls, value: Any) -> Any:
        return {"type": value} if isinstance(value, str) else value

    def __init__(self, **data: Any) -> None:
        # Built by hand (as Feast users do: RepoConfig(project=..., online_store=...)), a bad key is
        # a ConfigError naming it; pydantic's own report never reaches the user.
        source = data.pop(_SOURCE_KEY, "RepoConfig")
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise ConfigError(_format_validation(exc, source)) from None

    @field_validator("online_store", "offline_store", mode="before")
    @classmethod
    def _section_type(cls, value: Any, info: Any) -> Any:
        if value is None:
            return {"type": DEFAULT_TYPES[info.field_name]}
        if isinstance(value, str):
            return {"type": value}
        if isinstance(value, BaseModel) and not isinstance(value, BackendSection):
            value = value.model_dump()  # a backend's config object, such as SqliteOnlineStoreConfig(path=...)
        if isinstance(value, dict) and "type" not in value:
            return {"type": DEFAULT_TYPES[info.field_name], **value}
        return value

    @model_validator(mode="after")
    def _separate_audit_key(self) -> RepoConfig:
        """The audit key must not be the data-encryption or PII hash key: each guards against other people."""
        pii = self.pii
        if not isinstance(self.audit, AuditConfig) or not isinstance(pii, PiiConfig):
            return self  # a subclass carrying sections of its own
        if self.audit.key_env in (pii.master_key_env, pii.hash_key_env):
            raise ValueError(f"audit.key_env {self.audit.key_env!r} must differ from the pii key variables")
        if self.audit.key_file and self.audit.key_file in (pii.master_key_file, pii.hash_key_file):
            raise ValueError(f"audit.key_file {self.audit.key_file!r} must differ from the pii key files")
        return self

    @model_validator(mode="after")
    def _known_backends(self) -> RepoConfig:
        if self.online_store.type not in ONLINE_STORES:
            raise ValueError(f"online_store.type {self.online_store.type!r} is not one of {sorted(ONLINE_STORES)}")
        if self.offline_store.type not in OFFLINE_STORES:
            raise ValueError(f"offline_store.type {self.offline_store.type!r} is not one of {sorted(OFFLINE_STORES)}")
        if self.batch_engine.distributed and self.offline_store.type != "spark":
            raise ValueError(
                f"batch_engine {self.batch_engine.type!r} runs on the Spark offline store: set offline_store.type to "
                f"'spark' (it is {self.offline_store.type!r})"
            )
        return self

    def resolve(self, path: str | Path) -> Path:
        """A path from the config, relative to the repo."""
        p = Path(path).expanduser()
        if p.is_absolute() or self.repo_path is None:
            return p
        return self.repo_path / p


def backend_module(kind: str, type_name: str) -> Any:
    table = {"online_store": ONLINE_STORES, "offline_store": OFFLINE_STORES, "registry": REGISTRIES}[kind]
    return importlib.import_module(table[type_name])


def section_config(config: RepoConfig, kind: str, source: str = CONFIG_FILE) -> Any:
    """Validate one backend section with its backend's own model."""
    section = getattr(config, kind)
    module = backend_module(kind, section.type)
    data = section.model_dump() if isinstance(section, BaseModel) else dict(section)
    try:
        return module.Config(**data)
    except ValidationError as exc:
        raise ConfigError(_format_validation(exc, source, prefix=kind)) from None


def load_repo_config(repo_path: str | Path, filename: str | Path | None = None, env: str | None = None) -> RepoConfig:
    """Read ``feature_store.yaml`` from a repo (or the file given), validating every key.

    ``env`` (else ``FEATUREVAULT_ENV``) picks an environment of the ``environments:`` section
    (see featurevault._lifecycle.environments).
    """
    from featurevault._lifecycle.environments import environment_names, select_environment

    repo = Path(repo_path).expanduser().resolve()
    path = Path(filename).resolve() if filename else repo / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(f"{path}: not found; is {repo} a feature repo? (featurevault init creates one)")
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of keys such as 'project', got {type(raw).__name__}")
    raw = _expand_env(raw, path, _ValueBudget(path))
    selected, name = select_environment(raw, env, str(path))
    config = parse_config(selected, source=str(path), repo_path=repo)
    return config.model_copy(
        update={"environment": name, "environment_names": tuple(environment_names(raw, str(path)))}
    )


def _read_yaml(path: Path) -> Any:
    size = path.stat().st_size
    if size > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: {size} bytes is more than a configuration file may hold ({MAX_CONFIG_BYTES})")
    loader = _BoundedLoader(path.read_text())
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, {}) > MAX_CONFIG_VALUES:  # before anything is built
            raise ConfigError(
                f"{path}: more than {MAX_CONFIG_VALUES} values once YAML aliases are expanded; "
                "refused as a possible alias bomb"
            )
        return loader.construct_document(node)
    except _TooManyAliasesError:
        raise ConfigError(
            f"{path}: more than {MAX_YAML_ALIASES} YAML aliases (*name); refused as a possible alias bomb"
        ) from None
    except _RecursiveAliasError:
        raise ConfigError(f"{path}: a YAML alias refers to the value that contains it (&name ... *name)") from None
    except _NestedTooDeeplyError:
        raise ConfigError(f"{path}: values nested more than {MAX_YAML_DEPTH} levels deep") from None
    except yaml.YAMLError as exc:
        raise ConfigError(yaml_error_line(path, exc)) from None
    finally:
        loader.dispose()


def _expanded_size(node: yaml.Node, sizes: dict[int, int]) -> int:
    """How many values ``node`` becomes once its aliases are expanded (as :func:`_expand_env` counts them).

    An alias is the very node object of its anchor, so each distinct node is sized once: the
    count of a billion-laughs document is known in microseconds, without expanding it. An
    alias inside its own anchor (``&a [*a]``) would expand forever: ``_RecursiveAliasError``.
    """
    known = sizes.get(id(node))
    if known is not None:
        if known < 0:  # met again while being sized: an alias inside its own anchor
            raise _RecursiveAliasError
        return known
    sizes[id(node)] = -1
    if isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(item, sizes) for item in node.value)
    elif isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(value, sizes) for _, value in node.value)
    else:
        size = 1
    sizes[id(node)] = size
    return size


class _TooManyAliasesError(Exception):
    pass


class _RecursiveAliasError(Exception):
    pass


class _NestedTooDeeplyError(Exception):
    pass


class _BoundedLoader(yaml.SafeLoader):
    """``yaml.safe_load``'s loader, counting alias references and depth as it composes the document."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases_seen = 0
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases_seen += 1
            if self.aliases_seen > MAX_YAML_ALIASES:
                raise _TooManyAliasesError
        self.depth += 1
        if self.depth > MAX_YAML_DEPTH:
            raise _NestedTooDeeplyError
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _ValueBudget:
    """Counts the values :func:`_expand_env` produces; an alias expands into a copy, so bombs overrun it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.left = MAX_CONFIG_VALUES

    def take(self, count: int) -> None:
        self.left -= count
        if self.left < 0:
            raise ConfigError(
                f"{self.path}: more than {MAX_CONFIG_VALUES} values once YAML aliases are expanded; "
                "refused as a possible alias bomb"
            )


def parse_config(data: dict[str, Any], *, source: str, repo_path: Path | None) -> RepoConfig:
    """Validate a config mapping, turning pydantic's errors into one ConfigError naming the file."""
    for key in ("repo_path", "environment", "environment_names"):
        if key in data:
            raise ConfigError(f"{source}: '{key}' is not a configuration key")
    data = _drop_no_effect_keys(data, source)
    try:
        config = RepoConfig(**data, repo_path=repo_path, **{_SOURCE_KEY: source})
        section_config(config, "online_store", source)
        section_config(config, "offline_store", source)
    except ValidationError as exc:
        raise ConfigError(_format_validation(exc, source)) from None
    return config


def _drop_no_effect_keys(data: dict[str, Any], source: str) -> dict[str, Any]:
    ignored = [key for key in NO_EFFECT_KEYS if key in data and not _configures_engine(key, data[key])]
    if ignored:
        logger.info("%s: %s accepted for Feast compatibility; no effect in featurevault", source, ", ".join(ignored))
    return {k: v for k, v in data.items() if k not in ignored}


def _configures_engine(key: str, value: Any) -> bool:
    """``batch_engine`` has an effect once it names an engine other than the local one."""
    if key != "batch_engine":
        return False
    engine = value.get("type", "local") if isinstance(value, dict) else value
    return engine not in (None, "local")


def yaml_error_line(path: Path, exc: Exception) -> str:
    """``FILE:LINE:COL: what is wrong`` for a YAML syntax error (one line, 1-based positions)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    what = f"{problem} ({context})" if context else problem
    if mark is None:
        return f"{path}: malformed YAML: {what}"
    return f"{path}:{mark.line + 1}:{mark.column + 1}: {what}"


def _format_validation(exc: ValidationError, source: str, prefix: str = "") -> str:
    problems = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in ((prefix,) if prefix else ()) + tuple(err["loc"]))
        if err["type"] == "extra_forbidden":
            problems.append(f"unknown key '{loc}'")
        elif err["type"] == "missing":
            problems.append(f"missing key '{loc}'")
        else:
            message = err["msg"].removeprefix("Value error, ")
            problems.append(f"'{loc}': {message}" if loc else message)
    return f"{source}: " + "; ".join(problems)


_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _expand_env(value: Any, path: Path, budget: _ValueBudget) -> Any:
    budget.take(1)
    if isinstance(value, dict):
        return {k: _expand_env(v, path, budget) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_env(v, path, budget) for v in value]
    if isinstance(value, str):

        def sub(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise ConfigError(f"{path}: environment variable {name} is not set (used as ${{{name}}})")
            return os.environ[name]

        return _ENV_RE.sub(sub, value)
    return value
