"""The audit-findings letter (审核意见函) a disclosure office sends a reporting agency.

`letter_context` turns a `CheckResult` into everything the letter says, as
plain data (strings, numbers, lists, dicts); `render_letter_html` renders it
through a Jinja2 template (the default `templates/letter.html.j2`, or one a
pack names) and `write_letter_docx` lays the same paragraphs out in Word.

Content choices (see docs/letters.md):
  * errors come first, then warnings, numbered 一、二、三… in one sequence;
    the closing paragraph says which numbers must be rectified (errors) and
    which must be verified and corrected or explained (warnings);
  * info-level findings are left out unless `include_info` is set; then
    they go in one short 其他提示 paragraph after the numbered items;
  * the deadline is `deadline_days` calendar days after the letter's date
    (default 21, about 15 working days), moved to the Monday when it falls
    on a weekend; an explicit `deadline` date wins.

Everything from a report or a pack is untrusted: HTML is autoescaped, pack
templates run in Jinja2's sandbox, DOCX text goes in as plain runs.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from ..errors import NianbaoError
from ..findings import SEVERITY_CN, CheckResult, Finding

DEFAULT_SENDER = "政府信息公开工作主管部门"
DEFAULT_DEADLINE_DAYS = 21          # calendar days: 15 working days, three weeks
TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
DEFAULT_TEMPLATE = "letter.html.j2"

OPTION_KEYS = ("sender", "reference", "contact", "deadline_days", "deadline", "include_info", "template",
               "title", "addressee", "opening")
_TEXT_KEYS = ("sender", "reference", "contact", "template", "title", "addressee", "opening")

MAX_TEMPLATE_OUTPUT = 5_000_000     # characters a pack's template may produce
MAX_SEQUENCE = 100_000              # longest string/list a pack's template may build with * or **


class NoFindings(Exception):
    """The result has nothing to write to the agency about: no letter is produced."""

    def __init__(self, source: str, message: str):
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message


class LetterError(NianbaoError):
    """A letter option or template is wrong (bad value, missing file, template error or sandbox violation)."""


# ---------------------------------------------------------------------------
# Text helpers
_CN_DIGITS = "零一二三四五六七八九"
# Characters XML 1.0 forbids (python-docx would refuse them) and bidi controls that could
# make an agency name display as something else.
_UNSAFE_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]")


def clean(text: Any) -> str:
    """A string from a report or pack, safe to put in XML and free of display tricks."""
    return _UNSAFE_CHARS.sub("", str(text)).strip()


def cn_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 21 -> 二十一, 105 -> 一百零五 (for item numbers)."""
    if n <= 0 or n >= 1000:
        return str(n)
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    out = ""
    if hundreds:
        out += _CN_DIGITS[hundreds] + "百"
        if rest and tens == 0:
            return out + "零" + _CN_DIGITS[units]
    if tens:
        out += ("" if tens == 1 and not hundreds else _CN_DIGITS[tens]) + "十"
    if units:
        out += _CN_DIGITS[units]
    return out


def cn_date(day: dt.date) -> str:
    """成文日期 style: 2025年3月5日 (GB/T 9704: Arabic numerals, no padding)."""
    return f"{day.year}年{day.month}月{day.day}日"


def _sentence(text: str) -> str:
    """End a statement with 。 unless it already ends with sentence punctuation."""
    text = text.strip()
    if not text:
        return text
    return text if text[-1] in "。！？!?…" else text.rstrip("；;，,：:") + "。"


def _width(text: str) -> float:
    """Printed width in Chinese character widths (ASCII is half width)."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1.0 for ch in text)


def signature_indents(sender: str, date_text: str) -> dict[str, float]:
    """Right indents, in character widths, for the 署名 and 成文日期 (GB/T 9704 7.3.5.1).

    The date sits four characters from the right margin and the sender is centred over it;
    a sender longer than the date sits two characters from the margin and the date is
    centred under it.
    """
    ws, wd = _width(sender), _width(date_text)
    if ws <= wd:
        return {"sender": 4 + (wd - ws) / 2, "date": 4.0}
    return {"sender": 2.0, "date": 2 + (ws - wd) / 2}


def self_reference(sender: str) -> str:
    """How the sender refers to itself in the body: 我办, 我局, 我委…"""
    for suffix, word in (("办公室", "我办"), ("办", "我办"), ("委员会", "我委"), ("委", "我委"), ("局", "我局"),
                         ("厅", "我厅"), ("中心", "我中心"), ("处", "我处"), ("科", "我科")):
        if sender.endswith(suffix):
            return word
    return "我单位"


# ---------------------------------------------------------------------------
# Options
def _options(pack: Any, options: dict | None) -> tuple[dict[str, Any], set[str]]:
    """The pack's `letter:` keys overridden by the caller's (None means "not given")."""
    from_pack = {k: v for k, v in (getattr(pack, "letter", None) or {}).items() if v is not None}
    given = {k: v for k, v in (options or {}).items() if v is not None}
    merged = {**from_pack, **given}
    unknown = sorted(set(merged) - set(OPTION_KEYS))
    if unknown:
        where = "letter 选项" if set(unknown) & set(given) else _pack_where(pack)
        raise LetterError(where, f"信函设置中有未知的键：{'、'.join(map(str, unknown))}（可用的键：{'、'.join(OPTION_KEYS)}）")
    for key in _TEXT_KEYS:
        if key in merged:
            value = merged[key]
            if isinstance(value, (dict, list, tuple, set)) or isinstance(value, bool):
                raise LetterError(_pack_where(pack), f"信函设置 {key} 应为文字")
            merged[key] = clean(value)
    if "deadline_days" in merged:
        days = merged["deadline_days"]
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 366:
            raise LetterError(_pack_where(pack), f"信函设置 deadline_days 应为 1 至 366 之间的整数（天数），现为“{days}”")
    if "deadline" in merged:
        value = merged["deadline"]
        if isinstance(value, dt.datetime):
            value = value.date()
        if not isinstance(value, dt.date):
            try:
                value = dt.date.fromisoformat(str(value).strip())
            except ValueError:
                raise LetterError(_pack_where(pack), f"信函设置 deadline 应为日期（如 2025-04-30），现为“{value}”") from None
        merged["deadline"] = value
    if "include_info" in merged and not isinstance(merged["include_info"], bool):
        raise LetterError(_pack_where(pack), "信函设置 include_info 应为 true 或 false")
    return merged, set(given)


def _pack_where(pack: Any) -> str:
    files = getattr(pack, "files", None) or []
    return str(files[0]) if files else f"规则包 {getattr(pack, 'name', '')}".strip()


def _deadline(today: dt.date, opts: dict[str, Any]) -> tuple[dt.date, int | None]:
    if "deadline" in opts:
        day = opts["deadline"]
        if day < today:
            raise LetterError("letter 选项", f"整改期限 {day.isoformat()} 早于成文日期 {today.isoformat()}")
        return day, None
    days = int(opts.get("deadline_days", DEFAULT_DEADLINE_DAYS))
    day = today + dt.timedelta(days=days)
    while day.weekday() >= 5:      # Saturday/Sunday: the next Monday
        day += dt.timedelta(days=1)
    return day, days


# ---------------------------------------------------------------------------
# Sandboxed templates (pack-provided text is untrusted input)
class _LetterSandbox(SandboxedEnvironment):
    """Jinja2's sandbox, plus a bound on strings/lists built with * and **."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if isinstance(right, (int, float)) and abs(right) > 64:
                raise SecurityError("exponent too large")
        else:
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_SEQUENCE:
                    raise SecurityError("sequence too long")
        return super().call_binop(context, operator, left, right)


def _sandbox(autoescape: bool) -> _LetterSandbox:
    # No loader: a template cannot include, import or extend other files.
    return _LetterSandbox(autoescape=autoescape, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                          keep_trailing_newline=True)


def _render(source: str, context: dict[str, Any], where: str, autoescape: bool, what: str) -> str:
    env = _sandbox(autoescape)
    try:
        template = env.from_string(source)
    except TemplateSyntaxError as exc:
        line = f"第{exc.lineno}行" if exc.lineno else ""
        raise LetterError(where, f"{what}有语法错误{line}：{exc.message}") from None
    out: list[str] = []
    size = 0
    try:
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_TEMPLATE_OUTPUT:
                raise LetterError(where, f"{what}生成的内容过长（超过 {MAX_TEMPLATE_OUTPUT} 个字符），已停止")
            out.append(chunk)
    except SecurityError as exc:
        raise LetterError(where, f"{what}试图访问不允许的内容，已被安全沙箱拒绝（{exc}）") from None
    except UndefinedError as exc:
        raise LetterError(where, f"{what}使用了未定义的名称或属性（{exc.message}）；可用的名称见 docs/letters.md") from None
    except TemplateError as exc:
        raise LetterError(where, f"{what}出错：{exc}") from None
    except LetterError:
        raise
    except TypeError as exc:
        if "no loader" in str(exc):
            raise LetterError(where, f"{what}不能引用其他文件（include、import、extends），请写成一个完整的模板") from None
        raise LetterError(where, f"{what}无法渲染：{type(exc).__name__}: {exc}") from None
    except Exception as exc:  # a pack's template must never surface as a traceback
        raise LetterError(where, f"{what}无法渲染：{type(exc).__name__}: {exc}") from None
    return "".join(out)


def _text_option(opts: dict[str, Any], key: str, default: str, variables: dict[str, Any], pack: Any) -> str:
    """`title` and `opening` may use {{ agency }}, {{ year }}… (rendered in the sandbox, as plain text)."""
    if not opts.get(key):
        return default
    return clean(_render(opts[key], variables, _pack_where(pack), autoescape=False, what=f"信函设置 {key}"))


# ---------------------------------------------------------------------------
# Findings as the letter states them
_PLACE = re.compile(r"第\d+[页行]")


def _places(finding: Finding, limit: int = 3) -> str:
    seen: list[str] = []
    for ev in finding.evidence:
        if ev.location is not None:
            text = ev.location.describe()
            if text != "位置未知" and text not in seen:
                seen.append(text)
    if not seen:
        return ""
    shown = "、".join(seen[:limit]) + ("等处" if len(seen) > limit else "")
    return f"（见报告{shown}）"


def _statement(finding: Finding) -> str:
    """The finding's message with where it is, unless the message already says so."""
    message = clean(finding.message)
    where = "" if _PLACE.search(message) else _places(finding)
    if not where:
        return _sentence(message)
    body = message.rstrip()
    if body and body[-1] in "。；;":
        body = body[:-1]
    if body.endswith("）"):
        # "…（未收取的也应写明）" + "（见报告第79行）" reads better as one parenthesis.
        return body[:-1] + "；" + where[1:] + "。"
    return body + where + "。"


def _item(finding: Finding, number: int) -> dict[str, Any]:
    statement = _statement(finding)
    basis = clean(finding.basis)
    basis_text = f"依据：{_sentence(basis)}" if basis else ""
    label = f"{cn_number(number)}、"
    return {
        "number": number, "number_cn": cn_number(number), "label": label,
        "severity": finding.severity, "severity_cn": SEVERITY_CN.get(finding.severity, finding.severity),
        "rule": finding.rule, "category": finding.category, "title": clean(finding.title),
        "message": clean(finding.message), "statement": statement, "where": _places(finding),
        "basis": basis, "basis_text": basis_text,
        "text": label + statement + basis_text,
    }


def _span(first: int, last: int) -> str:
    if first == last:
        return f"第{cn_number(first)}项"
    if last == first + 1:
        return f"第{cn_number(first)}、{cn_number(last)}项"
    return f"第{cn_number(first)}项至第{cn_number(last)}项"


def _unique(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str]] = set()
    out = []
    for f in findings:
        key = (f.severity, clean(f.message))
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


# ---------------------------------------------------------------------------
def letter_context(result: CheckResult, pack: Any, today: dt.date, options: dict | None = None) -> dict[str, Any]:
    """Everything the letter says, as plain data (see docs/letters.md for the keys)."""
    if isinstance(today, dt.datetime):
        today = today.date()
    opts, _ = _options(pack, options)
    include_info = bool(opts.get("include_info", False))
    ordered = _unique(result.sorted_findings())
    errors = [f for f in ordered if f.severity == "error"]
    warnings = [f for f in ordered if f.severity == "warning"]
    infos = [f for f in ordered if f.severity not in ("error", "warning")]
    if not errors and not warnings and not (include_info and infos):
        if infos:
            raise NoFindings(result.source, f"只有提示级意见 {len(infos)} 项，未生成审核意见函"
                                            "（如需一并函告，请设置 include_info: true）")
        raise NoFindings(result.source, "未发现需要函告的问题，不生成审核意见函")

    report = result.report
    agency = clean(report.meta_value("agency") or "") if report is not None else ""
    year_value = report.meta_value("year") if report is not None else None
    year = str(year_value) if isinstance(year_value, int) and not isinstance(year_value, bool) else ""
    report_name = f"{agency}{year + '年' if year else ''}政府信息公开工作年度报告"
    report_title = f"《{report_name}》"
    sender = opts.get("sender") or DEFAULT_SENDER
    we = self_reference(sender)
    addressee = opts.get("addressee") or agency or "（报送单位）"
    template = getattr(pack, "template", None)
    template_basis = clean(getattr(template, "basis", "") or "")
    deadline, deadline_days = _deadline(today, opts)

    variables = {"agency": agency, "year": year, "report_title": report_title, "report_name": report_name,
                 "sender": sender, "self_reference": we, "template_basis": template_basis}
    title = _text_option(opts, "title", f"关于{report_title}审核意见的函", variables, pack)
    cited = "《中华人民共和国政府信息公开条例》第四十九条、第五十条"
    if template_basis:
        cited += f"和{template_basis}"
    subject = report_title if agency else f"你单位{report_name}"

    main = errors + warnings
    notes = infos if include_info else []
    if not main:                     # only info findings, and the caller asked for them
        main, notes = notes, []
        default_opening = f"根据{cited}有关要求，{we}对{subject}进行了审核，未发现需要整改的问题，现提示以下事项："
    else:
        default_opening = f"根据{cited}有关要求，{we}对{subject}进行了审核，发现以下问题："
    opening = _text_option(opts, "opening", default_opening, variables, pack)
    items = [_item(f, i) for i, f in enumerate(main, 1)]

    other = ""
    if notes:
        parts = [f"{i}.{_statement(f)}" for i, f in enumerate(notes, 1)]
        other = "其他提示：" + "".join(parts) + "以上事项请在修改报告时一并完善。"

    deadline_cn = cn_date(deadline)
    n_err, n_warn = len(errors), len(warnings)
    if n_err and n_warn:
        closing = (f"请你单位对照上述问题认真核查：{_span(1, n_err)}所列问题，请予以整改；"
                   f"{_span(n_err + 1, n_err + n_warn)}所列问题，请逐项核实，确有错误的一并更正，"
                   f"因统计口径等原因确需保留的，请在报告中作出说明。"
                   f"请于{deadline_cn}前完成整改并重新公开，同时将整改情况书面报送{we}。")
    elif n_err:
        closing = (f"请你单位对照上述问题逐项整改，于{deadline_cn}前完成整改并重新公开，"
                   f"同时将整改情况书面报送{we}。")
    elif n_warn:
        closing = (f"请你单位对上述问题逐项核实，确有错误的予以更正，因统计口径等原因确需保留的，请在报告中作出说明。"
                   f"请于{deadline_cn}前完成整改并重新公开，同时将核实整改情况书面报送{we}。")
    else:
        closing = "上述事项不作整改要求，请你单位在修改或编制年度报告时予以注意。"
    contact = opts.get("contact") or ""
    if contact and contact[0] not in "（(":
        contact = f"（{contact}）"
    date_cn = cn_date(today)

    ctx: dict[str, Any] = {
        "sender": sender,
        "reference": opts.get("reference") or "",
        "title": title,
        "addressee": addressee,
        "agency": agency,
        "year": year,
        "report_name": report_name,
        "report_title": report_title,
        "self_reference": we,
        "opening": opening,
        "items": items,
        "other": other,
        "closing": closing,
        "ending": "特此函告。",
        "contact": contact,
        "date": today.isoformat(),
        "date_cn": date_cn,
        "deadline": deadline.isoformat(),
        "deadline_cn": deadline_cn,
        "deadline_days": deadline_days,
        "rectify_required": bool(n_err or n_warn),
        "include_info": include_info,
        "counts": {"error": n_err, "warning": n_warn, "info": len(infos),
                   "info_included": len(infos) if include_info else 0},
        "signature_indent": signature_indents(sender, date_cn),
        "source": clean(result.source),
        "pack": clean(result.pack),
        "template_basis": template_basis,
    }
    ctx["blocks"] = letter_blocks(ctx)
    return ctx


def letter_blocks(ctx: dict[str, Any]) -> list[dict[str, str]]:
    """The letter's printed paragraphs, in order: what both the HTML and the DOCX show."""
    blocks = [{"kind": "sender", "text": ctx["sender"]}]
    if ctx["reference"]:
        blocks.append({"kind": "reference", "text": ctx["reference"]})
    blocks.append({"kind": "title", "text": ctx["title"]})
    blocks.append({"kind": "addressee", "text": ctx["addressee"] + "："})
    blocks.append({"kind": "opening", "text": ctx["opening"]})
    blocks.extend({"kind": "item", "text": item["text"]} for item in ctx["items"])
    if ctx["other"]:
        blocks.append({"kind": "other", "text": ctx["other"]})
    blocks.append({"kind": "closing", "text": ctx["closing"]})
    blocks.append({"kind": "ending", "text": ctx["ending"]})
    blocks.append({"kind": "signature", "text": ctx["sender"]})
    blocks.append({"kind": "date", "text": ctx["date_cn"]})
    if ctx["contact"]:
        blocks.append({"kind": "contact", "text": ctx["contact"]})
    return blocks


# ---------------------------------------------------------------------------
# HTML
def _template_source(pack: Any, opts: dict[str, Any], from_caller: bool) -> tuple[str, str]:
    """(template text, where it came from). A pack's path is relative to the pack's files, nearest pack first."""
    ref = opts.get("template")
    if not ref:
        path = TEMPLATE_DIR / DEFAULT_TEMPLATE
        return path.read_text(encoding="utf-8"), str(path)
    candidates: list[Path] = []
    given = Path(ref).expanduser()
    if given.is_absolute() or from_caller:
        candidates.append(given)
    else:
        for file in getattr(pack, "files", None) or []:
            folder = Path(file).parent
            if folder / given not in candidates:
                candidates.append(folder / given)
    for path in candidates:
        if path.is_file():
            try:
                return path.read_text(encoding="utf-8"), str(path)
            except (OSError, UnicodeDecodeError) as exc:
                raise LetterError(str(path), f"信函模板无法读取：{exc}") from None
    where = "（相对于规则包文件所在目录）" if not (given.is_absolute() or from_caller) else ""
    raise LetterError(ref, f"找不到信函模板文件{where}")


def render_letter_html(result: CheckResult, pack: Any, today: dt.date, options: dict | None = None) -> str:
    """The letter as one self-contained, printable A4 HTML page."""
    ctx = letter_context(result, pack, today, options)
    opts, given = _options(pack, options)
    source, where = _template_source(pack, opts, "template" in given)
    what = "信函模板" if opts.get("template") else "默认信函模板"
    return _render(source, ctx, where, autoescape=True, what=what)


# ---------------------------------------------------------------------------
# DOCX
FONT_TITLE = "方正小标宋简体"
FONT_BODY = "仿宋"
FONT_LATIN = "Times New Roman"
RED = "C00000"
BODY_PT = 16           # 三号
TITLE_PT = 22          # 二号
SENDER_PT = 26         # 一号
LINE_PT = 28           # fixed line pitch: 22 lines on a GB/T 9704 page


def _set_fonts(element: Any, east_asia: str, latin: str = FONT_LATIN) -> None:
    """Set a run's or style's fonts, east-Asian included (w:rFonts/@w:eastAsia), dropping theme fonts."""
    from docx.oxml.ns import qn

    rpr = element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    # Characters shared by both scripts (“ ” ‘ ’ — …) take the east-Asian font, as Chinese typesetting expects.
    fonts.set(qn("w:hint"), "eastAsia")


_PPR_AFTER_PBDR = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
                   "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
                   "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
                   "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId",
                   "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")


def _bottom_rule(paragraph: Any, color: str = RED) -> None:
    """The red separator line under the letterhead (a paragraph bottom border)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "12"), ("w:space", "6"), ("w:color", color)):
        bottom.set(qn(key), value)
    border.append(bottom)
    # CT_PPr is an ordered sequence: pBdr goes before shading, spacing, indentation, justification…
    ppr.insert_element_before(border, *_PPR_AFTER_PBDR)


def _page_number_footer(section: Any) -> None:
    """— 1 — centred at the foot of each page (a PAGE field)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    para = section.footer.paragraphs[0]
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for piece in ("— ", None, " —"):
        if piece is not None:
            run = para.add_run(piece)
        else:
            run = para.add_run()
            begin, instr, sep, end = (OxmlElement("w:fldChar"), OxmlElement("w:instrText"),
                                      OxmlElement("w:fldChar"), OxmlElement("w:fldChar"))
            begin.set(qn("w:fldCharType"), "begin")
            instr.set(qn("xml:space"), "preserve")
            instr.text = " PAGE "
            sep.set(qn("w:fldCharType"), "separate")
            end.set(qn("w:fldCharType"), "end")
            run._r.append(begin)
            run._r.append(instr)
            run._r.append(sep)
            number = OxmlElement("w:t")
            number.text = "1"
            run._r.append(number)
            run._r.append(end)
        run.font.size = Pt(14)
        _set_fonts(run._r, "宋体")


def build_letter_docx(ctx: dict[str, Any]) -> Any:
    """A python-docx Document with the letter's blocks laid out (A4, GB/T 9704 in spirit)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(20)

    # Document defaults: no theme fonts (the explicit fonts below rule), Chinese as the east-Asian language.
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        for fonts in defaults.iter(qn("w:rFonts")):
            for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                fonts.attrib.pop(qn(attr), None)
            fonts.set(qn("w:ascii"), FONT_LATIN)
            fonts.set(qn("w:hAnsi"), FONT_LATIN)
            fonts.set(qn("w:eastAsia"), FONT_BODY)
        for lang in defaults.iter(qn("w:lang")):
            lang.set(qn("w:eastAsia"), "zh-CN")
    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    _set_fonts(normal.element, FONT_BODY)
    pf = normal.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(LINE_PT)
    pf.space_before = pf.space_after = Pt(0)
    pf.widow_control = False

    indent = ctx["signature_indent"]
    blocks = ctx["blocks"]

    def para(text: str, *, font: str = FONT_BODY, size: int = BODY_PT, align: Any = WD_ALIGN_PARAGRAPH.JUSTIFY,
             first_line: float = 0, right: float = 0, left: float = 0, color: str | None = None,
             line: int = LINE_PT, keep: bool = False) -> Any:
        p = doc.add_paragraph()
        p.alignment = align
        fmt = p.paragraph_format
        if keep:
            fmt.keep_with_next = True
        if first_line:
            fmt.first_line_indent = Pt(BODY_PT * first_line)
        if right:
            fmt.right_indent = Pt(BODY_PT * right)
        if left:
            fmt.left_indent = Pt(BODY_PT * left)
        if line != LINE_PT:
            fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            fmt.line_spacing = Pt(line)
        if text:
            run = p.add_run(text)
            run.font.size = Pt(size)
            _set_fonts(run._r, font)
            if color:
                run.font.color.rgb = RGBColor.from_string(color)
        return p

    head = None
    for block in blocks:
        kind, text = block["kind"], block["text"]
        if kind == "sender":
            head = para(text, font=FONT_TITLE, size=SENDER_PT, align=WD_ALIGN_PARAGRAPH.CENTER, color=RED, line=44)
        elif kind == "reference":
            head = para(text, align=WD_ALIGN_PARAGRAPH.CENTER)
        elif kind == "title":
            if head is not None:
                _bottom_rule(head)
                para("")
            para(text, font=FONT_TITLE, size=TITLE_PT, align=WD_ALIGN_PARAGRAPH.CENTER, line=36)
            para("")
        elif kind == "addressee":
            para(text)
        elif kind in ("opening", "item", "other", "closing"):
            para(text, first_line=2)
        elif kind == "ending":
            # The signature never stands alone on a page: the last line of text goes with it.
            para(text, first_line=2, keep=True)
        elif kind == "signature":
            para("", keep=True)
            para("", keep=True)
            para(text, align=WD_ALIGN_PARAGRAPH.RIGHT, right=indent["sender"], keep=True)
        elif kind == "date":
            para(text, align=WD_ALIGN_PARAGRAPH.RIGHT, right=indent["date"], keep=bool(ctx["contact"]))
        elif kind == "contact":
            para(text, left=2)
        else:  # pragma: no cover - letter_blocks defines the kinds
            para(text, first_line=2)

    _page_number_footer(section)
    props = doc.core_properties
    # Word's document properties hold at most 255 characters; a long agency name is cut there.
    props.title = str(ctx["title"])[:255]
    props.author = str(ctx["sender"])[:255]
    props.subject = str(ctx["report_name"])[:255]
    props.comments = "由 nianbao 根据年度报告审核结果生成"
    return doc


def write_letter_docx(result: CheckResult, pack: Any, today: dt.date, path: str | Path,
                      options: dict | None = None) -> None:
    """Write the letter as a .docx; atomic (temp file beside `path`, then os.replace)."""
    from ..atomic import atomic_path

    ctx = letter_context(result, pack, today, options)
    doc = build_letter_docx(ctx)
    target = Path(path)
    try:
        with atomic_path(target) as tmp:
            doc.save(str(tmp))
    except OSError as exc:
        raise LetterError(str(target), f"审核意见函无法写入：{exc.strerror or exc}") from None
