"""Template versions as data: rules/<version>/template.yaml.

A template names every fact a report of that version holds. Mapping
(mapping.py) uses its labels; the rule language uses its names.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from .errors import PackError
from .paths import rules_dir

META_NAMES = ("meta.agency", "meta.year", "meta.date", "meta.date_source", "meta.level", "meta.template", "meta.signer")
SECTION_NAMES = tuple(f"section{n}" for n in range(1, 7))

_SPACE = re.compile(r"\s+")
# Folded so that labels printed with half-width brackets, Western commas or
# stray quotes compare equal to the template's text.
_FOLD = str.maketrans({
    "(": "（", ")": "）", ",": "，", ":": "：", ";": "；", "、": "、",
    ".": ".", "．": ".", "\"": "", "“": "", "”": "", "'": "", "‘": "", "’": "",
    "〔": "（", "〕": "）", "[": "（", "]": "）",
})


def normalize_label(text: str) -> str:
    """Canonical form of a printed label: NFKC digits, no spaces, folded punctuation."""
    text = unicodedata.normalize("NFKC", text)
    # NFKC turns full-width brackets into ASCII ones; fold them back uniformly.
    text = _SPACE.sub("", text)
    return text.translate(_FOLD)


@dataclass(frozen=True)
class Table3Row:
    name: str
    label: str
    top: str | None = None        # 一 / 二 / 四 for the top-level rows
    group: str | None = None      # （一）…（七）
    item: int | None = None       # 1., 2., … inside a group
    variants: tuple[str, ...] = ()
    template: str | None = None   # set for legacy rows of another version

    @cached_property            # asked for on every row of every report: normalised once
    def labels(self) -> tuple[str, ...]:
        return (normalize_label(self.label),) + tuple(normalize_label(v) for v in self.variants)


@dataclass(frozen=True)
class Table2Row:
    name: str
    label: str
    columns: tuple[str, ...]
    variants: tuple[str, ...] = ()
    money: bool = False

    @cached_property            # asked for on every row of every report: normalised once
    def labels(self) -> tuple[str, ...]:
        return (normalize_label(self.label),) + tuple(normalize_label(v) for v in self.variants)


@dataclass
class Template:
    version: str
    title: str
    basis: str
    applies_from_year: int | None
    applies_to_year: int | None
    sections: list[dict[str, Any]]
    table2_rows: list[Table2Row]
    table2_column_labels: dict[str, str]          # normalized printed header -> canonical header
    table2_column_variants: dict[str, str]        # normalized variant -> canonical header
    table3_columns: list[str]
    table3_column_labels: list[str]
    table3_rows: list[Table3Row]
    table3_legacy_rows: list[Table3Row]
    table4_groups: list[dict[str, str]]
    table4_columns: list[str]
    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    # ---- names --------------------------------------------------------
    def vectors(self) -> dict[str, list[str]]:
        """Table rows as vectors: name -> its columns (table 3 rows, and table 2 rows with their own columns).

        Built once per template (the engine asks for it per rule); callers must not mutate it."""
        cached = self.__dict__.get("_vectors")
        if cached is None:
            cached = {row.name: list(row.columns) for row in self.table2_rows}
            rows = self.table3_rows + self.table3_legacy_rows
            cached.update({row.name: list(self.table3_columns) for row in rows})
            self.__dict__["_vectors"] = cached
        return cached

    def scalars(self) -> set[str]:
        names: set[str] = set(META_NAMES) | set(SECTION_NAMES)
        for vec, cols in self.vectors().items():
            names.update(f"{vec}.{col}" for col in cols)
        for group in self.table4_groups:
            names.update(f"{group['name']}.{col}" for col in self.table4_columns)
        return names

    def table_cells(self) -> dict[str, list[str]]:
        """Every table cell name, grouped by table (template rows only, not legacy rows)."""
        t2 = [f"{r.name}.{c}" for r in self.table2_rows for c in r.columns]
        t3 = [f"{r.name}.{c}" for r in self.table3_rows for c in self.table3_columns]
        t4 = [f"{g['name']}.{c}" for g in self.table4_groups for c in self.table4_columns]
        return {"table2": t2, "table3": t3, "table4": t4}

    def section_title(self, number: int) -> str:
        for sec in self.sections:
            if sec["number"] == number:
                return sec["title"]
        return ""


def _load(path: Path) -> Template:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)     # libyaml: the same data, 8× faster
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=loader)
    except (OSError, yaml.YAMLError) as exc:
        raise PackError(str(path), f"模板文件无法读取：{exc}") from None
    if not isinstance(data, dict) or "template" not in data:
        raise PackError(str(path), "模板文件缺少 template 字段")
    t2 = data.get("table2") or {}
    col_labels: dict[str, str] = {}
    for block in t2.get("blocks", []):
        for header in (block.get("columns") or {}).values():
            col_labels[normalize_label(header)] = header
    col_variants: dict[str, str] = {}
    for canonical, variants in (t2.get("column_variants") or {}).items():
        for variant in variants:
            col_variants[normalize_label(variant)] = canonical
    t3 = data.get("table3") or {}
    t4 = data.get("table4") or {}

    def t3row(spec: dict[str, Any]) -> Table3Row:
        return Table3Row(
            name=spec["name"], label=spec["label"], top=spec.get("top"), group=spec.get("group"),
            item=spec.get("item"), variants=tuple(spec.get("variants", ())), template=spec.get("template"),
        )

    return Template(
        version=data["template"],
        title=data.get("title", data["template"]),
        basis=data.get("basis", ""),
        applies_from_year=data.get("applies_from_year"),
        applies_to_year=data.get("applies_to_year"),
        sections=list(data.get("sections", [])),
        table2_rows=[
            Table2Row(r["name"], r["label"], tuple(r["columns"]), tuple(r.get("variants", ())), bool(r.get("money")))
            for r in t2.get("rows", [])
        ],
        table2_column_labels=col_labels,
        table2_column_variants=col_variants,
        table3_columns=list(t3.get("columns", [])),
        table3_column_labels=list(t3.get("column_labels", [])),
        table3_rows=[t3row(r) for r in t3.get("rows", [])],
        table3_legacy_rows=[t3row(r) for r in t3.get("legacy_rows", [])],
        table4_groups=list(t4.get("groups", [])),
        table4_columns=list(t4.get("columns", [])),
        path=path,
        raw=data,
    )


@lru_cache(maxsize=None)
def load_template(version: str) -> Template:
    path = rules_dir() / version / "template.yaml"
    if not path.exists():
        raise PackError(str(path), f"找不到模板版本 {version}")
    return _load_cached(path)


def _load_cached(path: Path) -> Template:
    """The template at `path`, from the user's cache when the file's content is unchanged (no YAML read)."""
    import hashlib

    from . import usercache

    try:
        content = path.read_bytes()
    except OSError:
        return _load(path)              # _load says what is wrong with it
    key = f"{path}\0{hashlib.sha256(content).hexdigest()}"
    name = "template-" + hashlib.sha256(str(path).encode("utf-8", "surrogateescape")).hexdigest()[:32] + ".pickle"
    cached = usercache.load(name, key)
    if isinstance(cached, Template):
        return cached
    template = _load(path)
    usercache.store(name, key, template)
    return template


def available_templates() -> list[str]:
    return sorted(p.parent.name for p in rules_dir().glob("*/template.yaml"))


# ---- Chinese descriptions of names, for messages supervisors read --------
_META_CN = {"meta.agency": "报告机关", "meta.year": "报告年度", "meta.date": "落款日期",
            "meta.level": "机关层级", "meta.template": "模板版本", "meta.signer": "落款单位"}
_CN_NUMS = "一二三四五六七八九十"


def _t3_display(row: Table3Row, template: "Template") -> str:
    if row.top:
        return f"{row.top}、{row.label}"
    if row.item is None:
        label = row.label.split("（")[0] if row.group == "二" else row.label
        return f"（{row.group}）{label}"
    group_title = {"三": "不予公开", "四": "无法提供", "五": "不予处理", "六": "其他处理"}.get(row.group or "", "")
    return f"（{row.group}）{group_title}·{row.item}.{row.label}"


def describe(template: "Template", name: str) -> str:
    """'section3.new.total' -> '表三“一、本年新收政府信息公开申请数量”行“总计”列'."""
    cache = template.__dict__.setdefault("_describe_cache", {})
    if name not in cache:
        cache[name] = _describe(template, name)
    return cache[name]


def _describe(template: "Template", name: str) -> str:
    if name.startswith("prev."):
        return "上年报告" + describe(template, name[5:])
    if name in _META_CN:
        return _META_CN[name]
    if re.fullmatch(r"section[1-6]", name):
        number = int(name[-1])
        return f"第{_CN_NUMS[number - 1]}部分“{template.section_title(number)}”"
    cols3 = dict(zip(template.table3_columns, template.table3_column_labels))
    for row in template.table3_rows + template.table3_legacy_rows:
        if name == row.name:
            return f"表三“{_t3_display(row, template)}”行"
        if name.startswith(row.name + ".") and name[len(row.name) + 1:] in cols3:
            return f"表三“{_t3_display(row, template)}”行“{cols3[name[len(row.name) + 1:]]}”列"
    headers: dict[str, str] = {}
    for block in template.raw.get("table2", {}).get("blocks", []):
        headers.update(block.get("columns") or {})
    for row in template.table2_rows:
        if name == row.name:
            return f"表二“{row.label}”行"
        if name.startswith(row.name + "."):
            col = name[len(row.name) + 1:]
            return f"表二“{row.label}”的“{headers.get(col, col)}”"
    cols4 = dict(zip(template.table4_columns, template.raw.get("table4", {}).get("column_labels", [])))
    for group in template.table4_groups:
        if name.startswith(group["name"] + "."):
            col = name[len(group["name"]) + 1:]
            prefix = "行政诉讼·" if group["name"] != "section4.review" else ""
            return f"表四“{prefix}{group['label']}”的“{cols4.get(col, col)}”"
    return name


def column_label(template: "Template", column: str | None) -> str:
    labels = dict(zip(template.table3_columns, template.table3_column_labels))
    labels.update(zip(template.table4_columns, template.raw.get("table4", {}).get("column_labels", [])))
    if column == "other_org":
        return "其他（法人或其他组织）"
    return labels.get(column or "", column or "")
