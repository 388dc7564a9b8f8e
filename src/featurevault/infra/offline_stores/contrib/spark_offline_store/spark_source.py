"""Feast's import path of ``SparkSource``."""

from featurevault._model.spark_source import SparkSource

__all__ = ["SparkSource"]
