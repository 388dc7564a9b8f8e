"""The deployment lifecycle: environments, promotion, history and rollback, feature flags, schedules.

One job per module:

- :mod:`~featurevault._lifecycle.environments`: the ``environments:`` overlay of feature_store.yaml
- :mod:`~featurevault._lifecycle.history`: history, object/field diffs between versions, rollback
- :mod:`~featurevault._lifecycle.flags`: feature flags kept in the registry's operational state
- :mod:`~featurevault._lifecycle.promote`: applying one environment's definitions to another, behind gates
- :mod:`~featurevault._lifecycle.schedule`: materialization on a cron schedule, with retries and a lock
"""
