"""Entry points of monitoring and feature logging: rows of the entry-point table (see test_entry_points.py)."""

from __future__ import annotations

from tests.integration.security.entry_point_env import EntryPointEnv
from tests.integration.security.entry_row import Row

from featurevault import FeatureService, LoggingConfig
from featurevault._model import RepoContents

LOGGED = "logged_scoring"


def _with_logged_service(env: EntryPointEnv) -> EntryPointEnv:
    """Add a feature service that logs what it serves, committed straight to the registry (no audit record)."""
    cache = env.admin.registry
    contents = cache.contents()
    if LOGGED not in contents.feature_services:
        data = contents.to_dict()
        service = FeatureService(
            name=LOGGED,
            features=[contents.feature_views["user_public_features"]],
            logging_config=LoggingConfig(sample_rate=1.0),
        )
        updated = RepoContents.from_dict(data)
        updated.feature_services[LOGGED] = service
        cache.registry.commit(
            env.admin.project,
            updated.to_dict(),
            expected_version=cache.version,
            author="test",
            message="add a logged feature service",
        )
        env.admin.refresh_registry()
        env.server_store.refresh_registry()
    return env


ROWS: list[Row] = [
    Row(
        "sdk:monitor_served_drift",
        lambda e, r: _with_logged_service(e).sdk(r).monitor_served_drift(LOGGED),
        "READ_OFFLINE",
        f"feature_service:{LOGGED}",
    ),
    Row(
        "cli:monitor served-drift",
        lambda e, r: _with_logged_service(e).cli(r, "monitor", "served-drift", LOGGED),
        "READ_OFFLINE",
        f"feature_service:{LOGGED}",
    ),
    Row(
        "http:GET /monitoring/served-drift/{feature_service}",
        lambda e, r: _with_logged_service(e).http(r, "GET", f"/monitoring/served-drift/{LOGGED}"),
        "READ_OFFLINE",
        f"feature_service:{LOGGED}",
    ),
]

ROWS.append(Row("cli:monitor freshness", lambda e, r: e.cli(r, "monitor", "freshness"), "DESCRIBE", "project:secured"))
