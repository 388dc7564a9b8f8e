"""Drift statistics against a baseline, one module each: PSI, Jensen-Shannon, Kolmogorov-Smirnov, chi-square.

:mod:`.baseline` summarises a window of a feature (bins or category shares,
and a fixed-seed sample); :func:`feature_drift` compares a current window with it.
"""

from featurevault._monitoring.drift.baseline import FeatureBaseline, summarise
from featurevault._monitoring.drift.compare import FeatureDrift, feature_drift

__all__ = ["FeatureBaseline", "FeatureDrift", "feature_drift", "summarise"]
