"""Operators of the stand-in (see the ``airflow`` package docstring)."""
