"""Materialization written from a distributed engine's workers (``batch_engine: spark``).

An :class:`OnlineSink` is what the driver ships to each worker: the online
store's own config section (never the root config, never a live connection),
the view, and the PII sealer when the view keeps PII encrypted at rest. On the
worker it opens the online store, packs and writes each Arrow batch of its
partition exactly as the embedded path does (same type checks, same
"a newer pushed value is kept" rule), and closes the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from featurevault._model import FeatureView

if TYPE_CHECKING:
    from featurevault._ops.materialize import Sealer


@dataclass
class OnlineSink:
    """Picklable: writes batches of latest rows to the online store wherever it is called."""

    #: module of the online backend (``featurevault._backends.online.redis``, ...)
    module: str
    #: that backend's validated config section
    config: Any
    project: str
    #: the repo, against which relative paths in the section are resolved
    repo_path: str
    view: FeatureView
    #: encrypts the view's PII columns, each value bound to its row's entity key
    seal: Sealer | None = None

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[tuple[int, int]]:
        import importlib

        from featurevault._ops import codec
        from featurevault._ops.materialize import _Counts, _pack_batch, _write_packed

        backend = importlib.import_module(self.module)
        repo = Path(self.repo_path)
        online = backend.Store.from_config(self.config, project=self.project, resolve=lambda p: repo / p)
        try:
            layout = codec.Layout.of(self.view.features)
            counts = _Counts()
            for batch in batches:
                if batch.num_rows:
                    _write_packed(online, self.view, _pack_batch(self.view, layout, batch, self.seal), counts, None)
            yield counts.written, counts.kept_newer
        finally:
            online.close()
