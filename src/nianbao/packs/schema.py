"""What a rule pack may hold: its keys, the fixed vocabularies, and the bounds packs are read under.

Defined once here; the reader, the compiler, the linter and the catalogue all use it.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

CATEGORIES = (
    "structure.missing_section", "structure.missing_table", "structure.missing_row", "structure.extra_cells",
    "structure.order", "value.blank", "value.invalid", "arith.balance", "arith.sum", "narrative.mismatch",
    "date.missing", "date.period", "date.deadline", "template.outdated", "template.label_variant",
    "content.required_missing", "text.duplicate_word", "text.copied", "crossyear.carryover", "crossyear.in_force",
    "parse.unreadable",
)
SEVERITIES = ("error", "warning", "info")

PACK_KEYS = ("pack", "extends", "template", "description", "abstract", "params", "narrative", "disable",
             "rules", "letter", "verdict")
RULE_KEYS = ("id", "title", "headline", "category", "severity", "basis", "check", "when", "message", "tests",
             "from_notes", "for_each_row", "for_each_cell", "locate", "disabled", "reviewer_only")
NARRATIVE_KEYS = ("name", "label", "section", "patterns", "kind")
CASE_KEYS = ("expect", "facts", "zeros", "notes")
VERDICT_KEYS = ("when", "verdict")

REQUIRED_KEYS = ("title", "category", "severity", "basis", "message")
# Rule keys whose value must be text.
TEXT_KEYS = ("title", "headline", "category", "severity", "basis", "check", "when", "message", "locate")

NARRATIVE_KINDS = {"number": "件数", "percent": "百分比", "change": "增减幅度"}
EXPECT_CN = {"pass": "应通过", "fail": "应发现问题", "unknown": "无法检查"}

NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.\-]*"          # a pack or template name (never a path)
PARAM_PATTERN = r"[A-Za-z_][A-Za-z0-9_]*"
NARRATIVE_NAME_PATTERN = r"narrative\.[a-z_][a-z0-9_]*"
SECTION_PATTERN = r"section[1-6]|preamble|all"

# Bounds a pack is read under (packs come from other offices: untrusted input).
MAX_FILE_BYTES = 2_000_000          # one YAML file of a pack
MAX_ALIAS_USES = 300                # `*name` references in one file
MAX_YAML_NODES = 200_000            # nodes of one file with every alias expanded
MAX_EXTENDS_DEPTH = 16
REGEX_TIMEOUT = 0.05                # seconds per search over report text


# ---------------------------------------------------------------------------
# letter: settings (their meaning is outputs/letter.py's; their shape is checked when the pack loads)
def letter_keys() -> tuple[str, ...]:
    from ..outputs.letter import OPTION_KEYS
    return tuple(OPTION_KEYS)


def letter_value_problem(key: str, value: Any) -> str | None:
    """Why a `letter:` setting's value is of the wrong kind (formal Chinese), or None when it is fine."""
    if key == "deadline_days":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 366:
            return f"信函设置 deadline_days 应为 1 至 366 之间的整数（天数），现为“{value}”"
        return None
    if key == "deadline":
        if isinstance(value, dt.date):
            return None
        try:
            dt.date.fromisoformat(str(value).strip())
        except ValueError:
            return f"信函设置 deadline 应为日期（如 2025-04-30），现为“{value}”"
        return None
    if key == "include_info":
        return None if isinstance(value, bool) else "信函设置 include_info 应为 true 或 false"
    if isinstance(value, (dict, list, bool)) or value is None:
        return f"信函设置 {key} 应为文字"
    return None


def value_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, dt.date):
        return "date"
    return "text"


def value_kind_cn(value: Any) -> str:
    return {"bool": "真假值", "number": "数值", "date": "日期", "text": "文字"}[value_kind(value)]
