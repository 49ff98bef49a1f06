"""Map a format-neutral Document onto a template's named facts.

This is where printed reality meets the template: headings found by their
titles, table rows found by their labels (typos, wrapped labels, stray
spaces), value cells aligned to columns. Whatever cannot be taken at face
value becomes a ParseNote; nothing is guessed silently.

Value cells are aligned to columns in alignment.py, table-3 labels matched
to template rows in table3_labels.py. Cells no alignment settles are left
out (rules report them as "cannot check") and a note says why.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

from .cells import is_generic_header, is_label, is_placeholder_row, parse_number
from .document import Block, Cell, Document
from .model import Fact, Paragraph, Report, Section
from .alignment import align, edges, sum_constraint
from .table3_labels import GROUP, ITEM, TOP, best_row, closest, fragment_row, is_table_furniture, match_row
from .table3_labels import ratio as label_ratio
from .template import Template, describe, load_template, normalize_label
from . import metadata

from .words import CN_NUMERALS as _CN_NUM  # noqa: E402
_HEADING = re.compile(r"^([一二三四五六])[、.．]\s*(.+)$")
_HEADING_PART = re.compile(r"^第([一二三四五六])部分[、.：:]?\s*(.+)$")
_HEADING_PAREN = re.compile(r"^（([一二三四五六])）\s*(.+)$")
_UNTITLED_5 = re.compile(r"^（一）.{0,30}(?:存在.{0,6}问题|改进情况|改进措施)")
_T3_HEADER_WORDS = ("勾稽关系", "申请人情况", "自然人", "法人或其他组织", "商业企业", "科研机构", "社会公益组织", "法律服务机构")
_T4_HEADER_WORDS = ("行政复议", "行政诉讼", "结果维持", "结果纠正", "其他结果", "尚未审结", "未经复议", "复议后起诉", "维持", "纠正", "审结")
# A line naming one table-4 group, printed above that group's own small table.
_T4_GROUP_LINE = re.compile(r"^(?:[（(][一二三][)）])?(?:行政诉讼)?[（(]?(行政复议|未经复议直接起诉|复议后起诉)[)）]?$")
_T3_GROUP_LINE = re.compile(r"^[（(]([一二三四五六七])[)）]")
_AMOUNT_UNIT = re.compile(r"^([\d,.]+)(万元|元)$")
_YUAN_HEADER = re.compile(r"单位：元|（元）$")
_STRONG_BOX_KEYS = {"索引号", "发布机构", "发文机关", "公开日期", "发布日期", "成文日期", "主题分类", "文号", "发文字号"}
_T2_BLOCK = re.compile(r"^第二十条第（[一二三四五六七八九十]+）项")
_TERMINAL = "。！？；：!?;:"
# A row's printed cells quoted in a note at most (a garbled row can hold thousands).
_QUOTED_CELLS = 40


@dataclass
class _RowEntry:
    """A table-3 row as read, before its label is finalised."""

    block: Block
    label_cells: list[Cell]
    value_cells: list[Cell]
    group: str | None
    label: str                       # normalized label as printed (may grow with continuation rows)


def map_document(doc: Document, template: Template) -> Report:
    return _Mapper(doc, template).run()


class _Mapper:
    def __init__(self, doc: Document, template: Template):
        self.doc = doc
        self.t = template
        self.report = Report(source=doc.source, format=doc.format)
        self.report.notes.extend(doc.notes)
        self.header_evidence: set[str] = set()
        self.t3_entries: list[_RowEntry] = []
        self.t4_seen_header = False
        self.t4_done = False
        self.t4_group: str | None = None          # group named by the line above a 5-column table 4
        self.t4_assigned: set[str] = set()
        # Lines since the last table row: a label a converter printed apart from its numbers.
        self.loose_lines: list[Block] = []
        self.box: dict[str, tuple[str, object]] = {}   # the site's metadata box (索引号/发布机构/公开日期…)
        self.fee_header_yuan = False               # table 2's amount column headed 单位：元
        self.t4_pending: list[tuple[Block, list[Cell]]] = []   # values spread over several rows
        self.current_section = 0
        self.next_block: Block | None = None
        self.numbered_sections = True     # set in run(): the report numbers its sections 一、 or 第一部分

    # ------------------------------------------------------------------
    def run(self) -> Report:
        self.numbered_sections = sum(
            1 for b in self.doc.blocks if b.kind == "line" and (_HEADING.match(normalize_label(b.text))
                                                                or _HEADING_PART.match(normalize_label(b.text)))
            and self._heading_number(b.text) is not None) >= 3
        section_lines: dict[int, list[Block]] = {0: []}
        headings: dict[int, Block] = {}
        t3_group: str | None = None
        for index, block in enumerate(self.doc.blocks):
            self.next_block = self.doc.blocks[index + 1] if index + 1 < len(self.doc.blocks) else None
            if block.kind == "line":
                number = self._heading_number(block.text)
                if number is not None and number not in headings:
                    headings[number] = block
                    self.current_section = number
                    self.report.section_order.append(number)
                    section_lines[number] = []
                    continue
                if number is not None:
                    self.report.note("structure.order", f"第{_CN_NUM[number - 1]}部分标题重复出现：“{block.text}”",
                                     block.location, [f"section{number}"])
                elif 5 not in headings and self._untitled_section5(block):
                    headings[5] = Block.line("（标题未印出）", block.location)
                    self.current_section = 5
                    self.report.section_order.append(5)
                    section_lines[5] = []
                    self.report.note("structure.missing_section",
                                     f"第五部分“{next(x['title'] for x in self.t.sections if x['number'] == 5)}”的标题未印出（也可能在转换中丢失），"
                                     f"其内容（自“{block.text.strip()[:30]}”起）已按第五部分读取",
                                     block.location, ["section5"], kind="untitled")
                if not (2 <= self.current_section <= 4 and is_table_furniture(block.text)):
                    section_lines.setdefault(self.current_section, []).append(block)
                t3_group = self._group_line(block.text, t3_group)
                self.loose_lines.append(block)
            else:
                t3_group = self._route_row(block, t3_group)
                self.loose_lines = []
        self._finish_table4()
        self._finish_table3()
        self._build_sections(section_lines, headings)
        metadata.extract(self.report, section_lines.get(0, []), self.doc, self.t, box=self.box)
        return self.report

    # ---- sections -----------------------------------------------------
    def _heading_number(self, text: str) -> int | None:
        """The section a heading line opens: 一、 / 一. / 第一部分 / （一） numbering, or the bare title
        (a bold-only heading). The looser styles must also come in order and match the title closely."""
        norm = normalize_label(text).rstrip("。")
        strict = True
        m = _HEADING.match(norm) or _HEADING_PART.match(norm)
        if not m and not self.numbered_sections:
            # （一）… numbers section 1's own parts in a report whose sections are numbered 一、
            m, strict = _HEADING_PAREN.match(norm), False
        if m:
            number, title = _CN_NUM.index(m.group(1)) + 1, m.group(2)
        else:
            number, title, strict = self.bare_title(norm), norm, False
            if number is None:
                return None
        if not strict and number <= self.current_section:
            return None
        for sec in self.t.sections:
            if sec["number"] != number:
                continue
            for expected in [sec["title"], *sec.get("variants", [])]:
                exp = normalize_label(expected)
                if len(title) > len(exp) + 12:
                    continue
                if exp in title or label_ratio(title, exp) >= (0.6 if strict else 0.8):
                    return number
        return None

    def bare_title(self, norm: str) -> int | None:
        for sec in self.t.sections:
            for expected in [sec["title"], *sec.get("variants", [])]:
                if norm == normalize_label(expected):
                    return sec["number"]
        return None

    def _untitled_section5(self, block: Block) -> bool:
        """Section 5's content right after table 4, its heading not printed (or lost by a converter)."""
        return (self.current_section == 4 and self.t4_done
                and bool(_UNTITLED_5.match(normalize_label(block.text))))

    def _build_sections(self, section_lines: dict[int, list[Block]], headings: dict[int, Block]) -> None:
        self.report.preamble = _paragraphs(section_lines.get(0, []))
        last = self.report.section_order[-1] if self.report.section_order else None
        for number, heading in headings.items():
            lines = section_lines.get(number, [])
            if number == last:
                # The signature (signer, date) closes whichever section is printed last.
                lines = metadata.split_signature(self.report, lines)
            paragraphs = _paragraphs(lines)
            self.report.sections[number] = Section(
                number=number,
                title=heading.text,
                text="\n".join(p.text for p in paragraphs),
                location=heading.location,
                paragraphs=paragraphs,
            )
        # Order as printed vs template order.
        order = self.report.section_order
        if order != sorted(order):
            names = "、".join(f"{_CN_NUM[n - 1]}" for n in order)
            self.report.note("structure.order", f"各部分顺序与模板不一致：实际顺序为 {names}",
                             None, [f"section{n}" for n in order])

    def _group_line(self, text: str, t3_group: str | None) -> str | None:
        """A heading line naming a table-3 group or a table-4 group, above that part's own table."""
        norm = normalize_label(text)
        if self.current_section == 3:
            m = _T3_GROUP_LINE.match(norm)
            if m and len(norm) <= 40:
                return m.group(1)
        if self.current_section == 4 and not self.t4_done:
            m = _T4_GROUP_LINE.match(norm)
            if m:
                self.t4_group = next(g["name"] for g in self.t.table4_groups if g["label"] == m.group(1))
        return t3_group

    # ---- rows -----------------------------------------------------------
    def _route_row(self, block: Block, t3_group: str | None) -> str | None:
        cells = block.cells
        texts = [c.text for c in cells]
        if is_generic_header(texts):
            return t3_group
        fields = metadata.box_fields(texts)
        if fields and (self.current_section == 0 or set(fields) & _STRONG_BOX_KEYS):
            for key, value in fields.items():     # the site's metadata box, not a report table
                self.box.setdefault(key, (value, block.location))
            return t3_group
        if is_placeholder_row(texts) and not (self.t4_seen_header and not self.t4_done):
            return t3_group
        last_label = -1
        for i, cell in enumerate(cells):
            if is_label(cell.text):
                last_label = i
        label_cells = [c for c in cells[: last_label + 1] if c.text.strip()]
        # Positions covered by a merged value cell are not cells of their own.
        value_cells = [c for c in cells[last_label + 1:] if not c.spanned]
        label = normalize_label("".join(c.text for c in label_cells))
        has_values = any(c.text.strip() for c in value_cells)

        if not label and not has_values:
            return t3_group
        # Table 4 data row: numbers only, after a table-4 header (a row, or lines of section 4).
        if not label:
            wrapped = self._wrapped_label()
            if (self.t4_seen_header or self.current_section == 4) and not self.t4_done:
                self._table4_row(block, value_cells)
                return t3_group
            if not wrapped and self.current_section == 3 and self.t3_entries:
                # Resolved by position once the whole table is read (_finish_table3).
                self.t3_entries.append(_RowEntry(block, [], value_cells, t3_group, ""))
                return t3_group
            if not wrapped:
                self.report.note("template.label_variant", "表格中有一行只有数值、没有行名，无法确定所属表格和行",
                                 block.location, [], cells=[c.text for c in cells])
                return t3_group
            # The label printed on the line(s) just above its numbers (a wrapped cell in layout text).
            label_cells = [b.cells[0] for b in wrapped]
            label = normalize_label("".join(c.text for c in label_cells))
        # Table 2.
        if _T2_BLOCK.match(label) or label.startswith("信息内容"):
            self._table2_header(block, label_cells, label)
            return t3_group
        t2row = self._match_table2(label)
        if t2row is not None and has_values:
            self._assign(block, t2row_names(t2row), value_cells, constraints=[], table="table2",
                         row_title=t2row.label, money=t2row.money)
            return t3_group
        # Table 3/4 headers.
        if self.t4_seen_header and not self.t4_done and not any(
                isinstance(parse_number(c.text), (int, float)) for c in value_cells):
            return t3_group      # further header rows of table 4 (labels wrapped over several rows)
        if any(w in label for w in _T3_HEADER_WORDS) and not has_values:
            self._mark_table("table3")
            return t3_group
        if any(w in label for w in _T4_HEADER_WORDS) and not has_values and not GROUP.search(label):
            self.t4_seen_header = True
            self._mark_table("table4")
            return t3_group
        # Table 3 rows.
        groups = GROUP.findall(label)
        group = groups[-1] if groups else t3_group
        if not has_values and self.t3_entries and not groups and not TOP.match(label) and not ITEM.search(label):
            # A label wrapped onto a row of its own: it continues the previous row's label.
            prev = self.t3_entries[-1]
            prev.label += label
            prev.label_cells.extend(label_cells)
            return group
        if not has_values and (groups or TOP.match(label)) and not self._blank_row(label, groups, value_cells):
            return group          # a group heading (（三）不予公开) with its items below
        self.t3_entries.append(_RowEntry(block, label_cells, value_cells, group, label))
        self._mark_table("table3")
        return group

    def _blank_row(self, label: str, groups: list[str], value_cells: list[Cell]) -> bool:
        """A row printed with all its cells empty (gov-2019 （六）其他处理 left blank), not a group heading:
        the group is a row of its own in this template and the row has a cell for every column."""
        if len(value_cells) < len(self.t.table3_columns):
            return False
        if groups:
            items = [r for r in self.t.table3_rows if r.group == groups[-1]]
            return len(items) == 1 and items[0].item is None
        top = TOP.match(label)
        return bool(top) and any(r.top == top.group(1) for r in self.t.table3_rows)

    def _wrapped_label(self) -> list[Block]:
        """The label lines right above a row of numbers only, inside table 3 (at most three)."""
        if self.current_section != 3 or not self.t3_entries:
            return []
        after = self.next_block
        if after is not None and after.kind == "line" and _label_line(after):
            # A label line below the numbers too (text copied from a PDF viewer centres numbers on a
            # label of two lines): which label they belong to cannot be told.
            return []
        out: list[Block] = []
        for line in reversed(self.loose_lines[-3:]):
            if not _label_line(line):
                break
            out.insert(0, line)
        return out

    def _mark_table(self, name: str) -> None:
        if name not in self.report.tables_found:
            self.report.tables_found.append(name)

    # ---- table 2 --------------------------------------------------------
    def _match_table2(self, label: str):
        for row in self.t.table2_rows:
            if label in row.labels:
                return row
        best, score = best_row(label, self.t.table2_rows)
        if best is not None and score >= 0.8 and len(label) <= 12:
            return best
        return None

    def _table2_header(self, block: Block, label_cells: list[Cell], label: str) -> None:
        self._mark_table("table2")
        if not label.startswith("信息内容"):
            return
        for cell in label_cells[1:]:
            norm = normalize_label(cell.text)
            self.header_evidence.add(norm)
            if "收费金额" in norm:
                self.fee_header_yuan = bool(_YUAN_HEADER.search(norm))
            if norm in self.t.table2_column_labels:
                continue
            canonical = self.t.table2_column_variants.get(norm)
            if canonical is None:
                canonical = closest(norm, list(self.t.table2_column_labels), 0.6)
                canonical = self.t.table2_column_labels.get(canonical, canonical) if canonical else None
            if canonical is not None:
                self.report.note("template.label_variant",
                                 f"表二列名“{cell.text}”与模板规定的“{canonical}”不一致",
                                 cell.location, [], printed=cell.text, expected=canonical)
            else:
                self.report.note("template.label_variant", f"表二中有模板之外的列名“{cell.text}”",
                                 cell.location, [], printed=cell.text)

    # ---- table 3 --------------------------------------------------------
    def _finish_table3(self) -> None:
        rows = self.t.table3_rows
        order = {r.name: i for i, r in enumerate(rows)}
        seen: dict[str, _RowEntry] = {}
        matched: list[tuple[_RowEntry, object, str]] = []
        for entry in self.t3_entries:
            row, how = match_row(entry.label, entry.group, self.t) if entry.label else (None, "")
            if row is None and entry.label:
                previous = next((order[r.name] for _, r, _ in reversed(matched) if r is not None and r.name in order), -1)
                row, how = fragment_row(entry.label, rows, seen, previous)
            matched.append((entry, row, how))
            if row is not None and row.name not in seen:
                seen[row.name] = entry
        # A row of numbers whose label the converter lost: the one template row missing between its neighbours.
        for i, (entry, row, how) in enumerate(matched):
            if row is not None or entry.label:
                continue
            before = next((order[r.name] for _, r, _ in reversed(matched[:i]) if r is not None and r.name in order), -1)
            after = next((order[r.name] for _, r, _ in matched[i + 1:] if r is not None and r.name in order), len(rows))
            gap = [r for r in rows[before + 1: after] if r.name not in seen]
            if len(gap) == 1:
                matched[i] = (entry, gap[0], "position")
                seen[gap[0].name] = entry
        seen = {}
        for entry, row, how in matched:
            if row is None:
                printed = "".join(c.text for c in entry.label_cells)
                message = (f"表三中有无法识别的行“{printed}”，其数值未计入" if printed else
                           "表三中有一行只有数值、没有行名，无法确定对应的行，其数值未计入")
                self.report.note("template.label_variant", message, entry.block.location, [], printed=entry.label)
                continue
            if row.name in seen:
                self.report.note("structure.extra_cells",
                                 f"表三“{row.label}”行重复出现，仅采用第一次出现的数值",
                                 entry.block.location, vector_cells(row.name, self.t))
                continue
            seen[row.name] = entry
            printed = "".join(c.text for c in entry.label_cells)
            if row.template and row.template != self.t.version:
                old = load_template(row.template)
                self.report.note("template.outdated",
                                 f"表三“（{row.group}）{row.label}”沿用{_edition(old)}格式的单行，"
                                 f"{_edition(self.t)}格式要求分列各项（{self.t.basis}）",
                                 entry.block.location, vector_cells(row.name, self.t), row=row.name)
            elif how == "variant":
                self.report.note("template.label_variant",
                                 f"表三行名“{printed}”与模板规定的“{row.label}”不一致",
                                 entry.block.location, vector_cells(row.name, self.t),
                                 printed=printed, expected=row.label)
            elif how in ("fragment", "position"):
                shown = f"只印出行名的一部分“{printed}”" if how == "fragment" else "没有印出行名"
                self.report.note("template.label_variant",
                                 f"表三有一行{shown}，按其位置和文字读作“{row.label}”行，请对照原件核对",
                                 entry.block.location, vector_cells(row.name, self.t), kind=how,
                                 printed=printed, expected=row.label)
            cols = self.t.table3_columns
            names = [f"{row.name}.{c}" for c in cols]
            self._assign(entry.block, names, entry.value_cells, constraints=[sum_constraint(len(cols) - 1)],
                         table="table3", row_title=row.label)
        # Missing template rows (a legacy row stands in for its group: reported as outdated instead).
        legacy_groups = {self._legacy_group(n) for n in seen}
        missing = [r for r in rows if r.name not in seen and r.group not in legacy_groups]
        if not self.t3_entries or not missing:
            return
        unread = [e for e, r, _ in matched if r is None and any(c.text.strip() for c in e.value_cells)]
        if unread:
            # Rows of numbers the text does not tie to a label: the "missing" rows may well be among
            # them (a converter shuffled the table), so this is not reported as rows the report lacks.
            names = "、".join(f"“{r.label}”" for r in missing)
            self.report.note("structure.missing_row",
                             f"表三未能读出{names}行，而表中另有{len(unread)}行数值无法确定对应的行名"
                             f"（文本可能经转换打乱了表格）",
                             unread[0].block.location, [c for r in missing for c in vector_cells(r.name, self.t)],
                             kind="unresolved", rows=[r.name for r in missing])
            return
        for row in missing:
            self.report.note("structure.missing_row", f"表三缺少“{row.label}”行",
                             None, vector_cells(row.name, self.t), kind="missing", row=row.name)

    def _legacy_group(self, name: str) -> str | None:
        for row in self.t.table3_legacy_rows:
            if row.name == name:
                return row.group
        return None

    # ---- table 4 --------------------------------------------------------
    def _table4_row(self, block: Block, value_cells: list[Cell]) -> None:
        """Table 4 values: one row of 15, a 5-column table per group under its own heading,
        or the 15 values spread over several rows (collected until all 15 are there)."""
        width = len(self.t.table4_columns)
        groups = self.t.table4_groups
        lead, trail = edges(value_cells)
        core = value_cells[lead: len(value_cells) - trail]
        if self.t4_group is not None and len(core) == width and not self.t4_pending:
            names = [f"{self.t4_group}.{c}" for c in self.t.table4_columns]
            label = next(g["label"] for g in groups if g["name"] == self.t4_group)
            self._assign(block, names, core, [sum_constraint(width - 1)], table="table4", row_title=label)
            self.t4_assigned.add(self.t4_group)
            self.t4_group = None
            self.t4_done = len(self.t4_assigned) == len(groups)
            return
        self.t4_pending.append((block, core))
        if sum(len(c) for _, c in self.t4_pending) >= width * len(groups):
            self._finish_table4()

    def _finish_table4(self) -> None:
        if not self.t4_pending:
            return
        pending, self.t4_pending = self.t4_pending, []
        cells = [c for _, c in pending for c in c]
        groups = [g for g in self.t.table4_groups if g["name"] not in self.t4_assigned]
        names = [f"{g['name']}.{c}" for g in groups for c in self.t.table4_columns]
        width = len(self.t.table4_columns)
        constraints = [sum_constraint(width - 1, offset=i * width) for i in range(len(groups))]
        self._assign(pending[0][0], names, cells, constraints, table="table4", row_title="行政复议、行政诉讼情况")
        self.t4_done = True

    # ---- alignment ------------------------------------------------------
    def _assign(self, block: Block, names: list[str], value_cells: list[Cell],
                constraints: list[Callable[[Sequence], bool]], table: str, row_title: str,
                money: bool = False) -> None:
        self._mark_table(table)
        cells, ambiguous, kind, printed = align(value_cells, len(names), constraints)
        for name, cell in zip(names, cells):
            if cell is None:
                continue
            value = parse_number(cell.text)
            if money:
                value = self._money(name, cell, value, row_title)
            self.report.values[name] = Fact(name, value, cell.text, cell.location)
        found = [c.text if c.text.strip() else "（空）" for c in printed]
        if len(found) > _QUOTED_CELLS:      # a garbled row of thousands of cells is quoted, not copied
            found = found[:_QUOTED_CELLS] + [f"……共{len(printed)}个"]
        table_cn = {"table2": "表二", "table3": "表三", "table4": "表四"}[table]
        if kind == "surplus":
            unresolved = [n for n, c in zip(names, cells) if c is None]
            tail = f"无法确定对应关系的{len(unresolved)}个单元格未取值" if unresolved else "多出的数值已按本行合计关系排除"
            self.report.note("structure.extra_cells",
                             f"{table_cn}“{row_title}”行有{len(printed)}个数值单元格，比模板多{len(printed) - len(names)}个"
                             f"（{' '.join(found)}）；{tail}",
                             block.location, names, values=found, unresolved=unresolved)
        elif kind == "short" and block.shape in ("markdown", "layout"):
            self._converted_short_row(block, names, cells, printed, table_cn, row_title)
        elif kind == "short":
            unresolved = [n for n, c in zip(names, cells) if c is None]
            self.report.note("value.blank",
                             f"{table_cn}“{row_title}”行只有{len(printed)}个数值单元格，模板应有{len(names)}个；"
                             f"无法确定缺少哪一列的{len(unresolved)}个单元格未取值",
                             block.location, names, kind="short", values=found, unresolved=unresolved)

    def _converted_short_row(self, block: Block, names: list[str], cells: list[Cell | None], printed: list[Cell],
                             table_cn: str, row_title: str) -> None:
        """A converter's row with fewer numbers than the template: a lost cell, not (necessarily) a blank one.

        Where the row's own arithmetic does not settle it, a table-2 row of three columns printed
        with two numbers keeps its first and last (the converter loses a middle cell, as in 上海市
        政府办公厅 2025), and the column in between is left unread; the note says so either way."""
        found = [c.text for c in printed if c.text.strip()]
        if len(names) == 3 and len(found) == 2 and all(c is None for c in cells):
            first, last = [c for c in printed if c.text.strip()]
            for name, cell in ((names[0], first), (names[2], last)):
                self.report.values[name] = Fact(name, parse_number(cell.text), cell.text, cell.location)
            cells = [first, None, last]
        unresolved = [n for n, c in zip(names, cells) if c is None]
        read = "、".join(describe(self.t, n) for n, c in zip(names, cells) if c is not None) or "无"
        self.report.note("value.blank",
                         f"{table_cn}“{row_title}”行在转换后的文本中只有{len(found)}个数值（{' '.join(found)}），"
                         f"模板应有{len(names)}个，应是转换时丢失了单元格；已读取：{read}；"
                         f"其余{len(unresolved)}个单元格无法确定，未取值",
                         block.location, names, kind="converted", values=found, unresolved=unresolved)


    def _money(self, name: str, cell: Cell, value, row_title: str):
        """An amount in 万元; one printed in 元 (by its header or its own unit) is converted, with a note."""
        m = _AMOUNT_UNIT.match(normalize_label(cell.text))
        if m:
            value = parse_number(m.group(1))
        in_yuan = (m is not None and m.group(2) == "元") or (m is None and self.fee_header_yuan)
        if in_yuan and isinstance(value, (int, float)):
            converted = round(value / 10000, 6)
            self.report.note("value.invalid",
                             f"表二“{row_title}”的收费金额以元填报（“{cell.text.strip()}”），模板要求以万元为单位，"
                             f"折合{f'{converted:.6f}'.rstrip('0').rstrip('.')}万元",
                             cell.location, [name], kind="unit", printed=cell.text, converted=converted)
            return converted
        return value


def _label_line(block: Block) -> bool:
    """A short line of label text (no sentence), as a wrapped table label prints."""
    text = normalize_label(block.text)
    return "。" not in text and len(text) <= 40 and is_label(text)


def _edition(template: Template) -> str:
    """'中华人民共和国政府信息公开工作年度报告格式（2019年试行版）' -> '2019年试行版'."""
    m = re.search(r"（([^（）]*版)）", template.title)
    return m.group(1) if m else template.version


def t2row_names(row) -> list[str]:
    return [f"{row.name}.{c}" for c in row.columns]


def vector_cells(name: str, template: Template) -> list[str]:
    return [f"{name}.{c}" for c in template.table3_columns]


def _paragraphs(lines: list[Block]) -> list[Paragraph]:
    """Join printed lines into paragraphs.

    A line not ending a sentence continues on the next. Where the layout is
    known (PDF), a line that runs to the right margin continues too, even if
    it happens to end with 。, unless the next line is indented.
    """
    boxes = [b.location.bbox for b in lines if b.location.bbox]
    left = min((box[0] for box in boxes), default=None)
    right = max((box[2] for box in boxes), default=None)
    paragraphs: list[Paragraph] = []
    current: Paragraph | None = None
    previous: Block | None = None
    for block in lines:
        text = block.text.strip()
        if not text:
            continue
        if current is not None and current.text:
            continues = current.text[-1] not in _TERMINAL
            prev_box, box = previous.location.bbox if previous else None, block.location.bbox
            if not continues and prev_box and box and left is not None and right is not None:
                full_line = prev_box[2] >= right - 14
                indented = box[0] > left + 10
                continues = full_line and not indented and previous.location.page == block.location.page
            if continues:
                current.segments.append((len(current.text), block.location))
                current.text += text
                previous = block
                continue
        current = Paragraph(text, [(0, block.location)])
        paragraphs.append(current)
        previous = block
    return paragraphs
