"""Monitoring and alerting: metrics kept over time, drift, skew, alert rules, notifiers, runbooks.

One job per module: :mod:`.freshness`, :mod:`.drift` (PSI, Jensen-Shannon,
KS, chi-square), :mod:`.skew`, :mod:`.baselines`, :mod:`.collect` (the
metrics of one run, recorded in the registry's ``metrics`` table),
:mod:`.evaluator` (pending/firing/resolved with ``for_`` and
de-duplication), :mod:`.routing` and :mod:`.notifiers`, :mod:`.runbooks`,
:mod:`.rules_export` (Prometheus alerting rules). :mod:`.service` runs them
for the :class:`~featurevault._store.FeatureStore` facade, which guards each call.
"""
