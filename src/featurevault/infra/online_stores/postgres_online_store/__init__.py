"""Feast's PostgreSQL online store package."""
