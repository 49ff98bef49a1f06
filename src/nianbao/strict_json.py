"""Strict JSON out: no `Infinity` or `NaN`, which JSON does not have and most readers refuse.

A report can print a figure no float holds (a 400-digit decimal); the readers
keep such a figure as text (cells.MAX_DIGITS), and whatever float is still not
finite is written as a string here. Every JSON nianbao writes goes through
`dump`/`dumps` (allow_nan=False: a non-finite float that slipped past is a bug,
not an output).
"""
from __future__ import annotations

import json
import math
import re
from typing import IO, Any

# With ensure_ascii=False json leaves DEL, C1 controls (U+009B acts as an escape on
# terminals) and bidirectional overrides raw; in JSON they can only stand inside
# strings, where a \uXXXX escape means the same character.
_RAW = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape_raw(text: str) -> str:
    return _RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def finite(obj: Any) -> Any:
    """obj with every non-finite float (inf, nan) replaced by its text, in nested lists and dicts."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else str(obj)
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    return obj


def dumps(obj: Any, **kwargs: Any) -> str:
    kwargs.setdefault("ensure_ascii", False)
    try:        # nearly always: nothing to replace, and no copy of the whole object made to find out
        text = json.dumps(obj, allow_nan=False, **kwargs)
    except ValueError:
        text = json.dumps(finite(obj), allow_nan=False, **kwargs)
    return _escape_raw(text)


def dump(obj: Any, fh: IO[str], **kwargs: Any) -> None:
    fh.write(dumps(obj, **kwargs))
