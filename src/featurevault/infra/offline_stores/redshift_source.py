"""Feast path ``feast.infra.offline_stores.redshift_source``: imports, and is refused at plan/apply."""

from featurevault._model.unsupported import RedshiftSource

__all__ = ["RedshiftSource"]
