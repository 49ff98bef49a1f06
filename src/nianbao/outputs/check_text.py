"""`nianbao check --format text`: findings for a person, grouped by severity."""
from __future__ import annotations

from ..findings import SEVERITY_CN, CheckResult
from ..terminal import safe

from ..findings import LEVEL_CN as _LEVEL_CN
from ..metadata import DATE_SOURCE_CN


def result_to_text(result: CheckResult, show_unchecked: bool = True) -> str:
    out: list[str] = []
    meta = result.meta_json()
    out.append(f"══ {result.source}")
    if meta:
        level = _LEVEL_CN.get(meta.get("level") or "", "层级未识别")
        out.append(f"   {meta.get('agency') or '机关未识别'} · {meta.get('year') or '年度未识别'}年度 · {level} · "
                   f"{DATE_SOURCE_CN.get(meta.get('date_source') or '', '落款日期')} {meta.get('date') or '未标注'} · 模板 {meta.get('template')} · 规则包 {result.pack}")
    if result.previous:
        out.append(f"   对照上年报告：{result.previous}")
    counts = "，".join(f"{SEVERITY_CN[s]} {result.count(s)} 项" for s in ("error", "warning", "info"))
    out.append(f"   检查结果：{counts}")
    current = None
    for finding in result.sorted_findings():
        if finding.severity != current:
            current = finding.severity
            out.append("")
            out.append(f"【{SEVERITY_CN[current]}】")
        where = finding.where()
        out.append(f"  ● {finding.heading}  [{finding.category} · {finding.rule}]")
        out.append(f"    {finding.message}")
        if where:
            out.append(f"    位置：{where}")
        out.append(f"    依据：{finding.basis}")
    if show_unchecked and result.unchecked:
        out.append("")
        out.append(f"【无法检查】（{len(result.unchecked)} 项，所需数据缺失或无法读取）")
        for item in result.unchecked:
            out.append(f"  ○ {item.title}  [{item.rule}]：{item.reason}")
    if not result.findings:
        out.append("")
        out.append("  未发现问题。")
    return safe("\n".join(out)) + "\n"        # report text is shown, never obeyed by the terminal
