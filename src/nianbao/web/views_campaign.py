"""Login, the dashboard, reports, one report with its source, findings and their review, exports."""
from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ..findings import CATEGORY_CN, SEVERITY_CN
from ..store import STATUS_CN
from ..store.accounts import authenticate, log
from ..store.summary import Summary
from . import auth
from .app import SECURITY_HEADERS, page, twin
from .stored import stored_result

PAGE_SIZE = 100


# -- login ---------------------------------------------------------------------
async def login_page(request: Request) -> Response:
    error = ""
    next_url = request.query_params.get("next", "/")
    if request.method == "POST":
        await auth.check_csrf(request)
        form = await request.form()
        next_url = str(form.get("next") or "/")
        user = authenticate(request.app.state.store, str(form.get("username", "")), str(form.get("password", "")))
        if user is not None:
            auth.login(request, user)
            log(request.app.state.store, user.name, "login", user.name)
            return RedirectResponse(_local(next_url), status_code=303)
        error = "用户名或密码错误"
    return page(request, "login.html.j2", {"error": error, "next": _local(next_url)}, 401 if error else 200)


def _local(url: str) -> str:
    """Only a path on this site: never an open redirect."""
    return url if url.startswith("/") and not url.startswith("//") and "\\" not in url else "/"


@auth.require("view")
async def logout_page(request: Request) -> Response:
    if request.method == "POST":
        auth.logout(request)
        return RedirectResponse("/login", status_code=303)
    return page(request, "logout.html.j2", {})


# -- dashboard -------------------------------------------------------------------
def summary(request: Request) -> Summary:
    return request.app.state.summary.get(request.app.state.store)


@auth.require("view")
async def dashboard(request: Request) -> Response:
    cache = request.app.state.summary
    s = summary(request)
    data = cache.extras.get("dashboard")
    if data is None:            # derived once per state of the store, not once per request
        subs = cache.data_extras.get("submissions")
        if subs is None:        # who has (not) submitted does not change with reviews
            from ..store.roster import submissions
            rows = [{"agency_key": r.agency_key, "year": r.year, "version": r.version, "agency": r.agency,
                     "report_date": r.report_date, "received_at": r.received_at} for r in s.reports]
            subs = cache.data_extras["submissions"] = (submissions(request.app.state.store, rows=rows)
                                                       if s.reports else None)
        data = cache.extras["dashboard"] = _dashboard_data(s, subs)
    return page(request, "dashboard.html.j2", data)


def _dashboard_data(s: Summary, subs) -> dict[str, Any]:
    current = s.current()
    return {
        "reports": len(current), "files": len(s.reports),
        "unreadable": sum(1 for r in current if r.error),
        "by_verdict": s.by("verdict"), "by_severity": [(SEVERITY_CN.get(k, k), n) for k, n in s.by("severity")],
        "by_category": [(CATEGORY_CN.get(k, k), n) for k, n in s.by("category")],
        "by_rule": s.by("rule")[:20], "by_status": [(STATUS_CN.get(k, k), n) for k, n in s.by("status")],
        "by_region": s.by("region")[:20], "by_agency": s.by("agency")[:20],
        "year": subs.year if subs else None,
        "missing": [e.name for e in subs.missing] if subs else [],
        "late": [{"agency": e.name, "deadline": d, "date": got, "which": which}
                 for e, d, got, which in subs.late] if subs else [],
    }


# -- reports ---------------------------------------------------------------------
SORTS = {"agency": lambda r: (r.agency or "", r.year or 0), "year": lambda r: (r.year or 0, r.agency or ""),
         "errors": lambda r: -r.severity_counts()["error"], "received": lambda r: r.received_at,
         "verdict": lambda r: r.verdict, "id": lambda r: r.id}


@auth.require("view")
async def reports_list(request: Request) -> Response:
    q = request.query_params
    rows = summary(request).reports
    if q.get("q"):
        rows = [r for r in rows if q["q"] in (r.agency or "") or q["q"] in r.source_name]
    if q.get("verdict"):
        rows = [r for r in rows if r.verdict == q["verdict"]]
    if q.get("year"):
        rows = [r for r in rows if str(r.year) == q["year"]]
    if not q.get("all"):
        rows = [r for r in rows if not r.superseded]
    rows = sorted(rows, key=SORTS.get(q.get("sort", "id"), SORTS["id"]))
    pg = max(1, int(q.get("page", "1") or 1)) if (q.get("page", "1") or "1").isdigit() else 1
    shown = rows[(pg - 1) * PAGE_SIZE: pg * PAGE_SIZE]
    verdicts = sorted({r.verdict for r in summary(request).reports if r.verdict})
    return page(request, "reports.html.j2", {
        "total": len(rows), "page": pg, "pages": max(1, -(-len(rows) // PAGE_SIZE)),
        "reports": [r.to_json() for r in shown], "verdicts": verdicts,
        "filters": {k: q.get(k, "") for k in ("q", "verdict", "year", "sort")}})


@auth.require("view")
async def report_page(request: Request) -> Response:
    from ..store.diff import compare
    store = request.app.state.store
    report_id = int(request.path_params["report_id"])
    row = store.report_row(report_id)
    if row is None:
        raise HTTPException(404, f"没有编号为 {report_id} 的报告")
    states = store.states(report_ids=[report_id])
    state = states[0] if states else None
    findings = []
    for f in (state.findings if state else []):
        item = f.to_json()
        item["review"] = f.review.to_json() if f.review else None
        item["where"] = f.to_finding().where()
        item["pages"] = sorted({e["location"]["page"] for e in f.evidence if e.get("location") and e["location"].get("page")})
        item["lines"] = sorted({e["location"]["line"] for e in f.evidence if e.get("location") and e["location"].get("line")})
        findings.append(item)
    previous = None
    if state and state.previous_report_id:
        prev_row = store.report_row(state.previous_report_id)
        previous = {"id": state.previous_report_id, "agency": prev_row["agency"], "year": prev_row["year"],
                    "figures": _year_over_year(store, state.previous_report_id, report_id)}
    # The other versions of this agency's report for the year, from the campaign summary already held
    # (not a read of every stored report on each page view).
    versions = [{"id": r.id, "version": r.version, "received_at": r.received_at}
                for r in summary(request).reports if r.agency_key and r.agency_key == row["agency_key"]
                and r.year == row["year"]]
    resubmission = None
    if row["version"] > 1:
        earlier = [v for v in versions if v["version"] == row["version"] - 1]
        if earlier:
            before = store.states(report_ids=[earlier[0]["id"]])
            if before and state:
                diff = compare(before[0], state)
                resubmission = {"fixed": [c.finding.title for c in diff.resolved],
                                "remaining": [c.finding.title for c in diff.unchanged + diff.changed],
                                "new": [c.finding.title for c in diff.new], "earlier": earlier[0]["id"]}
    meta = {k: row[k] for k in ("id", "source_name", "agency", "year", "level", "template", "format", "version",
                                "error", "report_date", "received_at")}
    data = {"report": meta, "verdict": _verdict(request, report_id), "findings": findings,
            "unchecked": state.unchecked if state else [], "previous": previous, "versions": versions,
            "resubmission": resubmission, "source_pages": _source_pages(findings, row)}
    return page(request, "report.html.j2", data)


def _verdict(request: Request, report_id: int) -> str:
    for r in summary(request).reports:
        if r.id == report_id:
            return r.verdict
    return ""


def _source_pages(findings: list[dict], row: dict) -> list[int]:
    if row["format"] != "pdf":
        return []
    return sorted({p for f in findings for p in f["pages"]})


KEY_FIGURES = ("section3.new.total", "section3.carried.total", "section3.results.total.total",
               "section3.carryover.total", "section4.review.total", "section4.litigation_direct.total",
               "section4.litigation_after.total", "section2.licensing.decisions", "section2.punishment.decisions")


def _year_over_year(store, prev_id: int, report_id: int) -> list[dict[str, Any]]:
    from ..template import describe, load_template
    prev, cur = store.parsed_report(prev_id), store.parsed_report(report_id)
    if prev is None or cur is None:
        return []
    template = load_template(str(cur.meta_value("template") or "gov-2021"))
    out = []
    for name in KEY_FIGURES:
        a, b = prev.values.get(name), cur.values.get(name)
        if a is None and b is None:
            continue
        out.append({"name": name, "label": describe(template, name), "previous": a.value if a else None,
                    "current": b.value if b else None})
    return out


@auth.require("view")
async def audit_page(request: Request) -> Response:
    """Today's audit page for a stored report (tables redrawn, cells highlighted), dismissed findings left out."""
    from starlette.responses import HTMLResponse
    import datetime as dt
    from ..outputs.html_report import render_report_html
    result, pack, _state = stored_result(request.app.state.store, int(request.path_params["report_id"]))
    return HTMLResponse(render_report_html(result, pack, dt.datetime.now().replace(microsecond=0)),
                        headers=SECURITY_HEADERS)


@auth.require("view")
async def source_page_image(request: Request) -> Response:
    from .source import pdf_page_png
    store = request.app.state.store
    report_id, number = int(request.path_params["report_id"]), int(request.path_params["page"])
    png = pdf_page_png(store, report_id, number)
    return Response(png, media_type="image/png", headers={**SECURITY_HEADERS, "cache-control": "private, max-age=300"})


@auth.require("view")
async def source_text(request: Request) -> Response:
    from .source import text_lines
    store = request.app.state.store
    report_id = int(request.path_params["report_id"])
    marks = {int(x) for x in request.query_params.getlist("line") if x.isdigit()}
    lines = text_lines(store, report_id)
    return page(request, "source_text.html.j2", {"report_id": report_id, "lines": lines, "marks": sorted(marks)})


# -- findings ----------------------------------------------------------------------
FILTERS = ("agency", "year", "rule", "status", "severity", "category")


def _filtered(request: Request) -> list[dict[str, Any]]:
    q = request.query_params
    s = summary(request)
    reports = {r.id: r for r in s.current()}
    out = []
    for f in s.findings:
        r = reports.get(f.report_id)
        if r is None:
            continue
        if q.get("agency") and q["agency"] not in (r.agency or ""):
            continue
        if q.get("year") and str(r.year) != q["year"]:
            continue
        if any(q.get(k) and getattr(f, k) != q[k] for k in ("rule", "status", "severity", "category")):
            continue
        out.append({"fingerprint": f.fingerprint, "report_id": r.id, "agency": r.agency, "year": r.year,
                    "rule": f.rule, "title": f.title, "category": f.category, "severity": f.severity,
                    "status": f.status, "status_cn": STATUS_CN.get(f.status, f.status)})
    return out


@auth.require("view")
async def findings_list(request: Request) -> Response:
    rows = _filtered(request)
    q = request.query_params
    pg = int(q["page"]) if q.get("page", "").isdigit() and int(q["page"]) > 0 else 1
    query = urlencode({k: q[k] for k in FILTERS if q.get(k)})
    return page(request, "findings.html.j2", {
        "total": len(rows), "findings": rows[(pg - 1) * PAGE_SIZE: pg * PAGE_SIZE], "page": pg,
        "pages": max(1, -(-len(rows) // PAGE_SIZE)), "filters": {k: q.get(k, "") for k in FILTERS},
        "query": query, "rules": sorted({f.rule for f in summary(request).findings})})


@auth.require("view")
async def findings_export(request: Request) -> Response:
    """The current filter as CSV or XLSX (text cells only, neutralised against formulas)."""
    fmt = request.path_params["fmt"]
    if fmt not in ("csv", "xlsx"):
        raise HTTPException(404, "导出格式应为 csv、xlsx 或 json")
    rows = _filtered(request)
    header = ["指纹", "报告编号", "机关", "年度", "规则", "问题", "类别", "严重程度", "复核状态"]
    values = [[r["fingerprint"], r["report_id"], r["agency"] or "", r["year"] or "", r["rule"], r["title"],
               CATEGORY_CN.get(r["category"], r["category"]), SEVERITY_CN.get(r["severity"], r["severity"]),
               r["status_cn"]] for r in rows]
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(header)
        writer.writerows([[_cell(v) for v in row] for row in values])
        return Response("\ufeff" + buf.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": 'attachment; filename="findings.csv"'})
    from openpyxl import Workbook
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("问题清单")
    ws.append(header)
    for row in values:
        ws.append([_cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return Response(buf.getvalue(), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"content-disposition": 'attachment; filename="findings.xlsx"'})


def _cell(value: Any) -> Any:
    """No formulas: text that a spreadsheet would evaluate gets a leading apostrophe; control chars go."""
    if not isinstance(value, str):
        return value
    value = "".join(ch for ch in value if ch in "\t\n" or ord(ch) >= 32)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@auth.require("review")
async def review_action(request: Request) -> Response:
    """Confirm, dismiss as false positive, waive (with a reason), or reopen findings; one or many."""
    store = request.app.state.store
    form = await request.form()
    fingerprints = [str(v) for v in form.getlist("fingerprint") if v]
    status, reason = str(form.get("status", "")), str(form.get("reason", ""))
    scope = str(form.get("scope", "report") or "report")
    if not fingerprints:
        raise HTTPException(400, "没有选择要复核的问题")
    user = auth.current_user(request)
    done = store.review(fingerprints, status, reason, user.name, scope=scope)
    log(store, user.name, "review", ",".join(fingerprints)[:500], status=status, reason=reason, scope=scope,
        rules=sorted({f.rule for f in done}))
    if request.url.path.endswith(".json") or "application/json" in request.headers.get("accept", ""):
        from starlette.responses import JSONResponse
        return JSONResponse({"reviewed": [f.fingerprint for f in done], "status": status})
    return RedirectResponse(_local(str(form.get("next") or "/findings")), status_code=303)


def routes() -> list[Route]:
    return [
        Route("/login", login_page, methods=["GET", "POST"]),
        Route("/logout", logout_page, methods=["GET", "POST"]),
        *twin("/", dashboard), *twin("/reports", reports_list),
        *twin("/reports/{report_id:int}", report_page),
        Route("/reports/{report_id:int}/audit", audit_page),
        Route("/reports/{report_id:int}/pages/{page:int}.png", source_page_image),
        *twin("/reports/{report_id:int}/source", source_text),
        *twin("/findings", findings_list),
        Route("/findings.{fmt:str}", findings_export),
        Route("/findings/review", review_action, methods=["POST"]),
        Route("/findings/review.json", review_action, methods=["POST"]),
    ]
