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
from .model import Fact, Location, Report

_TITLE = re.compile(r"^(.*?)((?:19|20)\d{2})年度?(?:政府信息公开|政务公开|信息公开)")
# "2025年上海市人民政府办公厅政府信息公开" (year first; the rest of the title on the next line).
_TITLE_YEAR_FIRST = re.compile(r"^((?:19|20)\d{2})年度?(.{2,40}?)(?:政府信息公开|政务公开)")
# A sentence is not a title: "…的要求，市科委编制了2024年政府信息公开工作年度报告。"
_SENTENCE = re.compile(r"[，。；！？,;]|根据|按照|依据|编制|现将|特此")
# A web page's or a metadata box's publication line: "时间：2024-03-08 15:34", "发布日期：2024年3月8日".
_PUBLISHED = re.compile(r"(发布时间|发布日期|公开日期|成文日期|发文日期|印发日期|时间|日期)\s*[:：]\s*"
                        r"((?:19|20)\d{2}\s*(?:[-./]\s*\d{1,2}\s*[-./]\s*\d{1,2}|年\s*\d{1,2}\s*月\s*\d{1,2}\s*日))")
# The fields of a site's metadata box (名称/索引号/发布机构/公开日期 …), printed as a table.
BOX_KEYS = ("名称", "标题", "索引号", "发布机构", "发文机关", "公开日期", "发布日期", "成文日期", "发文日期",
            "主题分类", "文号", "发文字号", "公开方式", "公开范围", "有效性", "信息来源", "来源", "生成日期", "主题词")
_BOX_KEY = re.compile(r"^(" + "|".join(BOX_KEYS) + r")\s*[:：]?\s*(.*)$")
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


from .words import DATE_SOURCE_CN  # noqa: E402,F401  (one home: words.py)

# 乡镇（街道）and development-zone bodies: neither a 县级以上人民政府 nor one of its departments
# (条例第四十九条 names only those two); see docs/metadata.md for the deadline they get.
_SUBORDINATE = re.compile(r"(?:乡|镇|苏木|街道|街道办事处|乡人民政府|镇人民政府|"
                          r"开发区|高新区|高新技术产业园区|工业园区|园区|保税区|合作区|"
                          r"(?:开发区|高新区|园区|保税区|合作区)(?:党工委)?(?:管委会|管理委员会))$")


def classify_level(agency: str) -> tuple[str | None, str]:
    """government (本级政府 as a whole), department, or subordinate (乡镇街道、开发区管委会), with the reason."""
    a = re.sub(r"\s+", "", agency)
    if not a:
        return None, "未能识别报告机关，无法判断机关层级"
    if re.search(r"人民政府(办公室|办公厅)$", a):
        return "department", f"“{a}”为政府办公室（厅），按本级政府部门报送本机关年报"
    if _SUBORDINATE.search(a) or re.search(r"(开发区|高新区|园区).{0,6}(管委会|管理委员会)$", a):
        return "subordinate", (f"“{a}”为乡镇（街道）或开发区等机关，不属于《条例》第四十九条所列县级以上人民政府"
                               f"或其部门，按第三类机关核对时限")
    if re.search(r"(人民政府|政府|行政公署)$", a):
        return "government", f"“{a}”为人民政府，报告本级政府整体情况"
    if re.search(r"(局|委员会|委|厅|办|署|中心|院|会|所|站|队|部|处|室|办事处)$", a):
        return "department", f"“{a}”为政府工作部门或机构"
    if re.search(r"(省|市|县|区|旗|州|盟|自治区|自治县|自治州|自治旗)$", a):
        return "government", f"标题以行政区划“{a}”为报告主体，报告本级政府整体情况"
    return None, f"未能从“{a}”判断机关层级"


def title_parts(text: str) -> tuple[str, int] | None:
    """(agency as printed, year) of a title line; None for anything else, sentences included."""
    compact = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lstrip("#")
    if len(compact) > 60 or _SENTENCE.search(compact):
        return None
    m = _TITLE.match(compact)
    if m and m.group(1):
        return m.group(1).strip("《》“”\"'：:"), int(m.group(2))
    m2 = _TITLE_YEAR_FIRST.match(compact)
    if m2:
        return m2.group(2).strip("《》“”\"'：:"), int(m2.group(1))
    if m:
        return "", int(m.group(2))
    return None


def box_fields(texts: list[str]) -> dict[str, str] | None:
    """A row of a site's metadata box as {key: value}; None if the row is not one."""
    cells = [unicodedata.normalize("NFKC", t).strip() for t in texts]
    cells = [c for c in cells if c]
    out: dict[str, str] = {}
    i = 0
    while i < len(cells):
        m = _BOX_KEY.match(cells[i])
        if m is None or (m.group(2) and not re.match(r"[:：]", cells[i][len(m.group(1)):].lstrip())):
            i += 1
            continue
        value = m.group(2).strip()
        if not value and i + 1 < len(cells) and not _BOX_KEY.match(cells[i + 1]):
            value = cells[i + 1]
            i += 1
        out[m.group(1)] = value
        i += 1
    return out or None


def _published_date(lines: list[Block], box: dict[str, tuple[str, object]] | None):
    """A publication date printed on the page (the site's 时间/发布日期 line or metadata box)."""
    for block in lines:
        text = unicodedata.normalize("NFKC", block.text)
        m = _PUBLISHED.search(text)
        # "时间：2024年1月1日至12月31日" is the statistics period, not a publication date.
        if m and parse_date(m.group(2)) and not re.match(r"\s*(?:至|到|—|~|-)", text[m.end():]):
            return parse_date(m.group(2)), block.text.strip(), block.location, f"页面所载“{m.group(1)}”"
    for key in ("成文日期", "发布日期", "公开日期", "发文日期", "生成日期"):
        if box and key in box and parse_date(box[key][0]):
            value, loc = box[key]
            return parse_date(value), f"{key}：{value}", loc, f"页面信息栏“{key}”"
    return None


def _file_date(doc: Document | None):
    """The file's own date (web page PubDate, PDF ModDate/CreationDate) as a last resort."""
    if doc is None:
        return None
    props = doc.properties
    candidates = [("pub_date", "网页元数据“发布日期”（PubDate）")]
    if doc.format == "pdf":
        candidates += [("mod_date", "PDF文件属性“修改日期”（ModDate）"),
                       ("creation_date", "PDF文件属性“创建日期”（CreationDate）")]
    for key, label in candidates:
        raw = props.get(key)
        date = parse_date(raw) if raw else None
        if date is not None:
            return date, raw, Location(doc.source, label=label), label
    return None


def extract(report: Report, preamble: list[Block], doc: Document | None, template,
            box: dict[str, tuple[str, object]] | None = None) -> None:
    """Fill report.meta from the title, the preamble, the signature, the page and the file."""
    lines = preamble if preamble else ([b for b in doc.blocks if b.kind == "line"][:8] if doc else [])
    agency, year = None, None
    for i, block in enumerate(lines[:10]):
        parts = title_parts(block.text)
        if parts is None:
            continue
        name, number = parts
        year = Fact("meta.year", number, block.text.strip(), block.location)
        loc = block.location
        if not name and i > 0:
            prev = re.sub(r"\s+", "", lines[i - 1].text).lstrip("#")
            if len(prev) <= 40 and not re.search(r"\d", prev) and not _SENTENCE.search(prev):
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
    if agency is None and "signer" in report.meta:
        signer = report.meta["signer"]
        agency = Fact("meta.agency", signer.value, signer.raw, signer.location)
    if agency is None and box and box.get("发布机构", ("",))[0]:
        value, loc = box["发布机构"]
        agency = Fact("meta.agency", value, f"发布机构：{value}", loc)  # type: ignore[arg-type]
    if agency is not None:
        report.meta["agency"] = agency
        level, why = classify_level(agency.value)  # type: ignore[arg-type]
        report.meta["level"] = Fact("meta.level", level, why, agency.location)
    else:
        report.note("content.required_missing", "未能从标题或落款中识别报告机关名称", None, ["meta.agency"])
    if "date" in report.meta:
        report.meta["date_source"] = Fact("meta.date_source", "signature", "报告末尾落款", report.meta["date"].location)
        return
    found = _published_date(lines[:16], box)
    # A date printed under the title (not labelled as the site's publication date) is the report's own.
    for block in lines[:10] if found is None else []:
        if is_date_line(block.text):
            report.meta["date"] = Fact("meta.date", parse_date(block.text), block.text.strip(), block.location)
            report.meta["date_source"] = Fact("meta.date_source", "signature", "标题下方所印日期", block.location)
            return
    source = "page"
    if found is None:
        found, source = _file_date(doc), "file"
    if found is not None:
        date, raw, loc, how = found
        report.meta["date"] = Fact("meta.date", date, raw, loc)  # type: ignore[arg-type]
        report.meta["date_source"] = Fact("meta.date_source", source, how, loc)  # type: ignore[arg-type]
        return
    report.meta["date"] = Fact("meta.date", None, None, None)
