"""Report metadata: agency, year, signing date, agency level, template version.

Read from the title, the preamble and the signature block at the end of
section 6. Each fact records where it was found and, for derived facts
(level, template), why (`raw`).
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

from .document import Block, Document
from .model import Fact, Report

_TITLE = re.compile(r"^(.*?)((?:19|20)\d{2})年度?(?:政府信息公开|政务公开|信息公开)")
_PERIOD_YEAR = re.compile(r"((?:19|20)\d{2})年1月1日")
_DATE = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_DATE_CN = re.compile(r"([〇○零一二三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,2})\s*月\s*([一二三四五六七八九十]{1,3})\s*日")
_DATE_ISO = re.compile(r"((?:19|20)\d{2})[-./](\d{1,2})[-./](\d{1,2})")
_DATE_LINE = re.compile(r"^[（(\[]?\s*(?:落款日期|日期|发布日期|印发日期)?[:：]?\s*(.{6,24}?)\s*[)）\]]?$")
_SIGNER_END = re.compile(r"(人民政府|办公室|办公厅|局|委员会|委|厅|办|署|中心|院|管委会|街道办事处|公署|政府)$")

_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}
_CN_DIGITS.update({"〇": 0, "○": 0})


def _cn_small(text: str) -> int:
    """一 .. 三十一"""
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _CN_DIGITS[text[1]]
    if text.endswith("十"):
        return _CN_DIGITS[text[0]] * 10
    if "十" in text:
        tens, ones = text.split("十")
        return _CN_DIGITS[tens] * 10 + _CN_DIGITS[ones]
    return _CN_DIGITS[text]


def parse_date(text: str) -> dt.date | None:
    """The first date in text, Arabic or Chinese numerals; None if there is none or it is impossible."""
    text = unicodedata.normalize("NFKC", text)
    m = _DATE.search(text)
    try:
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = _DATE_CN.search(text)
        if m:
            year = int("".join(str(_CN_DIGITS[c]) for c in m.group(1)))
            return dt.date(year, _cn_small(m.group(2)), _cn_small(m.group(3)))
        m = _DATE_ISO.search(text)
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except (ValueError, KeyError):
        return None
    return None


def is_date_line(text: str) -> bool:
    """A line that is only a date (a signature or publication date), not prose mentioning one."""
    compact = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    if len(compact) > 24:
        return False
    m = _DATE_LINE.match(compact)
    if not m:
        return False
    # The date must be the whole line: "2024年1月1日至12月31日。" is prose that wrapped.
    candidate = m.group(1).rstrip("。.")
    if not any(rx.fullmatch(candidate) for rx in (_DATE, _DATE_CN, _DATE_ISO)):
        return False
    return parse_date(candidate) is not None


def split_signature(report: Report, lines: list[Block]) -> list[Block]:
    """Take the signature block (signer, date) off the end of section 6; record it as meta."""
    body = list(lines)
    tail = body[-3:]
    date_idx = None
    for i in range(len(tail) - 1, -1, -1):
        if is_date_line(tail[i].text):
            date_idx = len(body) - len(tail) + i
            break
    if date_idx is None:
        return body
    date_block = body[date_idx]
    report.meta["date"] = Fact("meta.date", parse_date(date_block.text), date_block.text.strip(), date_block.location)
    signer_idx = None
    if date_idx > 0:
        cand = re.sub(r"\s+", "", body[date_idx - 1].text)
        if len(cand) <= 40 and _SIGNER_END.search(cand) and "。" not in cand:
            signer_idx = date_idx - 1
            report.meta["signer"] = Fact("meta.signer", cand, body[signer_idx].text, body[signer_idx].location)
    drop = {date_idx} | ({signer_idx} if signer_idx is not None else set())
    return [b for i, b in enumerate(body) if i not in drop]


def classify_level(agency: str) -> tuple[str | None, str]:
    """government (本级政府 as a whole) or department, with the reason in Chinese."""
    a = re.sub(r"\s+", "", agency)
    if not a:
        return None, "未能识别报告机关，无法判断机关层级"
    if re.search(r"人民政府(办公室|办公厅)$", a):
        return "department", f"“{a}”为政府办公室（厅），按本级政府部门报送本机关年报"
    if re.search(r"(人民政府|政府|行政公署)$", a):
        return "government", f"“{a}”为人民政府，报告本级政府整体情况"
    if re.search(r"(局|委员会|委|厅|办|署|中心|院|会|所|站|队|部|处|室|办事处)$", a):
        return "department", f"“{a}”为政府工作部门或机构"
    if re.search(r"(省|市|县|区|旗|州|盟|乡|镇|自治区|自治县|自治州|自治旗|街道)$", a):
        return "government", f"标题以行政区划“{a}”为报告主体，报告本级政府整体情况"
    return None, f"未能从“{a}”判断机关层级"


def extract(report: Report, preamble: list[Block], doc: Document, template) -> None:
    """Fill report.meta from the preamble lines (title and introduction)."""
    lines = preamble if preamble else [b for b in doc.blocks if b.kind == "line"][:8]
    agency, year = None, None
    for i, block in enumerate(lines[:8]):
        compact = re.sub(r"\s+", "", unicodedata.normalize("NFKC", block.text))
        m = _TITLE.match(compact)
        if not m:
            continue
        year = Fact("meta.year", int(m.group(2)), block.text.strip(), block.location)
        name = m.group(1).strip("《》“”\"'：:")
        loc = block.location
        if not name and i > 0:
            prev = re.sub(r"\s+", "", lines[i - 1].text)
            if len(prev) <= 40 and not re.search(r"\d", prev):
                name, loc = prev, lines[i - 1].location
        if name:
            agency = Fact("meta.agency", name, name, loc)
        break
    if year is None:
        for block in lines:
            m = _PERIOD_YEAR.search(re.sub(r"\s+", "", unicodedata.normalize("NFKC", block.text)))
            if m:
                year = Fact("meta.year", int(m.group(1)), block.text.strip(), block.location)
                break
    if year is not None:
        report.meta["year"] = year
    else:
        report.note("date.period", "未能从标题或统计期限中识别报告年度", None, ["meta.year"])
    if agency is not None:
        report.meta["agency"] = agency
        level, why = classify_level(agency.value)  # type: ignore[arg-type]
        report.meta["level"] = Fact("meta.level", level, why, agency.location)
    else:
        report.note("content.required_missing", "未能从标题中识别报告机关名称", None, ["meta.agency"])
    if "date" not in report.meta:
        # A publication date printed under the title counts too.
        for block in lines[:10]:
            if is_date_line(block.text):
                report.meta["date"] = Fact("meta.date", parse_date(block.text), block.text.strip(), block.location)
                break
    if "date" not in report.meta:
        report.meta["date"] = Fact("meta.date", None, None, None)
