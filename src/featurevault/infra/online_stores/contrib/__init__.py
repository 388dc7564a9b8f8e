"""Feast's older ``contrib`` online store paths."""
