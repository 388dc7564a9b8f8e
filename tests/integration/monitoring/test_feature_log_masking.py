"""Feature logging in a governed repo: the log holds values as the caller was served them (PII masked)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from tests.integration.security.governed_repo import ADMIN, NOW, REPO, governed_builder
from tests.support.repo_builder import open_repo

from featurevault import FeatureStore

LOGGED = """
from featurevault import FileLoggingDestination, LoggingConfig

logged_pii = FeatureService(
    name="logged_pii",
    features=[user_pii_features[["email", "phone", "ssn", "amount"]]],
    logging_config=LoggingConfig(destination=FileLoggingDestination(path="data/logs"), sample_rate=1.0),
)
ds_reads_logged = Permission(
    name="ds-reads-logged", types=["feature_service"], actions=[AuthzedAction.READ_ONLINE],
    policy=RoleBasedPolicy(roles=["data-scientists", "compliance"]),
)
"""


@pytest.fixture
def admin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FeatureStore]:
    repo = governed_builder(tmp_path / "repo", REPO + LOGGED).write()
    monkeypatch.setenv("FEATUREVAULT_PII_HASH_KEY", "integration-test-hash-key-0123456789")
    monkeypatch.delenv("FEATUREVAULT_TOKEN", raising=False)
    store = open_repo(repo, principal=ADMIN, apply_files=True)
    store.materialize(NOW - timedelta(days=1), NOW)
    yield store
    store.close()


def _logged(store: FeatureStore) -> list[dict]:
    files = store.repo_path / "data" / "logs" / "logged_pii" / "*" / "*.parquet"
    return (
        duckdb.sql(f"SELECT * FROM read_parquet('{files}') ORDER BY __log_timestamp, user_id").df().to_dict("records")
    )


def test_the_log_holds_masked_values_for_a_caller_without_read_pii(admin: FeatureStore) -> None:
    service = admin.get_feature_service("logged_pii")
    ds = admin.as_principal("ds", roles=["data-scientists"])
    served = ds.get_online_features(service, [{"user_id": 1}]).to_dict()
    ds._feature_log.flush()
    clear = admin.as_principal("c", roles=["compliance"])
    clear.get_online_features(service, [{"user_id": 1}])
    clear._feature_log.flush()
    masked_row, clear_row = _logged(admin)
    assert masked_row["user_pii_features__email"] == served["email"][0] != "ann@example.com"
    assert masked_row["user_pii_features__phone"] == "****1111"
    assert masked_row["user_pii_features__ssn"] != masked_row["user_pii_features__ssn"]  # null (NaN in pandas)
    assert clear_row["user_pii_features__email"] == "ann@example.com"
