"""The workbench application: routes, rendering (HTML or the JSON twin), and the one error handler."""
from __future__ import annotations

import datetime as dt
import logging
import secrets
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import NianbaoError
from ..findings import CATEGORY_CN, SEVERITY_CN
from ..store import STATUS_CN, Store
from ..store.accounts import ROLE_CN
from ..store.summary import SummaryCache
from .auth import csrf_token, current_user

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "web"
STATIC = TEMPLATES / "static"
log = logging.getLogger("nianbao.web")

SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                               "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "to_json"):
        return _jsonable(value.to_json())
    if isinstance(value, float) and value != value:
        return None
    return value


def wants_json(request: Request) -> bool:
    return request.url.path.endswith(".json")


def page(request: Request, template: str, data: dict[str, Any], status: int = 200) -> Response:
    """A page and its JSON twin from the same data: `.json` paths get the data, others the HTML."""
    if wants_json(request):
        return JSONResponse(_jsonable(data), status_code=status, headers=SECURITY_HEADERS)
    env: Environment = request.app.state.jinja
    html = env.get_template(template).render(request=request, user=current_user(request), csrf=csrf_token(request),
                                             data=data, **data)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def twin(path: str, endpoint, methods=("GET",)) -> list[Route]:
    """The page at `path` and its JSON twin at `path.json` (`/` has `/index.json`)."""
    json_path = "/index.json" if path == "/" else f"{path}.json"
    # The JSON route first: a `{name:str}` parameter would otherwise swallow the ".json".
    return [Route(json_path, endpoint, methods=list(methods)), Route(path, endpoint, methods=list(methods))]


async def _error(request: Request, exc: Exception) -> Response:
    """The one place an exception becomes what the user sees: a page or JSON, never a traceback."""
    if isinstance(exc, HTTPException):
        status, message = exc.status_code, str(exc.detail)
    elif isinstance(exc, NianbaoError):
        status, message = 400, str(exc)
    else:
        log.exception("internal error on %s", request.url.path)
        status, message = 500, "服务器内部错误，请稍后重试；如反复出现，请联系系统管理员"
    if status == 401 and not wants_json(request) and request.method == "GET":
        from starlette.responses import RedirectResponse
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    if wants_json(request) or "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"error": message, "status": status}, status_code=status, headers=SECURITY_HEADERS)
    env: Environment = request.app.state.jinja
    try:
        user = current_user(request)
        token = csrf_token(request)
    except Exception:  # the session itself may be what failed
        user, token = None, ""
    html = env.get_template("error.html.j2").render(request=request, user=user, csrf=token, status=status,
                                                    message=message)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def create_app(db: str, *, secret_key: str | None = None, upload_dir: str | Path | None = None,
               max_upload_mb: int = 50, https_only: bool = False) -> Starlette:
    """The workbench over the store at `db` (a SQLite path or a postgresql:// URL)."""
    from . import views_admin, views_campaign, views_letters, uploads

    store = Store(db)
    routes = [
        *views_campaign.routes(), *views_letters.routes(), *views_admin.routes(), *uploads.routes(),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = [Middleware(SessionMiddleware, secret_key=secret_key or _secret(store), session_cookie="nianbao_session",
                             same_site="strict", https_only=https_only, max_age=12 * 3600)]
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={Exception: _error, HTTPException: _error})
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["j2", "html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": True}
    env.globals.update(SEVERITY_CN=SEVERITY_CN, CATEGORY_CN=CATEGORY_CN, STATUS_CN=STATUS_CN, ROLE_CN=ROLE_CN)
    app.state.jinja = env
    app.state.store = store
    app.state.summary = SummaryCache()
    app.state.upload_dir = Path(upload_dir) if upload_dir else None
    app.state.max_upload = max_upload_mb * 1024 * 1024
    app.state.jobs = {}
    return app


def _secret(store: Store) -> str:
    """The session-signing key, kept in the store so restarts keep people logged in."""
    from ..store.accounts import get_settings, set_internal
    key = get_settings(store, internal=True).get("_session_key")
    if not key:
        key = secrets.token_urlsafe(48)
        set_internal(store, "_session_key", key)
    return key
