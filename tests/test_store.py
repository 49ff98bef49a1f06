"""The audit-campaign store on SQLite and on a real PostgreSQL server (issue 12's done-when cases).

Every test runs once per engine (`db_url`). Reports come from the corpus and
from the clean fixture report with defects injected by the tests.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

# First: skips the module, with the reason, where the store extra is not installed.
from store_fixtures import db_url, pg_server  # noqa: F401
from sqlalchemy import func, select, text

from conftest import REPO, real_path
from nianbao.store import Store, StoreError, check_into_store, recheck, resubmissions
from nianbao.store import schema as S
from nianbao.store.export import export
from nianbao.store.roster import import_roster, read_roster, submissions

CLEAN = (REPO / "tests" / "fixtures" / "clean-report.txt").read_text(encoding="utf-8")
BROKEN_PENALTY = CLEAN.replace("行政处罚\t642", "行政处罚\t六百四十二")   # counts-are-whole-numbers fires


def _copy(names: list[str], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(real_path(name), folder / name)
    return folder


def _state(store: Store, agency_part: str, year: int):
    found = [s for s in store.states() if agency_part in (s.report["agency"] or "") and s.report["year"] == year
             and not s.superseded]
    assert len(found) == 1, [(s.report["agency"], s.report["year"]) for s in store.states()]
    return found[0]


def test_dismissed_finding_survives_rule_edit_and_recheck(db_url, tmp_path):
    """Done when: check a folder, mark one finding 误报, edit a rule, recheck: the review is still attached,
    the letter leaves it out, the run diff names what the edit added and removed."""
    folder = _copy(["huaian-hongze-2023.pdf", "fujian-pingtan-2023.html", "fujian-pingtan-2024.html"],
                   tmp_path / "in")
    pack = tmp_path / "local.yaml"
    pack.write_text("pack: local\nextends: gov-2021\n", encoding="utf-8")
    with Store(db_url) as store:
        first = check_into_store(store, [str(folder)], str(pack), "张三")
        assert [e.error for e in first.entries] == [None, None, None]
        hongze = _state(store, "洪泽", 2023)
        rules = {f.rule for f in hongze.findings}
        assert "work-points-statement" in rules and "table4-review-total" in rules
        dismissed = next(f for f in hongze.findings if f.rule == "table4-review-total")
        store.review([dismissed.fingerprint], "false_positive", "表四原件总计栏经电话核实无误", "李四")

        # The edit: drop the work-points rule; add a local rule none of the three reports meets.
        pack.write_text(
            "pack: local\nextends: gov-2021\ndisable: [work-points-statement]\nrules:\n"
            "  - id: local-new-media\n    title: 第一部分说明政务新媒体矩阵建设情况\n    category: content.required_missing\n"
            "    severity: warning\n    basis: 本地要求\n    check: contains(section1, '政务新媒体矩阵')\n"
            "    message: 第一部分未说明政务新媒体矩阵建设情况。\n", encoding="utf-8")
        summary = recheck(store, str(pack), "王五")
        assert summary.reread == 0                     # from the stored parses, no file read again
        added = {(c.report["agency"], c.finding.rule) for c in summary.diff.new}
        removed = {(c.report["agency"], c.finding.rule) for c in summary.diff.resolved}
        assert {rule for _, rule in added} == {"local-new-media"} and len(summary.diff.new) == 3
        assert ("洪泽区人民政府", "work-points-statement") in removed and len(summary.diff.resolved) == 3
        assert {rule for _, rule in removed} == {"work-points-statement"}

        after = _state(store, "洪泽", 2023)
        kept = next(f for f in after.findings if f.fingerprint == dismissed.fingerprint)
        assert kept.status == "false_positive" and kept.review.reason == "表四原件总计栏经电话核实无误"
        assert after.run_id == summary.run_id

        out = export(store, tmp_path / "out")
    letter = next((tmp_path / "out" / "letters").glob("*huaian-hongze-2023.html")).read_text(encoding="utf-8")
    assert dismissed.message not in letter
    assert "复议后起诉" in letter                       # the other table-4 error is still there
    page = next((tmp_path / "out" / "reports").glob("*huaian-hongze-2023.html")).read_text(encoding="utf-8")
    assert "finding error dismissed" in page and "表四原件总计栏经电话核实无误" in page
    assert out.reports == 3


def test_resubmitted_corrected_report_shows_fixed_findings(db_url, tmp_path):
    v1, v2 = tmp_path / "v1" / "示例县2024年报.txt", tmp_path / "v2" / "示例县2024年报（修改稿）.txt"
    v1.parent.mkdir()
    v2.parent.mkdir()
    v1.write_text(BROKEN_PENALTY, encoding="utf-8")
    v2.write_text(CLEAN, encoding="utf-8")
    with Store(db_url) as store:
        check_into_store(store, [str(v1)], None, "张三")
        first = store.states()[0]
        broken = [f for f in first.findings if f.rule == "counts-are-whole-numbers"]
        assert broken and first.verdict == "待复核"
        store.review([broken[0].fingerprint], "confirmed", "", "李四")
        assert store.states()[0].verdict == "退回修改"
        check_into_store(store, [str(v2)], None, "张三")
        states = store.states()
        assert sorted((s.report["version"], s.superseded) for s in states) == [(1, True), (2, False)]
        (item,) = resubmissions(states)
    assert item.agency == "示例县人民政府" and item.year == 2024
    assert [c.finding.rule for c in item.fixed] == ["counts-are-whole-numbers"]
    assert item.remaining == [] and item.diff.new == []
    assert item.later.verdict == "通过"


def test_last_years_stored_report_is_prev(db_url, tmp_path):
    with Store(db_url) as store:
        check_into_store(store, [str(real_path("fujian-pingtan-2023.html"))], None, "张三")
        check_into_store(store, [str(real_path("fujian-pingtan-2024.html"))], None, "张三")
        this, last = _state(store, "平潭", 2024), _state(store, "平潭", 2023)
        assert this.previous_report_id == last.report["id"]
        assert "normative-docs-in-force-carried" in {f.rule for f in this.findings}
    # Without last year's report in the store, the cross-year rule has nothing to compare.
    with Store(str(tmp_path / "alone.db")) as alone:
        check_into_store(alone, [str(real_path("fujian-pingtan-2024.html"))], None, "张三")
        assert "normative-docs-in-force-carried" not in {f.rule for f in alone.states()[0].findings}


def test_review_scopes_expiry_and_verdicts(db_url, tmp_path):
    import datetime as dt
    folder = _copy(["huaian-hongze-2023.pdf", "huaian-hongze-2024.pdf"], tmp_path / "in")
    with Store(db_url) as store:
        check_into_store(store, [str(folder)], None, "张三")
        a, b = _state(store, "洪泽", 2023), _state(store, "洪泽", 2024)
        assert a.previous_report_id is None and b.previous_report_id == a.report["id"]
        points_a = next(f for f in a.findings if f.rule == "work-points-statement")
        # Waived for this rule across the whole campaign: both years.
        store.review([points_a.fingerprint], "waived", "本轮不检查工作要点落实情况", "李四", scope="rule")
        for state in (_state(store, "洪泽", 2023), _state(store, "洪泽", 2024)):
            assert [f.status for f in state.findings if f.rule == "work-points-statement"] == ["waived"]
        # A review for this one finding is more specific than the campaign-wide waiver.
        store.review([points_a.fingerprint], "confirmed", "", "王五")
        assert next(f for f in _state(store, "洪泽", 2023).findings
                    if f.rule == "work-points-statement").status == "confirmed"
        assert next(f for f in _state(store, "洪泽", 2024).findings
                    if f.rule == "work-points-statement").status == "waived"
        # An expired review no longer counts.
        errors = [f for f in _state(store, "洪泽", 2024).findings if f.severity == "error"]
        store.review([f.fingerprint for f in errors], "false_positive", "已过期的意见", "王五",
                     expires=dt.datetime(2000, 1, 1))
        assert _state(store, "洪泽", 2024).verdict == "待复核"
        store.review([f.fingerprint for f in errors], "false_positive", "经核实均为误报", "王五")
        state = _state(store, "洪泽", 2024)
        assert state.counts["errors.open"] == 0 and state.verdict == "通过（有提示）"
        with pytest.raises(StoreError, match="必须填写理由"):
            store.review([errors[0].fingerprint], "waived", " ", "王五")
        with pytest.raises(StoreError, match="没有指纹为"):
            store.review(["0" * 20], "confirmed", "", "王五")


def test_roster_missing_late_and_level(db_url, tmp_path):
    report = tmp_path / "in" / "示例县.txt"
    report.parent.mkdir()
    report.write_text(CLEAN, encoding="utf-8")
    roster = tmp_path / "名单.csv"
    roster.write_text("机关名称,层级,地区,时限分组\n示例县人民政府,部门,示例市,2025-01-10\n"
                      "平潭综合实验区,政府,福建省,\n淮安市洪泽区人民政府,政府,淮安市,政府\n", encoding="utf-8-sig")
    with Store(db_url) as store:
        assert import_roster(store, read_roster(str(roster))) == 3
        check_into_store(store, [str(report), str(real_path("huaian-hongze-2024.pdf"))], None, "张三")
        state = _state(store, "示例县", 2024)
        assert state.report["level"] == "department"        # the roster's, not the guess "government"
        assert store.parsed_report(state.report["id"]).meta_value("level") == "government"   # as parsed
        result = submissions(store)
    assert result.year == 2024
    assert [e.name for e in result.missing] == ["平潭综合实验区"]
    # Dated 2025-03-20, after its group's own deadline; 洪泽区 (published 2025-02-25) was on time.
    (entry, deadline, date, which), = result.late
    assert (entry.name, deadline.isoformat(), date.isoformat(), which) == (
        "示例县人民政府", "2025-01-10", "2025-03-20", "报告日期")
    assert result.on_time == 1 and result.outside == []


def test_roster_from_xlsx_and_bad_rosters(tmp_path):
    from openpyxl import Workbook

    from nianbao.errors import InputError
    book = Workbook()
    book.active.append(["name", "level", "parent", "deadline_group"])
    book.active.append(["上海市人民政府办公厅", "部门", "上海市", None])
    book.save(tmp_path / "r.xlsx")
    (entry,) = read_roster(str(tmp_path / "r.xlsx"))
    assert (entry.agency_key, entry.level, entry.region) == ("上海市人民政府办公厅", "department", "上海市")
    (tmp_path / "bad.csv").write_text("机关名称,层级\n某局,省级\n", encoding="utf-8")
    with pytest.raises(InputError, match="第2行：层级“省级”无法识别"):
        read_roster(str(tmp_path / "bad.csv"))
    (tmp_path / "nohead.csv").write_text("甲,乙\n某局,部门\n", encoding="utf-8")
    with pytest.raises(InputError, match="缺少“机关名称”列"):
        read_roster(str(tmp_path / "nohead.csv"))


def test_new_parser_version_rereads_stored_files(db_url, tmp_path, monkeypatch):
    from nianbao.store import checking
    with Store(db_url) as store:
        check_into_store(store, [str(real_path("fujian-pingtan-2023.html"))], None, "张三")
        assert recheck(store, None, "张三").reread == 0
        monkeypatch.setattr(checking, "parser_version", lambda: "next-parser")
        summary = recheck(store, None, "张三")
        assert summary.reread == 1 and summary.diff.counts()["new"] == 0
        assert store.report_rows()[0]["parser_version"] == "next-parser"
        assert recheck(store, None, "张三").reread == 0


def test_same_bytes_once_unreadable_file_stored_with_reason(db_url, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(CLEAN, encoding="utf-8")
    (folder / "b.txt").write_text(CLEAN, encoding="utf-8")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 50)
    with Store(db_url) as store:
        summary = check_into_store(store, [str(folder)], None, "张三")
        assert summary.duplicates == [(str(folder / "b.txt"), str(folder / "a.txt"))]
        rows = store.report_rows()
        assert len(rows) == 2
        broken = next(r for r in rows if r["source_name"] == "broken.pdf")
        assert broken["error"] and broken["agency"] is None
        state = next(s for s in store.states() if s.report["id"] == broken["id"])
        assert [f.category for f in state.findings] == ["parse.unreadable"]
        assert state.verdict == "待复核"
        # The same file checked again is the same report, not a resubmission.
        check_into_store(store, [str(folder / "a.txt")], None, "张三")
        assert len(store.report_rows()) == 2


def test_schema_is_versioned_and_foreign_databases_are_left_alone(db_url):
    from alembic.script import ScriptDirectory

    from nianbao.store.database import _alembic_config
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    with Store(db_url) as store:
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
        with store.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="比本程序新"):
        Store(db_url)


def test_foreign_sqlite_database_refused(tmp_path):
    import sqlite3
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER)")
    with pytest.raises(StoreError, match="不是 nianbao 审核库"):
        Store(str(path))
    with sqlite3.connect(path) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["customers"]


def test_each_report_recorded_whole(db_url, tmp_path):
    """Every stored report has its run entry, and findings belong to a run entry (no orphans)."""
    with Store(db_url) as store:
        check_into_store(store, [str(real_path("fujian-pingtan-2023.html")), str(real_path("huaian-hongze-2023.pdf"))],
                         None, "张三")
        with store.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(S.reports)).scalar() == 2
            orphans = conn.execute(select(func.count()).select_from(S.findings).outerjoin(
                S.run_reports, (S.run_reports.c.run_id == S.findings.c.run_id)
                & (S.run_reports.c.report_id == S.findings.c.report_id)).where(S.run_reports.c.run_id.is_(None))).scalar()
            assert orphans == 0
        (run,) = store.runs()
        assert run["finished_at"] is not None and run["reports"] == 2 and run["run_by"] == "张三"


def _findings_by_report(store: Store) -> dict[str, set]:
    return {s.report["source_name"]: {(f.fingerprint, f.figures, f.message, f.severity) for f in s.findings}
            for s in store.states()}


@pytest.mark.parametrize("edit", [
    # a message reworded and a severity changed: same fingerprints, new wording
    "rules:\n  - id: work-points-statement\n    severity: info\n    message: 未见工作要点落实情况（请核实）。\n",
    # a parameter every deadline rule reads
    "params:\n  government_deadline_month: 2\n  government_deadline_day: 20\n",
    # a rule switched off and one added
    "disable: [table4-review-total]\nrules:\n  - id: local-new-media\n    title: 第一部分说明政务新媒体矩阵建设情况\n"
    "    category: content.required_missing\n    severity: warning\n    basis: 本地要求\n"
    "    check: contains(section1, '政务新媒体矩阵')\n    message: 第一部分未说明政务新媒体矩阵建设情况。\n",
])
def test_incremental_recheck_finds_what_a_full_check_finds(edit, tmp_path):
    folder = _copy(["huaian-hongze-2023.pdf", "huaian-hongze-2024.pdf", "fujian-pingtan-2023.html",
                    "fujian-pingtan-2024.html"], tmp_path / "in")
    pack = tmp_path / "local.yaml"
    pack.write_text("pack: local\nextends: gov-2021\n", encoding="utf-8")
    with Store(str(tmp_path / "a.db")) as incremental:
        check_into_store(incremental, [str(folder)], str(pack), "张三")
        pack.write_text("pack: local\nextends: gov-2021\n" + edit, encoding="utf-8")
        summary = recheck(incremental, str(pack), "张三")
        assert summary.evaluated_in_full == 0 and summary.reread == 0
        edited = _findings_by_report(incremental)
        pack.write_text("pack: local\nextends: gov-2021\n", encoding="utf-8")      # and the edit undone
        recheck(incremental, str(pack), "张三")
        undone = _findings_by_report(incremental)
    for text, got in ((edit, edited), ("", undone)):
        pack.write_text("pack: local\nextends: gov-2021\n" + text, encoding="utf-8")
        with Store(str(tmp_path / f"fresh-{len(text)}.db")) as fresh:
            check_into_store(fresh, [str(folder)], str(pack), "张三")
            assert _findings_by_report(fresh) == got


def test_rechecks_after_roster_or_last_year_change_evaluate_in_full(tmp_path):
    with Store(str(tmp_path / "c.db")) as store:
        check_into_store(store, [str(real_path("fujian-pingtan-2024.html"))], None, "张三")
        assert recheck(store, None, "张三").evaluated_in_full == 0
        # Last year's report arrives: this year's inputs changed, so everything is evaluated again.
        check_into_store(store, [str(real_path("fujian-pingtan-2023.html"))], None, "张三")
        summary = recheck(store, None, "张三")
        assert summary.evaluated_in_full == 1
        assert "normative-docs-in-force-carried" in {c.finding.rule for c in summary.diff.new}
        roster = tmp_path / "r.csv"
        roster.write_text("机关名称,层级\n平潭综合实验区,部门\n", encoding="utf-8")
        import_roster(store, read_roster(str(roster)))
        assert recheck(store, None, "张三").evaluated_in_full == 2


def test_schema_upgrades_itself_from_an_older_revision(tmp_path):
    from alembic import command
    from sqlalchemy import create_engine

    from nianbao.store.database import _alembic_config
    path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(text("INSERT INTO roster (name, agency_key, imported_at) VALUES ('某局', '某局', '2025-01-01')"))
    engine.dispose()
    with Store(str(path)) as store:
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0003"
            assert conn.execute(text("SELECT name FROM roster")).scalar() == "某局"
        check_into_store(store, [str(real_path("fujian-pingtan-2023.html"))], None, "张三")
        assert recheck(store, None, "张三").evaluated_in_full == 0


def test_pack_declares_its_own_verdict_policy(tmp_path):
    from nianbao.errors import PackError
    pack = tmp_path / "strict.yaml"
    pack.write_text("pack: strict\nextends: gov-2021\nverdict:\n"
                    "  - {when: 'errors.open + errors.confirmed + warnings.open > 0', verdict: 不予通过}\n"
                    "  - {verdict: 准予通过}\n", encoding="utf-8")
    with Store(str(tmp_path / "c.db")) as store:
        check_into_store(store, [str(real_path("fujian-pingtan-2024.html"))], str(pack), "张三")
        assert store.states()[0].verdict == "不予通过"
        pack.write_text("pack: strict\nextends: gov-2021\nverdict:\n  - {when: 'errors.pending > 0', verdict: 待定}\n",
                        encoding="utf-8")
        with pytest.raises(PackError, match="verdict 条件“errors.pending > 0”无效"):
            recheck(store, str(pack), "张三")
