"""Readiness's MONITORING and OPERATIONS items read the repo's alerts and the alerting config."""

from __future__ import annotations

from featurevault import Alert, RepoConfig
from featurevault._model import RepoContents
from featurevault._quality.readiness import evaluate_readiness
from tests.unit.monitoring.repo import definitions

ITEMS = (
    "Freshness monitoring configured",
    "Quality metrics tracked",
    "Drift detection enabled",
    "Alerting rules defined",
    "On-call rotation defined",
)


def _contents(alerts: list[Alert]) -> RepoContents:
    contents = RepoContents()
    for obj in definitions(alerts):
        contents.by_kind(obj.kind)[obj.name] = obj
    return contents


def _statuses(contents: RepoContents, config: RepoConfig) -> dict[str, tuple[str, str]]:
    report = evaluate_readiness(contents, config)
    return {i.title: (i.status, i.evidence) for i in report.items if i.title in ITEMS}


def test_a_repo_without_alerts_fails_each_item() -> None:
    statuses = _statuses(_contents([]), RepoConfig(project="p"))
    assert {title: status for title, (status, _) in statuses.items()} == dict.fromkeys(ITEMS, "fail")
    assert (
        statuses["On-call rotation defined"][1] == "no alerting route sends P1 alerts to a receiver other than the log"
    )


def test_alerts_and_a_paging_route_pass() -> None:
    alerts = [
        Alert(
            name="stale", feature_view="user_stats", condition="freshness > 2x", severity="P1", runbook="runbooks/s.md"
        ),
        Alert(name="nulls", feature_view="user_stats", condition="null_rate(amount) > 0.1", runbook="runbooks/q.md"),
        Alert(name="drift", feature_view="user_stats", condition="psi(amount) > 0.2", runbook="runbooks/d.md"),
    ]
    config = RepoConfig(
        project="p",
        alerting={
            "receivers": {"pager": {"type": "webhook", "url": "http://127.0.0.1:9/p"}},
            "routes": [{"severity": "P1", "receivers": ["pager"]}],
        },
    )
    statuses = _statuses(_contents(alerts), config)
    assert {title: status for title, (status, _) in statuses.items()} == dict.fromkeys(ITEMS, "pass")
    assert statuses["On-call rotation defined"][1] == "P1 alerts go to pager (alerting.routes)"


def _dashboards(contents: RepoContents, recorded: dict | None) -> tuple[str, str]:
    from featurevault._quality.readiness import ReadinessFacts

    report = evaluate_readiness(contents, RepoConfig(project="p"), ReadinessFacts(metrics_recorded=recorded))
    item = next(i for i in report.items if i.title == "Dashboards created")
    return item.status, item.evidence


def test_dashboards_pass_only_with_recent_monitoring_history_for_every_view() -> None:
    from datetime import UTC, datetime, timedelta

    contents = _contents([])
    views = sorted(contents.feature_views)
    now = datetime.now(UTC)
    assert _dashboards(contents, None)[0] == "not checked"
    status, evidence = _dashboards(contents, {})
    assert status == "fail" and views[0] in evidence and "monitor run" in evidence
    stale = dict.fromkeys(views, now - timedelta(days=8))
    assert _dashboards(contents, stale)[0] == "fail"
    partly = {**dict.fromkeys(views, now), views[0]: now - timedelta(days=30)}
    assert _dashboards(contents, partly)[0] == "fail"
    status, evidence = _dashboards(contents, dict.fromkeys(views, now - timedelta(hours=1)))
    assert status == "pass" and f"{len(views)}/{len(views)} views" in evidence
