"""The web dashboard: server-rendered pages and the JSON endpoints they use, under ``/ui``.

Read-only. Pages and endpoints authenticate like the API (a bearer header, or the token kept
in an HttpOnly cookie after ``/ui/login``), apply the same permissions (objects a principal
may not describe are not listed) and leave one audit record per request.
"""

from __future__ import annotations

from typing import Any

PREFIX = "/ui"


def install(app: Any) -> None:
    """Add the dashboard's routes and static files to ``app`` (a FastAPI app)."""
    from pathlib import Path

    from starlette.staticfiles import StaticFiles

    from featurevault._ui import api, pages

    # Not part of the API's OpenAPI contract: the pages and their JSON serve the dashboard only.
    app.include_router(api.router, prefix=PREFIX, include_in_schema=False)
    app.include_router(pages.router, prefix=PREFIX, include_in_schema=False)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=Path(__file__).parent / "static"), name="ui-static")
