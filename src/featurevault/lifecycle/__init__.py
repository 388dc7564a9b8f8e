"""The deployment lifecycle: environments, promotion, history and rollback, feature flags, schedules.

One job per module:

- :mod:`~featurevault.lifecycle.environments`: the ``environments:`` overlay of feature_store.yaml
- :mod:`~featurevault.lifecycle.history`: history, object/field diffs between versions, rollback
- :mod:`~featurevault.lifecycle.flags`: feature flags kept in the registry's operational state
- :mod:`~featurevault.lifecycle.promote`: applying one environment's definitions to another, behind gates
- :mod:`~featurevault.lifecycle.schedule`: materialization on a cron schedule, with retries and a lock
"""
