"""The verdict on a report (退回修改, 待复核, 通过…), by the policy its pack declares.

A pack's top-level `verdict:` is a list of `{when: <expression>, verdict: <label>}`,
tried in order; the first whose `when` holds (or that has no `when`) gives the
verdict. Expressions are in the rule language over the counts of findings by
severity and review status, dismissed ones (误报, 豁免) left out:
`errors.open`, `errors.confirmed`, `warnings.open`, … `infos.confirmed`.
"""
from __future__ import annotations

import functools
from typing import Any, Iterable

from ..errors import PackError
from ..lang import RuleError, Schema, compile_expr, evaluate

SEVERITY_GROUP = {"error": "errors", "warning": "warnings", "info": "infos"}
COUNT_NAMES = tuple(f"{group}.{state}" for group in SEVERITY_GROUP.values() for state in ("open", "confirmed"))
_SCHEMA = Schema(scalars=COUNT_NAMES)

Policy = list[tuple[str | None, str]]


def pack_policy(pack: Any) -> Policy:
    """The pack's verdict policy. The only place that knows where a pack keeps it: `pack.verdict`
    when the pack loader provides it, else the top-level `verdict:` of the nearest of the pack's files
    (the pack's own files first, then its bases'), else the one of the bundled `common` pack."""
    declared = getattr(pack, "verdict", None)
    if declared:
        for entry in declared:                   # (when, label, "file:line:col"): errors point there
            if entry[0] is not None:
                _compiled(str(entry[0]), str(entry[2]) if len(entry) > 2 else pack.name)
        return [(entry[0], str(entry[1])) for entry in declared]
    for file in getattr(pack, "files", []):
        found = _file_policy(str(file))
        if found is not None:
            return found
    from ..paths import rules_dir
    return _file_policy(str(rules_dir() / "common" / "pack.yaml")) or []


def _file_policy(path: str) -> Policy | None:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError):
        return None
    return _text_policy(path, text)


@functools.lru_cache(maxsize=64)
def _text_policy(path: str, text: str) -> Policy | None:
    """Keyed by the file's content: an edited pack is read again."""
    import re

    import yaml
    if not re.search(r"^verdict\s*:", text, re.M):      # most pack files: no need to parse them
        return None
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loaders
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict) or "verdict" not in data:
        return None
    entries = data["verdict"]
    if not isinstance(entries, list) or not entries:
        raise PackError(path, "verdict 应为列表，每项为 {when: 条件表达式, verdict: 结论}")
    policy: Policy = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("verdict"), str):
            raise PackError(path, "verdict 的每一项都应有 verdict（结论文字），可选 when（条件表达式）")
        when = entry.get("when")
        policy.append((str(when) if when is not None else None, entry["verdict"]))
    compile_policy(policy, path)
    return policy


@functools.lru_cache(maxsize=256)
def _compiled(source: str, where: str):
    try:
        return compile_expr(source, _SCHEMA, origin=(where, 1, 1), expect="bool")
    except RuleError as exc:
        raise PackError(where, f"verdict 条件“{source}”无效：{exc.message}") from None


def compile_policy(policy: Iterable[tuple[str | None, str]], where: str) -> None:
    """Raise PackError for a condition that does not compile (names: errors/warnings/infos.open/confirmed)."""
    for when, _ in policy:
        if when is not None:
            _compiled(when, where)


def empty_counts() -> dict[str, int]:
    return {name: 0 for name in COUNT_NAMES}


def count_key(severity: str, status: str) -> str | None:
    """Which count a finding adds to: None for a dismissed one."""
    if status not in ("open", "confirmed"):
        return None
    return f"{SEVERITY_GROUP.get(severity, 'infos')}.{status}"


def decide(policy: Policy, counts: dict[str, int], where: str = "verdict") -> str:
    for when, label in policy:
        if when is None or evaluate(_compiled(when, where), counts).status == "pass":
            return label
    return ""
