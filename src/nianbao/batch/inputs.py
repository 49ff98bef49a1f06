"""Which files a batch checks, and every input it cannot check with the reason why.

Folders are walked recursively. Report formats are checked; every other
file, folder or link found is accounted for as "not checked" (未检查) with a
reason, so nothing is skipped silently. The only things passed over without
a word are hidden files (names starting with "."), which are the system's
and editors' bookkeeping (.DS_Store, ~$ lock files excepted), and the run's
own output folder when it lies inside an input folder.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .tasks import NotChecked

REPORT_SUFFIXES = {".pdf", ".txt", ".md", ".markdown", ".html", ".htm", ".shtml", ".xhtml", ".docx"}

# Files nianbao knows it cannot read, with what the user can do about them.
_KNOWN_UNREADABLE = {
    ".doc": "旧版 Word 文档（.doc）无法读取，请另存为 .docx 或 PDF 后再检查",
    ".wps": "WPS 文字文档（.wps）无法读取，请另存为 .docx 或 PDF 后再检查",
    ".et": "WPS 表格文件不是年度报告格式，未检查",
    ".xls": "Excel 表格文件不是年度报告格式，未检查",
    ".xlsx": "Excel 表格文件不是年度报告格式，未检查",
    ".rtf": "RTF 文档无法读取，请另存为 .docx 或 PDF 后再检查",
    ".ofd": "OFD 版式文件无法读取，请转换为 PDF 后再检查",
    ".zip": "压缩包未检查，请解压后再检查其中的报告",
    ".rar": "压缩包未检查，请解压后再检查其中的报告",
    ".7z": "压缩包未检查，请解压后再检查其中的报告",
    ".gz": "压缩包未检查，请解压后再检查其中的报告",
    ".tar": "压缩包未检查，请解压后再检查其中的报告",
}
_IMAGE = {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".heic"}


@dataclass
class Inputs:
    sources: list[str] = field(default_factory=list)
    not_checked: list[NotChecked] = field(default_factory=list)


def _unsupported_reason(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in _IMAGE:
        return "图片文件未检查（请提供报告的 PDF、网页或 Word 文件）"
    return _KNOWN_UNREADABLE.get(suffix, f"不是可检查的报告格式（{suffix or '无扩展名'}），未检查")


def _special_reason(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "命名管道（FIFO）不是普通文件，未检查"
    if stat.S_ISSOCK(mode):
        return "套接字不是普通文件，未检查"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备文件不是普通文件，未检查"
    return "不是普通文件，未检查"


def collect(paths: Iterable[str], exclude: Path | None = None) -> Inputs:
    """Report files named directly or found in folders (sorted, no duplicates), and what was not checked.

    A file named directly is checked whatever its suffix (it becomes an unreadable entry if it is not
    a report); a file found in a folder is checked only when it has a report suffix.
    """
    found = Inputs()
    skip = exclude.resolve() if exclude is not None and exclude.exists() else None
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            _walk(path, found, skip)
        elif path.is_symlink() and not path.exists():
            found.not_checked.append(NotChecked(str(path), "链接指向的文件不存在，未检查"))
        else:
            try:
                reason = _special_reason(path.stat().st_mode)
            except OSError:
                reason = None            # missing or inaccessible: the check names the problem
            if reason:
                found.not_checked.append(NotChecked(str(path), reason))
            else:
                found.sources.append(str(path))
    seen: set[str] = set()
    found.sources = [p for p in found.sources if not (p in seen or seen.add(p))]
    return found


def _walk(top: Path, found: Inputs, skip: Path | None) -> None:
    def refused(exc: OSError) -> None:
        where = exc.filename or str(top)
        found.not_checked.append(NotChecked(str(where), f"无法读取该文件夹（{_os_reason(exc)}），其中的文件未检查"))

    for folder, dirs, files in os.walk(top, onerror=refused):
        base = Path(folder)
        if skip is not None and base.resolve() == skip:
            dirs[:] = []
            continue
        kept = []
        for d in sorted(dirs):
            child = base / d
            if d.startswith("."):
                continue
            if child.is_symlink():
                found.not_checked.append(NotChecked(str(child), "指向文件夹的链接未进入，未检查其中的文件"))
                continue
            kept.append(d)
        dirs[:] = kept
        for name in sorted(files):
            if name.startswith("."):
                continue
            child = base / name
            try:
                mode = child.stat().st_mode        # follows a link to its target
            except OSError:
                found.not_checked.append(NotChecked(str(child), "链接指向的文件不存在，未检查"
                                                    if child.is_symlink() else "无法访问该文件，未检查"))
                continue
            special = _special_reason(mode)
            if special:
                found.not_checked.append(NotChecked(str(child), special))
            elif name.startswith("~$"):
                found.not_checked.append(NotChecked(str(child), "Word/WPS 打开文档时生成的临时文件，未检查"))
            elif child.suffix.lower() in REPORT_SUFFIXES:
                found.sources.append(str(child))
            else:
                found.not_checked.append(NotChecked(str(child), _unsupported_reason(child)))


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "没有读取权限"
    return exc.strerror or type(exc).__name__


def output_names(sources: list[str]) -> dict[str, str]:
    """A readable, unique file stem per input (stem, then -2, -3… in input order)."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for source in sources:
        stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in Path(source).stem) or "report"
        name, n = stem, 1
        while name in used:
            n += 1
            name = f"{stem}-{n}"
        used.add(name)
        names[source] = name
    return names
