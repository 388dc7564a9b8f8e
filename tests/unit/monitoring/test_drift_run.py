"""Drift through the store: a baseline, then a shifted mean and a changed category mix are found; same data is not."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from featurevault import Alert
from tests.unit.monitoring.repo import NOW, definitions, frame, make_store, write

BASE_START = NOW - timedelta(days=3)
CURRENT_START = NOW - timedelta(days=1)


def _alerts() -> list[Alert]:
    return [
        Alert(
            name="amount_drift",
            feature_view="user_stats",
            condition="psi(amount) > 0.2",
            severity="P2",
            runbook="runbooks/drift.md",
        ),
        Alert(
            name="plan_mix_drift",
            feature_view="user_stats",
            condition="js(plan) > 0.1",
            severity="P2",
            runbook="runbooks/drift.md",
        ),
    ]


def _run(tmp_path: Path, **shift: object) -> dict[str, object]:
    baseline = frame(BASE_START, 24, seed=1)
    current = frame(CURRENT_START, 24, seed=2, **shift)  # type: ignore[arg-type]
    write(tmp_path / "data" / "users.parquet", __import__("pandas").concat([baseline, current]))
    with make_store(tmp_path) as store:
        store.apply(definitions(_alerts()))
        store.monitor_baseline("user_stats", BASE_START, BASE_START + timedelta(hours=24))
        result = store.monitor_run(CURRENT_START, NOW, now=NOW)
        drift = {d.feature: d for d in result.views[0].drift}
        states = {s.alert.name: s.state.state for s in result.alerts}
        history = store.metric_history("user_stats", "psi")
    return {"drift": drift, "states": states, "history": history}


def test_same_distribution_raises_no_alert(tmp_path: Path) -> None:
    out = _run(tmp_path)
    drift = out["drift"]
    assert drift["amount"].psi < 0.02 and drift["amount"].ks_pvalue > 0.01  # type: ignore[index]
    assert drift["plan"].js < 0.05 and drift["plan"].chi2_pvalue > 0.01  # type: ignore[index]
    assert out["states"] == {"amount_drift": "inactive", "plan_mix_drift": "inactive"}


def test_shifted_mean_and_changed_mix_fire(tmp_path: Path) -> None:
    out = _run(tmp_path, mean=57.0, mix=(0.3, 0.3, 0.4))
    drift = out["drift"]
    assert drift["amount"].psi > 0.2 and drift["amount"].ks_pvalue < 1e-6  # type: ignore[index]
    assert drift["plan"].js > 0.1 and drift["plan"].chi2_pvalue < 1e-6  # type: ignore[index]
    assert out["states"] == {"amount_drift": "firing", "plan_mix_drift": "firing"}


def test_metrics_are_kept_in_the_registry(tmp_path: Path) -> None:
    out = _run(tmp_path)
    history = out["history"]
    assert {(p.view, p.feature, p.metric) for p in history} == {
        ("user_stats", "amount", "psi"),
        ("user_stats", "plan", "psi"),
    }  # type: ignore[attr-defined]
    assert all(p.at == NOW for p in history)  # type: ignore[attr-defined]


def test_baseline_over_an_empty_window_is_refused(tmp_path: Path) -> None:
    from featurevault.errors import MonitoringError

    write(tmp_path / "data" / "users.parquet", frame(BASE_START, 2, seed=1))
    with make_store(tmp_path) as store:
        store.apply(definitions())
        with pytest.raises(MonitoringError, match="no rows between"):
            store.monitor_baseline("user_stats", NOW + timedelta(days=5), NOW + timedelta(days=6))
