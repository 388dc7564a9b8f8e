"""Entry points of data quality (quarantine, profiles, validation): rows of the entry-point table (see test_entry_points.py)."""

from __future__ import annotations

from tests.integration.security.entry_point_env import EntryPointEnv
from tests.integration.security.entry_row import Row

PII = "user_pii_features"


def _profiled(env: EntryPointEnv) -> str:
    """A stored profile of the PII view, taken by the library directly (no audited call); returns its id."""
    from featurevault._ops.offline_specs import view_spec
    from featurevault._quality.profile import profile_view, save_profile

    admin = env.admin
    view = admin.registry.contents().feature_views[PII]
    profile = profile_view(admin.offline_store, view, None, None, spec=view_spec(view))
    save_profile(admin.registry.registry, admin.project, profile)
    return profile.id


ROWS: list[Row] = [
    Row(
        "sdk:list_profiles", lambda e, r: (_profiled(e), e.sdk(r).list_profiles(PII)), "DESCRIBE", f"feature_view:{PII}"
    ),
    Row(
        "http:GET /quality/profiles/{view}/history",
        lambda e, r: (_profiled(e), e.http(r, "GET", f"/quality/profiles/{PII}/history")),
        "DESCRIBE",
        f"feature_view:{PII}",
    ),
]
