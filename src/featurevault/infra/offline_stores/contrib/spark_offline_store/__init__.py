"""Feast's Spark offline store package (not implemented here)."""
