"""The HTTP feature server (needs the ``server`` extra: fastapi, uvicorn, prometheus-client, orjson).

from featurevault._server import create_app
app = create_app(FeatureStore("repo/"))
"""

from featurevault.errors import missing_dependency

try:
    import fastapi  # noqa: F401
    import orjson  # noqa: F401
    import prometheus_client  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise missing_dependency(exc.name or "fastapi", "server") from exc

from featurevault._server.app import ServerSettings, create_app, serve
from featurevault._server.auth import ANONYMOUS, Principal, current_principal

__all__ = ["ANONYMOUS", "Principal", "ServerSettings", "create_app", "current_principal", "serve"]
