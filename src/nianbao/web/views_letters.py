"""Letters to agencies (preview, DOCX one by one or all in a .zip) and the campaign's letter settings."""
from __future__ import annotations

import datetime as dt
import io
import tempfile
import zipfile
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..store.accounts import SETTING_KEYS, get_settings, set_settings
from . import auth
from .app import SECURITY_HEADERS, page, twin
from .stored import stored_result

SETTING_CN = {"sender": "发文机关", "reference": "发文字号", "signatory": "签发人", "contact": "联系人及电话",
              "deadline_days": "整改期限（工作日）"}


def letter_options(store) -> dict:
    settings = get_settings(store)
    options = {k: settings.get(k) or None for k in ("sender", "reference", "contact")}
    if settings.get("deadline_days"):
        options["deadline_days"] = int(settings["deadline_days"])
    return options


def _letter_name(state) -> str:
    base = (state.report.get("agency") or Path(state.report["source_name"]).stem)
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in base)[:60] or "report"
    return f"{state.report['id']:05d}-{safe}-{state.report.get('year') or ''}审核意见函"


@auth.require("view")
async def letters_list(request: Request) -> Response:
    s = request.app.state.summary.get(request.app.state.store)
    rows = [r.to_json() for r in s.current() if r.counts["errors.open"] + r.counts["errors.confirmed"]
            + r.counts["warnings.open"] + r.counts["warnings.confirmed"] > 0]
    return page(request, "letters.html.j2", {"letters": rows, "settings": get_settings(request.app.state.store),
                                             "setting_cn": SETTING_CN})


@auth.require("view")
async def letter_preview(request: Request) -> Response:
    """The letter as it will be printed; its JSON twin is everything the letter says, as data."""
    from starlette.responses import JSONResponse
    from ..outputs.letter import NoFindings, letter_context, render_letter_html
    store = request.app.state.store
    result, pack, _state = stored_result(store, int(request.path_params["report_id"]))
    try:
        if request.url.path.endswith(".json"):
            from .app import _jsonable
            return JSONResponse(_jsonable(letter_context(result, pack, dt.date.today(), letter_options(store))))
        html = render_letter_html(result, pack, dt.date.today(), letter_options(store))
    except NoFindings as exc:
        raise HTTPException(404, exc.message)
    return HTMLResponse(html, headers=SECURITY_HEADERS)


def _docx_bytes(store, report_id: int) -> tuple[str, bytes]:
    from ..outputs.letter import write_letter_docx
    result, pack, state = stored_result(store, report_id)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "letter.docx"
        write_letter_docx(result, pack, dt.date.today(), out, letter_options(store))
        return _letter_name(state), out.read_bytes()


@auth.require("view")
async def letter_docx(request: Request) -> Response:
    from ..outputs.letter import NoFindings
    try:
        name, data = _docx_bytes(request.app.state.store, int(request.path_params["report_id"]))
    except NoFindings as exc:
        raise HTTPException(404, exc.message)
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    headers={"content-disposition": _attachment(f"{name}.docx")})


@auth.require("view")
async def letters_zip(request: Request) -> Response:
    from ..outputs.letter import NoFindings
    store = request.app.state.store
    s = request.app.state.summary.get(store)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for r in s.current():
            try:
                name, data = _docx_bytes(store, r.id)
            except (NoFindings, HTTPException):
                continue
            zf.writestr(f"{name}.docx", data)
    return Response(buf.getvalue(), media_type="application/zip",
                    headers={"content-disposition": _attachment("审核意见函.zip")})


def _attachment(name: str) -> str:
    from urllib.parse import quote
    return f"attachment; filename=\"letter\"; filename*=UTF-8''{quote(name)}"


@auth.require("view")
async def settings_page(request: Request) -> Response:
    store = request.app.state.store
    message = ""
    if request.method == "POST":
        user = auth.permit(request, "settings", "无权修改函件设置")
        form = await request.form()
        set_settings(store, {k: str(form.get(k, "")) for k in SETTING_KEYS}, user.name)
        return RedirectResponse("/settings?saved=1", status_code=303)
    if request.query_params.get("saved"):
        message = "已保存。"
    return page(request, "settings.html.j2", {"settings": get_settings(store), "keys": list(SETTING_KEYS),
                                              "setting_cn": SETTING_CN, "message": message})


def routes() -> list[Route]:
    return [
        *twin("/letters", letters_list),
        Route("/letters.zip", letters_zip),
        Route("/letters/{report_id:int}.html", letter_preview),
        Route("/letters/{report_id:int}.json", letter_preview),
        Route("/letters/{report_id:int}.docx", letter_docx),
        *twin("/settings", settings_page, methods=("GET", "POST")),
    ]
