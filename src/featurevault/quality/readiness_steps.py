"""What to do about each readiness item that does not pass: one concrete next step per item."""

from __future__ import annotations

NEXT_STEPS: dict[str, str] = {
    "All features have clear documentation": "add description= to every view and Field",
    "Naming conventions followed": "run `featurevault lint` and apply each finding's fix",
    "Entities properly defined": "give each entity a specific name and join key; key every view by an entity",
    "TTLs set appropriately": "set ttl= on every FeatureView to how long a value stays valid",
    "Feature services defined for each model": "add a FeatureService named {model}_v{N} per model version",
    "Data validation rules defined": "declare validation rules on the views that feed models (docs/data-quality.md)",
    "Null handling strategy documented": "write down, per feature, what a null means and how models treat it",
    "Schema validation in place": "list every feature with its dtype in schema= instead of relying on inference",
    "Historical data backfilled": "materialize the window your models train on and compare row counts",
    "Freshness monitoring configured": "tag views with freshness= and configure freshness monitoring",
    "Quality metrics tracked": "enable quality metrics in feature_store.yaml when the build offers them",
    "Drift detection enabled": "enable drift detection in feature_store.yaml when the build offers it",
    "Alerting rules defined": "define alert rules for freshness and quality when the build offers them",
    "Dashboards created": (
        "install the server extra and run `featurevault monitor run` on a schedule; open `featurevault ui`"
    ),
    "Access control implemented": "set auth: {type: token} (or oidc) and declare Permission objects (docs/security.md)",
    "PII features identified and protected": "tag every view with pii=true|false; mask PII with a pii: section",
    "Audit logging enabled": "set audit: {sink: file} or {sink: postgres, dsn: ...}",
    "Encryption at rest and in transit": "serve with --cert/--key (TLS) and set pii: {encrypt_at_rest: true}",
    "Runbooks documented": "add a RUNBOOK.md to the repo: stale values, bad apply, lost online store",
    "On-call rotation defined": "name who is paged for this feature store, outside featurevault",
    "Backup strategy implemented": "move the registry to PostgreSQL (registry_type: sql) and back it up",
    "Disaster recovery tested": "rebuild the online store from the offline data once and record the drill",
    "Capacity planning done": "use a production online store (redis or postgres) sized for your read rate",
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
