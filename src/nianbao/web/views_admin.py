"""Rule packs (catalogue, diff, lint of a pasted or uploaded pack), the roster, the audit log, accounts."""
from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..errors import NianbaoError
from ..store.accounts import ROLES, add_user, audit_entries, log, users
from . import auth
from .app import SECURITY_HEADERS, page, twin

MAX_PACK_BYTES = 512 * 1024


@auth.require("view")
async def packs_page(request: Request) -> Response:
    from ..findings import SEVERITY_CN
    from ..packs import available_packs, load_pack
    packs = []
    for name in available_packs():
        pack = load_pack(name)
        packs.append({"name": name, "template": pack.template.version, "description": pack.description,
                      "chain": pack.chain, "rules": [{"id": r.id, "title": r.title, "severity": r.severity,
                                                      "severity_cn": SEVERITY_CN[r.severity], "category": r.category,
                                                      "disabled": r.id in pack.disabled} for r in pack.rules]})
    diff = None
    a, b = request.query_params.get("a"), request.query_params.get("b")
    if a and b:
        from ..packs import diff_packs, format_diff
        names = {p["name"] for p in packs}
        if a not in names or b not in names:
            raise HTTPException(400, "只能比较已安装的规则包")
        diff = format_diff(a, b, diff_packs(a, b))
    return page(request, "packs.html.j2", {"packs": packs, "diff": diff, "a": a or "", "b": b or ""})


@auth.require("view")
async def pack_catalogue(request: Request) -> Response:
    from ..packs import available_packs
    from ..packs import render_rules_doc
    name = request.path_params["name"]
    if name.endswith(".json"):
        name = name[:-5]
    if name not in available_packs():
        raise HTTPException(404, f"没有名为 {name} 的规则包")
    if request.url.path.endswith(".json"):
        from starlette.responses import JSONResponse
        from ..packs import load_pack
        pack = load_pack(name)
        return JSONResponse({"name": name, "template": pack.template.version, "chain": pack.chain,
                             "params": {k: v for k, v in pack.params.items() if isinstance(v, (int, float, str, bool))},
                             "rules": [{"id": r.id, "title": r.title, "category": r.category, "severity": r.severity,
                                        "basis": r.basis, "disabled": r.id in pack.disabled} for r in pack.rules]})
    return HTMLResponse(render_rules_doc(name, dt.datetime.now().replace(microsecond=0)), headers=SECURITY_HEADERS)


@auth.require("view")
async def pack_lint(request: Request) -> Response:
    """Lint a pack pasted into the form or uploaded: every problem with its line and column."""
    from ..packs import lint_pack
    problems, text = [], ""
    if request.method == "POST":
        form = await request.form()
        upload = form.get("file")
        if upload is not None and getattr(upload, "filename", ""):
            raw = await upload.read(MAX_PACK_BYTES + 1)
        else:
            raw = str(form.get("text", "")).encode("utf-8")
        if len(raw) > MAX_PACK_BYTES:
            raise HTTPException(413, f"规则包文件超过 {MAX_PACK_BYTES // 1024} KB")
        text = raw.decode("utf-8", "replace")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "pack.yaml"
            path.write_text(text, encoding="utf-8")
            try:
                found = lint_pack(str(path))
            except NianbaoError as exc:
                found = [exc]
            for p in found:
                shown = str(p).replace(str(path), "pack.yaml")
                problems.append({"text": shown, "severity": getattr(p, "severity", "error")})
    return page(request, "pack_lint.html.j2", {"problems": problems, "text": text,
                                               "linted": request.method == "POST"})


@auth.require("view")
async def roster_page(request: Request) -> Response:
    from ..store.roster import import_roster, read_roster, roster_entries, submissions
    store = request.app.state.store
    message = ""
    if request.method == "POST":
        user = auth.permit(request, "roster", "只有管理员可以导入名单")
        form = await request.form()
        upload = form.get("file")
        if upload is None or not getattr(upload, "filename", ""):
            raise HTTPException(400, "请选择名单文件（CSV 或 XLSX）")
        suffix = ".xlsx" if str(upload.filename).lower().endswith(".xlsx") else ".csv"
        data = await upload.read(10 * 1024 * 1024 + 1)
        if len(data) > 10 * 1024 * 1024:
            raise HTTPException(413, "名单文件超过 10 MB")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"roster{suffix}"
            path.write_bytes(data)
            count = import_roster(store, read_roster(str(path)))
        log(store, user.name, "roster", str(upload.filename)[:200], entries=count)
        return RedirectResponse(f"/roster?imported={count}", status_code=303)
    if request.query_params.get("imported"):
        message = f"已导入 {request.query_params['imported']} 个机关。"
    subs = submissions(store)
    return page(request, "roster.html.j2", {
        "entries": [vars(e) for e in roster_entries(store)], "year": subs.year, "message": message,
        "missing": [vars(e) for e in subs.missing],
        "late": [{"agency": e.name, "deadline": d, "date": got, "which": w} for e, d, got, w in subs.late],
        "outside": subs.outside})


@auth.require("view")
async def audit_log_page(request: Request) -> Response:
    return page(request, "audit_log.html.j2", {"entries": audit_entries(request.app.state.store)})


@auth.require("users")
async def users_page(request: Request) -> Response:
    store = request.app.state.store
    if request.method == "POST":
        form = await request.form()
        add_user(store, str(form.get("name", "")), str(form.get("role", "")), str(form.get("password", "")),
                 actor=auth.current_user(request).name)
        return RedirectResponse("/users", status_code=303)
    return page(request, "users.html.j2", {"users": users(store), "roles": list(ROLES)})


def routes() -> list[Route]:
    return [
        *twin("/packs", packs_page),
        Route("/packs/lint", pack_lint, methods=["GET", "POST"]),
        Route("/packs/lint.json", pack_lint, methods=["GET", "POST"]),
        Route("/packs/{name:str}", pack_catalogue),
        *twin("/roster", roster_page, methods=("GET", "POST")),
        *twin("/audit-log", audit_log_page),
        *twin("/users", users_page, methods=("GET", "POST")),
    ]
