"""Static checks: names against the schema, functions and their arguments,
literal regexes, and a small static type/shape inference.

`check()` returns a `Checked` expression: the AST with every name resolved to
a `Ref` (wildcards expanded into one Ref per match), plus for each node its
shape (None for a scalar, the column tuple for a vector) and its static type.
Anything wrong is raised as a RuleError pointing at the offending text.
"""
from __future__ import annotations

import datetime as _dt
import difflib
from dataclasses import dataclass
from typing import Iterable, Mapping, Optional

import regex

from ..bounded_regex import RegexRefused, check_bounds
from . import ast as A
from .parser import Origin, RuleError

# Static types. "any" is a fact whose type is only known at run time;
# "numdate" is the result of + or - on such facts: a number or a date.
NUM, STR, BOOL, DATE, ANY, NUMDATE = "num", "str", "bool", "date", "any", "numdate"
TYPE_LABELS = {NUM: "数值", STR: "文本", BOOL: "真假值", DATE: "日期", ANY: "任意值",
               NUMDATE: "数值或日期"}


def compatible(a: str, b: str) -> bool:
    """Whether values of static types a and b may turn out to be of the same kind."""
    if a == b or ANY in (a, b):
        return True
    if NUMDATE in (a, b):
        return {a, b} <= {NUM, DATE, NUMDATE}
    return False

PREV = "prev."
PARAMS = "params."
KEYWORDS = ("and", "or", "not", "true", "false")


class Schema:
    """The names an expression may use.

    scalars    -- names of single facts (``meta.year``, ``section1``, ``params.x`` ...)
    vectors    -- vector name -> its columns; ``f"{vector}.{column}"`` are scalar names too
    allow_prev -- when True, ``prev.`` + any report name (not ``params.``) is valid
    """

    def __init__(self, scalars: Iterable[str] = (), vectors: Optional[Mapping[str, Iterable[str]]] = None,
                 allow_prev: bool = False):
        self.scalars = frozenset(scalars)
        self.vectors = {name: tuple(cols) for name, cols in (vectors or {}).items()}
        self.allow_prev = bool(allow_prev)
        shapes: dict[str, Optional[tuple]] = {name: None for name in self.scalars}
        for name, cols in self.vectors.items():
            shapes[name] = cols
            for col in cols:
                shapes.setdefault(f"{name}.{col}", None)
        self._shapes = shapes
        children: dict[str, list[str]] = {}
        for name in shapes:
            head, dot, _ = name.rpartition(".")
            if dot:
                children.setdefault(head, []).append(name)
        self._children = {k: sorted(v) for k, v in children.items()}
        self._sorted_names = sorted(shapes)

    def __contains__(self, name: str) -> bool:
        return self.lookup(name) is not False

    def lookup(self, name: str):
        """The shape of a valid name (None for a scalar, the columns of a vector); False if invalid."""
        if name.startswith(PREV) and self.allow_prev:
            base = name[len(PREV):]
            if base.startswith(PARAMS):
                return False
            return self._shapes.get(base, False)
        return self._shapes.get(name, False)

    def expand(self, prefix: str) -> list[str]:
        """Valid names of exactly one more segment below `prefix` (for ``prefix.*``)."""
        if prefix.startswith(PREV) and self.allow_prev:
            base = prefix[len(PREV):]
            if base == "params" or base.startswith(PARAMS):
                return []
            return [PREV + n for n in self._children.get(base, [])]
        return list(self._children.get(prefix, []))

    def suggest(self, name: str) -> Optional[str]:
        """The valid name nearest to `name`, if any is close enough."""
        prefix = ""
        base = name
        if name.startswith(PREV) and self.allow_prev:
            prefix, base = PREV, name[len(PREV):]
        found = difflib.get_close_matches(base, self._sorted_names, n=1, cutoff=0.6)
        return prefix + found[0] if found else None

    def suggest_prefix(self, prefix: str) -> Optional[str]:
        head = ""
        base = prefix
        if prefix.startswith(PREV) and self.allow_prev:
            head, base = PREV, prefix[len(PREV):]
        found = difflib.get_close_matches(base, sorted(self._children), n=1, cutoff=0.6)
        return head + found[0] if found else None


# ---------------------------------------------------------------------------
# Functions

@dataclass(frozen=True)
class FuncSpec:
    min_args: int
    max_args: Optional[int]          # None: variadic
    wildcards: bool = False          # arguments may be wildcard names
    summary: str = ""


FUNCTIONS: dict[str, FuncSpec] = {
    "sum": FuncSpec(1, None, True, "各参数之和（向量按列相加）"),
    "count": FuncSpec(1, None, True, "参数中已填写（存在且非空）的单元格个数"),
    "min": FuncSpec(1, None, True, "最小值（向量按列）"),
    "max": FuncSpec(1, None, True, "最大值（向量按列）"),
    "coalesce": FuncSpec(1, None, True, "第一个有值的参数"),
    "abs": FuncSpec(1, 1, summary="绝对值"),
    "round": FuncSpec(1, 2, summary="四舍五入"),
    "present": FuncSpec(1, 1, summary="报告中有该项（即使为空）"),
    "blank": FuncSpec(1, 1, summary="该项存在但为空"),
    "date": FuncSpec(3, 3, summary="由年、月、日构成日期"),
    "year": FuncSpec(1, 1, summary="日期的年份"),
    "month": FuncSpec(1, 1, summary="日期的月份"),
    "day": FuncSpec(1, 1, summary="日期的日"),
    "contains": FuncSpec(2, 2, summary="文本包含某字符串"),
    "matches": FuncSpec(2, 2, summary="文本与正则表达式匹配"),
    "approx": FuncSpec(3, 3, summary="两数之差的绝对值不超过容差"),
    "percent": FuncSpec(2, 2, summary="部分占整体的百分比"),
    "if": FuncSpec(3, 3, summary="条件成立取第二个参数，否则取第三个"),
    "is_number": FuncSpec(1, 1, summary="是数值"),
    "is_integer": FuncSpec(1, 1, summary="是整数"),
    "decimals": FuncSpec(1, 1, summary="数值印出的小数位数"),
    "len": FuncSpec(1, 1, summary="文本长度（字符数）"),
    "copied_share": FuncSpec(2, 3, summary="本年文本中与上年文本相同或仅个别字词不同的语句所占比例（按字数计的百分数）"),
}

#: Functions whose single argument must be a (non-wildcard) name.
NAME_ONLY = {"present", "blank"}


@dataclass(frozen=True)
class Info:
    shape: Optional[tuple]           # None: scalar; else the vector's columns
    type: str


@dataclass
class Checked:
    """A checked expression, ready to compile."""

    source: str
    origin: Origin
    root: A.Node
    info: dict                      # id(node) -> Info, for every node under root
    names: list                     # sorted full cell names read (params excluded)
    params: list                    # sorted params.* names read
    regexes: dict                   # id(String node) -> compiled pattern (matches())

    def info_of(self, node: A.Node) -> Info:
        return self.info[id(node)]

    def text(self, node: A.Node) -> str:
        return self.source[node.start:node.end]


def check(root: A.Node, source: str, schema: Schema, origin: Origin) -> Checked:
    return _Checker(source, schema, origin).run(root)


def _shape_text(shape) -> str:
    return "标量" if shape is None else f" {len(shape)} 列的向量（{', '.join(shape)}）"


class _Checker:
    def __init__(self, source: str, schema: Schema, origin: Origin):
        self.source = source
        self.schema = schema
        self.origin = origin
        self.info: dict[int, Info] = {}
        self.cells: set[str] = set()
        self.params: set[str] = set()
        self.regexes: dict[int, object] = {}
        self._keep: list = []        # keep resolved nodes alive so their ids stay unique

    # -- helpers -------------------------------------------------------------

    def error(self, pos: int, message: str) -> RuleError:
        return self.origin.error(self.source, pos, message)

    def text(self, node) -> str:
        return self.source[node.start:node.end]

    def record(self, node, shape, type_) -> A.Node:
        self.info[id(node)] = Info(shape, type_)
        self._keep.append(node)
        return node

    def broadcast(self, nodes, at: int):
        shape = None
        first = None
        for node in nodes:
            s = self.info[id(node)].shape
            if s is None:
                continue
            if shape is None:
                shape, first = s, node
            elif s != shape:
                raise self.error(at, f"向量的列不一致：{self.text(first)} 为{_shape_text(shape)}，"
                                     f"{self.text(node)} 为{_shape_text(s)}，不能逐列运算。")
        return shape

    def type_of(self, node) -> str:
        return self.info[id(node)].type

    def require(self, node, allowed: tuple, what: str):
        t = self.type_of(node)
        if t == NUMDATE and (NUM in allowed or DATE in allowed):
            return
        if t != ANY and t not in allowed:
            wanted = "或".join(TYPE_LABELS[a] for a in allowed)
            raise self.error(node.start, f"{what}应为{wanted}，而 {self.text(node)} 是{TYPE_LABELS[t]}。")

    def require_scalar(self, node, what: str):
        shape = self.info[id(node)].shape
        if shape is not None:
            raise self.error(node.start, f"{what}不能是向量：{self.text(node)} 是{_shape_text(shape)}。")

    # -- entry -----------------------------------------------------------------

    def run(self, root: A.Node) -> Checked:
        resolved = self.visit(root)
        return Checked(self.source, self.origin, resolved, self.info, sorted(self.cells),
                       sorted(self.params), self.regexes)

    def visit(self, node: A.Node) -> A.Node:
        method = getattr(self, "visit_" + type(node).__name__)
        return method(node)

    # -- leaves --------------------------------------------------------------

    def visit_Number(self, node):
        return self.record(node, None, NUM)

    def visit_String(self, node):
        return self.record(node, None, STR)

    def visit_Boolean(self, node):
        return self.record(node, None, BOOL)

    def visit_Name(self, node: A.Name):
        if node.wildcard:
            fn = "、".join(n for n, s in FUNCTIONS.items() if s.wildcards)
            raise self.error(node.start, f"通配名称 {node.name} 只能用作函数 {fn} 的参数。")
        return self.resolve(node)

    def resolve(self, node: A.Name) -> A.Ref:
        name = node.name
        shape = self.schema.lookup(name)
        if shape is False:
            raise self.error(node.start, self.unknown_name_message(name))
        return self.reference(name, shape, node)

    def reference(self, name: str, shape, node: A.Name) -> A.Ref:
        """The Ref for a known `name` written at `node`, recording the facts or params it reads."""
        param = name.startswith(PARAMS)
        ref = A.Ref(name, shape, param, node.start, node.end)
        if param:
            self.params.add(name)
        else:
            self.cells.update(ref.cells)
        return self.record(ref, shape, ANY)

    def unknown_name_message(self, name: str) -> str:
        if len(name) > 80:
            return f"未知名称 {name[:60]}…（共 {len(name)} 个字符）。"
        lowered = name.lower()
        if lowered in KEYWORDS and name != lowered:
            return f"未知名称 {name}，是否应为 {lowered}？（关键字须小写）"
        if name in FUNCTIONS:
            return f"{name} 是函数，调用时须带括号，例如 {name}(...)。"
        if name.startswith(PREV) and not self.schema.allow_prev:
            return f"本规则包未启用上一年度报告数据，不能使用 {name}。"
        if name.startswith(PREV + PARAMS):
            return f"参数没有上一年度的值，不能使用 {name}。"
        suggestion = self.schema.suggest(name)
        if suggestion:
            return f"未知名称 {name}，是否应为 {suggestion}？"
        return f"未知名称 {name}。"

    def expand_wildcard(self, node: A.Name) -> list:
        prefix = node.name[:-2]
        matches = self.schema.expand(prefix)
        if not matches:
            suggestion = self.schema.suggest_prefix(prefix)
            hint = f"，是否应为 {suggestion}.*？" if suggestion and suggestion != prefix else "。"
            raise self.error(node.start, f"通配名称 {node.name} 没有匹配任何名称{hint}")
        return [self.reference(name, self.schema.lookup(name), node) for name in matches]

    # -- operators -------------------------------------------------------------

    def visit_Unary(self, node: A.Unary):
        operand = self.visit(node.operand)
        self.require(operand, (NUM,), f"一元“{node.op}”的运算对象")
        new = A.Unary(node.op, operand, node.start, node.end)
        return self.record(new, self.info[id(operand)].shape, NUM)

    def visit_Binary(self, node: A.Binary):
        left = self.visit(node.left)
        right = self.visit(node.right)
        op = node.op
        shape = self.broadcast((left, right), node.right.start)
        tl, tr = self.type_of(left), self.type_of(right)
        what = f"“{op}”的运算对象"
        if op in "+-":
            self.require(left, (NUM, DATE), what)
            self.require(right, (NUM, DATE), what)
            if op == "+" and tl == DATE and tr == DATE:
                raise self.error(node.right.start, "两个日期不能相加；两日期相减得到相差的天数。")
            if op == "-" and tl == NUM and tr == DATE:
                raise self.error(node.right.start, "数值不能减去日期。")
            if tl == NUM and tr == NUM:
                result = NUM
            elif tl == DATE and tr == DATE:
                result = NUM                      # date - date: days
            elif DATE in (tl, tr) and NUM in (tl, tr):
                result = DATE
            else:
                result = NUMDATE
        else:
            self.require(left, (NUM,), what)
            self.require(right, (NUM,), what)
            result = NUM
        new = A.Binary(op, left, right, node.start, node.end)
        return self.record(new, shape, result)

    def visit_Compare(self, node: A.Compare):
        left = self.visit(node.left)
        right = self.visit(node.right)
        shape = self.broadcast((left, right), node.right.start)
        tl, tr = self.type_of(left), self.type_of(right)
        op = node.op
        if not compatible(tl, tr):
            if not ({tl, tr} <= {DATE, NUMDATE, STR} and op in ("==", "!=")):
                raise self.error(node.op_start, f"不能比较{TYPE_LABELS[tl]}与{TYPE_LABELS[tr]}："
                                                f"{self.text(node.left)} {op} {self.text(node.right)}。")
        if op not in ("==", "!="):
            for side, t in ((left, tl), (right, tr)):
                if t in (STR, BOOL):
                    raise self.error(side.start, f"{TYPE_LABELS[t]}不能比较大小，只能用 == 或 != 比较："
                                                 f"{self.text(side)}。")
        new = A.Compare(op, left, right, node.start, node.end, node.op_start)
        return self.record(new, shape, BOOL)

    def visit_And(self, node: A.And):
        return self._logic(node, A.And, "and")

    def visit_Or(self, node: A.Or):
        return self._logic(node, A.Or, "or")

    def _logic(self, node, cls, word):
        left = self.visit(node.left)
        right = self.visit(node.right)
        self.require(left, (BOOL,), f"{word} 两边")
        self.require(right, (BOOL,), f"{word} 两边")
        shape = self.broadcast((left, right), node.right.start)
        return self.record(cls(left, right, node.start, node.end), shape, BOOL)

    def visit_Not(self, node: A.Not):
        operand = self.visit(node.operand)
        self.require(operand, (BOOL,), "not 的运算对象")
        return self.record(A.Not(operand, node.start, node.end), self.info[id(operand)].shape, BOOL)

    # -- calls -------------------------------------------------------------------

    def visit_Call(self, node: A.Call):
        name = node.func
        spec = FUNCTIONS.get(name)
        if spec is None:
            if "." in name or self.schema.lookup(name) is not False:
                raise self.error(node.start, f"{name} 不是函数，名称之后不能直接跟括号。")
            found = difflib.get_close_matches(name.lower(), sorted(FUNCTIONS), n=1, cutoff=0.6)
            hint = f"，是否应为 {found[0]}？" if found else "。"
            raise self.error(node.start, f"未知函数 {name}{hint}")
        n = len(node.args)
        if n < spec.min_args or (spec.max_args is not None and n > spec.max_args):
            raise self.error(node.start, f"函数 {name} {_arity_text(spec)}，实际给出 {n} 个。")
        args: list = []
        for arg in node.args:
            if isinstance(arg, A.Name) and arg.wildcard:
                if not spec.wildcards:
                    fn = "、".join(k for k, s in FUNCTIONS.items() if s.wildcards)
                    raise self.error(arg.start, f"通配名称 {arg.name} 只能用作函数 {fn} 的参数，"
                                                f"不能用于 {name}。")
                args.extend(self.expand_wildcard(arg))
            elif name in NAME_ONLY:
                if not isinstance(arg, A.Name):
                    raise self.error(arg.start, f"函数 {name} 的参数必须是一个名称，例如 {name}(section6)。")
                args.append(self.resolve(arg))
            else:
                args.append(self.visit(arg))
        new = A.Call(name, tuple(args), node.start, node.end)
        shape, type_ = getattr(self, "call_" + name)(new, node)
        return self.record(new, shape, type_)

    def _nums(self, call, what_fn):
        for i, arg in enumerate(call.args, 1):
            self.require(arg, (NUM,), f"函数 {what_fn} 的第 {i} 个参数")

    def _single_vector_guard(self, call, original):
        if (len(original.args) == 1 and not (isinstance(original.args[0], A.Name) and original.args[0].wildcard)
                and self.info[id(call.args[0])].shape is not None):
            arg = call.args[0]
            raise self.error(arg.start, f"{call.func}({self.text(arg)}) 按列计算，结果就是 {self.text(arg)} 本身；"
                                        f"如需把同一行各列相加，请逐项写出各单元格。")

    def call_sum(self, call, original):
        self._single_vector_guard(call, original)
        self._nums(call, "sum")
        return self.broadcast(call.args, call.start), NUM

    def call_min(self, call, original):
        self._single_vector_guard(call, original)
        for i, arg in enumerate(call.args, 1):
            self.require(arg, (NUM, DATE), f"函数 {call.func} 的第 {i} 个参数")
        types = {self.type_of(a) for a in call.args}
        single = types.pop() if len(types) == 1 else None
        return self.broadcast(call.args, call.start), (single if single in (NUM, DATE) else NUMDATE)

    call_max = call_min

    def call_count(self, call, original):
        return None, NUM

    def call_coalesce(self, call, original):
        types = {self.type_of(a) for a in call.args}
        return self.broadcast(call.args, call.start), (types.pop() if len(types) == 1 else ANY)

    def call_abs(self, call, original):
        self._nums(call, "abs")
        return self.info[id(call.args[0])].shape, NUM

    def call_round(self, call, original):
        self._nums(call, "round")
        if len(call.args) == 2:
            nd = call.args[1]
            self.require_scalar(nd, "round 的小数位数")
            literal = _literal_number(nd)
            if literal is not None and (not float(literal).is_integer() or not -15 <= literal <= 15):
                raise self.error(nd.start, "round 的小数位数应为 -15 到 15 之间的整数。")
        return self.info[id(call.args[0])].shape, NUM

    def call_present(self, call, original):
        return None, BOOL

    call_blank = call_present

    def call_date(self, call, original):
        self._nums(call, "date")
        for arg in call.args:
            self.require_scalar(arg, "date 的参数")
        lits = [_literal_number(a) for a in call.args]
        if all(v is not None for v in lits):
            try:
                _dt.date(*(int(v) for v in lits))
                if not all(float(v).is_integer() for v in lits):
                    raise ValueError
            except (ValueError, OverflowError):
                raise self.error(call.start, f"日期无效：{self.text(call)}。") from None
        return None, DATE

    def call_year(self, call, original):
        self.require(call.args[0], (DATE,), f"函数 {call.func} 的参数")
        self.require_scalar(call.args[0], f"函数 {call.func} 的参数")
        return None, NUM

    call_month = call_year
    call_day = call_year

    def _text_arg(self, call, index: int):
        arg = call.args[index]
        self.require_scalar(arg, f"函数 {call.func} 的第 {index + 1} 个参数")
        return arg

    def call_contains(self, call, original):
        self._text_arg(call, 0)
        needle = self._text_arg(call, 1)
        self.require(needle, (STR,), "contains 的第 2 个参数")
        return None, BOOL

    def call_matches(self, call, original):
        self._text_arg(call, 0)
        pattern = call.args[1]
        if not isinstance(pattern, A.String):
            raise self.error(pattern.start, "matches 的第 2 个参数必须是写在引号中的正则表达式。")
        try:
            check_bounds(pattern.value)
        except RegexRefused as exc:
            raise self.error(pattern.start, f"正则表达式无效：{exc.message}。") from None
        try:
            compiled = regex.compile(pattern.value)
        except regex.error as exc:
            pos = getattr(exc, "pos", None)
            at = pattern.start + 1 + pos if isinstance(pos, int) and pos <= len(pattern.value) else pattern.start
            at = min(at, pattern.end - 1)
            where = f"第 {pos + 1} 个字符附近" if isinstance(pos, int) else ""
            detail = getattr(exc, "msg", None) or str(exc)
            raise self.error(at, f"正则表达式无效：{where}有误（{detail}）。") from None
        except (OverflowError, RecursionError, ValueError, MemoryError):
            raise self.error(pattern.start, "正则表达式无效或过于复杂。") from None
        self.regexes[id(pattern)] = compiled
        return None, BOOL

    def call_approx(self, call, original):
        self._nums(call, "approx")
        tol = call.args[2]
        literal = _literal_number(tol)
        if literal is not None and literal < 0:
            raise self.error(tol.start, "approx 的容差不能为负数。")
        return self.broadcast(call.args, call.start), BOOL

    def call_percent(self, call, original):
        self._nums(call, "percent")
        return self.broadcast(call.args, call.start), NUM

    def call_if(self, call, original):
        cond, a, b = call.args
        self.require(cond, (BOOL,), "if 的第 1 个参数（条件）")
        ta, tb = self.type_of(a), self.type_of(b)
        if not compatible(ta, tb):
            raise self.error(b.start, f"if 的两个分支类型不同：{self.text(a)} 是{TYPE_LABELS[ta]}，"
                                      f"{self.text(b)} 是{TYPE_LABELS[tb]}。")
        return self.broadcast(call.args, call.start), (ta if ta == tb else ANY)

    def call_is_number(self, call, original):
        return self.info[id(call.args[0])].shape, BOOL

    call_is_integer = call_is_number

    def call_decimals(self, call, original):
        self._nums(call, "decimals")
        return self.info[id(call.args[0])].shape, NUM

    def call_len(self, call, original):
        self._text_arg(call, 0)
        return None, NUM

    def call_copied_share(self, call, original):
        self._text_arg(call, 0)
        self._text_arg(call, 1)
        if len(call.args) == 3:
            self.require_scalar(call.args[2], "copied_share 的第 3 个参数（相似度）")
            self.require(call.args[2], (NUM,), "copied_share 的第 3 个参数（相似度）")
            literal = _literal_number(call.args[2])
            if literal is not None and not 50 <= literal <= 100:
                raise self.error(call.args[2].start, "copied_share 的相似度应在 50 至 100 之间。")
        return None, NUM


def _arity_text(spec: FuncSpec) -> str:
    if spec.max_args is None:
        return f"至少需要 {spec.min_args} 个参数"
    if spec.min_args == spec.max_args:
        return f"需要 {spec.min_args} 个参数"
    return f"需要 {spec.min_args} 至 {spec.max_args} 个参数"


def _literal_number(node) -> Optional[float]:
    if isinstance(node, A.Number):
        return node.value
    if isinstance(node, A.Unary) and isinstance(node.operand, A.Number):
        return -node.operand.value if node.op == "-" else node.operand.value
    return None


__all__ = ["Schema", "check", "Checked", "Info", "FUNCTIONS", "FuncSpec", "NUM", "STR", "BOOL",
           "DATE", "ANY", "NUMDATE", "TYPE_LABELS", "compatible"]
