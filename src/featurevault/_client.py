"""A Python client of the feature server, answering like the in-process store.

    client = FeatureServerClient("http://127.0.0.1:6566", timeout=2.0)
    response = client.get_online_features(
        features=["driver_hourly_stats:conv_rate"], entity_rows=[{"driver_id": 1001}]
    )
    response.to_dict()

One ``httpx.Client`` is kept per client object, so connections are reused
across calls. Error answers are raised as the library's own exceptions (the
server sends the exception's class name), so ``except FeatureViewNotFoundError``
works the same over HTTP as in-process.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping, Sequence
from typing import Any

from featurevault import errors
from featurevault._model import FeatureService


class FeatureServerClient:
    """Talks to ``featurevault serve`` (or any Feast-compatible feature server)."""

    def __init__(
        self,
        url: str,
        timeout: float = 10.0,
        *,
        headers: Mapping[str, str] | None = None,
        verify: bool | str | ssl.SSLContext = True,
        transport: Any = None,
    ) -> None:
        try:
            import httpx
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise errors.missing_dependency("httpx", "server") from exc
        if isinstance(verify, str):  # a CA bundle path
            verify = ssl.create_default_context(cafile=verify)
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url, timeout=timeout, headers=dict(headers or {}), verify=verify, transport=transport
        )
        self._httpx = httpx

    # -- reads ---------------------------------------------------------------------------------

    def get_online_features(
        self,
        features: Sequence[str] | FeatureService | None = None,
        entity_rows: Sequence[Mapping[str, Any]] | Mapping[str, Sequence[Any]] | None = None,
        full_feature_names: bool = False,
        *,
        feature_service: str | FeatureService | None = None,
    ) -> Any:
        """Latest values for ``entity_rows`` (a list of row dicts, or a dict of columns)."""
        body: dict[str, Any] = {"entities": entity_columns(entity_rows), "full_feature_names": full_feature_names}
        if isinstance(features, FeatureService):
            feature_service = features
            features = None
        if feature_service is not None:
            body["feature_service"] = (
                feature_service.name if isinstance(feature_service, FeatureService) else feature_service
            )
        if features is not None:
            if isinstance(features, str):
                raise errors.RequestError(f"features must be a list of 'view:feature' references, got {features!r}")
            body["features"] = list(features)
        payload = self._post("/get-online-features", body)
        return online_response_from_json(payload, list(body["entities"]))

    # -- writes --------------------------------------------------------------------------------

    def push(self, push_source_name: str, df: Any, to: Any = "online") -> int:
        """Push rows (a DataFrame or a dict of columns); returns the number of rows written."""
        mode = getattr(to, "name", to)
        body = {"push_source_name": push_source_name, "df": frame_columns(df), "to": str(mode).lower()}
        return int(self._post("/push", body).get("rows", 0))

    def write_to_online_store(self, feature_view_name: str, df: Any) -> int:
        body = {"feature_view_name": feature_view_name, "df": frame_columns(df)}
        return int(self._post("/write-to-online-store", body).get("rows", 0))

    # -- the rest ------------------------------------------------------------------------------

    def health(self) -> bool:
        try:
            return self._http.get("/health").status_code == 200
        except self._httpx.TransportError:
            return False

    def ready(self) -> dict[str, Any]:
        return self._get("/ready")

    def list_feature_views(self) -> list[dict[str, Any]]:
        return list(self._get("/feature-views")["feature_views"])

    def list_feature_services(self) -> list[dict[str, Any]]:
        return list(self._get("/feature-services")["feature_services"])

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> FeatureServerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        import orjson

        response = self._send("POST", path, content=orjson.dumps(body), headers={"content-type": "application/json"})
        return response

    def _get(self, path: str) -> dict[str, Any]:
        return self._send("GET", path)

    def _send(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, **kwargs)
        except self._httpx.TimeoutException as exc:
            raise errors.BackendUnavailableError(f"feature server {self.url}: {method} {path} timed out") from exc
        except self._httpx.TransportError as exc:
            raise errors.BackendUnavailableError(f"feature server {self.url} unreachable: {exc}") from exc
        payload = response.json() if response.content else {}
        if response.status_code >= 400:
            raise error_from_response(response.status_code, payload)
        return payload


def error_from_response(status: int, payload: Any) -> errors.FeatureVaultError:
    """The library exception an error answer stands for (by class name, else by status)."""
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        return errors.BackendError(f"feature server answered {status}: {payload!r}")
    name, message = str(error.get("type", "")), str(error.get("message", ""))
    cls = getattr(errors, name, None)
    if isinstance(cls, type) and issubclass(cls, errors.FeatureVaultError):
        return cls(message)
    fallback: type[errors.FeatureVaultError] = {
        404: errors.NotFoundError,
        403: errors.PermissionDeniedError,
        413: errors.RequestError,
        422: errors.RequestError,
        503: errors.BackendUnavailableError,
    }.get(status, errors.BackendError)
    return fallback(f"{name}: {message}" if name else message)


def entity_columns(entity_rows: Any) -> dict[str, list[Any]]:
    """Rows (``[{"driver_id": 1}, ...]``) or columns (``{"driver_id": [1, ...]}``) as columns."""
    if entity_rows is None:
        raise errors.RequestError("entity_rows is required: a list of dicts such as [{'driver_id': 1001}]")
    if isinstance(entity_rows, Mapping):
        return {str(k): list(v) for k, v in entity_rows.items()}
    rows = list(entity_rows)
    if not rows:
        raise errors.RequestError("entity_rows is empty")
    keys = list(rows[0])
    for i, row in enumerate(rows):
        if list(row) != keys and set(row) != set(keys):
            raise errors.EntityKeyError(f"entity row {i} has keys {sorted(row)}, expected {sorted(keys)}")
    return {k: [row[k] for row in rows] for k in keys}


def frame_columns(df: Any) -> dict[str, list[Any]]:
    """A DataFrame (or dict of columns) as JSON-ready columns; datetimes become ISO 8601 strings."""
    if isinstance(df, Mapping):
        return {str(k): [_json_cell(v) for v in values] for k, values in df.items()}
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise errors.RequestError(f"df must be a pandas DataFrame or a dict of columns, got {type(df).__name__}")
    columns: dict[str, list[Any]] = {}
    for name in df.columns:
        series = df[name]
        if pd.api.types.is_datetime64_any_dtype(series):
            text = series.map(lambda t: None if pd.isna(t) else t.isoformat())
            columns[str(name)] = text.tolist()
        else:
            columns[str(name)] = [_json_cell(v) for v in series.tolist()]
    return columns


def _json_cell(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value != value:
        return None
    return value


def online_response_from_json(payload: dict[str, Any], entity_names: Sequence[str]) -> Any:
    """Rebuild the in-process OnlineResponse from Feast's JSON shape.

    Columns named in the request's entities are join keys (echoed, no status).
    A feature column's type is inferred from its values (JSON carries no types),
    its statuses and event times are read back exactly.
    """
    from featurevault._ops.online_response import FieldStatus, OnlineResponse, ResponseColumn

    keys = set(entity_names)
    columns = []
    for name, result in zip(payload["metadata"]["feature_names"], payload["results"], strict=True):
        values = list(result["values"])
        if name in keys:
            columns.append(ResponseColumn(name, values, None))
            continue
        states = [FieldStatus[s] for s in result["statuses"]]
        stamps = result.get("event_timestamps") or [EPOCH] * len(values)
        missing = (FieldStatus.NOT_FOUND, FieldStatus.OUTSIDE_MAX_AGE)
        stored = any(t != EPOCH for t in stamps) or any(s in missing for s in states)
        dtype = _infer_dtype(values)
        values = _restore_values(values)
        if stored:
            columns.append(ResponseColumn(name, values, dtype, states, [_micros(t) for t in stamps]))
        else:  # an on-demand feature: computed now, no stored time
            columns.append(ResponseColumn(name, values, dtype))
    return OnlineResponse(columns)


EPOCH = "1970-01-01T00:00:00Z"


def _micros(stamp: str) -> int | None:
    if stamp == EPOCH:
        return None
    from datetime import datetime

    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


_NON_FINITE = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


def _restore_values(values: list[Any]) -> list[Any]:
    # The server spells NaN and infinities as strings (protobuf JSON); turn them back into floats.
    if any(isinstance(v, float) for v in values) and any(isinstance(v, str) for v in values):
        return [_NON_FINITE.get(v, v) if isinstance(v, str) else v for v in values]
    return values


def _infer_dtype(values: list[Any]) -> Any:
    from featurevault import types

    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, bool):
        return types.Bool
    if isinstance(sample, int):
        return types.Int64
    if isinstance(sample, list):
        inner = _infer_dtype([x for row in values if row for x in row])
        return types.Array(inner if inner is not types.Json else types.String)
    if isinstance(sample, dict):
        return types.Json
    if isinstance(sample, float) or sample in _NON_FINITE:
        return types.Float64
    return types.String


__all__ = ["FeatureServerClient", "entity_columns", "error_from_response", "frame_columns"]
