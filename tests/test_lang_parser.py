"""Parsing and static checks of the rule language: precedence, wildcards,
error positions and messages."""
from __future__ import annotations

import pytest

from nianbao.lang import RuleError, Schema, compile_expr, evaluate_value
from nianbao.lang import ast as A
from nianbao.lang.parser import Origin, parse

COLS = ["natural_person", "commercial", "research", "social_welfare", "legal_service", "other_org", "total"]
WITHHELD = ["state_secret", "law_forbidden", "three_safeties", "third_party",
            "internal_affairs", "process_info", "enforcement_file", "inquiry"]


def make_schema(allow_prev: bool = True) -> Schema:
    vectors = {f"section3.{row}": COLS for row in
               ["new", "carried", "carryover", "results.granted", "results.partial", "results.total"]}
    vectors.update({f"section3.results.withheld.{w}": COLS for w in WITHHELD})
    vectors["section2.rules"] = ["issued", "repealed", "in_force"]
    return Schema(
        scalars={"meta.year", "meta.date", "meta.level", "section1", "section6",
                 "params.deadline_month", "section2.fees.amount"},
        vectors=vectors,
        allow_prev=allow_prev,
    )


SCHEMA = make_schema()


def value(source: str):
    return evaluate_value(compile_expr(source, SCHEMA), {})


def error_of(source: str, origin=("rules/x.yaml", 12, 12), schema=SCHEMA) -> RuleError:
    with pytest.raises(RuleError) as info:
        compile_expr(source, schema, origin=origin)
    return info.value


def ast_of(source: str):
    origin = Origin(None)
    return A.build(parse(source, origin), source, origin)


# ---------------------------------------------------------------------------
# Precedence and associativity

@pytest.mark.parametrize("source, expected", [
    ("1 + 2 * 3", 7),
    ("(1 + 2) * 3", 9),
    ("10 - 4 - 3", 3),          # left-associative
    ("8 / 4 / 2", 1.0),
    ("-2 * 3 + 10", 4),
    ("- (2 + 3)", -5),
    ("2 * -3", -6),
    ("not true and false", False),      # (not true) and false
    ("not (true and false)", True),
    ("true or false and false", True),  # and binds tighter than or
    ("(true or false) and false", False),
    ("1 + 2 == 3 and 2 * 2 == 4", True),
    ("not 1 == 2", True),               # not applies to the comparison
    ("1.5 + 1", 2.5),
])
def test_precedence(source, expected):
    assert value(source) == expected


def test_ast_shape_follows_precedence():
    tree = ast_of("a + b * c == d or not e")
    assert isinstance(tree, A.Or)
    assert isinstance(tree.right, A.Not)
    cmp_ = tree.left
    assert isinstance(cmp_, A.Compare) and cmp_.op == "=="
    assert isinstance(cmp_.left, A.Binary) and cmp_.left.op == "+"
    assert isinstance(cmp_.left.right, A.Binary) and cmp_.left.right.op == "*"


def test_ast_positions_are_character_offsets():
    source = "sum(section3.new.total, 2)"
    tree = ast_of(source)
    assert isinstance(tree, A.Call) and tree.func == "sum"
    name = tree.args[0]
    assert source[name.start:name.end] == "section3.new.total"
    assert (tree.start, tree.end) == (0, len(source))


def test_string_literals_and_escapes():
    assert value("'单引号'") == "单引号"
    assert value('"a\\"b"') == 'a"b'
    assert value(r'"\d+"') == r"\d+"          # unknown escapes are kept for regexes
    assert value(r'"a\\b"') == "a\\b"


def test_keywords_and_literals():
    assert value("true") is True
    assert value("false") is False
    assert value("3") == 3 and isinstance(value("3"), int)
    assert isinstance(value("3.0"), float)


# ---------------------------------------------------------------------------
# Names and wildcards

def test_names_expand_vectors_to_cells_sorted():
    expr = compile_expr("section3.new + section3.carried == section3.results.total + section3.carryover", SCHEMA)
    assert len(expr.names) == 28
    assert expr.names == sorted(expr.names)
    assert "section3.new.total" in expr.names and "section3.carryover.research" in expr.names
    assert expr.columns == tuple(COLS)


def test_wildcard_expands_to_eight_withheld_vectors():
    expr = compile_expr("sum(section3.results.withheld.*) >= 0", SCHEMA)
    assert len(expr.names) == 8 * 7
    assert {n.rsplit(".", 1)[0] for n in expr.names} == {f"section3.results.withheld.{w}" for w in WITHHELD}


def test_wildcard_matches_exactly_one_more_segment():
    expr = compile_expr("count(section3.results.*) >= 0", SCHEMA)
    rows = {n.rsplit(".", 1)[0] for n in expr.names}
    assert rows == {"section3.results.granted", "section3.results.partial", "section3.results.total"}


def test_wildcard_over_vector_cells():
    expr = compile_expr("count(section2.rules.*) == 3", SCHEMA)
    assert expr.names == ["section2.rules.in_force", "section2.rules.issued", "section2.rules.repealed"]


def test_prev_names_and_params():
    expr = compile_expr("prev.section3.carryover == section3.carried and params.deadline_month > 0", SCHEMA)
    assert "prev.section3.carryover.total" in expr.names
    assert "params.deadline_month" not in expr.names
    assert expr.params == ["params.deadline_month"]


def test_prev_rejected_when_not_allowed():
    err = error_of("prev.meta.year == 2021", schema=make_schema(allow_prev=False))
    assert "prev.meta.year" in err.message and "上一年度" in err.message


def test_wildcard_outside_variadic_function_is_an_error():
    err = error_of("section3.results.withheld.* == 0")
    assert "通配名称" in err.message and err.col == 12
    err = error_of("abs(section3.results.withheld.*)")
    assert "不能用于 abs" in err.message


def test_wildcard_matching_nothing_suggests_prefix():
    err = error_of("sum(section3.result.withheld.*) == 0")
    assert err.message == "通配名称 section3.result.withheld.* 没有匹配任何名称，是否应为 section3.results.withheld.*？"


# ---------------------------------------------------------------------------
# Error positions and rendering

def test_unknown_name_suggestion_and_rendering():
    err = error_of("section3.nwe + section3.carried == section3.results.total",
                   origin=("rules/x.yaml", 12, 12, "check"))
    assert (err.file, err.line, err.col) == ("rules/x.yaml", 12, 12)
    assert err.message == "未知名称 section3.nwe，是否应为 section3.new？"
    lines = str(err).splitlines()
    assert lines[0] == "rules/x.yaml:12:12: 未知名称 section3.nwe，是否应为 section3.new？"
    assert lines[1] == "    check: section3.nwe + section3.carried == section3.results.total"
    assert lines[2].index("^") == lines[1].index("section3.nwe")


def test_error_column_inside_the_expression():
    source = "section3.new + section3.carried == section3.results.totl"
    err = error_of(source, origin=("rules/gov-2021/arith.yaml", 7, 12))
    offset = source.index("section3.results.totl")
    assert err.col == 12 + offset
    assert err.line == 7
    assert "section3.results.total" in err.message
    rendered = str(err).splitlines()
    assert rendered[0].startswith(f"rules/gov-2021/arith.yaml:7:{12 + offset}: ")
    assert rendered[2].index("^") == rendered[1].index("section3.results.totl")


def test_error_on_a_later_line_of_a_multiline_expression():
    source = "section3.new.total == 1\n  and section3.nwe.total == 2"
    err = error_of(source, origin=("r.yaml", 10, 5))
    assert err.line == 11
    assert err.col == 5 + source.split("\n")[1].index("section3.nwe")
    assert str(err).splitlines()[1] == "      and section3.nwe.total == 2"


def test_caret_accounts_for_wide_characters():
    err = error_of("contains(section6, '信息处理费') and meta.yaer == 2021")
    shown, caret = str(err).splitlines()[1:3]
    # Five CJK characters take ten columns on screen.
    prefix = shown[: shown.index("meta.yaer")]
    wide = sum(1 for ch in prefix if ord(ch) > 0x2E80)
    assert caret.index("^") == len(prefix) + wide


def test_no_suggestion_when_nothing_is_close():
    err = error_of("qqqqqq == 1")
    assert err.message == "未知名称 qqqqqq。"


@pytest.mark.parametrize("source, col_of, fragment", [
    ("1 +", None, "末尾缺少运算对象"),
    ("(1 + 2", None, "缺少右括号"),
    ("1 + 2)", ")", "多余的右括号"),
    ("a b", "b", "缺少运算符"),
    ("sum(1,)", ")", "逗号后缺少参数"),
    ("meta.year = 2021", "=", "=="),
    ("（meta.year）", "（", "全角"),
    ("meta.year == 2021 && true", "&", "and"),
    ("'abc", "'", "结束引号"),
    ("收到 == 1", "收", "英文字母"),
    ("1 < 2 < 3", "< 3", "and"),
    ("5 %", "%", "percent"),
])
def test_syntax_errors_point_at_the_problem(source, col_of, fragment):
    err = error_of(source, origin=("r.yaml", 1, 1))
    expected_col = len(source) + 1 if col_of is None else source.index(col_of) + 1
    assert err.col == expected_col, (err.col, str(err))
    assert fragment in err.message
    assert err.message.startswith(("语法错误", "表达式不完整", "比较运算"))


def test_empty_expression():
    assert error_of("   ").message == "表达式为空。"


def test_deep_nesting_is_a_rule_error_not_a_crash():
    assert "嵌套过深" in error_of("-" * 400 + "1 == 1").message
    assert "嵌套过深" in error_of("abs(" * 300 + "1" + ")" * 300 + " == 1").message
    assert "嵌套过深" in error_of(" + ".join(["1"] * 500) + " == 1").message
    # Redundant parentheses add no depth.
    assert value("(" * 400 + "1" + ")" * 400) == 1


def test_keyword_case_hint():
    assert error_of("True").message == "未知名称 True，是否应为 true？（关键字须小写）"


def test_function_name_without_call():
    assert "须带括号" in error_of("sum == 1").message


# ---------------------------------------------------------------------------
# Functions: arity, unknown functions, argument rules, regex literals

@pytest.mark.parametrize("source, message", [
    ("round(1, 2, 3) == 1", "函数 round 需要 1 至 2 个参数，实际给出 3 个。"),
    ("sum() == 0", "函数 sum 至少需要 1 个参数，实际给出 0 个。"),
    ("approx(1, 2) == true", "函数 approx 需要 3 个参数，实际给出 2 个。"),
    ("date(2021, 1) == meta.date", "函数 date 需要 3 个参数，实际给出 2 个。"),
    ("present() ", "函数 present 需要 1 个参数，实际给出 0 个。"),
])
def test_arity_errors(source, message):
    err = error_of(source, origin=("r.yaml", 3, 9))
    assert err.message == message
    assert err.col == 9          # at the function name


def test_unknown_function_suggestion():
    err = error_of("meta.year == 1 or summ(1) == 1", origin=("r.yaml", 1, 1))
    assert err.message == "未知函数 summ，是否应为 sum？"
    assert err.col == len("meta.year == 1 or ") + 1


def test_invalid_regex_literal_is_a_compile_error():
    err = error_of("matches(section6, '信息(处理费')", origin=("r.yaml", 1, 1))
    assert err.message.startswith("正则表达式无效")
    assert err.col > len("matches(section6, ")


def test_regex_must_be_a_literal():
    err = error_of("matches(section6, section1)")
    assert "引号" in err.message


def test_present_takes_a_name():
    assert "必须是一个名称" in error_of("present(1 + 1)").message


# ---------------------------------------------------------------------------
# Static types and shapes

@pytest.mark.parametrize("source, fragment", [
    ("'a' + 1 == 2", "文本"),
    ("1 and true", "真假值"),
    ("meta.year < 'x'", "不能比较大小"),
    ("1 == 'a'", "不能比较数值与文本"),
    ("date(2021, 2, 30) == meta.date", "日期无效"),
    ("approx(1, 2, -1)", "容差不能为负数"),
    ("section3.new == section2.rules", "列不一致"),
    ("contains(section3.new, 'x')", "不能是向量"),
    ("sum(section3.new) == 1", "逐项写出"),
    ("if(1, true, false)", "条件"),
    ("date(2021, 1, 1) + date(2021, 1, 1) == meta.date", "不能相加"),
])
def test_static_errors(source, fragment):
    assert fragment in error_of(source).message


def test_expect_bool():
    compile_expr("section3.new.total + 1", SCHEMA)          # fine as a value
    with pytest.raises(RuleError) as info:
        compile_expr("section3.new.total + 1", SCHEMA, expect="bool")
    assert "真假值" in info.value.message
    assert compile_expr("meta.year == 2021", SCHEMA, expect="bool").is_boolean


def test_rule_error_attributes_and_default_origin():
    with pytest.raises(RuleError) as info:
        compile_expr("x.y == 1", SCHEMA)
    err = info.value
    assert err.file == "<表达式>" and err.line == 1 and err.col == 1
    assert isinstance(err, ValueError)
    assert str(err).startswith("<表达式>:1:1: 未知名称 x.y")


def test_rule_error_pickles():
    import pickle
    err = error_of("section3.nwe == 1")
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err)
