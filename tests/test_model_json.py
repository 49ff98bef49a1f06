"""A Report survives the store's JSON form unchanged, and checks the same after it."""
from __future__ import annotations

import datetime as dt
import json
import math

import pytest
from hypothesis import given, settings, strategies as st

from conftest import REPO, real_path, seed_path
from nianbao.engine import check_report
from nianbao.model import Fact, Location, Paragraph, ParseNote, Report, Section
from nianbao.model_json import report_from_dict, report_to_dict
from nianbao.packs import load_pack
from nianbao.reading import read_report


def _through_json(report: Report) -> Report:
    return report_from_dict(json.loads(json.dumps(report_to_dict(report), ensure_ascii=False)))


@pytest.mark.parametrize("name", ["huaian-hongze-2024.pdf", "fujian-pingtan-2023.html",
                                  "jiangsu-shuyang-xian-2025.txt", "shanghai-shizhengfu-bangongting-2025.md"])
def test_real_reports_round_trip_and_check_the_same(name):
    report = read_report(str(real_path(name)))
    back = _through_json(report)
    assert back == report
    # Locations keep full precision (the parse dump rounds bboxes; the store must not).
    assert [f.location for f in back.values.values()] == [f.location for f in report.values.values()]
    pack = load_pack(str(report.meta_value("template")))
    assert check_report(back, pack).to_json() == check_report(report, pack).to_json()


def test_cross_year_check_from_stored_reports_matches():
    prev = read_report(str(real_path("fujian-pingtan-2023.html")))
    this = read_report(str(real_path("fujian-pingtan-2024.html")))
    pack = load_pack("gov-2021")
    assert (check_report(_through_json(this), pack, _through_json(prev)).to_json()
            == check_report(this, pack, prev).to_json())


def test_seed_and_sample_round_trip():
    for path in (seed_path("000"), REPO / "examples" / "sample-report.txt"):
        report = read_report(str(path))
        assert _through_json(report) == report


# ---------------------------------------------------------------------------
texts = st.text(max_size=12)
locations = st.one_of(st.none(), st.builds(
    Location, source=texts, line=st.one_of(st.none(), st.integers(1, 10_000)),
    page=st.one_of(st.none(), st.integers(1, 500)),
    bbox=st.one_of(st.none(), st.tuples(*[st.floats(-1e6, 1e6, allow_nan=False)] * 4)),
    label=st.one_of(st.none(), texts)))
values = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), texts,
                   st.floats(allow_nan=False), st.just(math.inf), st.just(-math.inf),
                   st.dates(dt.date(1990, 1, 1), dt.date(2100, 12, 31)))
names = st.from_regex(r"[a-z][a-z0-9_.]{0,20}", fullmatch=True)
facts = st.builds(Fact, name=names, value=values, raw=st.one_of(st.none(), texts), location=locations)
paragraphs = st.builds(Paragraph, text=texts, segments=st.lists(st.tuples(st.integers(0, 500), locations.filter(
    lambda loc: loc is not None)), max_size=3))
details = st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), st.recursive(
    values, lambda inner: st.one_of(st.lists(inner, max_size=3), st.tuples(inner, inner),
                                    st.dictionaries(st.from_regex(r"[a-z]{1,5}", fullmatch=True), inner, max_size=2))),
    max_size=3)
notes = st.builds(ParseNote, category=names, message=texts, location=locations, fields=st.lists(names, max_size=3),
                  detail=details)


@st.composite
def reports(draw) -> Report:
    numbers = draw(st.lists(st.integers(1, 6), unique=True, max_size=6))
    sections = {n: Section(n, draw(texts), draw(texts), draw(locations), draw(st.lists(paragraphs, max_size=3)))
                for n in numbers}
    return Report(
        source=draw(texts), format=draw(st.sampled_from(["text", "pdf", "html", "docx"])),
        meta={f.name: f for f in draw(st.lists(facts, max_size=5))}, sections=sections,
        section_order=draw(st.permutations(numbers)), preamble=draw(st.lists(paragraphs, max_size=3)),
        tables_found=draw(st.lists(st.sampled_from(["table2", "table3", "table4"]), max_size=3)),
        values={f.name: f for f in draw(st.lists(facts, max_size=8))}, notes=draw(st.lists(notes, max_size=3)))


@settings(max_examples=150, deadline=None)
@given(reports())
def test_any_report_round_trips_losslessly(report):
    back = _through_json(report)
    assert back == report
    for name, fact in report.values.items():       # types, not just equal values (1 == 1.0 == True)
        assert type(back.values[name].value) is type(fact.value)
    for a, b in zip(report.notes, back.notes):
        assert repr(a.detail) == repr(b.detail)


def test_strict_json_writes_non_finite_numbers_as_text_and_the_rest_as_json_does():
    import json
    import math

    from nianbao.strict_json import dumps

    plain = {"a": [1, 2.5, None, "甲\u202e"], "b": {"c": (1, 2)}}
    assert json.loads(dumps(plain)) == {"a": [1, 2.5, None, "甲\u202e"], "b": {"c": [1, 2]}}
    assert "\\u202e" in dumps(plain)                               # a bidi override is escaped
    odd = {"x": [math.inf, {"y": -math.inf, "z": math.nan}], "w": 1.5}
    assert json.loads(dumps(odd)) == {"x": ["inf", {"y": "-inf", "z": "nan"}], "w": 1.5}
