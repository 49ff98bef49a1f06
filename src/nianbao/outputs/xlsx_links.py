"""Hyperlinks added to a saved workbook from a spool file, in flat memory.

openpyxl keeps every cell hyperlink of a write-only sheet in memory until the sheet is closed
(the sheet's `<hyperlinks>` list comes after its rows): a batch of 10,000 reports has one per
finding row and per report row, and the parent's resident memory grew by ~1.8 KiB a row. Here
the writer only spools (cell, target) pairs to a temporary file; after openpyxl has saved the
workbook, each sheet's part is copied into a new archive with its `<hyperlinks>` element and its
relationships written from the spool. Every other part is copied unchanged.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import IO
from xml.sax.saxutils import quoteattr

_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_HYPERLINK_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
# Elements a worksheet may hold after <hyperlinks> (ECMA-376 CT_Worksheet order): the list goes
# before the first of them that the sheet has.
_AFTER = (b"<printOptions", b"<pageMargins", b"<pageSetup", b"<headerFooter", b"<rowBreaks", b"<colBreaks",
          b"<customProperties", b"<cellWatches", b"<ignoredErrors", b"<smartTags", b"<drawing",
          b"<legacyDrawing", b"<legacyDrawingHF", b"<picture", b"<oleObjects", b"<controls",
          b"<webPublishItems", b"<tableParts", b"<extLst", b"</worksheet>")
_CHUNK = 1 << 20


class LinkSpool:
    """(cell reference, target) pairs of one sheet, on disk."""

    def __init__(self) -> None:
        self._file: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")
        self.count = 0

    def add(self, ref: str, target: str) -> None:
        self._file.write(f"{ref}\t{target.replace(chr(10), ' ').replace(chr(9), ' ')}\n")
        self.count += 1

    def pairs(self):
        self._file.seek(0)
        for line in self._file:
            ref, target = line.rstrip("\n").split("\t", 1)
            yield ref, target

    def close(self) -> None:
        self._file.close()


def add_links(path: Path, sheets: dict[str, LinkSpool]) -> None:
    """Rewrite the workbook at `path` with each named sheet part's hyperlinks
    (`{"xl/worksheets/sheet1.xml": spool}`); parts without links are copied as they are."""
    sheets = {part: spool for part, spool in sheets.items() if spool.count}
    if not sheets:
        return
    fd, tmp = tempfile.mkstemp(dir=str(path.parent), suffix=".xlsx.tmp")
    os.close(fd)
    try:
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
            rels_of = {_rels_part(part): part for part in sheets}
            for info in src.infolist():
                if info.filename in sheets:
                    with src.open(info) as fin, dst.open(info.filename, "w", force_zip64=True) as fout:
                        _copy_with_links(fin, fout, sheets[info.filename])
                elif info.filename in rels_of:
                    raise ValueError(f"{info.filename}: the sheet already has relationships")
                else:
                    with src.open(info) as fin, dst.open(info, "w", force_zip64=True) as fout:
                        shutil.copyfileobj(fin, fout, _CHUNK)
            missing = set(sheets) - set(src.namelist())
            if missing:
                raise ValueError(f"no such sheet in the workbook: {', '.join(sorted(missing))}")
            for part, spool in sheets.items():
                with dst.open(_rels_part(part), "w", force_zip64=True) as fout:
                    _write_rels(fout, spool)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _rels_part(sheet_part: str) -> str:
    folder, name = sheet_part.rsplit("/", 1)
    return f"{folder}/_rels/{name}.rels"


def _copy_with_links(fin, fout, spool: LinkSpool) -> None:
    """Copy the sheet up to the end of its rows as it is, then the (short) rest with the links in place."""
    marker = b"</sheetData>"
    carry = b""
    while True:
        chunk = fin.read(_CHUNK)
        if not chunk:
            raise ValueError("worksheet without </sheetData>")
        data = carry + chunk
        at = data.find(marker)
        if at >= 0:
            fout.write(data[:at + len(marker)])
            tail = data[at + len(marker):] + fin.read()       # what follows the rows: a few KiB
            break
        keep = len(marker) - 1
        fout.write(data[:-keep])
        carry = data[-keep:]
    cut = min((i for i in (tail.find(tag) for tag in _AFTER) if i >= 0), default=len(tail))
    fout.write(tail[:cut])
    fout.write(f'<hyperlinks xmlns:r="{_REL_NS}">'.encode())
    for n, (ref, _target) in enumerate(spool.pairs(), 1):
        fout.write(f'<hyperlink ref={quoteattr(ref)} r:id="rIdLink{n}"/>'.encode("utf-8"))
    fout.write(b"</hyperlinks>")
    fout.write(tail[cut:])


def _write_rels(fout, spool: LinkSpool) -> None:
    fout.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG_REL_NS}">'
               .encode())
    for n, (_ref, target) in enumerate(spool.pairs(), 1):
        fout.write(f'<Relationship Id="rIdLink{n}" Type="{_HYPERLINK_TYPE}" Target={quoteattr(target)} '
                   f'TargetMode="External"/>'.encode("utf-8"))
    fout.write(b"</Relationships>")
