"""Where the pack reader's problems go: collected (lint) or raised, the first error, as a PackError (load).

Both ways the problem is the same text at the same file:line:col, with the source
line and a caret under the column.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import NianbaoError, PackError
from .yamlpos import caret, position

if TYPE_CHECKING:
    import yaml

    from .yamlpos import Doc

LINT_SEVERITY_CN = {"error": "错误", "warning": "警告"}


@dataclass
class LintProblem:
    file: str
    line: int          # 1-based; 0 when the problem concerns no particular line (e.g. a pack not found)
    col: int
    severity: str      # "error" | "warning"
    message: str       # formal Chinese, one line
    context: str = ""  # the source line with a caret under the column (may be empty)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}:{self.col}" if self.line > 0 else self.file

    def __str__(self) -> str:
        head = f"{self.where}: {LINT_SEVERITY_CN.get(self.severity, self.severity)}：{self.message}"
        return head + ("\n" + self.context if self.context else "")


class Sink:
    """collect=True keeps every problem (warnings about files outside the linted pack dropped);
    collect=False raises the first error as PackError and ignores warnings."""

    def __init__(self, collect: bool = True):
        self.collect = collect
        self.problems: list[LintProblem] = []
        self.own_files: set[str] = set()
        self._seen: set[tuple] = set()

    def add(self, severity: str, file: str, line: int, col: int, message: str, context: str = "",
            load_message: str | None = None) -> None:
        """`load_message`: the wording when the problem stops a load (it stands alone, without lint's prefix)."""
        if not self.collect:
            if severity == "error":
                where = f"{shown(file)}:{line}:{col}" if line > 0 else shown(file)
                text = load_message or message
                raise PackError(where, text + ("\n" + context if context else ""))
            return
        if severity == "warning" and self.own_files and file not in self.own_files:
            return
        key = (severity, file, line, col, message)
        if key in self._seen:
            return
        self._seen.add(key)
        self.problems.append(LintProblem(shown(file), line, col, severity, message, context))

    def at(self, severity: str, doc: "Doc", node: "yaml.Node | None", message: str, offset: int | None = None,
           value: str | None = None, load_message: str | None = None) -> None:
        """A problem at a node of a file (or at a character offset of its scalar value)."""
        line, col = position(doc, node, offset, value)
        self.add(severity, doc.file, line, col, message, caret(doc.lines, line, col), load_message)

    def error(self, where: str, message: str) -> None:
        """A problem known only as 'file[:line[:col]]' (e.g. a pack that cannot be found)."""
        file, line, col = split_where(where)
        first, _, rest = message.partition("\n")
        self.add("error", file, line, col, first, rest)

    def from_pack_error(self, exc: NianbaoError) -> None:
        self.error(exc.path, exc.message)

    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")


def shown(file: str) -> str:
    """A file under the working directory is shown relative to it (as rules/gov-2021/pack.yaml)."""
    try:
        path = Path(file)
        if path.is_absolute():
            return str(path.relative_to(Path.cwd()))
    except (ValueError, OSError):
        pass
    return file


def split_where(where: str) -> tuple[str, int, int]:
    """'file:12:3' -> ('file', 12, 3); 'file' -> ('file', 0, 0)."""
    parts = where.rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return parts[0], int(parts[1]), int(parts[2])
    parts = where.rsplit(":", 1)
    if len(parts) == 2 and parts[1].isdigit():
        return parts[0], int(parts[1]), 1
    return where, 0, 0


def sorted_problems(problems: list[LintProblem]) -> list[LintProblem]:
    order: dict[str, int] = {}
    for p in problems:
        order.setdefault(p.file, len(order))
    return sorted(problems, key=lambda p: (order[p.file], p.line, p.col))
