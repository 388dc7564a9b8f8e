"""``/ui/...``: the server-rendered pages, and the login that keeps a token in an HttpOnly cookie."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from featurevault.errors import AuthenticationError
from featurevault.ui import PREFIX, data, history, lineage
from featurevault.ui.access import COOKIE, KINDS, SECURITY_HEADERS, principal_of, secured

router = APIRouter(tags=["dashboard"])

MAX_LOGIN_BODY = 16 * 1024


@lru_cache(maxsize=1)
def environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = environment().get_template(template).render(prefix=PREFIX, kinds=KINDS, **context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def _login_redirect() -> Response:
    return RedirectResponse(f"{PREFIX}/login", status_code=303, headers=SECURITY_HEADERS)


@router.get("/login")
def login_form(request: Request) -> Response:
    return render("login.html", error=None, secured=secured(request.app.state.store))


@router.post("/login")
async def login(request: Request) -> Response:
    body = await request.body()
    token = parse_qs(body[:MAX_LOGIN_BODY].decode("utf-8", "replace")).get("token", [""])[0].strip()
    store = request.app.state.store
    if secured(store):
        try:
            store.authenticate(token)
        except AuthenticationError:
            return render("login.html", status=401, error="That token was refused.", secured=True)
    response = RedirectResponse(f"{PREFIX}/", status_code=303, headers=SECURITY_HEADERS)
    secure = request.url.scheme == "https"
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=secure, path=PREFIX)
    return response


@router.post("/logout")
def logout() -> Response:
    response = _login_redirect()
    response.delete_cookie(COOKIE, path=PREFIX)
    return response


@router.get("/")
def overview_page(request: Request) -> Response:
    try:
        principal = principal_of(request)
    except AuthenticationError:
        return _login_redirect()
    return render("overview.html", page="overview", view=data.overview(request.app.state.store, principal))


@router.get("/list/{kind}")
def list_page(kind: str, request: Request) -> Response:
    try:
        principal = principal_of(request)
    except AuthenticationError:
        return _login_redirect()
    objects = data.listing(request.app.state.store, principal, kind)
    return render("list.html", page=kind, kind=kind, label=KINDS[kind][1], objects=objects)


@router.get("/list/{kind}/{name}")
def detail_page(kind: str, name: str, request: Request) -> Response:
    try:
        principal = principal_of(request)
    except AuthenticationError:
        return _login_redirect()
    view = data.detail(request.app.state.store, principal, kind, name)
    return render("detail.html", page=kind, kind=kind, label=KINDS[kind][1], view=view)


@router.get("/history")
def history_page(request: Request, old: int | None = None, new: int | None = None) -> Response:
    """The registry's versions; with ``old`` and ``new``, the diff between those two instead."""
    try:
        principal = principal_of(request)
    except AuthenticationError:
        return _login_redirect()
    store = request.app.state.store
    if old is not None and new is not None:
        changes = history.version_diff(store, principal, old, new)
        return render("history.html", page="history", versions=None, diff=changes)
    return render("history.html", page="history", versions=history.versions(store, principal), diff=None)


@router.get("/lineage")
def lineage_page(request: Request) -> Response:
    try:
        principal = principal_of(request)
    except AuthenticationError:
        return _login_redirect()
    graph = lineage.lineage(request.app.state.store, principal)
    return render("lineage.html", page="lineage", graph=graph, urls=LINEAGE_URLS)


#: lineage column (registry kind) -> list URL kind
LINEAGE_URLS = {kind: url_kind for url_kind, (kind, _) in KINDS.items()}
