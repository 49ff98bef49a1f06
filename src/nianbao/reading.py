"""From a file to a Report: ingestion, template choice, mapping."""
from __future__ import annotations

from .document import Document
from .ingest import read_document
from .mapping import map_document
from .model import Fact, Report
from .template import load_template

DEFAULT_TEMPLATE = "gov-2021"


def read_report(path: str, template: str | None = None) -> Report:
    """Read and map one report. Raises InputError / UnreadableInput for files that cannot be read."""
    return report_from_document(read_document(path), template)


def report_from_document(doc: Document, template: str | None = None) -> Report:
    version = template or DEFAULT_TEMPLATE
    reason = "由命令行指定" if template else "默认模板"
    report = map_document(doc, load_template(version))
    report.meta["template"] = Fact("meta.template", version, reason, None)
    if not report.sections and not report.tables_found:
        report.note("parse.unreadable", "未能从文件中识别出年度报告的任何章节或表格，请确认文件内容是否为政府信息公开工作年度报告",
                    None, [], kind="document")
    return report
