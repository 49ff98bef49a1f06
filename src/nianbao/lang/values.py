"""Runtime values of the rule language and the operations on them.

A value is a plain Python scalar (int, float, str, bool, datetime.date) or a
`Missing`: "no usable value", remembering which names were absent, blank or
invalid (and other reasons such as division by zero). Missing propagates
through arithmetic; a comparison with a Missing operand is Missing too, which
is how "cannot check" (UNKNOWN) is represented. Logical values are therefore
True, False or Missing, combined with Kleene's three-valued logic.

A vector (a table-3 row) is a tuple of such values, one per column; its column
names are known statically, so they are not carried at run time.

Binary operations take the two operands plus two "blame" names, used when an
operand turns out to be invalid (text where a number is needed): the Missing
then names the fact (or the subexpression text) at fault.
"""
from __future__ import annotations

import datetime as _dt
import numbers
import operator as _operator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

ABSENT = "absent"
BLANK = "blank"
INVALID = "invalid"
DIV_ZERO = "div_zero"
REGEX_TIMEOUT = "regex_timeout"

#: Chinese wording of each reason, for messages shown to supervisors.
KIND_LABELS = {
    ABSENT: "报告中没有该项",
    BLANK: "该项为空",
    INVALID: "该项不是有效的数值或类型不符",
    DIV_ZERO: "除数为零",
    REGEX_TIMEOUT: "正则表达式匹配超时",
}

PASS = "pass"
FAIL = "fail"
UNKNOWN = "unknown"


class Missing:
    """No usable value; `reasons` is a frozenset of (name, kind) pairs."""

    __slots__ = ("reasons",)

    def __init__(self, reasons: frozenset):
        self.reasons = reasons

    def __eq__(self, other: object) -> bool:
        return other.__class__ is Missing and other.reasons == self.reasons  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self.reasons)

    def __repr__(self) -> str:
        return f"Missing({sorted(self.reasons)!r})"

    def __bool__(self) -> bool:
        # A Missing must never be used as a Python truth value: that would turn
        # "cannot check" into pass or fail silently.
        raise TypeError("Missing has no truth value")


def missing(name: str, kind: str) -> Missing:
    return Missing(frozenset(((name, kind),)))


def invalid(*names: str) -> Missing:
    return Missing(frozenset((n, INVALID) for n in names))


def merge(x: Any, y: Any) -> Missing:
    """The Missing combining whichever of x, y are Missing (at least one is)."""
    if x.__class__ is Missing:
        if y.__class__ is Missing:
            if x.reasons >= y.reasons:
                return x
            if y.reasons >= x.reasons:
                return y
            return Missing(x.reasons | y.reasons)
        return x
    return y


def merge_all(items) -> Missing | None:
    reasons: frozenset = frozenset()
    found = False
    for item in items:
        if item.__class__ is Missing:
            found = True
            reasons = reasons | item.reasons
    return Missing(reasons) if found else None


# ---------------------------------------------------------------------------
# Classification

def kind_of(v: Any) -> str | None:
    """'n' number, 'd' date, 's' text, 'b' bool, 'm' Missing, None anything else."""
    c = v.__class__
    if c is int or c is float:
        return "n"
    if c is Missing:
        return "m"
    if c is str:
        return "s"
    if c is bool:
        return "b"
    if isinstance(v, _dt.date):
        return "d"
    if isinstance(v, numbers.Real):
        return "n"
    if isinstance(v, str):
        return "s"
    return None


def _num(v: Any) -> Any:
    """int/float as is; other real numbers (Decimal, Fraction, numpy) as float."""
    c = v.__class__
    if c is int or c is float:
        return v
    if isinstance(v, numbers.Integral):
        return int(v)
    return float(v)


def _date(v: Any) -> _dt.date:
    return v.date() if isinstance(v, _dt.datetime) else v


def is_integral(v: Any) -> bool:
    c = v.__class__
    if c is int:
        return True
    if c is float:
        return v.is_integer()
    return False


# ---------------------------------------------------------------------------
# Arithmetic

def _arithmetic(symbol: str, apply):
    """The operation `symbol` (+ - * /): `apply` on two plain numbers (the fast path),
    else the general rules of _arith (Missing, numeric text, dates)."""
    def op(x, y, lb, rb):
        cx = x.__class__
        cy = y.__class__
        if (cx is int or cx is float) and (cy is int or cy is float):
            try:
                return apply(x, y)
            except OverflowError:
                return invalid(lb, rb)
            except ZeroDivisionError:
                return missing(rb, DIV_ZERO)
        return _arith(symbol, x, y, lb, rb)
    return op


_NUMBER_OPS = {"+": _operator.add, "-": _operator.sub, "*": _operator.mul, "/": _operator.truediv}
add = _arithmetic("+", _operator.add)
sub = _arithmetic("-", _operator.sub)
mul = _arithmetic("*", _operator.mul)
div = _arithmetic("/", _operator.truediv)


def _arith(op, x, y, lb, rb):
    if x.__class__ is Missing or y.__class__ is Missing:
        return merge(x, y)
    kx = kind_of(x)
    ky = kind_of(y)
    bad = []
    if kx not in ("n", "d"):
        bad.append(lb)
    if ky not in ("n", "d"):
        bad.append(rb)
    if bad:
        return invalid(*bad)
    try:
        if kx == "n" and ky == "n":
            x = _num(x)
            y = _num(y)
            if op == "/" and y == 0:
                return missing(rb, DIV_ZERO)
            return _NUMBER_OPS[op](x, y)
        if op == "+" and kx == "d" and ky == "n":
            return _shift(_date(x), y, rb)
        if op == "+" and kx == "n" and ky == "d":
            return _shift(_date(y), x, lb)
        if op == "-" and kx == "d" and ky == "n":
            return _shift(_date(x), -_num(y), rb)
        if op == "-" and kx == "d" and ky == "d":
            return (_date(x) - _date(y)).days
    except (OverflowError, ValueError, ArithmeticError):
        return invalid(lb, rb)
    # date * n, n - date, date + date ...
    return invalid(lb, rb)


def _shift(d: _dt.date, days: Any, blame: str):
    days = _num(days)
    if not is_integral(days):
        return invalid(blame)
    return d + _dt.timedelta(days=int(days))


def neg(x, blame):
    c = x.__class__
    if c is int or c is float:
        return -x
    if c is Missing:
        return x
    if kind_of(x) == "n":
        return -_num(x)
    return invalid(blame)


def pos(x, blame):
    c = x.__class__
    if c is int or c is float or c is Missing:
        return x
    if kind_of(x) == "n":
        return _num(x)
    return invalid(blame)


# ---------------------------------------------------------------------------
# Comparison. Numbers compare with a tiny relative tolerance when a float is
# involved, so that 0.1 + 0.2 == 0.3 holds for money sums.

EPSILON = 1e-9


def close(x, y) -> bool:
    try:
        if x == y:
            return True
        return abs(x - y) <= EPSILON * max(1.0, abs(x), abs(y))
    except (OverflowError, TypeError):
        return False


def _comparison(symbol: str, apply):
    """The comparison `symbol`: `apply` on two ints (the fast path), else _compare."""
    def op(x, y, lb, rb):
        if x.__class__ is int and y.__class__ is int:
            return apply(x, y)
        return _compare(symbol, x, y, lb, rb)
    return op


eq = _comparison("==", _operator.eq)
ne = _comparison("!=", _operator.ne)
lt = _comparison("<", _operator.lt)
le = _comparison("<=", _operator.le)
gt = _comparison(">", _operator.gt)
ge = _comparison(">=", _operator.ge)
COMPARE = {"==": eq, "!=": ne, "<": lt, "<=": le, ">": gt, ">=": ge}
NEGATED_OP = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}


def _ordered(op, x, y, equal: bool):
    if op == "==":
        return equal
    if op == "!=":
        return not equal
    if op == "<":
        return x < y and not equal
    if op == "<=":
        return x < y or equal
    if op == ">":
        return x > y and not equal
    return x > y or equal


def _compare(op, x, y, lb, rb):
    if x.__class__ is Missing or y.__class__ is Missing:
        return merge(x, y)
    kx = kind_of(x)
    ky = kind_of(y)
    if kx == "n" and ky == "n":
        x = _num(x)
        y = _num(y)
        try:
            return _ordered(op, x, y, close(x, y))
        except (OverflowError, TypeError):
            return invalid(lb, rb)
    if kx == "d" and ky == "d":
        x = _date(x)
        y = _date(y)
        return _ordered(op, x, y, x == y)
    if kx == ky and kx in ("s", "b"):
        if op == "==":
            return x == y
        if op == "!=":
            return x != y
        return invalid(lb, rb)          # text and truth values have no order
    # Mismatched kinds: blame the side(s) that are not numbers/dates.
    bad = [b for b, k in ((lb, kx), (rb, ky)) if k not in ("n", "d")]
    return invalid(*(bad or (lb, rb)))


def eq_literal(x, text: str, negate: bool):
    """`x == "text"` / `x != "text"`: plain equality; a date compares by ISO form."""
    if x.__class__ is Missing:
        return x
    if isinstance(x, _dt.date):
        x = _date(x).isoformat()
    result = x.__class__ is str and x == text
    return (not result) if negate else result


# ---------------------------------------------------------------------------
# Three-valued logic

def truth(v, blame):
    """v as True / False / Missing; anything else is invalid."""
    if v is True or v is False or v.__class__ is Missing:
        return v
    return invalid(blame)


def _kleene(decisive: bool):
    """Kleene's and (decisive=False) or or (decisive=True): the decisive value wins,
    the other value leaves the other operand, two unknowns merge their reasons."""
    neutral = not decisive

    def op(a, b):
        if a is decisive or b is decisive:
            return decisive
        if a is neutral:
            return b
        if b is neutral:
            return a
        return merge(a, b)
    return op


k_and = _kleene(False)
k_or = _kleene(True)


def k_not(a):
    if a is True:
        return False
    if a is False:
        return True
    return a


# ---------------------------------------------------------------------------
# Numeric helpers for functions

def round_half_up(x, ndigits, lb, rb):
    """Round half away from zero (四舍五入), not Python's round-half-even."""
    if x.__class__ is Missing or ndigits.__class__ is Missing:
        return merge(x, ndigits)
    if kind_of(x) != "n":
        return invalid(lb)
    if kind_of(ndigits) != "n" or not is_integral(_num(ndigits)) or not -15 <= ndigits <= 15:
        return invalid(rb)
    x = _num(x)
    nd = int(ndigits)
    if x.__class__ is int and nd >= 0:
        return x
    try:
        d = Decimal(repr(x)) if x.__class__ is float else Decimal(x)
        if not d.is_finite():
            return invalid(lb)
        r = d.quantize(Decimal(1).scaleb(-nd), rounding=ROUND_HALF_UP)
        return float(r) if nd > 0 else int(r)
    except (InvalidOperation, OverflowError, ValueError):
        try:
            r = round(x, nd)
            return float(r) if nd > 0 else int(r)
        except (OverflowError, ValueError):
            return invalid(lb)


def abs_(x, blame):
    c = x.__class__
    if c is int or c is float:
        return abs(x)
    if c is Missing:
        return x
    if kind_of(x) == "n":
        return abs(_num(x))
    return invalid(blame)


def minmax(values, blames, pick_max: bool):
    m = merge_all(values)
    if m is not None:
        return m
    bad = [b for v, b in zip(values, blames) if kind_of(v) not in ("n", "d")]
    if bad:
        return invalid(*bad)
    kinds = {kind_of(v) for v in values}
    if len(kinds) > 1:
        return invalid(*blames)
    vals = [_num(v) if kind_of(v) == "n" else _date(v) for v in values]
    return max(vals) if pick_max else min(vals)


def approx(a, b, tol, ba, bb, bt):
    if a.__class__ is Missing or b.__class__ is Missing or tol.__class__ is Missing:
        return merge_all((a, b, tol))
    bad = [bl for v, bl in ((a, ba), (b, bb), (tol, bt)) if kind_of(v) != "n"]
    if bad:
        return invalid(*bad)
    a, b, tol = _num(a), _num(b), _num(tol)
    try:
        diff = abs(a - b)
        return diff <= tol or close(diff, tol) or close(a, b)
    except (OverflowError, TypeError):
        return invalid(ba, bb)


def percent(part, whole, bp, bw):
    if part.__class__ is Missing or whole.__class__ is Missing:
        return merge(part, whole)
    bad = [bl for v, bl in ((part, bp), (whole, bw)) if kind_of(v) != "n"]
    if bad:
        return invalid(*bad)
    part, whole = _num(part), _num(whole)
    if whole == 0:
        return missing(bw, DIV_ZERO)
    try:
        return part / whole * 100
    except OverflowError:
        return invalid(bp, bw)


def make_date(y, m, d, blame):
    m_ = merge_all((y, m, d))
    if m_ is not None:
        return m_
    if not all(kind_of(v) == "n" and is_integral(_num(v)) for v in (y, m, d)):
        return invalid(blame)
    try:
        return _dt.date(int(y), int(m), int(d))
    except (ValueError, OverflowError):
        return invalid(blame)


def date_part(v, part: str, blame):
    if v.__class__ is Missing:
        return v
    if kind_of(v) != "d":
        return invalid(blame)
    return getattr(v, part)


def is_number(v):
    """True for a number, False for anything else that is present.

    A Missing whose reasons are all "invalid" (text where a number was
    expected) is False too: it is present and not a number.
    """
    if v.__class__ is Missing:
        if all(kind == INVALID for _, kind in v.reasons):
            return False
        return v
    return kind_of(v) == "n"


def is_integer(v):
    if v.__class__ is Missing:
        if all(kind == INVALID for _, kind in v.reasons):
            return False
        return v
    return kind_of(v) == "n" and is_integral(_num(v))


def decimals_of_number(v) -> int:
    """Decimal places of a number as Python prints it (trailing zeros dropped)."""
    if v.__class__ is int or isinstance(v, numbers.Integral):
        return 0
    try:
        exp = Decimal(repr(float(v))).normalize().as_tuple().exponent
    except (InvalidOperation, ValueError, OverflowError):
        return 0
    return max(0, -exp) if isinstance(exp, int) else 0


# ---------------------------------------------------------------------------
# Results

def plain(v):
    """A value as shown to callers: Missing becomes None."""
    return None if v.__class__ is Missing else v


@dataclass(slots=True)
class Outcome:
    """The result of evaluating a check.

    status   -- "pass", "fail" or "unknown"
    failures -- for a fail: one dict per failing comparison and column, with keys
                "column" (None for a scalar), "op", "left", "right", "expr"
    missing  -- sorted (name, kind) pairs that could not be checked
    values   -- full name -> value of every fact (and parameter) the expression reads
    """

    status: str
    failures: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    values: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == PASS

    @property
    def failed(self) -> bool:
        return self.status == FAIL

    @property
    def unknown(self) -> bool:
        return self.status == UNKNOWN
