"""The guard's masking: PII columns of a result, masked for a principal without READ_PII.

Which columns and how is decided with the read (see guard_authz); this part
applies it to what comes back: an online response (in place), a dict of lists
(a copy), or a historical retrieval job (wrapped, masked as it is collected).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa

from featurevault.errors import PermissionDeniedError
from featurevault._governance.pii import Masker


class OutputMasker:
    """Masks results; the keyed :class:`Masker` is built on first use (it loads the hash key)."""

    def __init__(self, hash_key: Callable[[], bytes]) -> None:
        self._hash_key = hash_key
        self._masker: Masker | None = None

    @property
    def masker(self) -> Masker:
        if self._masker is None:
            self._masker = Masker(self._hash_key())
        return self._masker

    def hash_value(self) -> Callable[[Any], str]:
        return self.masker.hash_value

    def mask_columns(self, response: Any, strategies: dict[str, str]) -> Any:
        """Mask the named columns of an OnlineResponse (in place) or of a dict of lists (a copy)."""
        masker = self.masker
        if not hasattr(response, "transform_column"):
            return masker.mask_columns(response, strategies)
        from featurevault._model.types import String

        names = set(response.feature_names)
        for name, strategy in strategies.items():
            if name in names:
                response.transform_column(
                    name,
                    lambda values, s=strategy: masker.mask_list(values, s),
                    None if strategy == "redact" else String,
                )
        return response

    def apply_masks(self, response: Any, masks: tuple[tuple[str, str, Any], ...]) -> Any:
        """Mask an online response in place with a decision's ``masks`` (see ReadDecision.masks)."""
        response.apply_masks(self.masker.mask_list, masks)
        return response

    def mask_job(self, job: Any, strategies: dict[str, str]) -> Any:
        return MaskedRetrievalJob(job, self.masker, strategies) if strategies else job


class MaskedRetrievalJob:
    """A RetrievalJob whose results have PII columns masked; everything else is delegated."""

    def __init__(self, job: Any, masker: Masker, strategies: dict[str, str]) -> None:
        self._job = job
        self._masker = masker
        self._strategies = strategies

    def to_arrow(self, *args: Any, **kwargs: Any) -> pa.Table:
        return self._masker.mask_table(self._job.to_arrow(*args, **kwargs), self._strategies)

    def to_df(self, *args: Any, validation_reference: Any = None, **kwargs: Any) -> Any:
        if validation_reference is not None:  # checked on the values the caller may see
            validation_reference.enforce(self.to_arrow())
        return self._masker.mask_frame(self._job.to_df(*args, **kwargs), self._strategies)

    def to_spark_df(self) -> Any:
        """Refused: masking runs on collected rows, and a Spark DataFrame would carry the raw values."""
        raise PermissionDeniedError(
            f"to_spark_df: column(s) {', '.join(sorted(self._strategies))} are masked for this principal; "
            "use to_df() or to_arrow(), which return them masked"
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._job, name)
