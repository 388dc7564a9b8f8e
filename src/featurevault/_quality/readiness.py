"""The production-readiness report: the seed's checklist, item by item, against a repo and its config.

Every item ends as ``pass``, ``fail`` or ``not checked``, with its evidence. An
item featurevault cannot verify is ``not checked`` and says why; it never
passes. The score is the share of all items that pass, so that unchecked items
keep a repo below 100%.

Features that other parts of featurevault add later (audit, validation,
monitoring, backups, feature flags) are found through their config sections
with ``getattr``: absent from this build means ``not checked``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from featurevault._config import RepoConfig
from featurevault._model import RepoContents
from featurevault._quality import readiness_deployment as deployment_items
from featurevault._quality import readiness_monitoring as monitoring_items
from featurevault._quality.lint import LintReport, run_lint
from featurevault._quality.readiness_steps import next_step
from featurevault._quality.repo_scan import RepoFiles, scan_repo

PASS, FAIL, NOT_CHECKED = "pass", "fail", "not checked"
NAMING_RULES = (
    *("FV101", "FV102", "FV103", "FV104", "FV105", "FV106", "FV107"),
    *("FV201", "FV202", "FV204", "FV301", "FV401"),
)
ENTITY_RULES = ("FV201", "FV202", "FV203", "FV204")
EMBEDDED = {"sqlite", "file", "duckdb"}


@dataclass(frozen=True)
class ReadinessFacts:
    """What the caller knows beyond the definitions and config (None: unknown)."""

    auth_enabled: bool | None = None
    audit_sink: str | None = None
    audit_verified: bool | None = None
    pii_protected: bool | None = None
    encryption_at_rest: bool | None = None
    backends: dict[str, str] = field(default_factory=dict)
    #: the recovery log from the registry (last_backup, last_drill, capacity); None when not read
    recovery: dict[str, Any] | None = None
    #: the last ``validate`` run recorded in the registry (ValidationReport.to_dict() plus "at")
    last_validation: dict[str, Any] | None = None
    #: environments the registry's history records promotions from (see featurevault._lifecycle)
    promoted_from: tuple[str, ...] | None = None
    #: how many feature flags the registry holds
    flags_defined: int | None = None
    #: how many versions the registry's history holds
    registry_versions: int | None = None
    #: the newest rollback the history records ({"version", "to", "at"}); None when none (or not read)
    last_rollback: dict[str, Any] | None = None
    #: view -> when monitoring metrics were last recorded for it (``monitor run``); None when not read
    metrics_recorded: dict[str, datetime] | None = None


@dataclass(frozen=True)
class ReadinessItem:
    section: str
    title: str
    status: str
    evidence: str
    #: what to do about an item that does not pass (empty when it passes)
    next_step: str = ""

    def to_dict(self) -> dict[str, str]:
        data = {"section": self.section, "item": self.title, "status": self.status, "evidence": self.evidence}
        return {**data, "next_step": self.next_step} if self.next_step else data


@dataclass
class ReadinessReport:
    items: list[ReadinessItem]

    def counts(self) -> dict[str, int]:
        counts = Counter(i.status for i in self.items)
        return {status: counts.get(status, 0) for status in (PASS, FAIL, NOT_CHECKED)}

    @property
    def score(self) -> float:
        """Percent of all items that pass (not checked counts against)."""
        return 100.0 * self.counts()[PASS] / len(self.items) if self.items else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"score": round(self.score, 1), "counts": self.counts(), "items": [i.to_dict() for i in self.items]}

    def to_markdown(self) -> str:
        marks = {PASS: "[x]", FAIL: "[ ] **fail**", NOT_CHECKED: "[ ] not checked"}
        lines = ["# Production readiness", "", f"Score: {self.score:.0f}% ({self._count_text()})"]
        section = ""
        for item in self.items:
            if item.section != section:
                section = item.section
                lines += ["", f"## {section}", ""]
            step = f" Next: {item.next_step}." if item.next_step else ""
            lines.append(f"- {marks[item.status]} {item.title}: {item.evidence}.{step}")
        return "\n".join(lines) + "\n"

    def _count_text(self) -> str:
        return ", ".join(f"{n} {status}" for status, n in self.counts().items())


@dataclass
class _Inputs:
    contents: RepoContents
    config: RepoConfig
    facts: ReadinessFacts
    lint: LintReport
    files: RepoFiles | None


Check = Callable[[_Inputs], tuple[str, str]]


def evaluate_readiness(
    contents: RepoContents,
    config: RepoConfig,
    facts: ReadinessFacts | None = None,
    *,
    lint_report: LintReport | None = None,
) -> ReadinessReport:
    """Evaluate every checklist item; repo files are scanned when the config knows the repo path."""
    files = scan_repo(config.repo_path) if config.repo_path is not None else None
    inputs = _Inputs(contents, config, facts or ReadinessFacts(), lint_report or run_lint(contents, config), files)
    return ReadinessReport([_item(section, title, *check(inputs)) for section, title, check in CHECKLIST])


def _item(section: str, title: str, status: str, evidence: str) -> ReadinessItem:
    return ReadinessItem(section, title, status, evidence, "" if status == PASS else next_step(title))


# -- DESIGN ---------------------------------------------------------------------------------------------------


def _views(inputs: _Inputs) -> list[Any]:
    return [*inputs.contents.feature_views.values(), *inputs.contents.on_demand_feature_views.values()]


def _documentation(inputs: _Inputs) -> tuple[str, str]:
    views = _views(inputs)
    if not views:
        return FAIL, "no feature views defined"
    features = [f for v in views for f in v.features]
    described_views = sum(bool(v.description.strip()) for v in views)
    described = sum(bool(f.description.strip()) for f in features)
    ok = described_views == len(views) and described == len(features)
    evidence = f"descriptions on {described_views}/{len(views)} views and {described}/{len(features)} features"
    return (PASS if ok else FAIL), evidence


def _naming(inputs: _Inputs) -> tuple[str, str]:
    findings = [f for f in inputs.lint.findings if f.rule in NAMING_RULES]
    if not inputs.contents.objects():
        return FAIL, "no definitions"
    switched_off = [r for r in NAMING_RULES if r not in inputs.lint.levels]
    off = f" ({', '.join(switched_off)} switched off by the lint config)" if switched_off else ""
    if not findings:
        return PASS, f"lint: no naming findings{off}"
    counts = ", ".join(f"{r} x{n}" for r, n in Counter(f.rule for f in findings).items())
    return FAIL, f"lint: {len(findings)} naming finding(s) ({counts}){off}"


def _entities(inputs: _Inputs) -> tuple[str, str]:
    entities = inputs.contents.entities
    views = list(inputs.contents.feature_views.values())
    if not entities:
        return FAIL, "no entities defined"
    findings = [f for f in inputs.lint.findings if f.rule in ENTITY_RULES]
    keyed = sum(bool(v.entities) for v in views)
    evidence = f"{len(entities)} entities, {len(findings)} entity finding(s); {keyed}/{len(views)} views keyed by one"
    return (PASS if not findings and keyed == len(views) else FAIL), evidence


def _ttls(inputs: _Inputs) -> tuple[str, str]:
    views = list(inputs.contents.feature_views.values())
    if not views:
        return FAIL, "no feature views defined"
    with_ttl = sum(bool(v.ttl) for v in views)
    return (PASS if with_ttl == len(views) else FAIL), f"TTL set on {with_ttl}/{len(views)} feature views"


def _services(inputs: _Inputs) -> tuple[str, str]:
    services = inputs.contents.feature_services
    if not services:
        return FAIL, "no feature services defined"
    models = sorted({re.sub(r"_v\d+$", "", name) for name in services})
    broken = {f.object for f in inputs.lint.findings if f.rule in ("FV402", "FV403")}
    evidence = f"feature services defined for {len(models)} model(s) ({', '.join(models)})"
    if broken:
        return FAIL, f"{evidence}; {len(broken)} read missing features ({', '.join(sorted(broken))})"
    return PASS, evidence


# -- DATA QUALITY and MONITORING: sections other features add ---------------------------------------------------


def _section(config: RepoConfig, *names: str) -> tuple[str, Any] | None:
    for name in names:
        value = getattr(config, name, None)
        if value is not None:
            return name, value
    return None


def _enabled(value: Any) -> bool:
    return bool(getattr(value, "enabled", True)) and getattr(value, "type", "") not in ("none", "off")


def _config_feature(names: tuple[str, ...], what: str) -> Check:
    """An item decided by a config section another feature adds: on, off, or absent from this build."""

    def check(inputs: _Inputs) -> tuple[str, str]:
        found = _section(inputs.config, *names)
        if found is None:
            return NOT_CHECKED, f"{what} is not available in this featurevault build"
        key, value = found
        return (PASS, f"{what}: on ({key})") if _enabled(value) else (FAIL, f"{what}: off ({key})")

    return check


def _validation_rules(inputs: _Inputs) -> tuple[str, str]:
    views = list(inputs.contents.feature_views.values())
    if not views:
        return FAIL, "no feature views defined"
    ruled = [v for v in views if getattr(v, "rules", None) or _rejects_nulls(v)]
    evidence = f"validation rules on {len(ruled)}/{len(views)} feature views"
    last = inputs.facts.last_validation
    if last is None:
        return FAIL if len(ruled) < len(views) else PASS, evidence + "; enforced on every write (no validate run yet)"
    blocked = [v["view"] for v in last.get("views", []) if v.get("blocked")]
    evidence += f"; last validate {last.get('at', '?')}: " + (
        f"block rules fail on {', '.join(blocked)}" if blocked else "no block rule fails"
    )
    return (PASS if len(ruled) == len(views) and not blocked else FAIL), evidence


def _rejects_nulls(view: Any) -> bool:
    return any(getattr(f, "null_policy", None) is not None and f.null_policy.mode == "reject" for f in view.schema)


def _null_handling(inputs: _Inputs) -> tuple[str, str]:
    features = [(v.name, f) for v in inputs.contents.feature_views.values() for f in v.features]
    if not features:
        return FAIL, "no features defined"
    declared = [(v, f) for v, f in features if getattr(f, "null_policy", None) is not None]
    missing = [f"{v}:{f.name}" for v, f in features if getattr(f, "null_policy", None) is None]
    evidence = f"null policy declared on {len(declared)}/{len(features)} features"
    if missing:
        evidence += f" (missing: {', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''})"
    return (PASS if not missing else FAIL), evidence


def _backfill(inputs: _Inputs) -> tuple[str, str]:
    last = inputs.facts.last_validation
    if last is None:
        return NOT_CHECKED, "no validate run recorded: run `featurevault validate` to measure backfill coverage"
    views = last.get("views", [])
    short = [
        f"{v['view']} (earliest {v.get('earliest')}, {v.get('missing_days', 0)} days missing)"
        for v in views
        if not v.get("backfilled")
    ]
    declared = sum(1 for v in views if v.get("backfill_start"))
    evidence = (
        f"validate at {last.get('at', '?')}: {len(views) - len(short)}/{len(views)} views backfilled "
        f"({declared} declare backfill_start)"
    )
    if short:
        evidence += "; short: " + "; ".join(short[:3])
    return (PASS if views and not short else FAIL), evidence


def _schemas(inputs: _Inputs) -> tuple[str, str]:
    views = list(inputs.contents.feature_views.values())
    if not views:
        return FAIL, "no feature views defined"
    explicit = sum(bool(v.features) for v in views)
    evidence = f"explicit schema on {explicit}/{len(views)} feature views (writes are checked against it)"
    return (PASS if explicit == len(views) else FAIL), evidence


# -- SECURITY ---------------------------------------------------------------------------------------------------


def _auth_type(inputs: _Inputs) -> str:
    return str(getattr(getattr(inputs.config, "auth", None), "type", "no_auth"))


def _access_control(inputs: _Inputs) -> tuple[str, str]:
    enabled = inputs.facts.auth_enabled
    kind = _auth_type(inputs)
    if enabled is None:
        enabled = kind != "no_auth"
    if not enabled:
        return FAIL, f"access control: off (auth.type: {kind})"
    permissions = len(inputs.contents.extra.get("permission", {}))
    return PASS, f"access control: on (auth.type: {kind}; {permissions} permission(s) defined)"


def _is_pii(tags: dict[str, str]) -> bool:
    return tags.get("pii", "").lower() == "true"


def _pii(inputs: _Inputs) -> tuple[str, str]:
    views = _views(inputs)
    if not views:
        return FAIL, "no feature views defined"
    undeclared = sorted(v.name for v in views if "pii" not in v.tags and not any("pii" in f.tags for f in v.features))
    pii = [f"{v.name}:{f.name}" for v in views for f in v.features if _is_pii(v.tags) or _is_pii(f.tags)]
    if undeclared:
        return FAIL, f"pii tag missing on {len(undeclared)}/{len(views)} views ({', '.join(undeclared[:5])})"
    if not pii:
        return PASS, f"pii declared on {len(views)}/{len(views)} views; no PII features"
    identified = f"{len(pii)} PII feature(s) identified"
    if _access_control(inputs)[0] == FAIL:
        return FAIL, f"{identified}; access control is off, so they are served in clear"
    protected = inputs.facts.pii_protected
    if protected is None and _section(inputs.config, "pii") is not None:
        # A build with a pii section masks tagged features for principals without READ_PII.
        return PASS, f"{identified}; masked for principals without READ_PII"
    if protected is None:
        return NOT_CHECKED, f"{identified}; their masking cannot be verified from here"
    return (PASS, f"{identified} and masked") if protected else (FAIL, f"{identified}, not masked")


def _audit(inputs: _Inputs) -> tuple[str, str]:
    sink = inputs.facts.audit_sink
    section = _section(inputs.config, "audit")
    if sink is None and section is not None:
        audit = section[1]
        sink = str(getattr(audit, "sink", getattr(audit, "type", "file"))) if _enabled(audit) else "none"
    if sink is None:
        return NOT_CHECKED, "audit logging is not available in this featurevault build"
    if sink in ("none", "off", ""):
        return FAIL, "audit sink: none"
    if inputs.facts.audit_verified is False:
        return FAIL, f"audit sink: {sink}, verification failed"
    where = _audit_location(section[1] if section else None, sink)
    return PASS, f"audit sink: {sink}{where}" + (", verified" if inputs.facts.audit_verified else "")


def _audit_location(audit: Any, sink: str) -> str:
    detail = getattr(audit, "path", None) if sink == "file" else getattr(audit, "table", None)
    return f" ({detail})" if detail else ""


TLS_MARKERS = ("rediss://", "sslmode=require", "sslmode=verify", "ssl=true")


def _has_tls(settings: dict[str, Any]) -> bool:
    if settings.get("ssl") is True or str(settings.get("sslmode", "")).startswith(("require", "verify")):
        return True
    text = " ".join(str(v) for v in settings.values()).lower()
    return any(marker in text for marker in TLS_MARKERS)


def _transit_gaps(inputs: _Inputs) -> list[str]:
    """Networked backends whose connection settings show no TLS."""
    gaps = []
    sections = {"online_store": inputs.config.online_store, "registry": inputs.config.registry}
    for role, section in sections.items():
        kind = getattr(section, "type", None) or getattr(section, "registry_type", "")
        if kind not in EMBEDDED and not _has_tls(section.model_dump()):
            gaps.append(f"{role}: {kind} without TLS")
    return gaps


def _encryption(inputs: _Inputs) -> tuple[str, str]:
    gaps = _transit_gaps(inputs)
    if gaps:
        return FAIL, "in transit: " + "; ".join(gaps)
    transit = "in transit: TLS or embedded backends only"
    at_rest = inputs.facts.encryption_at_rest
    pii = _section(inputs.config, "pii")
    if at_rest is None and pii is not None and hasattr(pii[1], "encrypt_at_rest"):
        on = bool(pii[1].encrypt_at_rest)
        state = "encrypted" if on else "not encrypted"
        detail = f"at rest: PII values {state} (pii.encrypt_at_rest: {str(on).lower()})"
        return (PASS if on else FAIL), f"{transit}; {detail}"
    if at_rest is None:
        return NOT_CHECKED, f"{transit}; at rest: cannot be verified from here"
    return (PASS, f"{transit}; at rest: on") if at_rest else (FAIL, f"{transit}; at rest: off")


# -- OPERATIONS, TESTING, DEPLOYMENT ---------------------------------------------------------------------------------


def _runbooks(inputs: _Inputs) -> tuple[str, str]:
    if inputs.files and inputs.files.runbooks:
        return PASS, "runbooks: " + ", ".join(str(p) for p in inputs.files.runbooks[:5])
    return NOT_CHECKED, "no runbook file in the repo; runbooks kept elsewhere cannot be seen"


def _backend_text(inputs: _Inputs, role: str) -> str:
    if role in inputs.facts.backends:
        return inputs.facts.backends[role]
    kind = inputs.config.online_store.type if role == "online_store" else inputs.config.registry.registry_type
    return f"{kind} (embedded, not for production)" if kind in EMBEDDED else kind


DRILL_MAX_AGE_DAYS = 90


def _age_days(at: str | None) -> float | None:
    if not at:
        return None
    return (datetime.now(UTC) - datetime.fromisoformat(at)).total_seconds() / 86400


def _backups(inputs: _Inputs) -> tuple[str, str]:
    registry = f"registry: {_backend_text(inputs, 'registry')}"
    backup = inputs.config.backup
    if not backup.enabled:
        return FAIL, f"{registry}; backup.enabled is false"
    retention = f"keep_last {backup.keep_last}, keep_days {backup.keep_days}"
    if inputs.facts.recovery is None:
        return NOT_CHECKED, f"{registry}; backups to {backup.target} ({retention}); the registry was not read"
    last = inputs.facts.recovery.get("last_backup")
    if not last:
        return FAIL, f"{registry}; no backup recorded: run 'featurevault backup create' on a schedule"
    age = _age_days(last.get("created_at"))
    return PASS, (
        f"{registry}; last backup {last['backup_id']} ({age:.1f} days ago, {last.get('bytes')} bytes, "
        f"{'signed' if last.get('signed') else 'unsigned'}); {retention}"
    )


def _drill(inputs: _Inputs) -> tuple[str, str]:
    if inputs.facts.recovery is None:
        return NOT_CHECKED, "the registry was not read, so the last drill is unknown"
    last = inputs.facts.recovery.get("last_drill")
    if not last:
        return FAIL, "no DR drill recorded: run 'featurevault dr drill'"
    age = _age_days(last.get("at")) or 0.0
    figures = f"RTO {last['rto_seconds']:.1f}s, RPO {last['rpo_seconds']:.0f}s, {last['rows_checked']} values checked"
    if not last.get("passed"):
        return FAIL, f"last drill {age:.1f} days ago failed: {'; '.join(last.get('misses', []))}"
    if age > DRILL_MAX_AGE_DAYS:
        return FAIL, f"last drill passed {age:.0f} days ago (older than {DRILL_MAX_AGE_DAYS} days): {figures}"
    return PASS, f"last drill {age:.1f} days ago passed: {figures}"


def _capacity(inputs: _Inputs) -> tuple[str, str]:
    online = _backend_text(inputs, "online_store")
    plan = (inputs.facts.recovery or {}).get("capacity")
    if plan:
        age = _age_days(plan.get("at")) or 0.0
        return PASS, (
            f"online store: {online}; capacity plan {age:.1f} days ago: {plan['online_bytes'] / 1e6:.1f} MB "
            f"online for {plan['entities']} entities, read headroom {plan['headroom_text']}"
        )
    if inputs.config.online_store.type in EMBEDDED:
        return FAIL, f"online store: {online}"
    return NOT_CHECKED, f"online store: {online}; capacity figures live outside featurevault"


def _tests_mentioning(words: list[str], what: str) -> Check:
    def check(inputs: _Inputs) -> tuple[str, str]:
        if inputs.files is None:
            return NOT_CHECKED, "repo path unknown; no files scanned"
        found = inputs.files.tests_mentioning(words)
        if found:
            return PASS, f"{len(found)} test file(s) {what} ({', '.join(str(p) for p in found[:3])})"
        seen = len(inputs.files.test_files)
        return NOT_CHECKED, f"{seen} test file(s) in the repo, none {what}; tests elsewhere cannot be seen"

    return check


def _unit_tests(inputs: _Inputs) -> tuple[str, str]:
    odfvs = list(inputs.contents.on_demand_feature_views)
    if not odfvs:
        return NOT_CHECKED, "no on-demand feature logic in the repo; upstream transformations cannot be seen"
    return _tests_mentioning([*odfvs, ".transform("], "exercise on-demand feature logic")(inputs)


METRICS_MAX_AGE_DAYS = 7


def _dashboards(inputs: _Inputs) -> tuple[str, str]:
    """The built-in dashboard, with monitoring history to show for every view."""
    import importlib.util

    if not all(importlib.util.find_spec(m) for m in ("fastapi", "jinja2")):
        return FAIL, "the dashboard needs the server extra: pip install 'featurevault[server]'"
    recorded = inputs.facts.metrics_recorded
    if recorded is None:
        return NOT_CHECKED, "dashboard: featurevault ui; the monitoring history in the registry was not read"
    views = sorted(inputs.contents.feature_views)
    fresh = [v for v in views if v in recorded and _days_since(recorded[v]) <= METRICS_MAX_AGE_DAYS]
    where = "dashboard: featurevault ui (or /ui of featurevault serve)"
    if not views or len(fresh) < len(views):
        missing = ", ".join(v for v in views if v not in fresh) or "no feature views"
        return FAIL, (
            f"{where}; no monitoring metrics in the last {METRICS_MAX_AGE_DAYS} days for {missing}: "
            "run 'featurevault monitor run' on a schedule"
        )
    last = max(recorded[v] for v in views)
    return (
        PASS,
        f"{where}; freshness, quality and drift history for {len(views)}/{len(views)} views, last {last:%Y-%m-%d %H:%M} UTC",
    )


def _days_since(at: datetime) -> float:
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return (datetime.now(UTC) - at).total_seconds() / 86400


def _model_tests(inputs: _Inputs) -> tuple[str, str]:
    """Test files that train a model on historical features and score it with online ones."""
    if inputs.files is None:
        return NOT_CHECKED, "repo path unknown; no files scanned"
    files = inputs.files
    found = [
        p
        for p in files.test_files
        if all(w in files.read(p) for w in ("get_historical_features", "get_online_features", ".fit("))
    ]
    if found:
        return PASS, (
            f"{len(found)} test file(s) train a model on historical features and score it online "
            f"({', '.join(str(p) for p in found[:3])})"
        )
    return NOT_CHECKED, (
        f"{len(files.test_files)} test file(s) in the repo, none trains a model on historical "
        "features and scores it online; model tests elsewhere cannot be seen"
    )


CHECKLIST: list[tuple[str, str, Check]] = [
    ("DESIGN", "All features have clear documentation", _documentation),
    ("DESIGN", "Naming conventions followed", _naming),
    ("DESIGN", "Entities properly defined", _entities),
    ("DESIGN", "TTLs set appropriately", _ttls),
    ("DESIGN", "Feature services defined for each model", _services),
    ("DATA QUALITY", "Data validation rules defined", _validation_rules),
    ("DATA QUALITY", "Null handling strategy documented", _null_handling),
    ("DATA QUALITY", "Schema validation in place", _schemas),
    ("DATA QUALITY", "Historical data backfilled", _backfill),
    ("MONITORING", "Freshness monitoring configured", monitoring_items.freshness),
    ("MONITORING", "Quality metrics tracked", monitoring_items.quality_metrics),
    ("MONITORING", "Drift detection enabled", monitoring_items.drift),
    ("MONITORING", "Alerting rules defined", monitoring_items.alerting_rules),
    ("MONITORING", "Dashboards created", _dashboards),
    ("SECURITY", "Access control implemented", _access_control),
    ("SECURITY", "PII features identified and protected", _pii),
    ("SECURITY", "Audit logging enabled", _audit),
    ("SECURITY", "Encryption at rest and in transit", _encryption),
    ("OPERATIONS", "Runbooks documented", _runbooks),
    ("OPERATIONS", "On-call rotation defined", monitoring_items.on_call),
    ("OPERATIONS", "Backup strategy implemented", _backups),
    ("OPERATIONS", "Disaster recovery tested", _drill),
    ("OPERATIONS", "Capacity planning done", _capacity),
    ("TESTING", "Unit tests for feature logic", _unit_tests),
    (
        "TESTING",
        "Integration tests for retrieval",
        _tests_mentioning(["get_online_features", "get_historical_features"], "exercise retrieval"),
    ),
    (
        "TESTING",
        "Performance tests for latency",
        _tests_mentioning(["latency", "perf_counter", "benchmark"], "measure latency"),
    ),
    ("TESTING", "End-to-end tests with models", _model_tests),
    ("DEPLOYMENT", "CI/CD pipeline configured", deployment_items.ci),
    ("DEPLOYMENT", "Staging environment tested", deployment_items.staging),
    ("DEPLOYMENT", "Rollback procedure documented", deployment_items.rollback),
    ("DEPLOYMENT", "Feature flags for new features", deployment_items.flags),
]
