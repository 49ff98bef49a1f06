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
from .catalogue import render_rules_doc
from .compile import compile_pack
from .confine import available_packs
from .diff import RuleChange, diff_packs, format_diff
from .lint import lint_pack
from .pack import NarrativeSpec, Pack, Rule, base_schema, expand_names, make_jinja
from .reader import Resolved, ResolvedRule, read_pack
from .registry import PackRegistry, load_pack
from .schema import CATEGORIES, REGEX_TIMEOUT, SEVERITIES
from .sink import LintProblem

__all__ = [
    "PackError", "Pack", "Rule", "NarrativeSpec", "load_pack", "read_pack", "compile_pack", "PackRegistry",
    "Resolved", "ResolvedRule", "lint_pack", "LintProblem", "render_rules_doc", "diff_packs",
    "format_diff", "RuleChange", "available_packs", "expand_names", "base_schema", "make_jinja", "CATEGORIES",
    "SEVERITIES", "REGEX_TIMEOUT",
]
