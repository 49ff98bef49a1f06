"""The audit-findings letter (审核意见函) a disclosure office sends a reporting agency.

`letter_context` turns a `CheckResult` into everything the letter says, as
plain data (strings, numbers, lists, dicts); `render_letter_html` renders it
through a Jinja2 template (the default `templates/letter.html.j2`, or one a
pack names) and `write_letter_docx` lays the same paragraphs out in Word
(`letter_docx`, GB/T 9704 信函格式). `write_letters` is what a batch calls:
every format of one report's letter into `letters/`, settings from
`nianbao.settings`.

Content choices (see docs/letters.md):
  * errors come first, then warnings, numbered 一、二、三… in one sequence;
    the closing paragraph says which numbers must be rectified (errors) and
    which must be verified and corrected or explained (warnings);
  * info-level findings are left out unless `include_info` is set; then
    they go in one short 其他提示 paragraph after the numbered items;
  * findings for the supervisor only (`Finding.reviewer_only`, e.g. "请人工
    核对该页内容") never appear, nor those the caller's `exclude` rejects
    (findings a supervisor dismissed as 误报 or 豁免);
  * the deadline is `deadline_days` working days after the letter's date
    (default 15), counted on the official holiday calendar (`workdays`);
    an explicit `deadline` date wins.

Everything from a report or a pack is untrusted: HTML is autoescaped, pack
templates run in Jinja2's sandbox, DOCX text goes in as plain runs.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Hashable, Iterable

from ..findings import SEVERITY_CN, CheckResult, Finding, finding_order
from ..workdays import add_working_days
from .letter_template import LetterError, render
from .letter_text import clean, cn_date, cn_number, self_reference, sentence, signature_indents, span

__all__ = ["NoFindings", "LetterError", "LetterFiles", "Excluded", "finding_key", "letter_context", "letter_blocks", "letter_findings",
           "render_letter_html", "render_context_html", "write_letter_docx", "write_letters", "cn_date",
           "cn_number"]

DEFAULT_SENDER = "政府信息公开工作主管部门"
DEFAULT_DEADLINE_DAYS = 15          # working days: three ordinary weeks
TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
DEFAULT_TEMPLATE = "letter.html.j2"
FORMATS = ("html", "docx")

OPTION_KEYS = ("sender", "reference", "signatory", "contact", "deadline_days", "deadline", "include_info",
               "template", "title", "addressee", "opening")
_TEXT_KEYS = ("sender", "reference", "signatory", "contact", "template", "title", "addressee", "opening")

Exclude = Callable[[Finding], bool]


class NoFindings(Exception):
    """The result has nothing to write to the agency about: no letter is produced."""

    def __init__(self, source: str, message: str):
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message


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
            raise LetterError(_pack_where(pack), f"信函设置 deadline_days 应为 1 至 366 之间的整数（工作日数），现为“{days}”")
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


def _deadline(today: dt.date, opts: dict[str, Any]) -> tuple[dt.date, int | None, str]:
    """(deadline, working days or None for a fixed date, a note for the supervisor or "")."""
    if "deadline" in opts:
        day = opts["deadline"]
        if day < today:
            raise LetterError("letter 选项", f"整改期限 {day.isoformat()} 早于成文日期 {today.isoformat()}")
        return day, None, ""
    days = int(opts.get("deadline_days", DEFAULT_DEADLINE_DAYS))
    deadline = add_working_days(today, days)
    return deadline.day, days, deadline.note


def _text_option(opts: dict[str, Any], key: str, default: str, variables: dict[str, Any], pack: Any) -> str:
    """`title` and `opening` may use {{ agency }}, {{ year }}… (rendered in the sandbox, as plain text)."""
    if not opts.get(key):
        return default
    return clean(render(opts[key], variables, _pack_where(pack), autoescape=False, what=f"信函设置 {key}"))


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


def statement(finding: Finding) -> str:
    """The finding's message with where it is, unless the message already says so."""
    message = clean(finding.message)
    where = "" if _PLACE.search(message) else _places(finding)
    if not where:
        return sentence(message)
    body = message.rstrip()
    if body and body[-1] in "。；;":
        body = body[:-1]
    if body.endswith("）"):
        # "…（未收取的也应写明）" + "（见报告第79行）" reads better as one parenthesis.
        return body[:-1] + "；" + where[1:] + "。"
    return body + where + "。"


def item(finding: Finding, number: int, label: str | None = None) -> dict[str, Any]:
    """One numbered finding as the letter prints it (`label` defaults to 一、 二、…)."""
    said = statement(finding)
    basis = clean(finding.basis)
    basis_text = f"依据：{sentence(basis)}" if basis else ""
    label = label if label is not None else f"{cn_number(number)}、"
    return {
        "number": number, "number_cn": cn_number(number), "label": label,
        "severity": finding.severity, "severity_cn": SEVERITY_CN.get(finding.severity, finding.severity),
        "rule": finding.rule, "category": finding.category, "title": clean(finding.title),
        "headline": clean(finding.heading),
        "message": clean(finding.message), "statement": said, "where": _places(finding),
        "basis": basis, "basis_text": basis_text,
        "text": label + said + basis_text,
    }


def _unique(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str]] = set()
    out = []
    for f in findings:
        key = (f.severity, clean(f.message))
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def finding_key(finding: Finding) -> Hashable:
    """Two findings are "the same problem" when the same rule fails on the same facts."""
    return (finding.rule, tuple(finding.fields))


@dataclass(frozen=True)
class Excluded:
    """An `exclude` that can cross to a batch's worker processes (a lambda cannot be pickled):
    the findings whose `key` is in `keys`, e.g. the store's 误报/豁免 fingerprints."""

    keys: frozenset
    key: Callable[[Finding], Hashable] = finding_key      # a module-level function, so it pickles

    def __call__(self, finding: Finding) -> bool:
        return self.key(finding) in self.keys


def letter_findings(findings: Iterable[Finding], exclude: Exclude | None = None) -> list[Finding]:
    """The findings a letter may state, in letter order: never a supervisor-only remark, never
    one `exclude` rejects (a finding dismissed as 误报 or 豁免), one of each message."""
    kept = [f for f in findings if not getattr(f, "reviewer_only", False) and not (exclude and exclude(f))]
    return _unique(sorted(kept, key=finding_order))


# ---------------------------------------------------------------------------
def report_names(result: CheckResult) -> dict[str, str]:
    """agency, year, report_name (without 书名号) and report_title (《…》) of the checked report."""
    report = result.report
    agency = clean(report.meta_value("agency") or "") if report is not None else ""
    year_value = report.meta_value("year") if report is not None else None
    year = str(year_value) if isinstance(year_value, int) and not isinstance(year_value, bool) else ""
    report_name = f"{agency}{year + '年' if year else ''}政府信息公开工作年度报告"
    return {"agency": agency, "year": year, "report_name": report_name, "report_title": f"《{report_name}》"}


def common_context(result: CheckResult, pack: Any, today: dt.date, opts: dict[str, Any]) -> dict[str, Any]:
    """What every letter about this report says the same way: who writes to whom, when, by when."""
    names = report_names(result)
    sender = opts.get("sender") or DEFAULT_SENDER
    signatory = opts.get("signatory") or sender
    template = getattr(pack, "template", None)
    deadline, deadline_days, deadline_note = _deadline(today, opts)
    contact = opts.get("contact") or ""
    if contact and contact[0] not in "（(":
        contact = f"（{contact}）"
    date_cn = cn_date(today)
    return {
        **names,
        "sender": sender,
        "signatory": signatory,
        "reference": opts.get("reference") or "",
        "addressee": opts.get("addressee") or names["agency"] or "（报送单位）",
        "self_reference": self_reference(sender),
        "template_basis": clean(getattr(template, "basis", "") or ""),
        "ending": "特此函告。",
        "contact": contact,
        "date": today.isoformat(),
        "date_cn": date_cn,
        "deadline": deadline.isoformat(),
        "deadline_cn": cn_date(deadline),
        "deadline_days": deadline_days,
        "deadline_note": deadline_note,
        "signature_indent": signature_indents(signatory, date_cn),
        "source": clean(result.source),
        "pack": clean(result.pack),
    }


def letter_context(result: CheckResult, pack: Any, today: dt.date, options: dict | None = None, *,
                   exclude: Exclude | None = None) -> dict[str, Any]:
    """Everything the letter says, as plain data (see docs/letters.md for the keys)."""
    if isinstance(today, dt.datetime):
        today = today.date()
    opts, _ = _options(pack, options)
    include_info = bool(opts.get("include_info", False))
    ordered = letter_findings(result.findings, exclude)
    errors = [f for f in ordered if f.severity == "error"]
    warnings = [f for f in ordered if f.severity == "warning"]
    infos = [f for f in ordered if f.severity not in ("error", "warning")]
    if not errors and not warnings and not (include_info and infos):
        if infos:
            raise NoFindings(result.source, f"只有提示级意见 {len(infos)} 项，未生成审核意见函"
                                            "（如需一并函告，请设置 include_info: true）")
        raise NoFindings(result.source, "未发现需要函告的问题，不生成审核意见函")

    ctx = common_context(result, pack, today, opts)
    we, report_title, report_name = ctx["self_reference"], ctx["report_title"], ctx["report_name"]
    variables = {k: ctx[k] for k in ("agency", "year", "report_title", "report_name", "sender", "self_reference",
                                     "template_basis")}
    title = _text_option(opts, "title", f"关于{report_title}审核意见的函", variables, pack)
    cited = "《中华人民共和国政府信息公开条例》第四十九条、第五十条"
    if ctx["template_basis"]:
        cited += f"和{ctx['template_basis']}"
    subject = report_title if ctx["agency"] else f"你单位{report_name}"

    main = errors + warnings
    notes = infos if include_info else []
    if not main:                     # only info findings, and the caller asked for them
        main, notes = notes, []
        default_opening = f"根据{cited}有关要求，{we}对{subject}进行了审核，未发现需要整改的问题，现提示以下事项："
    else:
        default_opening = f"根据{cited}有关要求，{we}对{subject}进行了审核，发现以下问题："
    opening = _text_option(opts, "opening", default_opening, variables, pack)
    items = [item(f, i) for i, f in enumerate(main, 1)]

    other = ""
    if notes:
        parts = [f"{i}.{statement(f)}" for i, f in enumerate(notes, 1)]
        other = "其他提示：" + "".join(parts) + "以上事项请在修改报告时一并完善。"

    deadline_cn = ctx["deadline_cn"]
    n_err, n_warn = len(errors), len(warnings)
    if n_err and n_warn:
        closing = (f"请你单位对照上述问题认真核查：{span(1, n_err)}所列问题，请予以整改；"
                   f"{span(n_err + 1, n_err + n_warn)}所列问题，请逐项核实，确有错误的一并更正，"
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

    ctx.update({
        "kind": "audit",
        "title": title,
        "opening": opening,
        "items": items,
        "other": other,
        "closing": closing,
        "rectify_required": bool(n_err or n_warn),
        "include_info": include_info,
        "counts": {"error": n_err, "warning": n_warn, "info": len(infos),
                   "info_included": len(infos) if include_info else 0},
    })
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
    blocks.extend({"kind": "item", "text": it["text"]} for it in ctx["items"])
    if ctx["other"]:
        blocks.append({"kind": "other", "text": ctx["other"]})
    blocks.append({"kind": "closing", "text": ctx["closing"]})
    return blocks + closing_blocks(ctx)


def closing_blocks(ctx: dict[str, Any]) -> list[dict[str, str]]:
    """特此函告, the 署名, the 成文日期 and the contact line, in every kind of letter."""
    blocks = [{"kind": "ending", "text": ctx["ending"]},
              {"kind": "signature", "text": ctx["signatory"]},
              {"kind": "date", "text": ctx["date_cn"]}]
    if ctx["contact"]:
        blocks.append({"kind": "contact", "text": ctx["contact"]})
    return blocks


# ---------------------------------------------------------------------------
# HTML
def _template_source(pack: Any, opts: dict[str, Any], from_caller: bool) -> tuple[str, str]:
    """(template text, where it came from). A pack's path is relative to the pack file naming it."""
    ref = opts.get("template")
    if not ref:
        path = TEMPLATE_DIR / DEFAULT_TEMPLATE
        return path.read_text(encoding="utf-8"), str(path)
    if not from_caller and getattr(pack, "letter_template", None):
        # A pack's template was confined to its folder when the pack loaded; checked again on reading.
        from ..packs.confine import Refused, read_confined
        path = Path(pack.letter_template)
        if path.is_file():
            try:
                return read_confined(path, pack.letter_folder, "信函模板"), str(path)
            except Refused as exc:
                raise LetterError(str(path), exc.message) from None
            except (OSError, UnicodeDecodeError) as exc:
                raise LetterError(str(path), f"信函模板无法读取：{exc}") from None
        raise LetterError(ref, "找不到信函模板文件（相对于规则包文件所在目录）")
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


def render_context_html(ctx: dict[str, Any], pack: Any = None, options: dict | None = None) -> str:
    """A letter's context as one self-contained, printable A4 page (the pack's template if it names one)."""
    opts, given = _options(pack, options) if ctx.get("kind") == "audit" else ({}, set())
    source, where = _template_source(pack, opts, "template" in given)
    what = "信函模板" if opts.get("template") else "默认信函模板"
    return render(source, ctx, where, autoescape=True, what=what)


def render_letter_html(result: CheckResult, pack: Any, today: dt.date, options: dict | None = None, *,
                       exclude: Exclude | None = None) -> str:
    """The letter as one self-contained, printable A4 HTML page."""
    ctx = letter_context(result, pack, today, options, exclude=exclude)
    return render_context_html(ctx, pack, options)


# ---------------------------------------------------------------------------
# Files
def write_letter_docx(result: CheckResult, pack: Any, today: dt.date, path: str | Path,
                      options: dict | None = None, *, exclude: Exclude | None = None) -> None:
    """Write the letter as a .docx; atomic (temp file beside `path`, then os.replace)."""
    save_docx(letter_context(result, pack, today, options, exclude=exclude), path)


def save_docx(ctx: dict[str, Any], path: str | Path) -> None:
    from ..atomic import atomic_path
    from .letter_docx import build_letter_docx

    doc = build_letter_docx(ctx)
    target = Path(path)
    try:
        with atomic_path(target) as tmp:
            doc.save(str(tmp))
    except OSError as exc:
        raise LetterError(str(target), f"审核意见函无法写入：{exc.strerror or exc}") from None


class LetterFiles(dict):
    """format -> path of the letter written, relative to the output folder (empty: no letter);
    `notes` holds what the supervisor should know about them (e.g. a deadline counted without
    the official holiday calendar)."""

    def __init__(self, files: dict[str, str] | None = None, notes: list[str] | None = None):
        super().__init__(files or {})
        self.notes = list(notes or [])


def write_context(ctx: dict[str, Any], pack: Any, options: dict | None, out_dir: str | Path, name: str,
                  formats: Iterable[str] = FORMATS) -> LetterFiles:
    """Write a letter's context as `letters/<name>.<format>` under `out_dir`, each file atomically."""
    from ..atomic import atomic_write_text

    formats = tuple(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise LetterError("letter 选项", f"不支持的函件格式：{'、'.join(unknown)}（可用：{'、'.join(FORMATS)}）")
    if "/" in name or "\\" in name or name in ("", ".", ".."):
        raise LetterError(name, "函件文件名不能包含路径")
    out = Path(out_dir)
    files: dict[str, str] = {}
    for fmt in formats:
        rel = f"letters/{name}.{fmt}"
        if fmt == "html":
            try:
                atomic_write_text(out / rel, render_context_html(ctx, pack, options))
            except OSError as exc:
                raise LetterError(str(out / rel), f"审核意见函无法写入：{exc.strerror or exc}") from None
        else:
            save_docx(ctx, out / rel)
        files[fmt] = rel
    return LetterFiles(files, [ctx["deadline_note"]] if ctx.get("deadline_note") else [])


def write_letters(result: CheckResult, pack: Any, settings: Any, out_dir: str | Path, name: str,
                  formats: Iterable[str] = FORMATS, *, exclude: Exclude | None = None,
                  today: dt.date | None = None) -> LetterFiles:
    """The batch's call: write one report's letter in every format under `out_dir/letters/`.

    `settings` is a `nianbao.settings.LetterSettings` (or None: the pack's keys and defaults);
    its `date` is the letter's date, else `today`, else the current date. Returns
    {format: relative path}, empty when the report has nothing to write about (NoFindings).
    Raises LetterError for a wrong option or template and when a file cannot be written.
    """
    options = settings.options() if settings is not None else None
    day = settings.letter_date(today) if settings is not None else (today or dt.date.today())
    try:
        ctx = letter_context(result, pack, day, options, exclude=exclude)
    except NoFindings:
        return LetterFiles()
    return write_context(ctx, pack, options, out_dir, name, formats)
