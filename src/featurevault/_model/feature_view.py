"""Feature views and projections of them."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from featurevault.errors import DefinitionError, FeatureNotFoundError
from featurevault._model.base import FeatureObject
from featurevault._model.entity import Entity, Field
from featurevault._model.no_effect import note_no_effect
from featurevault._model.rules import Rule, check_rules
from featurevault._model.sources import DataSource, PushSource, RequestSource, source_from_dict


@dataclass
class Projection:
    """A selection of a view's features, as used by a feature service or a request.

    ``features`` is the list of selected feature names, in order.
    """

    name: str
    features: list[str]
    name_alias: str = ""
    join_key_map: dict[str, str] = field(default_factory=dict)

    @property
    def name_to_use(self) -> str:
        return self.name_alias or self.name

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "features": list(self.features), "name_alias": self.name_alias}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Projection:
        return cls(name=data["name"], features=list(data["features"]), name_alias=data.get("name_alias", ""))


class _Projectable(FeatureObject):
    """Shared by feature views and on-demand views: ``view[["a", "b"]]`` and ``with_name``."""

    features: list[Field]
    projection: Projection

    def _init_projection(self) -> None:
        self.projection = Projection(self.name, [f.name for f in self.features])

    def __getitem__(self, names: list[str]) -> _Projectable:
        if isinstance(names, str):
            names = [names]
        known = {f.name for f in self.features}
        missing = [n for n in names if n not in known]
        if missing:
            raise FeatureNotFoundError(
                f"{self.kind} {self.name!r} has no feature {missing[0]!r}; it has {sorted(known)}"
            )
        view = copy.copy(self)
        view.projection = Projection(self.name, list(names), self.projection.name_alias)
        return view

    def with_name(self, alias: str) -> _Projectable:
        view = copy.copy(self)
        view.projection = Projection(self.name, list(self.projection.features), alias)
        return view

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    def feature(self, name: str) -> Field:
        for f in self.features:
            if f.name == name:
                return f
        raise FeatureNotFoundError(f"{self.kind} {self.name!r} has no feature {name!r}; it has {self.feature_names}")


def _check_ttl(name: str, ttl: Any) -> timedelta | None:
    if ttl is None:
        return None
    if isinstance(ttl, (int, float)):
        ttl = timedelta(seconds=ttl)
    if not isinstance(ttl, timedelta) or ttl < timedelta(0):
        raise DefinitionError(f"feature view {name!r}: ttl must be a non-negative timedelta, got {ttl!r}")
    return ttl


class FeatureView(_Projectable):
    """A group of features of some entities, read from one source, valid for ``ttl``.

    A ttl of zero or None means values never expire (as in Feast).
    """

    kind = "feature_view"

    def __init__(
        self,
        *,
        name: str,
        source: DataSource,
        schema: list[Field] | None = None,
        entities: list[Entity] | None = None,
        ttl: timedelta | None = timedelta(0),
        online: bool = True,
        offline: bool = False,
        description: str = "",
        tags: dict[str, str] | None = None,
        owner: str = "",
        enable_validation: bool = False,
        version: str = "latest",
        rules: list[Rule] | None = None,
        backfill_start: datetime | None = None,
        schedule: str | None = None,
        freshness: timedelta | str | None = None,
        retention: timedelta | str | None = None,
    ) -> None:
        self._init_meta(name, description, tags, owner)
        _accept_feast_only(name, enable_validation, version)
        #: validation rules checked on every write (see featurevault._quality)
        self.rules = check_rules(name, rules)
        #: where the view's history should start; ``validate`` reports coverage against it
        self.backfill_start = _check_backfill(name, backfill_start)
        self.schedule = _check_schedule(name, schedule)
        self.freshness = _check_freshness(name, freshness) if freshness is not None else _tag_freshness(self.tags)
        #: how long offline rows are kept (``retention=`` or a ``retention`` tag such as 90d); None: forever
        self.retention = _check_retention(name, retention if retention is not None else self.tags.get("retention"))
        if not isinstance(source, DataSource) or isinstance(source, RequestSource):
            raise DefinitionError(
                f"feature view {name!r}: source must be a batch or push source (FileSource, PushSource, ...), "
                f"got {type(source).__name__}"
            )
        self.source = source
        self.entities = _check_entities(name, entities)
        self.ttl = _check_ttl(name, ttl)
        self.online = bool(online)
        self.offline = bool(offline)
        self.schema = _check_schema(name, schema)
        keys = set(self.join_keys)
        self.entity_columns = [f for f in self.schema if f.name in keys]
        self.features = [f for f in self.schema if f.name not in keys]
        self._init_projection()

    @property
    def join_keys(self) -> list[str]:
        """Every join key of every entity, in entity order."""
        return [key for entity in self.entities for key in entity.join_keys]

    @property
    def entity_names(self) -> list[str]:
        return [e.name for e in self.entities]

    @property
    def batch_source(self) -> DataSource:
        """The source offline reads come from (a push source's batch source)."""
        return self.source.batch_source if isinstance(self.source, PushSource) else self.source

    @property
    def stream_source(self) -> PushSource | None:
        return self.source if isinstance(self.source, PushSource) else None

    @property
    def expected_interval(self) -> float | None:
        """Seconds between expected updates (``freshness=`` or a ``freshness`` tag), None when undeclared."""
        return self.freshness.total_seconds() if self.freshness else None

    @property
    def ttl_seconds(self) -> float:
        """0 when values never expire."""
        return self.ttl.total_seconds() if self.ttl else 0.0

    def with_schema(self, schema: list[Field]) -> FeatureView:
        """A copy with an inferred schema (used by apply when the schema is omitted)."""
        view = copy.copy(self)
        view.schema = _check_schema(self.name, schema)
        keys = set(self.join_keys)
        view.entity_columns = [f for f in view.schema if f.name in keys]
        view.features = [f for f in view.schema if f.name not in keys]
        view._init_projection()
        return view

    def to_dict(self) -> dict[str, Any]:
        # an interval the tags do not already say (``freshness=`` given, or a tag that is not a duration)
        # is kept apart, so the view reads back with the same expected interval
        extra: dict[str, float] = {}
        if self.freshness and self.freshness != _tag_freshness(self.tags):
            extra["freshness_seconds"] = self.freshness.total_seconds()
        if self.retention and "retention" not in self.tags:
            extra["retention_seconds"] = self.retention.total_seconds()
        return {
            **self._meta_dict(),
            **extra,
            "entities": [e.to_dict() for e in self.entities],
            "schema": [f.to_dict() for f in self.schema],
            "source": self.source.to_dict(),
            "ttl_seconds": None if self.ttl is None else self.ttl.total_seconds(),
            "online": self.online,
            "offline": self.offline,
            **({"rules": [r.to_dict() for r in self.rules]} if self.rules else {}),
            **({"backfill_start": self.backfill_start.isoformat()} if self.backfill_start else {}),
            **({"schedule": self.schedule} if self.schedule else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureView:
        ttl = data.get("ttl_seconds")
        return cls(
            name=data["name"],
            source=source_from_dict(data["source"]),
            schema=[Field.from_dict(f) for f in data["schema"]],
            entities=[Entity.from_dict(e) for e in data["entities"]],
            ttl=None if ttl is None else timedelta(seconds=ttl),
            online=data.get("online", True),
            offline=data.get("offline", False),
            description=data.get("description", ""),
            tags=data.get("tags"),
            owner=data.get("owner", ""),
            rules=[Rule.from_dict(r) for r in data.get("rules", [])],
            backfill_start=datetime.fromisoformat(data["backfill_start"]) if data.get("backfill_start") else None,
            schedule=data.get("schedule"),
            freshness=None if data.get("freshness_seconds") is None else timedelta(seconds=data["freshness_seconds"]),
            retention=None if data.get("retention_seconds") is None else timedelta(seconds=data["retention_seconds"]),
        )


#: the ``freshness`` tag's standard values (see docs/lint.md) as expected intervals
FRESHNESS_WORDS = {"minutely": 60, "hourly": 3600, "daily": 86400, "weekly": 604800, "monthly": 2592000}


def _tag_freshness(tags: dict[str, str]) -> timedelta | None:
    """A ``freshness`` tag: a standard word (``hourly``) or a duration (``2h``); anything else declares none."""
    value = tags.get("freshness", "")
    if value in FRESHNESS_WORDS:
        return timedelta(seconds=FRESHNESS_WORDS[value])
    try:
        return _check_freshness("", value) if value else None
    except DefinitionError:
        return None  # lint (FV306) reports tag values outside the vocabulary


def _check_freshness(name: str, value: Any) -> timedelta | None:
    if value is None or isinstance(value, timedelta):
        return value
    from featurevault._model.alert_condition import parse_duration

    return timedelta(seconds=parse_duration(value, f"feature view {name!r} freshness"))


def _check_retention(name: str, value: Any) -> timedelta | None:
    """A positive duration (timedelta, seconds, or text like 90d); None or empty keeps rows forever."""
    if value is None or value == "":
        return None
    if isinstance(value, timedelta):
        retention = value
    else:
        from featurevault._model.alert_condition import parse_duration

        retention = timedelta(seconds=parse_duration(value, f"feature view {name!r} retention"))
    if retention <= timedelta(0):
        raise DefinitionError(f"feature view {name!r}: retention must be a positive duration, got {retention!r}")
    return retention


#: cron's shorthands; anything else must have five fields (minute hour day-of-month month day-of-week)
CRON_ALIASES = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")


def _check_schedule(name: str, schedule: str | None) -> str | None:
    """A cron expression's shape (croniter checks each field when the scheduler runs)."""
    if schedule is None or schedule == "":
        return None
    if not isinstance(schedule, str) or not (schedule in CRON_ALIASES or len(schedule.split()) == 5):
        raise DefinitionError(
            f"feature view {name!r}: schedule {schedule!r} must be a cron expression of five fields "
            f"('0 * * * *') or one of {', '.join(CRON_ALIASES)}"
        )
    return schedule


def _check_backfill(name: str, value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        raise DefinitionError(f"feature view {name!r}: backfill_start must be a date or datetime, got {value!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _check_entities(name: str, entities: list[Entity] | None) -> list[Entity]:
    result = list(entities or [])
    for entity in result:
        if not isinstance(entity, Entity):
            raise DefinitionError(
                f"feature view {name!r}: entities must be Entity objects, got {entity!r}; "
                "define the entity with Entity(name=..., join_keys=[...]) and pass the object"
            )
    keys = [k for e in result for k in e.join_keys]
    if len(set(keys)) != len(keys):
        raise DefinitionError(f"feature view {name!r}: two entities share a join key in {keys}")
    return result


def _check_schema(name: str, schema: list[Field] | None) -> list[Field]:
    fields = list(schema or [])
    seen: set[str] = set()
    for f in fields:
        if not isinstance(f, Field):
            raise DefinitionError(f"feature view {name!r}: schema entries must be Field objects, got {f!r}")
        if f.name in seen:
            raise DefinitionError(f"feature view {name!r}: field {f.name!r} appears twice in the schema")
        seen.add(f.name)
    return fields


def _accept_feast_only(name: str, enable_validation: bool, version: str) -> None:
    """Feast's ``enable_validation`` and ``version`` (only "latest" exists here): accepted, noted once."""
    if version != "latest":
        raise DefinitionError(
            f"feature view {name!r}: version={version!r}; featurevault keeps one live version per view "
            "(see registry-history for earlier ones), so only version='latest' is accepted"
        )
    if enable_validation:
        note_no_effect("FeatureView(enable_validation=True)")
