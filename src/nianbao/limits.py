"""Budgets per input: how much of a report file nianbao will read before refusing it.

Reports come from hundreds of agencies and, soon, from uploads; a hostile or
broken file (a zip bomb, a table with a span of a billion columns, a PDF with
a stream inflating to gigabytes) must become one `parse.unreadable` entry
that names the limit, never a crash, a hang or a multi-GB process.

The defaults are far above anything a real report needs (a real annual
report is a few dozen pages, a few hundred table cells, a few MB). Each can
be changed with an environment variable ``NIANBAO_MAX_<FIELD>`` (e.g.
``NIANBAO_MAX_FILE_BYTES=500M``; byte sizes accept K/M/G suffixes) or, in
code, with ``using(Limits(...))`` around a read. README.md, "Limits", lists
them.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import re
from dataclasses import dataclass, fields
from typing import Iterator

from .errors import ConfigError, UnreadableInput

_MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    file_bytes: int = 200 * _MB            # size of the file as given
    docx_inflated_bytes: int = 200 * _MB   # all parts of a .docx once unzipped (declared and actual)
    docx_xml_bytes: int = 16 * _MB         # one XML part of a .docx unzipped (parsed into memory whole)
    zip_ratio: int = 100                   # inflated/compressed size of one .docx part over 1 MB
    pdf_stream_bytes: int = 128 * _MB      # one PDF stream once decoded (Flate, LZW)
    pages: int = 2000                      # pages of a PDF
    page_chars: int = 50_000               # characters drawn on one PDF page
    table_cells: int = 50_000              # table grid positions in a report, merged spans included
    span: int = 1000                       # colspan / rowspan / gridSpan of one cell
    text_chars: int = 5_000_000            # characters of a text, web page or Word report
    text_lines: int = 100_000              # lines of a text report
    html_tags: int = 300_000               # elements of a web page
    evidence_chars: int = 200              # characters of report text quoted by one finding

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Limits":
        """Defaults overridden by NIANBAO_MAX_<FIELD> variables; a malformed value is a ConfigError."""
        env = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            name = env_name(f.name)
            raw = env.get(name)
            if raw is not None and raw.strip():
                values[f.name] = _parse_amount(name, raw)
        return cls(**values)


def env_name(field_name: str) -> str:
    return f"NIANBAO_MAX_{field_name.upper()}"


_AMOUNT = re.compile(r"^\s*(\d[\d_]*)\s*([KMG]i?B?)?\s*$", re.I)
_UNITS = {"": 1, "K": 1024, "M": _MB, "G": 1024 * _MB}


def _parse_amount(name: str, raw: str) -> int:
    m = _AMOUNT.match(raw)
    if not m or len(m.group(1)) > 18:
        raise ConfigError(name, f"环境变量的值“{raw[:40]}”无效，应为正整数（字节数可带 K、M、G 单位）")
    value = int(m.group(1).replace("_", "")) * _UNITS[(m.group(2) or "")[:1].upper()]
    if value < 1:
        raise ConfigError(name, "环境变量的值应为正整数")
    return value


_ACTIVE: contextvars.ContextVar[Limits | None] = contextvars.ContextVar("nianbao_limits", default=None)


def current() -> Limits:
    """The limits in force: those set by `using`, else the environment's (read at each call)."""
    active = _ACTIVE.get()
    if active is not None:
        return active
    return _from_env_values(tuple(os.environ.get(name) for name in _ENV_NAMES))


_ENV_NAMES = tuple(env_name(f.name) for f in fields(Limits))


@functools.lru_cache(maxsize=8)
def _from_env_values(values: tuple[str | None, ...]) -> Limits:
    return Limits.from_env({k: v for k, v in zip(_ENV_NAMES, values) if v is not None})


@contextlib.contextmanager
def using(limits: Limits | None) -> Iterator[Limits]:
    """Make `limits` (or the environment's) the ones in force for the reads inside the block."""
    token = _ACTIVE.set(limits if limits is not None else current())
    try:
        yield _ACTIVE.get()  # type: ignore[misc]
    finally:
        _ACTIVE.reset(token)


def size_cn(n: int) -> str:
    """A byte count for a message: 200 MB, 64 KB, 512 字节."""
    if n >= _MB:
        return f"{n / _MB:.0f} MB" if n % _MB == 0 or n >= 10 * _MB else f"{n / _MB:.1f} MB"
    if n >= 1024:
        return f"{n // 1024} KB"
    return f"{n} 字节"


def over(path: str, what: str, limit_field: str, hint: str = "") -> UnreadableInput:
    """The one-line refusal for an input over a budget, naming the limit and how to raise it."""
    tail = f"，{hint}" if hint else ""
    return UnreadableInput(path, f"{what}（限额，可用环境变量 {env_name(limit_field)} 调整）{tail}")


def check_text(path: str, text: str, lines: bool = True) -> None:
    """A decoded report text within the character (and, for plain text, line) budget."""
    lim = current()
    if len(text) > lim.text_chars:
        raise over(path, f"文本超过 {lim.text_chars:,} 个字符", "text_chars")
    if lines and text.count("\n") + 1 > lim.text_lines:
        raise over(path, f"文本超过 {lim.text_lines:,} 行", "text_lines")


def check_span(path: str, span: int, kind: str) -> None:
    lim = current()
    if span > lim.span:
        raise over(path, f"表格中有单元格的合并范围（{kind}={span}）超过 {lim.span}", "span",
                   "可能是恶意构造的文件")


class CellBudget:
    """Counts table grid positions as a reader builds them; refuses the report past the budget."""

    def __init__(self, path: str):
        self.path = path
        self.limit = current().table_cells
        self.used = 0

    def take(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            raise over(self.path, f"表格单元格（含合并单元格覆盖的位置）超过 {self.limit:,} 个", "table_cells",
                       "可能是恶意构造的文件")
