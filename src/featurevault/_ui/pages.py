"""``/ui/...``: the server-rendered pages, and the login that keeps a token in an HttpOnly cookie."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from featurevault.errors import AuthenticationError
from featurevault._governance.principal import Principal
from featurevault._ui import PREFIX, audit_view, data, history, lineage, monitor_data, quality_data, reports
from featurevault._ui.access import COOKIE, KINDS, SECURITY_HEADERS, principal_of, secured

router = APIRouter(tags=["dashboard"])

MAX_LOGIN_BODY = 16 * 1024
#: seconds between reloads of the auto-refreshing pages (``?refresh=N`` overrides, 0 turns it off)
REFRESH_SECONDS = 30
MIN_REFRESH_SECONDS = 2
#: rows a board or report page shows unless ``?all=1`` (the worst come first)
PAGE_ROWS = 200


@lru_cache(maxsize=1)
def environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["duration"] = duration
    return env


def duration(seconds: float | None) -> str:
    """``5400`` -> ``1h 30m``; None -> ``-``."""
    if seconds is None:
        return "-"
    seconds = int(seconds)
    for unit, size, smaller, small in (("d", 86400, "h", 3600), ("h", 3600, "m", 60), ("m", 60, "s", 1)):
        if seconds >= size:
            rest = (seconds % size) // small
            return f"{seconds // size}{unit}" + (f" {rest}{smaller}" if rest else "")
    return f"{seconds}s"


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


def _caller(request: Request) -> Principal | None:
    """The authenticated caller, or None (the page then redirects to the login form)."""
    try:
        return principal_of(request)
    except AuthenticationError:
        return None


def _refresh(seconds: int | None) -> int:
    if seconds is None:
        return REFRESH_SECONDS
    return 0 if seconds <= 0 else max(seconds, MIN_REFRESH_SECONDS)


@router.get("/")
def overview_page(request: Request, refresh: int | None = None) -> Response:
    principal = _caller(request)
    if principal is None:
        return _login_redirect()
    view = data.overview(request.app.state.store, principal)
    return render("overview.html", page="overview", view=view, refresh=_refresh(refresh))


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


@router.get("/freshness")
def freshness_page(request: Request, refresh: int | None = None, all: bool = False) -> Response:
    principal = _caller(request)
    if principal is None:
        return _login_redirect()
    board = monitor_data.freshness_board(request.app.state.store, principal)
    rows = board["views"] if all else board["views"][:PAGE_ROWS]
    return render("freshness.html", page="freshness", board=board, rows=rows, refresh=_refresh(refresh))


@router.get("/alerts")
def alerts_page(request: Request, refresh: int | None = None) -> Response:
    principal = _caller(request)
    if principal is None:
        return _login_redirect()
    listing = monitor_data.alerts(request.app.state.store, principal)
    return render(
        "alerts.html", page="alerts", listing=listing, states=monitor_data.ALERT_STATES, refresh=_refresh(refresh)
    )


@router.get("/quality")
def quality_index_page(request: Request, all: bool = False) -> Response:
    principal = _caller(request)
    if principal is None:
        return _login_redirect()
    index = quality_data.quality_index(request.app.state.store, principal)
    worst = sorted(index["views"], key=lambda v: (-v["quarantined"], -(v["max_psi"] or 0.0), v["view"]))
    rows = worst if all else worst[:PAGE_ROWS]
    return render("quality_index.html", page="quality", index=index, rows=rows)


@router.get("/quality/{view}")
def quality_page(view: str, request: Request) -> Response:
    principal = _caller(request)
    if principal is None:
        return _login_redirect()
    return render("quality.html", page="quality", q=quality_data.view_quality(request.app.state.store, principal, view))


@router.get("/quality/{view}/quarantine")
def quarantine_page(view: str, request: Request) -> Response:
    principal = _caller(request)
    if principal is None:
        return _login_redirect()
    rows = quality_data.quarantined_rows(request.app.state.store, principal, view)
    return render("quarantine.html", page="quality", rows=rows)


@router.get("/audit")
def audit_page(
    request: Request,
    principal: str | None = None,
    action: str | None = None,
    resource: str | None = None,
    since: str | None = None,
    until: str | None = None,
    page: int = 1,
) -> Response:
    caller = _caller(request)
    if caller is None:
        return _login_redirect()
    where = audit_view.AuditFilter.parse(
        principal=principal, action=action, resource=resource, since=since, until=until
    )
    trail = audit_view.audit_page(request.app.state.store, caller, where, page)
    return render("audit.html", page="audit", trail=trail, query=urlencode(where.to_query()))


@router.get("/lint")
def lint_page(request: Request, rule: str | None = None, all: bool = False) -> Response:
    principal = _caller(request)
    if principal is None:
        return _login_redirect()
    report = reports.lint(request.app.state.store, principal)
    chosen = [f for f in report["findings"] if rule in (None, "", f["rule"])]
    rows = chosen if all else chosen[:PAGE_ROWS]
    return render("lint.html", page="lint", report=report, rows=rows, chosen=len(chosen), rule=rule or "")


@router.get("/readiness")
def readiness_page(request: Request) -> Response:
    principal = _caller(request)
    if principal is None:
        return _login_redirect()
    return render("readiness.html", page="readiness", report=reports.readiness(request.app.state.store, principal))


@router.get("/backups")
def backups_page(request: Request) -> Response:
    principal = _caller(request)
    if principal is None:
        return _login_redirect()
    return render("backups.html", page="backups", listing=reports.backups(request.app.state.store, principal))
