"""Reading report facts and rule parameters as the compiled closures see them.

A fact in the mapping is a `Fact` (its `.value` is used) or a plain value; a
parameter is looked up in the pack's params by its bare key, or in the facts
when no params are given. `NOTFOUND` marks a parameter nobody defined.
"""
from __future__ import annotations

from typing import Mapping, Optional

NOTFOUND = object()


def fact_value(fact):
    """A fact's value, or the object itself when it is a plain value."""
    try:
        return fact.value
    except AttributeError:
        return fact


def blank_text(v) -> bool:
    """True for text holding only whitespace (a cell printed empty)."""
    return v.__class__ is str and not v.strip()


def param_value(full: str, facts: Mapping, params: Optional[Mapping]):
    """A parameter's value, or NOTFOUND. Looked up in `params` by its bare key
    (``deadline_month``) or full name; when params is None, in the facts."""
    if params is not None:
        key = full[len("params."):]
        v = params.get(key, NOTFOUND)
        if v is NOTFOUND:
            v = params.get(full, NOTFOUND)
        if v is NOTFOUND:
            return NOTFOUND
        return fact_value(v)
    fact = facts.get(full)
    if fact is None:
        return NOTFOUND
    return fact_value(fact)
