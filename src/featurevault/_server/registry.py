"""``GET /feature-services``, ``/feature-views``, ``/feature-views/{name}``: the registry as JSON.

Objects are rendered with their own ``to_dict()`` plus a ``kind``; an
on-demand view's pickled transformation is left out (it is bytes for Python,
not for HTTP clients; its source text stays in ``udf_string``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from featurevault.errors import FeatureViewNotFoundError
from featurevault._server.auth import Principal, authorize, current_principal
from featurevault._server.schemas import ERROR_RESPONSES, FeatureServiceList, FeatureViewList, RegistryObject

if TYPE_CHECKING:
    from featurevault._store import FeatureStore

router = APIRouter(tags=["registry"])

HIDDEN_KEYS = ("udf_pickle",)


def registry_json(obj: Any) -> dict[str, Any]:
    data = {"kind": obj.kind, **obj.to_dict()}
    for key in HIDDEN_KEYS:
        data.pop(key, None)
    return data


def _json(payload: Any) -> Response:
    return Response(orjson.dumps(payload), media_type="application/json")


@router.get("/feature-services", response_model=FeatureServiceList, responses=ERROR_RESPONSES)
async def list_feature_services(request: Request, principal: Principal = Depends(current_principal)) -> Response:
    authorize(request, principal, "describe", [("registry", "feature_services")])
    services = await run_in_threadpool(_listed, request.app.state.store, "feature_services")
    return _json({"feature_services": [registry_json(s) for s in services]})


@router.get("/feature-views", response_model=FeatureViewList, responses=ERROR_RESPONSES)
async def list_feature_views(request: Request, principal: Principal = Depends(current_principal)) -> Response:
    authorize(request, principal, "describe", [("registry", "feature_views")])
    store = request.app.state.store
    views = await run_in_threadpool(lambda: _listed(store, "feature_views") + _listed(store, "on_demand_feature_views"))
    return _json({"feature_views": [registry_json(v) for v in views]})


@router.get("/feature-views/{name}", response_model=RegistryObject, responses=ERROR_RESPONSES)
async def get_feature_view(name: str, request: Request, principal: Principal = Depends(current_principal)) -> Response:
    authorize(request, principal, "describe", [("feature_view", name)])
    view = await run_in_threadpool(_find_view, request.app.state.store, name)
    return _json(registry_json(view))


# The routes authorize (and audit) DESCRIBE once through ``authorize``; the registry is then read
# directly, so that one request leaves one record.


def _listed(store: FeatureStore, attribute: str) -> list[Any]:
    return list(getattr(store.registry.contents(), attribute).values())


def _find_view(store: FeatureStore, name: str) -> Any:
    contents = store.registry.contents()
    view = contents.feature_views.get(name) or contents.on_demand_feature_views.get(name)
    if view is None:
        raise FeatureViewNotFoundError(f"no feature view or on-demand feature view named {name!r}")
    return view
