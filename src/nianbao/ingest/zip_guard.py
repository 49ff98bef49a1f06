"""Zip bombs: a .docx is refused before python-docx unzips it into memory.

Checked twice: the sizes the archive declares (instant), then the sizes the
parts actually inflate to, read in chunks and abandoned at the first byte
over the budget (so an archive that lies about its sizes costs no more than
the budget). The budgets (limits.py): all parts together, one XML part
(python-docx parses an XML part into memory whole), and the inflation ratio
of any part over 1 MB.
"""
from __future__ import annotations

import zipfile

from .. import limits as _limits

_CHUNK = 1 << 20
_RATIO_FLOOR = 1 << 20       # small parts compress well and are harmless: ratio checked above 1 MB


def check_zip(path: str, zf: zipfile.ZipFile) -> None:
    lim = _limits.current()
    infos = [info for info in zf.infolist() if not info.is_dir()]
    if sum(info.file_size for info in infos) > lim.docx_inflated_bytes:
        raise _bomb(path, lim.docx_inflated_bytes)
    for info in infos:
        _check_part(path, info, info.file_size, lim)
    total = 0
    for info in infos:
        size = 0
        with zf.open(info) as part:
            while True:
                chunk = part.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                total += len(chunk)
                if total > lim.docx_inflated_bytes:
                    raise _bomb(path, lim.docx_inflated_bytes)
                _check_part(path, info, size, lim)


def _check_part(path: str, info: zipfile.ZipInfo, size: int, lim: _limits.Limits) -> None:
    if info.filename.lower().endswith((".xml", ".rels")) and size > lim.docx_xml_bytes:
        raise _limits.over(path, f"Word 文件中的 {info.filename[:60]} 解压后超过 {_limits.size_cn(lim.docx_xml_bytes)}",
                           "docx_xml_bytes", "可能是压缩炸弹")
    if size > _RATIO_FLOOR and size > lim.zip_ratio * max(info.compress_size, 1):
        raise _limits.over(path, f"Word 文件中的 {info.filename[:60]} 压缩比超过 {lim.zip_ratio} 倍",
                           "zip_ratio", "可能是压缩炸弹")


def _bomb(path: str, budget: int):
    return _limits.over(path, f"Word 文件解压后超过 {_limits.size_cn(budget)}", "docx_inflated_bytes",
                        "可能是压缩炸弹")
