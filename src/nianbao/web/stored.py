"""A stored report as a CheckResult the outputs render: its parse, its live findings, its pack."""
from __future__ import annotations

from starlette.exceptions import HTTPException

from ..checker import DEFAULT_TEMPLATE, default_checker
from ..errors import NianbaoError


def pack_named(name: str):
    """The pack a stored run used, by name; the default one when it is no longer available."""
    try:
        return default_checker().packs.get(name)
    except NianbaoError:
        return default_checker().packs.get(DEFAULT_TEMPLATE)


def stored_result(store, report_id: int, include_dismissed: bool = False):
    """(CheckResult with the parsed report attached, pack, state); 404 when the report is not stored."""
    states = store.states(report_ids=[report_id])
    if not states:
        raise HTTPException(404, f"没有编号为 {report_id} 的报告（或尚未检查）")
    state = states[0]
    result = state.result(include_dismissed=include_dismissed)
    result.report = store.parsed_report(report_id)
    if result.report is None:
        result.unreadable = state.report.get("error") or "文件无法读取"
    return result, pack_named(state.pack_name), state
