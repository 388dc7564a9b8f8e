"""The seed's naming examples: every good name passes, every bad name is flagged by the rule that explains it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from featurevault._quality.lint import run_lint

# From the seed's "Naming Conventions", with the entities each name is about.
GOOD_NAMES = {
    "user_transaction_count_30d": ["user"],
    "user_purchase_amount_sum_7d": ["user"],
    "merchant_fraud_rate_lifetime": ["merchant"],
    "user_session_duration_avg_24h": ["user"],
    "user_merchant_affinity_score": ["user_merchant"],
}
BAD_NAMES = {
    "f1": "FV106",  # not descriptive
    "userPurchases": "FV101",  # inconsistent casing
    "user-total-amount": "FV102",  # hyphens instead of underscores
    "total_amount": "FV104",  # missing entity prefix
    "user_feature_v2": "FV105",  # version in name
}


def _lint_feature(build: SimpleNamespace, feature: str, entity_names: list[str]) -> list[tuple[str, str]]:
    entities = [build.entity(n, ["user_id", "merchant_id"] if n == "user_merchant" else None) for n in entity_names]
    view_name = f"{entity_names[0]}_transactions_daily"
    contents = build.repo(build.view(view_name, entities, [feature]))
    return [(f.rule, f.object) for f in run_lint(contents).findings]


@pytest.mark.parametrize("name", sorted(GOOD_NAMES))
def test_good_name_passes(build: SimpleNamespace, name: str) -> None:
    assert _lint_feature(build, name, GOOD_NAMES[name]) == []


@pytest.mark.parametrize("name", sorted(BAD_NAMES))
def test_bad_name_is_flagged_by_its_rule(build: SimpleNamespace, name: str) -> None:
    findings = _lint_feature(build, name, ["user"])
    assert (BAD_NAMES[name], f"user_transactions_daily:{name}") in findings


def test_too_long_name(build: SimpleNamespace) -> None:
    name = "user_" + "very_" * 12 + "count"
    assert len(name) > 60
    assert ("FV103", f"user_transactions_daily:{name}") in _lint_feature(build, name, ["user"])
    assert not [r for r, _ in _lint_feature(build, "user_" + "a" * 55, ["user"]) if r == "FV103"]


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("user_count_30d", "no domain"),
        ("user_transaction_30d", "not preceded by an aggregation"),
        ("user_count_transactions", "not at the end"),
        ("user_30d_transaction_count", "window is not at the end"),
    ],
)
def test_pattern_rule_explains_the_order(build: SimpleNamespace, name: str, problem: str) -> None:
    entities = [build.entity("user")]
    report = run_lint(build.repo(build.view("user_transactions_daily", entities, [name])))
    messages = [f.message for f in report.findings if f.rule == "FV107"]
    assert len(messages) == 1 and problem in messages[0]


@pytest.mark.parametrize("name", ["user_home_country", "user_ip", "user_lifetime_value", "user_os_family"])
def test_plain_descriptive_names_pass(build: SimpleNamespace, name: str) -> None:
    report = run_lint(build.repo(build.view("user_profile_daily", [build.entity("user")], [name])))
    assert report.findings == []


@pytest.mark.parametrize("name", ["user_x", "user_col3", "user_value", "user_feature", "user_ab2", "user_tmp_7d"])
def test_placeholder_names_are_meaningless(build: SimpleNamespace, name: str) -> None:
    report = run_lint(build.repo(build.view("user_profile_daily", [build.entity("user")], [name])))
    assert "FV106" in {f.rule for f in report.findings}


def test_composite_entity_prefix_and_multi_entity_view(build: SimpleNamespace) -> None:
    user, merchant = build.entity("user"), build.entity("merchant")
    features = ["merchant_refund_rate_7d", "user_spend_sum_30d", "basket_size_avg_7d"]
    report = run_lint(build.repo(build.view("user_orders_daily", [user, merchant], features)))
    assert [(f.rule, f.object) for f in report.findings] == [("FV104", "user_orders_daily:basket_size_avg_7d")]
