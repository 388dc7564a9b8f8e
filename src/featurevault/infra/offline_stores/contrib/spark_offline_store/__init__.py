"""Feast's Spark offline store package."""
