"""What to do about each readiness item that does not pass: one concrete next step per item."""

from __future__ import annotations

NEXT_STEPS: dict[str, str] = {
    "All features have clear documentation": "add description= to every view and Field",
    "Naming conventions followed": "run `featurevault lint` and apply each finding's fix",
    "Entities properly defined": "give each entity a specific name and join key; key every view by an entity",
    "TTLs set appropriately": "set ttl= on every FeatureView to how long a value stays valid",
    "Feature services defined for each model": "add a FeatureService named {model}_v{N} per model version",
    "Data validation rules defined": "declare rules= on every feature view (docs/quality.md) and run `featurevault validate`",
    "Null handling strategy documented": "declare null_policy= (allow, reject or a fill value) on every Field",
    "Schema validation in place": "list every feature with its dtype in schema= instead of relying on inference",
    "Historical data backfilled": "declare backfill_start= and run `featurevault validate` to measure coverage and gaps",
    "Freshness monitoring configured": "declare freshness= on every view and an Alert on `freshness > 2x` for each",
    "Quality metrics tracked": "add an Alert on null_rate(FEATURE) or rule_failures(RULE) (docs/monitoring.md)",
    "Drift detection enabled": "record a baseline (`featurevault monitor baseline`) and add an Alert on psi(FEATURE)",
    "Alerting rules defined": "define Alert objects with a runbook= each (docs/monitoring.md)",
    "Dashboards created": (
        "install the server extra and run `featurevault monitor run` on a schedule; open `featurevault ui`"
    ),
    "Access control implemented": "set auth: {type: token} (or oidc) and declare Permission objects (docs/security.md)",
    "PII features identified and protected": "tag every view with pii=true|false; mask PII with a pii: section",
    "Audit logging enabled": "set audit: {sink: file} or {sink: postgres, dsn: ...}",
    "Encryption at rest and in transit": "serve with --cert/--key (TLS) and set pii: {encrypt_at_rest: true}",
    "Runbooks documented": "add a RUNBOOK.md to the repo: stale values, bad apply, lost online store",
    "On-call rotation defined": "route P1 alerts to a webhook or command receiver under alerting: in feature_store.yaml",
    "Backup strategy implemented": "run `featurevault backup create` on a schedule (docs/operations.md)",
    "Disaster recovery tested": "run `featurevault dr drill` (at least every 90 days)",
    "Capacity planning done": "run `featurevault capacity --entities N --qps Q` and size the online store from it",
    "Unit tests for feature logic": "add tests that call each on-demand view's .transform() on sample rows",
    "Integration tests for retrieval": "add tests that call get_online_features and get_historical_features",
    "Performance tests for latency": "add a test that times online reads (time.perf_counter) against a budget",
    "End-to-end tests with models": (
        "add a test that trains the model on get_historical_features and scores it with "
        "get_online_features (`featurevault scaffold ci` writes one)"
    ),
    "CI/CD pipeline configured": "run `featurevault scaffold ci` for pipelines that lint, plan, test and promote",
    "Staging environment tested": "add a staging environment, apply there, then `featurevault promote --from staging`",
    "Rollback procedure documented": "keep the runbook `featurevault init` writes; rehearse `featurevault rollback V`",
    "Feature flags for new features": "release new features behind a flag: `featurevault flag set NAME --percent 10`",
}


def next_step(title: str) -> str:
    return NEXT_STEPS.get(title, "")


__all__ = ["NEXT_STEPS", "next_step"]
