"""Request and response bodies, in Feast's feature-server shapes.

Request models stay flat (no nested models) so that their JSON schema can be
published inline in OpenAPI while the hot routes parse bodies with
``model_validate_json`` straight from bytes. Unknown keys are ignored, as
Feast's server does, so clients that send newer Feast fields keep working; a
misspelt required key still fails (the required one is then missing).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, model_validator

# JSON scalars (and lists of them, for array-typed request data); objects are refused.
# Integers are 64-bit, as every integer feature type and key is: a larger one is a 422 here.
Int64Value = Annotated[StrictInt, Field(ge=-(2**63), le=2**63 - 1)]
Scalar = Int64Value | StrictFloat | StrictBool | str | None
Cell = Scalar | list[Scalar]
Columns = dict[str, list[Cell]]


def _check_columns(columns: Columns, what: str) -> None:
    if not columns:
        raise ValueError(f"{what} must have at least one column")
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"{what} columns differ in length: {lengths}")


class GetOnlineFeaturesRequest(BaseModel):
    """``features`` (``view:feature`` refs) or ``feature_service``; entity and request columns in ``entities``."""

    model_config = ConfigDict(extra="ignore")

    entities: Columns
    features: list[str] = Field(default_factory=list)
    feature_service: str | None = None
    full_feature_names: StrictBool = False
    include_feature_view_version_metadata: StrictBool = False

    @model_validator(mode="after")
    def _one_feature_source(self) -> GetOnlineFeaturesRequest:
        if bool(self.features) == bool(self.feature_service):
            raise ValueError("give exactly one of 'features' (a non-empty list) or 'feature_service'")
        _check_columns(self.entities, "entities")
        return self

    @property
    def entity_count(self) -> int:
        return len(next(iter(self.entities.values())))


class PushRequest(BaseModel):
    """Rows for every feature view fed by a push source."""

    model_config = ConfigDict(extra="ignore")

    push_source_name: str
    df: Columns
    to: Literal["online", "offline", "online_and_offline"] = "online"
    allow_registry_cache: StrictBool = True
    transform_on_write: StrictBool = True

    @model_validator(mode="after")
    def _rectangular(self) -> PushRequest:
        _check_columns(self.df, "df")
        return self


class WriteToOnlineStoreRequest(BaseModel):
    """Rows written straight to one feature view's online table."""

    model_config = ConfigDict(extra="ignore")

    feature_view_name: str
    df: Columns
    allow_registry_cache: StrictBool = True
    transform_on_write: StrictBool = True

    @model_validator(mode="after")
    def _rectangular(self) -> WriteToOnlineStoreRequest:
        _check_columns(self.df, "df")
        return self


class FeatureVector(BaseModel):
    values: list[Any]
    statuses: list[Literal["PRESENT", "NULL_VALUE", "NOT_FOUND", "OUTSIDE_MAX_AGE", "INVALID"]]
    event_timestamps: list[str]


class OnlineFeaturesMetadata(BaseModel):
    feature_names: list[str]


class OnlineFeaturesResponse(BaseModel):
    metadata: OnlineFeaturesMetadata
    results: list[FeatureVector]


class WriteResponse(BaseModel):
    status: Literal["ok"] = "ok"
    rows: int


class HealthResponse(BaseModel):
    status: str


class ReadyResponse(BaseModel):
    status: str = Field(description='"ready", or "degraded" while a stale registry copy is served')
    checks: dict[str, str]
    registry: dict[str, Any] = Field(
        default_factory=dict,
        description="the registry copy served: version, age_seconds, stale, max_staleness_seconds, error",
    )


class RegistryObject(BaseModel):
    """A registry object as the library serialises it, plus its ``kind``."""

    model_config = ConfigDict(extra="allow")
    kind: str
    name: str


class FeatureServiceList(BaseModel):
    feature_services: list[RegistryObject]


class FeatureViewList(BaseModel):
    feature_views: list[RegistryObject]


class ErrorDetail(BaseModel):
    type: str
    message: str
    detail: Any = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


def request_body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI ``requestBody`` for a route that parses its body itself."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in (
        (403, "not allowed"),
        (404, "unknown feature view, feature or feature service"),
        (413, "request body too large"),
        (422, "malformed body or wrong types"),
        (503, "online store or registry unavailable"),
    )
}
