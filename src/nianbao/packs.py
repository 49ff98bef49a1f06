"""Rule packs: YAML files of rules, per template version, that supervisors edit.

A pack is a folder `rules/<name>/` (every *.yaml in it except template.yaml,
all declaring the same `pack:`) or a single file given by path. A pack may
`extends:` another (by name, or by path relative to the file); it then
inherits the base's template, parameters, narrative facts and rules, and may
override a rule by id (only the keys it gives), `disable:` rules, add rules,
and change `params:`.

Packs are input, not code: YAML is read with a safe loader (which also
records line numbers, for errors that point to file:line:col), message
templates are rendered in Jinja2's sandbox, and expressions are compiled by
our own grammar; nothing is ever eval'd.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex
import yaml
from jinja2 import StrictUndefined, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from .errors import PackError
from .lang import RuleError, Schema, compile_expr
from .paths import rules_dir
from .template import Template, load_template

CATEGORIES = (
    "structure.missing_section", "structure.missing_table", "structure.missing_row", "structure.extra_cells",
    "structure.order", "value.blank", "value.invalid", "arith.balance", "arith.sum", "narrative.mismatch",
    "date.missing", "date.period", "date.deadline", "template.outdated", "template.label_variant",
    "content.required_missing", "text.duplicate_word", "crossyear.carryover", "crossyear.in_force",
    "parse.unreadable",
)
SEVERITIES = ("error", "warning", "info")
RULE_KEYS = {"id", "title", "category", "severity", "basis", "check", "when", "message", "tests",
             "from_notes", "for_each_row", "for_each_cell", "locate", "disabled", "reviewer_only"}
PACK_KEYS = {"pack", "extends", "template", "description", "params", "narrative", "rules", "disable",
             "letter", "abstract", "__marks__"}
NARRATIVE_KEYS = {"name", "label", "section", "patterns", "kind", "__marks__"}
REGEX_TIMEOUT = 0.05   # seconds per search over report text


# ---------------------------------------------------------------------------
# YAML with positions
class _MarkedLoader(yaml.SafeLoader):
    """SafeLoader that keeps, for every mapping, where each key's value starts."""


def _construct_mapping(loader: _MarkedLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    marks: dict[str, tuple[int, int, str | None]] = {}
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            style = value_node.style if isinstance(value_node, yaml.ScalarNode) else None
            marks[str(key_node.value)] = (value_node.start_mark.line + 1, value_node.start_mark.column + 1, style)
    mapping["__marks__"] = marks
    mapping.setdefault("__line__", node.start_mark.line + 1)
    return mapping


_MarkedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _strip_marks(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_marks(v) for k, v in value.items() if k not in ("__marks__", "__line__")}
    if isinstance(value, list):
        return [_strip_marks(v) for v in value]
    return value


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PackError(str(path), f"规则包文件无法读取：{exc}") from None
    try:
        data = yaml.load(text, Loader=_MarkedLoader)  # noqa: S506 - _MarkedLoader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise PackError(where, f"YAML 格式错误：{problem}") from None
    if not isinstance(data, dict):
        raise PackError(str(path), "规则包文件的顶层应为键值映射（pack、rules 等）")
    data["__file__"] = str(path)
    return data


# ---------------------------------------------------------------------------
@dataclass
class RuleSpec:
    """A rule as written in YAML, after inheritance, before compilation."""

    id: str
    data: dict[str, Any]
    file: str
    line: int
    marks: dict[str, tuple[int, int, str | None]] = field(default_factory=dict)
    # For a rule overridden by an extending pack: the file each inherited key was written in.
    key_files: dict[str, str] = field(default_factory=dict)

    def file_of(self, key: str) -> str:
        return self.key_files.get(key, self.file)

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def origin(self, key: str) -> tuple[str, int, int]:
        """Where the value of `key` starts in its file, for expression errors."""
        file = self.file_of(key)
        line, col, style = self.marks.get(key, (self.line, 1, None))
        if style in ("|", ">"):
            block = _block_scalar(file, line)
            if block is not None:
                return (file, block[1], block[2])
            return (file, line + 1, col + 2)
        if style in ("'", '"'):
            return (file, line, col + 1)
        return (file, line, col)

    def source(self, key: str) -> str:
        """The expression as written. A folded (>) block keeps its line breaks, so that
        error positions map back onto the file's own lines and columns."""
        line, _, style = self.marks.get(key, (self.line, 1, None))
        if style in ("|", ">"):
            block = _block_scalar(self.file_of(key), line)
            if block is not None:
                return block[0]
        return str(self.data[key])


def _file_lines(path: str) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []


def _block_scalar(path: str, indicator_line: int) -> tuple[str, int, int] | None:
    """The raw text of a YAML block scalar whose `|`/`>` is on `indicator_line` (1-based):
    (text with its indentation removed, first content line, its column)."""
    lines = _file_lines(path)
    if not 1 <= indicator_line <= len(lines):
        return None
    key_indent = len(lines[indicator_line - 1]) - len(lines[indicator_line - 1].lstrip(" "))
    body: list[str] = []
    first = None
    indent = None
    for number in range(indicator_line + 1, len(lines) + 1):
        raw = lines[number - 1]
        if not raw.strip():
            if first is not None:
                body.append("")
            continue
        width = len(raw) - len(raw.lstrip(" "))
        if width <= key_indent:
            break
        if first is None:
            first, indent = number, width
        body.append(raw[indent:] if width >= (indent or 0) else raw.strip())
    if first is None or indent is None:
        return None
    return "\n".join(body).rstrip("\n"), first, indent + 1


@dataclass
class NarrativeSpec:
    name: str
    label: str
    section: str
    patterns: list[Any]              # compiled regex objects
    kind: str                        # number | percent | change
    file: str
    line: int


@dataclass
class PackSource:
    """A pack after `extends` is resolved: everything needed to compile it."""

    name: str
    chain: list[str]                 # the pack and its bases, nearest first
    files: list[str]
    template: str | None
    description: str
    params: dict[str, Any]
    narrative: list[NarrativeSpec]
    rules: list[RuleSpec]
    disabled: set[str]
    letter: dict[str, Any]
    abstract: bool = False          # a base of shared rules, with no template of its own


def pack_files(ref: str, relative_to: Path | None = None) -> tuple[str, list[Path]]:
    """Resolve a pack reference (a name under rules/, or a path) to its YAML files."""
    candidates = []
    if relative_to is not None:
        candidates.append((relative_to / ref))
    candidates.append(Path(ref))
    for cand in candidates:
        if cand.is_file():
            return str(cand), [cand]
        if cand.is_dir():
            files = sorted(p for p in cand.glob("*.yaml") if p.name != "template.yaml")
            if files:
                return str(cand), files
    folder = rules_dir() / ref
    if folder.is_dir() and "/" not in ref and "\\" not in ref:
        files = sorted(p for p in folder.glob("*.yaml") if p.name != "template.yaml")
        if files:
            return ref, files
    known = ", ".join(available_packs()) or "（无）"
    raise PackError(ref, f"找不到规则包（既不是 rules/ 下的包名，也不是存在的文件或目录）；可用的包：{known}")


def available_packs(include_abstract: bool = False) -> list[str]:
    """Pack names under rules/ that can check a report (bases of shared rules left out unless asked)."""
    out = []
    for folder in sorted(rules_dir().iterdir()):
        files = [p for p in folder.glob("*.yaml") if p.name != "template.yaml"] if folder.is_dir() else []
        if not files:
            continue
        if not include_abstract and any("\nabstract: true" in "\n" + f.read_text(encoding="utf-8") for f in files):
            continue
        out.append(folder.name)
    return out


def read_pack(ref: str, relative_to: Path | None = None, _seen: tuple[str, ...] = ()) -> PackSource:
    """Read a pack and its bases; apply overrides, disables and parameters."""
    where, files = pack_files(ref, relative_to)
    docs = [_load_yaml(p) for p in files]
    names = {d.get("pack") for d in docs}
    if None in names or len(names) != 1:
        raise PackError(where, "规则包中每个文件都必须声明同一个 pack 名称")
    name = str(names.pop())
    if name in _seen:
        raise PackError(where, f"规则包继承出现循环：{' → '.join(_seen + (name,))}")
    for doc in docs:
        unknown = set(doc) - PACK_KEYS - {"__file__", "__line__"}
        if unknown:
            raise PackError(f"{doc['__file__']}:1:1", f"规则包中有未知的键：{'、'.join(sorted(unknown))}"
                            f"（可用的键：pack、extends、template、params、narrative、rules、disable、letter）")
    extends = [d["extends"] for d in docs if d.get("extends")]
    base: PackSource | None = None
    if extends:
        if len(set(extends)) > 1:
            raise PackError(where, "同一规则包的多个文件声明了不同的 extends")
        base_dir = Path(docs[0]["__file__"]).parent
        base = read_pack(str(extends[0]), base_dir, _seen + (name,))

    template = next((d["template"] for d in docs if d.get("template")), base.template if base else None)
    abstract = any(d.get("abstract") is True for d in docs)
    if not template and not abstract:
        raise PackError(where, "规则包没有声明 template（模板版本），也没有继承到模板版本")
    params = dict(base.params) if base else {}
    narrative = list(base.narrative) if base else []
    rules: dict[str, RuleSpec] = {r.id: r for r in base.rules} if base else {}
    order = list(rules)
    disabled = set(base.disabled) if base else set()
    letter = dict(base.letter) if base else {}
    description = ""
    for doc in docs:
        file = doc["__file__"]
        description = description or str(doc.get("description", "") or "")
        for key, value in (_strip_marks(doc.get("params")) or {}).items():
            params[str(key)] = value
        letter.update(_strip_marks(doc.get("letter") or {}))
        for entry in doc.get("narrative") or []:
            spec = _narrative_spec(entry, file)
            narrative = [n for n in narrative if n.name != spec.name] + [spec]
        for rid in doc.get("disable") or []:
            disabled.add(str(rid))
        for entry in doc.get("rules") or []:
            if not isinstance(entry, dict) or "id" not in entry:
                line = entry.get("__line__", 1) if isinstance(entry, dict) else 1
                raise PackError(f"{file}:{line}:1", "规则缺少 id")
            rid = str(entry["id"])
            marks = entry.get("__marks__", {})
            line = entry.get("__line__", 1)
            data = {k: v for k, v in entry.items() if k not in ("__marks__", "__line__")}
            data = _strip_marks(data)
            own_files = [str(f) for f in files]
            if rid in rules and rules[rid].file in own_files:
                raise PackError(f"{file}:{line}:1", f"规则 id “{rid}” 重复（另见 {rules[rid].file}:{rules[rid].line}）")
            if rid in rules:
                # Override from an extending pack: only the keys given change.
                merged = dict(rules[rid].data)
                merged.update(data)
                base_spec = rules[rid]
                merged_marks = dict(base_spec.marks)
                merged_marks.update(marks)
                key_files = {k: base_spec.file_of(k) for k in base_spec.data if k not in data}
                rules[rid] = RuleSpec(rid, merged, file, line, merged_marks, key_files)
            else:
                rules[rid] = RuleSpec(rid, data, file, line, marks)
                order.append(rid)
            if data.get("disabled") is True:
                disabled.add(rid)
            elif data.get("disabled") is False:
                disabled.discard(rid)
    return PackSource(
        name=name, chain=[name] + (base.chain if base else []), files=[str(f) for f in files] + (base.files if base else []),
        template=str(template) if template else None, description=description or (base.description if base else ""),
        params=params, narrative=narrative, rules=[rules[r] for r in order], disabled=disabled, letter=letter,
        abstract=abstract,
    )


def _narrative_spec(entry: Any, file: str) -> NarrativeSpec:
    if not isinstance(entry, dict):
        raise PackError(file, "narrative 中的每一项都应为键值映射")
    line = entry.get("__line__", 1)
    unknown = set(entry) - NARRATIVE_KEYS - {"__line__"}
    if unknown:
        raise PackError(f"{file}:{line}:1", f"叙述事实定义中有未知的键：{'、'.join(sorted(unknown))}")
    name = str(entry.get("name", ""))
    if not regex.fullmatch(r"narrative\.[a-z_][a-z0-9_]*", name):
        raise PackError(f"{file}:{line}:1", f"叙述事实名称“{name}”应为 narrative.小写名称 的形式")
    section = str(entry.get("section", "section1"))
    if not regex.fullmatch(r"section[1-6]|preamble|all", section):
        raise PackError(f"{file}:{line}:1", f"叙述事实 {name} 的 section 应为 section1…section6、preamble 或 all")
    kind = str(entry.get("kind", "number"))
    if kind not in ("number", "percent", "change"):
        raise PackError(f"{file}:{line}:1", f"叙述事实 {name} 的 kind 应为 number、percent 或 change")
    patterns = entry.get("patterns") or []
    if isinstance(patterns, str):
        patterns = [patterns]
    compiled = []
    pline = entry.get("__marks__", {}).get("patterns", (line, 1, None))[0]
    for pattern in patterns:
        try:
            compiled.append(regex.compile(str(pattern)))
        except regex.error as exc:
            raise PackError(f"{file}:{pline}:1", f"叙述事实 {name} 的正则表达式无效：{exc}") from None
    if not compiled:
        raise PackError(f"{file}:{line}:1", f"叙述事实 {name} 没有 patterns")
    return NarrativeSpec(name, str(entry.get("label", name)), section, compiled, kind, file, line)


# ---------------------------------------------------------------------------
# Compilation
@dataclass
class Rule:
    id: str
    title: str
    category: str
    severity: str
    basis: str
    file: str
    line: int
    check: Any = None                      # compiled expression
    when: Any = None
    message: Any = None                    # jinja2 Template
    message_source: str = ""
    from_notes: tuple[str, ...] = ()
    for_each: tuple[str, list[str]] | None = None   # ("row"|"cell", [names])
    locate: Any = None                     # compiled regex: where in the text the finding is
    tests: list[dict[str, Any]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    reviewer_only: bool = False            # its findings are remarks for the supervisor, never in a letter
    # Verdicts of a per-item rule that found nothing, keyed by the bound row/cell's values (engine.py).
    quiet: dict[tuple, bool] = field(default_factory=dict, repr=False)


@dataclass
class Pack:
    name: str
    chain: list[str]
    files: list[str]
    template: Template
    description: str
    params: dict[str, Any]
    narrative: list[NarrativeSpec]
    rules: list[Rule]
    disabled: set[str]
    letter: dict[str, Any]
    schema: Schema


def make_jinja() -> SandboxedEnvironment:
    env = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _fmt_number
    env.filters["find"] = _find
    env.filters["cndate"] = _cn_date
    return env


def _cn_date(value: Any) -> str:
    """'2025-04-08' or a date -> 2025年4月8日, as dates are written in official documents."""
    import datetime as _dt
    if isinstance(value, str):
        try:
            value = _dt.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, _dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    return "（空白）" if value is None else str(value)


def _find(text: Any, pattern: str) -> str:
    """First match of a regex in a text, for quoting in messages (bounded by a timeout)."""
    if not isinstance(text, str):
        return ""
    try:
        m = regex.search(pattern, text, timeout=REGEX_TIMEOUT)
    except (regex.error, TimeoutError):
        return ""
    return m.group(0) if m else ""


def _fmt_number(value: Any) -> str:
    if value is None:
        return "（空白）"
    if isinstance(value, float):
        text = f"{value:.4f}".rstrip("0").rstrip(".")
        return text
    return str(value)


_JINJA = make_jinja()


def base_schema(template: Template, params: dict[str, Any], narrative: list[NarrativeSpec]) -> Schema:
    scalars = set(template.scalars())
    scalars.update(f"params.{k}" for k in params)
    scalars.update(n.name for n in narrative)
    return Schema(scalars=scalars, vectors=template.vectors(), allow_prev=True)


def expand_names(patterns: list[str], names: list[str]) -> list[str]:
    """Glob patterns (`*` one segment, `**` any depth) over the template's names, in template order."""
    out: list[str] = []
    for pattern in patterns:
        rx = regex.compile("^" + regex.escape(pattern).replace(r"\*\*", r"[^\n]+").replace(r"\*", r"[^.\n]+") + "$")
        for name in names:
            if rx.match(name) and name not in out:
                out.append(name)
    return out


def compile_pack(source: PackSource) -> Pack:
    if source.template is None:
        raise PackError(source.name, f"规则包 {source.name} 是供其他规则包继承的公共基础包，没有模板版本，"
                                     f"不能直接用于检查；请使用 {', '.join(p for p in available_packs() if p != source.name)}")
    template = load_template(source.template)
    schema = base_schema(template, source.params, source.narrative)
    vectors = list(template.vectors())
    vector_cols = template.vectors()
    cells = [n for group in template.table_cells().values() for n in group]
    scalars_in_order = list(dict.fromkeys(
        [f"section{i}" for i in range(1, 7)] + ["meta.agency", "meta.year", "meta.date", "meta.level"] + cells))
    rules: list[Rule] = []
    for spec in source.rules:
        rules.append(_compile_rule(spec, schema, vectors, vector_cols, scalars_in_order, template))
    return Pack(
        name=source.name, chain=source.chain, files=source.files, template=template,
        description=source.description, params=source.params, narrative=source.narrative,
        rules=rules, disabled=source.disabled, letter=source.letter, schema=schema,
    )


def _compile_rule(spec: RuleSpec, schema: Schema, vectors: list[str], vector_cols: dict[str, list[str]],
                  scalar_names: list[str], template: Template) -> Rule:
    d = spec.data
    where = f"{spec.file}:{spec.line}:1"
    unknown = set(d) - RULE_KEYS
    if unknown:
        raise PackError(where, f"规则 {spec.id} 中有未知的键：{'、'.join(sorted(unknown))}")
    for key in ("title", "category", "severity", "basis", "message"):
        if not d.get(key):
            raise PackError(where, f"规则 {spec.id} 缺少必填项 {key}")
    if d["category"] not in CATEGORIES:
        raise PackError(_at(spec, "category"), f"规则 {spec.id} 的类别“{d['category']}”不在固定类别之中"
                                               f"（{'、'.join(CATEGORIES)}）")
    if d["severity"] not in SEVERITIES:
        raise PackError(_at(spec, "severity"), f"规则 {spec.id} 的级别“{d['severity']}”无效，应为 error、warning 或 info")
    kinds = [k for k in ("check", "from_notes") if d.get(k)]
    if len(kinds) != 1:
        raise PackError(where, f"规则 {spec.id} 必须有且只有 check（表达式）或 from_notes（解析记录类别）之一")
    rule_schema = schema
    for_each = None
    for key, var in (("for_each_row", "row"), ("for_each_cell", "cell")):
        if d.get(key):
            patterns = d[key] if isinstance(d[key], list) else [d[key]]
            universe = vectors if var == "row" else scalar_names
            names = expand_names([str(p) for p in patterns], universe)
            if not names:
                raise PackError(_at(spec, key), f"规则 {spec.id} 的 {key} 没有匹配到任何名称：{patterns}")
            for_each = (var, names)
            if var == "row":
                shapes = {tuple(vector_cols[n]) for n in names}
                if len(shapes) > 1:
                    raise PackError(_at(spec, key), f"规则 {spec.id} 的 {key} 匹配到的行列数不同（如表二与表三的行），"
                                                    f"请分成两条规则")
                rule_schema = Schema(scalars=schema.scalars, vectors={**schema.vectors, "row": list(shapes.pop())},
                                     allow_prev=True)
            else:
                rule_schema = Schema(scalars=schema.scalars | {"cell"}, vectors=schema.vectors, allow_prev=True)
    check = when = None
    try:
        if d.get("check"):
            check = compile_expr(spec.source("check"), rule_schema, origin=spec.origin("check"))
        if d.get("when"):
            when = compile_expr(spec.source("when"), rule_schema, origin=spec.origin("when"))
    except RuleError as exc:
        raise PackError(f"{exc.file}:{exc.line}:{exc.col}", _rule_error_text(exc)) from None
    try:
        message = _JINJA.from_string(str(d["message"]))
    except TemplateSyntaxError as exc:
        line = spec.origin("message")[1] + max(0, (exc.lineno or 1) - 1)
        raise PackError(f"{spec.file}:{line}:1", f"规则 {spec.id} 的 message 模板有语法错误：{exc.message}") from None
    locate = None
    if d.get("locate"):
        try:
            locate = regex.compile(str(d["locate"]))
        except regex.error as exc:
            raise PackError(_at(spec, "locate"), f"规则 {spec.id} 的 locate 正则表达式无效：{exc}") from None
    notes = d.get("from_notes") or ()
    if isinstance(notes, str):
        notes = (notes,)
    for cat in notes:
        if cat.partition(":")[0] not in CATEGORIES:
            raise PackError(_at(spec, "from_notes"), f"规则 {spec.id} 的 from_notes 类别“{cat}”不在固定类别之中")
    if not isinstance(d.get("reviewer_only", False), bool):
        raise PackError(_at(spec, "reviewer_only"), f"规则 {spec.id} 的 reviewer_only 应为 true 或 false")
    tests = d.get("tests") or []
    if not isinstance(tests, list):
        raise PackError(_at(spec, "tests"), f"规则 {spec.id} 的 tests 应为列表")
    try:
        # A shared rule names the template it is checked against: {{ template_basis }}.
        basis = _JINJA.from_string(str(d["basis"])).render(template_basis=template.basis, template=template.version)
    except TemplateSyntaxError as exc:
        raise PackError(_at(spec, "basis"), f"规则 {spec.id} 的 basis 模板有语法错误：{exc.message}") from None
    return Rule(
        id=spec.id, title=str(d["title"]), category=d["category"], severity=d["severity"], basis=basis,
        file=spec.file, line=spec.line, check=check, when=when, message=message, message_source=str(d["message"]),
        from_notes=tuple(notes), for_each=for_each, locate=locate, tests=copy.deepcopy(tests), data=d,
        reviewer_only=bool(d.get("reviewer_only", False)),
    )


def _at(spec: RuleSpec, key: str) -> str:
    file, line, col = spec.origin(key)
    return f"{file}:{line}:{col}"


def _rule_error_text(exc: RuleError) -> str:
    """The error's message plus its caret display (without repeating the file:line:col header)."""
    text = str(exc)
    head = f"{exc.file}:{exc.line}:{exc.col}: "
    return text[len(head):] if text.startswith(head) else exc.message


def load_pack(ref: str) -> Pack:
    """Load and compile a pack (by name or path) with the packs it extends; cached by the
    process-wide `Checker` until one of its files changes."""
    from .checker import load_pack as cached_load

    return cached_load(ref)
