"""What a careful reader sees in the reports of the corpus, cell by cell.

Table 3 is given as rows that are not all zeros; every other template row
is seven zeros. ABSENT marks a cell the report does not let anyone read
(e.g. an extra value that makes its column ambiguous); BLANK an empty cell.
"""
from __future__ import annotations

ABSENT = object()
BLANK = None

T3_ROWS = [
    "section3.new", "section3.carried", "section3.results.granted", "section3.results.partial",
    *[f"section3.results.withheld.{k}" for k in ("state_secret", "law_forbidden", "three_safeties", "third_party",
                                                 "internal_affairs", "process_info", "enforcement_file", "inquiry")],
    *[f"section3.results.unavailable.{k}" for k in ("not_held", "needs_creation", "unclear")],
    *[f"section3.results.not_processed.{k}" for k in ("petition", "duplicate", "publication", "excessive",
                                                      "confirmation")],
    *[f"section3.results.other.{k}" for k in ("overdue_correction", "overdue_fee", "other")],
    "section3.results.total", "section3.carryover",
]
T3_COLS = ["natural_person", "commercial", "research", "social_welfare", "legal_service", "other_org", "total"]
T4_NAMES = [f"section4.{g}.{c}" for g in ("review", "litigation_direct", "litigation_after_review")
            for c in ("upheld", "corrected", "other", "pending", "total")]
T2_NAMES = ["section2.rules.issued", "section2.rules.repealed", "section2.rules.in_force",
            "section2.normative_docs.issued", "section2.normative_docs.repealed", "section2.normative_docs.in_force",
            "section2.licensing.decisions", "section2.penalty.decisions", "section2.coercion.decisions",
            "section2.fees.amount"]


def expand(table2, table3_nonzero, table4, legacy=None, absent_rows=()):
    """Full expected {cell name: value} map; ABSENT cells are left out."""
    out = {}
    if table2 is not None:
        out.update(zip(T2_NAMES, table2))
    for row in T3_ROWS:
        if row in absent_rows:
            continue
        values = table3_nonzero.get(row, [0] * 7)
        out.update({f"{row}.{c}": v for c, v in zip(T3_COLS, values)})
    for row, values in (legacy or {}).items():
        out.update({f"{row}.{c}": v for c, v in zip(T3_COLS, values)})
    out.update(zip(T4_NAMES, table4))
    return {k: v for k, v in out.items() if v is not ABSENT}


SEEDS = {
    "000": dict(
        meta={"agency": "交城县", "year": 2024, "date": "2024-01-17", "level": "government"},
        values=expand(
            None,
            {"section3.new": [8, 2, 0, 0, 0, 0, 10], "section3.results.granted": [7, 2, 0, 0, 0, 0, 9],
             "section3.results.unavailable.not_held": [1, 0, 0, 0, 0, 0, 1],
             "section3.results.total": [8, 2, 0, 0, 0, 0, 10]},
            [4, 0, 0, 0, 4] + [0] * 10,
        ),
    ),
    "001": dict(
        meta={"agency": "新县人民政府办公室", "year": 2024, "date": None, "level": "department"},
        values=expand(
            [0, 0, 0, 8, 12, 36, 0, 0, 0, 0],
            {"section3.new": [21, 0, 0, 0, 0, 0, 21], "section3.results.granted": [7, 0, 0, 0, 0, 0, 7],
             "section3.results.unavailable.not_held": [8, 0, 0, 0, 0, 0, 8],
             "section3.results.other.overdue_correction": [6, 0, 0, 0, 0, 0, 6],
             "section3.results.total": [21, 0, 0, 0, 0, 0, 21]},
            [2, 0, 0, 0, 2] + [0] * 10,
        ),
    ),
    "002": dict(
        meta={"agency": "运城市盐湖区人民政府办公室", "year": 2024, "date": "2025-01-21", "level": "department"},
        values=expand(
            [0, 0, 0, 2, 0, 19, 0, 0, 0, 0],
            {"section3.new": [23, 0, 0, 0, 0, 3, 26], "section3.results.partial": [4, 0, 0, 0, 0, 1, 5],
             "section3.results.withheld.process_info": [1, 0, 0, 0, 0, 0, 1],
             "section3.results.unavailable.not_held": [14, 0, 0, 0, 0, 2, 16],
             "section3.results.not_processed.excessive": [1, 0, 0, 0, 0, 0, 1],
             "section3.results.other.other": [3, 0, 0, 0, 0, 0, 3],
             "section3.results.total": [23, 0, 0, 0, 0, 3, 26]},
            [2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1],
        ),
    ),
    "003": dict(
        meta={"agency": "隆德县", "year": 2024, "date": None, "level": "government"},
        values=expand(
            [0, 0, 0, 1, 2, 14, 4513, 28649, 226, 611.1281],
            {"section3.new": [14, 1, 0, 0, 0, 0, 15], "section3.results.granted": [10, 1, 0, 0, 0, 0, 11],
             "section3.results.withheld.enforcement_file": [1, 0, 0, 0, 0, 0, 1],
             "section3.results.unavailable.not_held": [3, 0, 0, 0, 0, 0, 3],
             "section3.results.total": [14, 1, 0, 0, 0, 0, 15]},
            [5, 1, 0, 0, 6, 0, 0, 1, 0, 1, 3, 0, 0, 1, 4],
        ),
    ),
    "004": dict(
        meta={"agency": "交口县", "year": 2025, "date": "2026-01-16", "level": "government"},
        values=expand(
            [0, 0, 0, 15, 0, 31, 3822, 932, 30, 8510.56],
            {"section3.new": [5, 0, 0, 0, 0, 0, 5], "section3.results.granted": [5, 0, 0, 0, 0, 0, 5],
             "section3.results.total": [5, 0, 0, 0, 0, 0, 5],
             "section3.carryover": [0, BLANK, 0, 0, 0, 0, 0]},
            # 16 numbers printed for 15 cells: which of 复议后起诉 纠正/其他 holds the 1 cannot be told.
            [0, 2, 3, 0, 5, 0, 0, 0, 0, 0, 0, ABSENT, ABSENT, 0, 1],
        ),
    ),
}


# The two real PDF reports of 淮安市洪泽区 (../shared/corpus/real). Both print （六）其他处理
# as the single row of the 2019 template, read as section3.results.other_legacy.
GOV2021_OTHER_ROWS = ("section3.results.other.overdue_correction", "section3.results.other.overdue_fee",
                      "section3.results.other.other")
REAL = {
    "huaian-hongze-2023.pdf": dict(
        # No 落款 is printed: the PDF's own ModDate stands in as the publication date.
        meta={"agency": "洪泽区人民政府", "year": 2023, "date": "2024-02-26", "date_source": "file",
              "level": "government"},
        values=expand(
            [0, 0, 0, 0, 5, 5, 550, 4119, 195, 7730.28],
            {"section3.new": [21, 0, 0, 0, 0, 0, 21], "section3.results.partial": [4, 0, 0, 0, 0, 0, 4],
             "section3.results.withheld.state_secret": [1, 0, 0, 0, 0, 0, 1],
             "section3.results.withheld.process_info": [1, 0, 0, 0, 0, 0, 1],
             "section3.results.withheld.enforcement_file": [1, 0, 0, 0, 0, 0, 1],
             "section3.results.unavailable.not_held": [10, 0, 0, 0, 0, 0, 10],
             "section3.results.unavailable.needs_creation": [3, 0, 0, 0, 0, 0, 3],
             "section3.results.not_processed.petition": [1, 0, 0, 0, 0, 0, 1],
             "section3.results.total": [21, 0, 0, 0, 0, 0, 21]},
            # 总计 printed as 0 next to 10 + 1 (行政复议) and 5 (复议后起诉): a real defect.
            [10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0],
            legacy={"section3.results.other_legacy": [0] * 7},
            absent_rows=GOV2021_OTHER_ROWS,
        ),
    ),
    "huaian-hongze-2024.pdf": dict(
        meta={"agency": "淮安市洪泽区人民政府", "year": 2024, "date": "2025-02-25", "date_source": "file",
              "level": "government"},
        values=expand(
            [0, 0, 0, 3, 0, 8, 9487, 2776, 84, 7545],
            {"section3.new": [95, 0, 0, 0, 0, 0, 95], "section3.results.granted": [50, 0, 0, 0, 0, 0, 50],
             "section3.results.partial": [9, 0, 0, 0, 0, 0, 9],
             "section3.results.withheld.three_safeties": [1, 0, 0, 0, 0, 0, 1],
             "section3.results.withheld.process_info": [1, 0, 0, 0, 0, 0, 1],
             "section3.results.withheld.enforcement_file": [1, 0, 0, 0, 0, 0, 1],
             "section3.results.unavailable.not_held": [31, 0, 0, 0, 0, 0, 31],
             "section3.results.unavailable.needs_creation": [1, 0, 0, 0, 0, 0, 1],
             "section3.results.not_processed.petition": [1, 0, 0, 0, 0, 0, 1],
             "section3.results.total": [95, 0, 0, 0, 0, 0, 95]},
            [1, 1, 0, 0, 2, 1, 0, 0, 0, 1, 2, 0, 1, 0, 3],
            legacy={"section3.results.other_legacy": [0] * 7},
            absent_rows=GOV2021_OTHER_ROWS,
        ),
    ),
}


# The converted and web-page reports of ../shared/corpus/real, as a careful reader of each sees them.
REAL_CONVERTED = {
    # A third party's PDF/OCR conversion: table 3 one Markdown table per row under a generic header,
    # table 4 as three small tables. The converter (not the county) wrote 沭阳 as 沐阳 throughout.
    "jiangsu-shuyang-xian-2025.txt": dict(
        meta={"agency": "沐阳县人民政府", "year": 2025, "date": "2026-01-23", "date_source": "signature",
              "level": "government"},
        values=expand(
            [0, 0, 0, 6, 1, 32, 517645, 693957, 2154, 4068.208],
            {"section3.new": [705, 3, 0, 0, 5, 0, 713], "section3.carried": [36, 0, 0, 0, 0, 0, 36],
             "section3.results.granted": [290, 1, 0, 0, 3, 0, 294],
             "section3.results.partial": [99, 0, 0, 0, 2, 0, 101],
             "section3.results.withheld.three_safeties": [2, 0, 0, 0, 0, 0, 2],
             "section3.results.withheld.third_party": [2, 0, 0, 0, 0, 0, 2],
             "section3.results.withheld.internal_affairs": [13, 0, 0, 0, 0, 0, 13],
             "section3.results.withheld.process_info": [2, 0, 0, 0, 0, 0, 2],
             "section3.results.withheld.enforcement_file": [4, 0, 0, 0, 0, 0, 4],
             "section3.results.withheld.inquiry": [9, 0, 0, 0, 0, 0, 9],
             "section3.results.unavailable.not_held": [111, 0, 0, 0, 0, 0, 111],
             "section3.results.unavailable.needs_creation": [2, 0, 0, 0, 0, 0, 2],
             "section3.results.not_processed.petition": [12, 0, 0, 0, 0, 0, 12],
             "section3.results.not_processed.duplicate": [6, 1, 0, 0, 0, 0, 7],
             "section3.results.other.overdue_correction": [9, 0, 0, 0, 0, 0, 9],
             "section3.results.other.overdue_fee": [7, 0, 0, 0, 0, 0, 7],
             "section3.results.other.other": [142, 1, 0, 0, 0, 0, 143],
             "section3.results.total": [710, 3, 0, 0, 5, 0, 718], "section3.carryover": [31, 0, 0, 0, 0, 0, 31]},
            [27, 10, 9, 15, 61, 3, 0, 0, 0, 3, 8, 0, 1, 1, 10],
        ),
    ),
    # Converted from the published PDF: the converter lost one cell of each table-2 row of block
    # （一） (printed apart as "22（其中修订16件）" and "55（含自然失效29件）", whose row cannot be
    # told for sure), cut three table-3 labels and dropped section 5's heading.
    "shanghai-shizhengfu-bangongting-2025.md": dict(
        meta={"agency": "上海市人民政府办公厅", "year": 2025, "date": None, "level": "department"},
        values=expand(
            [22, ABSENT, 235, 34, ABSENT, 189, 0, 0, 0, 0],
            {"section3.new": [1259, 36, 0, 0, 0, 0, 1295], "section3.carried": [170, 15, 0, 0, 4, 0, 189],
             "section3.results.granted": [201, 5, 0, 0, 0, 0, 206],
             "section3.results.partial": [2, 0, 0, 0, 0, 0, 2],
             "section3.results.withheld.state_secret": [4, 0, 0, 0, 0, 0, 4],
             "section3.results.withheld.three_safeties": [1, 0, 0, 0, 0, 0, 1],
             "section3.results.withheld.internal_affairs": [8, 0, 0, 0, 1, 0, 9],
             "section3.results.withheld.process_info": [1, 0, 0, 0, 0, 0, 1],
             "section3.results.withheld.inquiry": [5, 0, 0, 0, 0, 0, 5],
             "section3.results.unavailable.not_held": [484, 28, 0, 0, 1, 0, 513],
             "section3.results.unavailable.needs_creation": [47, 1, 0, 0, 0, 0, 48],
             "section3.results.unavailable.unclear": [3, 0, 0, 0, 0, 0, 3],
             "section3.results.not_processed.petition": [61, 1, 0, 0, 0, 0, 62],
             "section3.results.not_processed.duplicate": [16, 0, 0, 0, 0, 0, 16],
             "section3.results.not_processed.publication": [1, 0, 0, 0, 0, 0, 1],
             "section3.results.not_processed.excessive": [1, 0, 0, 0, 0, 0, 1],
             "section3.results.other.overdue_correction": [40, 1, 0, 0, 2, 0, 43],
             "section3.results.other.other": [264, 12, 0, 0, 0, 0, 276],
             "section3.results.total": [1139, 48, 0, 0, 4, 0, 1191],
             "section3.carryover": [290, 3, 0, 0, 0, 0, 293]},
            [40, 0, 10, 5, 55, 2, 0, 4, 6, 12, 6, 0, 9, 7, 22],
        ),
    ),
    # The site's article pages; the only date is the site's own 时间 line.
    "fujian-pingtan-2023.html": dict(
        meta={"agency": "平潭综合实验区", "year": 2023, "date": "2024-03-08", "date_source": "page",
              "level": "government"},
        values=expand(
            [0, 0, 0, 77, 132, 470, 2629, 1330, 54, 5949.088667],
            {"section3.new": [80, 1, 0, 0, 0, 0, 81], "section3.results.granted": [22, 0, 0, 0, 0, 0, 22],
             "section3.results.partial": [19, 1, 0, 0, 0, 0, 20],
             "section3.results.withheld.third_party": [1, 0, 0, 0, 0, 0, 1],
             "section3.results.withheld.process_info": [1, 0, 0, 0, 0, 0, 1],
             "section3.results.withheld.enforcement_file": [1, 0, 0, 0, 0, 0, 1],
             "section3.results.withheld.inquiry": [2, 0, 0, 0, 0, 0, 2],
             "section3.results.unavailable.not_held": [31, 0, 0, 0, 0, 0, 31],
             "section3.results.not_processed.duplicate": [1, 0, 0, 0, 0, 0, 1],
             "section3.results.other.overdue_correction": [1, 0, 0, 0, 0, 0, 1],
             "section3.results.other.other": [1, 0, 0, 0, 0, 0, 1],
             "section3.results.total": [80, 1, 0, 0, 0, 0, 81]},
            [1, 1, 0, 0, 2, 4, 0, 0, 1, 5, 1, 0, 1, 0, 2],
        ),
    ),
    "fujian-pingtan-2024.html": dict(
        meta={"agency": "平潭综合实验区", "year": 2024, "date": "2025-03-10", "date_source": "page",
              "level": "government"},
        values=expand(
            [0, 0, 0, 62, 33, 440, 4529, 1100, 65, 18651.06],
            {"section3.new": [217, 1, 0, 0, 0, 0, 218], "section3.results.granted": [71, 0, 0, 0, 0, 0, 71],
             "section3.results.partial": [29, 0, 0, 0, 0, 0, 29],
             "section3.results.withheld.state_secret": [4, 0, 0, 0, 0, 0, 4],
             "section3.results.withheld.third_party": [3, 0, 0, 0, 0, 0, 3],
             "section3.results.withheld.internal_affairs": [32, 0, 0, 0, 0, 0, 32],
             "section3.results.unavailable.not_held": [75, 0, 0, 0, 0, 0, 75],
             "section3.results.not_processed.duplicate": [1, 0, 0, 0, 0, 0, 1],
             "section3.results.other.overdue_correction": [1, 0, 0, 0, 0, 0, 1],
             "section3.results.other.other": [1, 1, 0, 0, 0, 0, 2],
             "section3.results.total": [217, 1, 0, 0, 0, 0, 218]},
            [2, 1, 3, 1, 7, 0, 0, 0, 0, 0, 13, 2, 4, 0, 19],
        ),
    ),
}
