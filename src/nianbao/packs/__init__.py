"""Rule packs: YAML files of rules, per template version, that supervisors edit.

A pack is a folder (every *.yaml in it except template.yaml, all declaring the
same `pack:`) or a single file. A pack may `extends:` another (a bundled pack by
name, a pack in a NIANBAO_PACKS folder, or a path inside its own folder); it then
inherits the base's template, parameters, narrative facts, rules, `letter:` and
`verdict:` settings, and may override a rule by id (only the keys it gives),
`disable:` rules, add rules, and change `params:`.

Packs are input, not code: YAML is read safely and within bounds, every file a
pack names is confined to its folder, regexes are compiled within limits, message
templates run in a budgeted Jinja2 sandbox, and expressions are compiled by our own
grammar; nothing is ever eval'd.

Modules, one concern each:
  schema      the keys a pack may hold, the fixed vocabularies, the bounds
  yamlpos     YAML with positions (bounded safe loading, carets)
  explain     library errors explained in Chinese
  sink        where problems go: collected (lint) or raised (load)
  confine     what files and packs a pack may name
  bounded_regex  regexes compiled within limits
  reader      the one reader: files → layers → resolved pack with provenance
  pack        the compiled Pack / Rule the engine runs
  compile     resolved pack → Pack
  registry    compiled packs cached by file content (PackRegistry, load_pack)
  lint, catalogue, diff   the tools of pack maintainers
"""
from ..errors import PackError

# Where each public name lives. Imported on first use (PEP 562), so that loading a cached pack
# for a check does not import the linter, the catalogue, the differ, the YAML reader or jinja2.
_EXPORTS = {
    "render_rules_doc": "catalogue", "compile_pack": "compile", "available_packs": "confine",
    "RuleChange": "diff", "diff_packs": "diff", "format_diff": "diff", "lint_pack": "lint",
    "NarrativeSpec": "pack", "Pack": "pack", "Rule": "pack", "base_schema": "pack", "expand_names": "pack",
    "make_jinja": "pack", "Resolved": "reader", "ResolvedRule": "reader", "read_pack": "reader",
    "PackRegistry": "registry", "load_pack": "registry", "CATEGORIES": "schema", "REGEX_TIMEOUT": "schema",
    "SEVERITIES": "schema", "LintProblem": "sink",
}

__all__ = ["PackError", *_EXPORTS]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
