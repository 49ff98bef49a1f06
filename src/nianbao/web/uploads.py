"""Uploading reports: several files or a .zip, streamed to disk, checked off the request thread.

Uploaded names are shown, never used as paths: each file is saved under a
random name in a private folder; the name the user gave is recorded for display.
Limits: the request's declared size (checked before anything is read), files per
upload, and for a .zip the number of members and their inflated size.
"""
from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import threading
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import update
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ..store import schema as S
from ..store.accounts import log
from . import auth
from .app import page, twin

MAX_FILES = 200
MAX_ZIP_MEMBERS = 500
MAX_ZIP_INFLATED = 500 * 1024 * 1024
REPORT_SUFFIXES = {".pdf", ".txt", ".md", ".markdown", ".html", ".htm", ".shtml", ".xhtml", ".docx",
                   ".doc", ".wps", ".jpg", ".jpeg", ".png", ".rar", ".zip"}


@dataclass
class Job:
    id: str
    user: str
    started: dt.datetime
    names: dict[str, str]                      # saved path -> name as uploaded
    skipped: list[dict[str, str]] = field(default_factory=list)   # not checked, with the reason
    done: int = 0
    total: int = 0
    entries: list[dict[str, Any]] = field(default_factory=list)
    finished: bool = False
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "user": self.user, "started": self.started.isoformat(), "done": self.done,
                "total": self.total, "finished": self.finished, "error": self.error, "entries": self.entries,
                "not_checked": self.skipped}


def _clean_name(name: str) -> str:
    """The uploaded name for display: its last component, printable, bounded."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ord(ch) >= 32 and ch != "\x7f")
    return base[:200] or "未命名文件"


def _save(folder: Path, data_source, name: str, job: Job) -> None:
    suffix = Path(_clean_name(name)).suffix.lower()
    target = folder / f"{uuid.uuid4().hex}{suffix if suffix in REPORT_SUFFIXES else '.bin'}"
    with open(target, "wb") as out:
        shutil.copyfileobj(data_source, out, 1024 * 1024)
    if suffix == ".zip":
        _expand_zip(folder, target, _clean_name(name), job)
        target.unlink()
    else:
        job.names[str(target)] = _clean_name(name)


def _expand_zip(folder: Path, path: Path, shown: str, job: Job) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
            if len(members) > MAX_ZIP_MEMBERS:
                job.skipped.append({"name": shown, "reason": f"压缩包内文件超过 {MAX_ZIP_MEMBERS} 个，未检查"})
                return
            if sum(m.file_size for m in members) > MAX_ZIP_INFLATED:
                job.skipped.append({"name": shown, "reason": "压缩包解压后超过 500 MB（可能是压缩炸弹），未检查"})
                return
            for m in members:
                inner = _clean_name(m.filename)
                if Path(inner).suffix.lower() == ".zip":
                    job.skipped.append({"name": f"{shown}/{inner}", "reason": "压缩包中的压缩包不展开，请解压后上传"})
                    continue
                suffix = Path(inner).suffix.lower()
                target = folder / f"{uuid.uuid4().hex}{suffix if suffix in REPORT_SUFFIXES else '.bin'}"
                with zf.open(m) as src, open(target, "wb") as out:
                    copied = 0
                    while chunk := src.read(1024 * 1024):
                        copied += len(chunk)
                        if copied > m.file_size + 1024:           # a member that inflates past its header
                            break
                        out.write(chunk)
                job.names[str(target)] = f"{shown}/{inner}"
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
        job.skipped.append({"name": shown, "reason": f"压缩包无法打开（{exc}），未检查"})


def _run(app, job: Job, folder: Path) -> None:
    """The checking itself, in a thread: one unreadable file is one entry, never a failed upload."""
    from ..store import check_into_store
    store = app.state.store
    paths = list(job.names)
    job.total = len(paths)

    def progress(done: int, total: int, entry) -> None:
        job.done, job.total = done, total

    try:
        summary = check_into_store(store, paths, None, job.user, progress)
        with store.engine.begin() as conn:
            for entry in summary.entries:
                if entry.report_id is not None:
                    conn.execute(update(S.reports).where(S.reports.c.id == entry.report_id)
                                 .values(source_name=job.names.get(entry.source, entry.source)))
        for entry in summary.entries:
            job.entries.append({"name": job.names.get(entry.source, entry.source), "report_id": entry.report_id,
                                "error": entry.error, "errors": entry.result.count("error"),
                                "warnings": entry.result.count("warning")})
        for dup, first in summary.duplicates:
            job.skipped.append({"name": job.names.get(dup, dup),
                                "reason": f"与 {job.names.get(first, first)} 内容相同，只检查一次"})
        log(store, job.user, "upload", job.id, files=len(paths), not_checked=len(job.skipped))
    except Exception as exc:  # recorded on the job page; the server goes on
        job.error = f"检查未能完成：{exc}"
    finally:
        job.finished = True
        shutil.rmtree(folder, ignore_errors=True)


@auth.require("view")
async def upload_page(request: Request) -> Response:
    if request.method == "GET":
        return page(request, "upload.html.j2", {"max_mb": request.app.state.max_upload // (1024 * 1024),
                                                "jobs": [j.to_json() for j in request.app.state.jobs.values()][-10:]})
    user = auth.permit(request, "upload", "只读用户不能上传报告")
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        raise HTTPException(411, "上传请求缺少长度信息")
    if int(length) > request.app.state.max_upload:
        raise HTTPException(413, f"上传内容超过 {request.app.state.max_upload // (1024 * 1024)} MB，请分批上传")
    form = await request.form(max_files=MAX_FILES, max_fields=20)
    uploads = [f for f in form.getlist("files") if getattr(f, "filename", None)]
    if not uploads:
        raise HTTPException(400, "请选择要上传的报告文件")
    base = request.app.state.upload_dir or Path(tempfile.gettempdir())
    base.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="nianbao-upload-", dir=base))
    job = Job(uuid.uuid4().hex[:12], user.name, dt.datetime.now().replace(microsecond=0), {})
    for upload in uploads:
        _save(folder, upload.file, upload.filename, job)
        await upload.close()
    request.app.state.jobs[job.id] = job
    threading.Thread(target=_run, args=(request.app, job, folder), daemon=True, name=f"upload-{job.id}").start()
    if request.url.path.endswith(".json"):
        from starlette.responses import JSONResponse
        return JSONResponse(job.to_json(), status_code=202)
    return RedirectResponse(f"/uploads/{job.id}", status_code=303)


@auth.require("view")
async def job_page(request: Request) -> Response:
    job = request.app.state.jobs.get(request.path_params["job_id"])
    if job is None:
        raise HTTPException(404, "没有这个上传任务（服务器重启后任务记录不保留，结果已在报告列表中）")
    return page(request, "job.html.j2", {"job": job.to_json()})


def routes() -> list[Route]:
    return [
        *twin("/upload", upload_page, methods=("GET", "POST")),
        *twin("/uploads/{job_id:str}", job_page),
    ]
