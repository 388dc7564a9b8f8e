"""Promotion: apply the current definitions of one environment (staging) to another (prod), behind gates.

The gates run against the *source* environment before anything is written:

- **lint**: no finding at error level in the source definitions;
- **readiness**: no item of the readiness report's DESIGN or DATA QUALITY sections fails
  (items that depend on where a store runs, as capacity, are judged in the target itself);
- **validate**: when views declare validation rules and this build can validate, no rule
  that blocks fails on the source's offline data.

A failed gate raises :class:`~featurevault.errors.GateError` listing every failure. Then the
plan of applying the source's definitions to the target is computed (``dry_run`` stops here)
and committed, the version recording ``promoted_from`` and ``source_version``. The whole
promotion is one audit record with action PROMOTE on the target project, which needs that
grant (an UPDATE grant on every object is not enough, nor needed).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from featurevault.errors import ConfigError, GateError

if TYPE_CHECKING:
    from featurevault._ops.apply import Plan
    from featurevault._store import FeatureStore

logger = logging.getLogger(__name__)

GATE_SECTIONS = ("DESIGN", "DATA QUALITY")


@dataclass
class GateResult:
    name: str
    passed: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"gate": self.name, "passed": self.passed, "detail": self.detail}


@dataclass
class PromoteResult:
    source_env: str
    target_env: str | None
    source_version: int
    plan: Plan
    gates: list[GateResult] = field(default_factory=list)
    new_version: int | None = None
    committed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.source_env,
            "to": self.target_env,
            "source_version": self.source_version,
            "changes": [str(c) for c in self.plan.changes],
            "gates": [g.to_dict() for g in self.gates],
            "new_version": self.new_version,
            "committed": self.committed,
        }


def promote(target: FeatureStore, source_env: str, *, dry_run: bool = False) -> PromoteResult:
    """Promote ``source_env``'s current definitions into ``target``'s environment."""
    from featurevault._governance.permissions import project_resource
    from featurevault._model.permission import AuthzedAction
    from featurevault._ops import apply as apply_ops
    from featurevault._store import FeatureStore

    if source_env == target.environment:
        raise ConfigError(f"promote: source and target are both environment {source_env!r}")
    grant = (AuthzedAction.PROMOTE, project_resource(target.project))
    bootstrap = _refuse_early(target, grant)
    with FeatureStore(target.repo_path, env=source_env, principal=target.principal) as source:
        source.refresh_registry()
        source_version, contents = source.registry.versioned_contents()
        if not source_version:
            raise GateError(f"promote: environment {source_env!r} has nothing applied; apply there first")
        gates = run_gates(source, contents)
    failed = [g for g in gates if not g.passed]
    if failed:
        lines = [f"{g.name}: {g.detail}" for g in failed]
        raise GateError(f"promote from {source_env!r} refused: " + "; ".join(lines), lines)
    if dry_run:
        details = {"dry_run": True, "from": source_env}
        with target.guarded(AuthzedAction.PROMOTE, operation="promote", details=details, bootstrap=bootstrap):
            the_plan = apply_ops.plan(target, contents)
        return PromoteResult(source_env, target.environment, source_version, the_plan, gates)
    meta = {"promoted_from": source_env, "source_version": source_version}
    result = apply_ops.apply_contents(target, contents, meta=meta, operation="promote", grant=grant)
    logger.info("promoted %s v%s to %s as v%s", source_env, source_version, target.environment, result.version)
    return PromoteResult(
        source_env,
        target.environment,
        source_version,
        result.plan,
        gates,
        result.version if result.committed else None,
        result.committed,
    )


def _refuse_early(target: FeatureStore, grant: Any) -> str | None:
    """Refuse a caller without PROMOTE before any gate runs (the refusal is audited).

    An allowed caller leaves no record here: the promotion's one record is written when it commits.
    Returns the bootstrap reason while the target's registry holds no permissions at all: as its
    first apply, its first promotion (or a dry run of it) is allowed so that it can install them.
    """
    version, contents = target.registry.versioned_contents()
    enforcer = target.guard.state(version, contents).enforcer
    if target.guard.enforce and not enforcer.permissions:
        return "no permissions registered yet: promotion allowed"
    if target.guard.enforce and not enforcer.allowed(target.principal, *grant):
        with target.guarded(grant[0], operation="promote"):
            pass  # raises PermissionDeniedError, recorded as denied
    return None


def run_gates(source: FeatureStore, contents: Any) -> list[GateResult]:
    """Every gate, run against the source environment (all run, so that all failures show at once)."""
    return [_lint_gate(source, contents), _readiness_gate(source, contents), _validate_gate(source, contents)]


def _lint_gate(source: FeatureStore, contents: Any) -> GateResult:
    from featurevault._quality.lint import run_lint

    errors = run_lint(contents, source.config).errors
    if errors:
        first = errors[0]
        return GateResult(
            "lint", False, f"{len(errors)} error(s); first: {first.rule} {first.message} at {first.location}"
        )
    return GateResult("lint", True, "no lint errors")


def _readiness_gate(source: FeatureStore, contents: Any) -> GateResult:
    from featurevault._quality.readiness import FAIL, evaluate_readiness

    report = evaluate_readiness(contents, source.config)
    failing = [i for i in report.items if i.section in GATE_SECTIONS and i.status == FAIL]
    if failing:
        text = "; ".join(f"{i.section} '{i.title}' fails ({i.evidence})" for i in failing)
        return GateResult("readiness", False, text)
    return GateResult("readiness", True, f"no {' or '.join(GATE_SECTIONS)} item fails (score {report.score:.0f}%)")


def _validate_gate(source: FeatureStore, contents: Any) -> GateResult:
    validate = getattr(source, "validate", None)
    with_rules = [v.name for v in contents.feature_views.values() if getattr(v, "rules", None)]
    if not with_rules:
        return GateResult("validate", True, "no validation rules defined: nothing to validate")
    if validate is None:
        return GateResult("validate", False, f"views {with_rules} declare rules but this build cannot validate")
    report = validate(with_rules)
    if getattr(report, "blocked", False):
        return GateResult("validate", False, f"a blocking rule failed on {source.environment}'s data")
    return GateResult("validate", True, f"rules of {len(with_rules)} view(s) pass")
