"""On-demand feature views: features computed at read time from other features and request data."""

from __future__ import annotations

import base64
import inspect
import sys
import textwrap
from collections.abc import Callable
from typing import Any

from featurevault.errors import DefinitionError
from featurevault._model.entity import Entity, Field
from featurevault._model.feature_view import FeatureView, Projection, _Projectable
from featurevault._model.sources import RequestSource, source_from_dict

MODES = ("pandas", "python")


class OnDemandFeatureView(_Projectable):
    """Features computed by a Python function when they are read.

    ``sources`` are feature views (or projections of them) and request sources.
    In ``pandas`` mode the function takes and returns a DataFrame; in ``python``
    mode it takes and returns a dict of lists.
    """

    kind = "on_demand_feature_view"

    def __init__(
        self,
        *,
        name: str,
        sources: list[Any],
        schema: list[Field],
        udf: Callable[[Any], Any],
        mode: str = "pandas",
        entities: list[Entity] | None = None,
        description: str = "",
        tags: dict[str, str] | None = None,
        owner: str = "",
        udf_string: str = "",
        write_to_online_store: bool = False,
        singleton: bool = False,
    ) -> None:
        self._init_meta(name, description, tags, owner)
        if mode not in MODES:
            raise DefinitionError(f"on-demand feature view {name!r}: mode {mode!r} is not one of {MODES}")
        if write_to_online_store or singleton:
            option = "write_to_online_store" if write_to_online_store else "singleton"
            raise DefinitionError(f"on-demand feature view {name!r}: {option}=True is not supported")
        if not schema or not all(isinstance(f, Field) for f in schema):
            raise DefinitionError(f"on-demand feature view {name!r}: schema must be a non-empty list of Field")
        if not callable(udf):
            raise DefinitionError(f"on-demand feature view {name!r}: udf must be callable")
        self.mode = mode
        self.udf = udf
        self.udf_string = udf_string or _source_of(udf)
        self.features = list(schema)
        self.entities = list(entities or [])
        self.source_feature_view_projections: dict[str, Projection] = {}
        self.source_request_sources: dict[str, RequestSource] = {}
        self._source_views: dict[str, FeatureView] = {}
        for source in sources or []:
            self._add_source(source)
        if not sources:
            raise DefinitionError(f"on-demand feature view {name!r}: sources must name at least one input")
        self._init_projection()

    def _add_source(self, source: Any) -> None:
        if isinstance(source, RequestSource):
            self.source_request_sources[source.name] = source
        elif isinstance(source, FeatureView):
            self.source_feature_view_projections[source.name] = source.projection
            self._source_views[source.name] = source
        else:
            raise DefinitionError(
                f"on-demand feature view {self.name!r}: source {source!r} must be a FeatureView, "
                "a projection of one, or a RequestSource"
            )

    @property
    def schema(self) -> list[Field]:
        return self.features

    @property
    def request_fields(self) -> list[Field]:
        return [f for rs in self.source_request_sources.values() for f in rs.schema]

    def transform(self, inputs: Any) -> Any:
        """Run the transformation: a DataFrame in pandas mode, a dict of lists in python mode.

        A DataFrame given to a python-mode view is converted to columns and back.
        """
        if self.mode == "pandas":
            return self.udf(inputs)
        import pandas as pd

        if isinstance(inputs, pd.DataFrame):
            return pd.DataFrame(self.udf({c: inputs[c].tolist() for c in inputs.columns}))
        return self.udf(inputs)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self._meta_dict(),
            "mode": self.mode,
            "schema": [f.to_dict() for f in self.features],
            "entities": [e.to_dict() for e in self.entities],
            "feature_view_sources": [self._source_views[n].to_dict() for n in sorted(self._source_views)],
            "projections": [p.to_dict() for p in self.source_feature_view_projections.values()],
            "request_sources": [rs.to_dict() for rs in self.source_request_sources.values()],
            "udf_string": self.udf_string,
            "udf_pickle": _pickle_udf(self.udf),
        }

    def __eq__(self, other: object) -> bool:
        # The pickled function differs between runs even when unchanged: compare the source text.
        if not isinstance(other, OnDemandFeatureView):
            return False
        mine, theirs = self.to_dict(), other.to_dict()
        mine.pop("udf_pickle")
        theirs.pop("udf_pickle")
        return mine == theirs

    __hash__ = _Projectable.__hash__

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OnDemandFeatureView:
        views = {d["name"]: FeatureView.from_dict(d) for d in data["feature_view_sources"]}
        sources: list[Any] = []
        for p in data["projections"]:
            projection = Projection.from_dict(p)
            sources.append(views[projection.name][projection.features])
        sources.extend(source_from_dict(rs) for rs in data["request_sources"])
        return cls(
            name=data["name"],
            sources=sources,
            schema=[Field.from_dict(f) for f in data["schema"]],
            udf=_unpickle_udf(data["name"], data["udf_pickle"]),
            mode=data["mode"],
            entities=[Entity.from_dict(e) for e in data.get("entities", [])],
            description=data.get("description", ""),
            tags=data.get("tags"),
            owner=data.get("owner", ""),
            udf_string=data.get("udf_string", ""),
        )


def on_demand_feature_view(
    *,
    name: str | None = None,
    entities: list[Entity] | None = None,
    schema: list[Field],
    sources: list[Any],
    mode: str = "pandas",
    description: str = "",
    tags: dict[str, str] | None = None,
    owner: str = "",
    write_to_online_store: bool = False,
    singleton: bool = False,
) -> Callable[[Callable[[Any], Any]], OnDemandFeatureView]:
    """Decorator form, as in Feast: the function becomes the view's transformation."""

    def decorate(udf: Callable[[Any], Any]) -> OnDemandFeatureView:
        return OnDemandFeatureView(
            name=name or udf.__name__,
            sources=sources,
            schema=schema,
            udf=udf,
            mode=mode,
            entities=entities,
            description=description or (inspect.getdoc(udf) or ""),
            tags=tags,
            owner=owner,
            write_to_online_store=write_to_online_store,
            singleton=singleton,
        )

    return decorate


def _source_of(udf: Callable[[Any], Any]) -> str:
    try:
        return textwrap.dedent(inspect.getsource(udf))
    except (OSError, TypeError):
        return ""


def _pickle_udf(udf: Callable[[Any], Any]) -> str:
    import cloudpickle

    module = sys.modules.get(getattr(udf, "__module__", "") or "")
    if module is not None and getattr(module, "__featurevault_repo_module__", False):
        # Repo files are not importable elsewhere: ship the function by value.
        cloudpickle.register_pickle_by_value(module)
    return base64.b64encode(cloudpickle.dumps(udf)).decode("ascii")


def _unpickle_udf(name: str, payload: str) -> Callable[[Any], Any]:
    import cloudpickle

    try:
        udf: Callable[[Any], Any] = cloudpickle.loads(base64.b64decode(payload))
        return udf
    except Exception as exc:  # a registry written by another Python or library version
        raise DefinitionError(
            f"on-demand feature view {name!r}: its transformation cannot be loaded in this environment ({exc}); "
            "re-run apply from the feature repo"
        ) from exc
