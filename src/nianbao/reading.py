"""From a file to a Report: ingestion, template detection, mapping."""
from __future__ import annotations

from . import limits as _limits
from .detect import detect
from .document import Document
from .ingest import read_document
from .mapping import map_document
from .model import Fact, Report
from .template import load_template


def read_report(path: str, template: str | None = None, limits: "_limits.Limits | None" = None) -> Report:
    """Read and map one report within `limits` (default: the environment's, see limits.py).

    Raises InputError / UnreadableInput for files that cannot be read or are over a budget.
    """
    return report_from_document(read_document(path, limits), template)


def report_from_document(doc: Document, template: str | None = None) -> Report:
    detection = detect(doc)
    if template:
        version, reason = template, f"由命令行或规则包指定（自动判断结果：{detection.printed}，{detection.reason}）"
    else:
        version, reason = detection.printed, detection.reason
    report = map_document(doc, load_template(version))
    report.ocr_pages = list(doc.ocr_pages)
    report.meta["template"] = Fact("meta.template", version, reason, None)
    if detection.outdated and version == detection.printed:
        applicable = load_template(detection.applicable)
        report.note("template.outdated",
                    f"报告年度为{detection.year}年，但统计表使用的是{load_template(version).title}"
                    f"（{'、'.join(detection.evidence[:4])}等栏目），应使用{applicable.title}（{applicable.basis}）",
                    None, [], kind="document", printed=version, applicable=detection.applicable)
    if not report.sections and not report.tables_found:
        report.note("parse.unreadable", "未能从文件中识别出年度报告的任何章节或表格，请确认文件内容是否为政府信息公开工作年度报告",
                    None, [], kind="document")
    return report
