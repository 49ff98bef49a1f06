"""The one path from a file to findings: read the report, choose its pack, find last year, evaluate.

Every front door (the CLI's `check` and `letter`, the batch workers, the store,
the web workbench, a notebook) goes through a `Checker`. It owns the packs it
has loaded and the previous-year reports it has read, as explicit caches, so a
long-running process can keep one and a worker process can hold its own.

An input that cannot be read never raises out of `Checker.check`: it becomes a
report holding one `parse.unreadable` note, evaluated by the pack like any
other, so a pack that overrides the `unreadable` rule is honoured everywhere.
"""
from __future__ import annotations

import os
from collections import OrderedDict
from typing import Union

from .errors import InputError, NianbaoError
from .findings import CheckResult
from .model import Report

PathLike = Union[str, "os.PathLike[str]"]
Source = Union[PathLike, Report]

DEFAULT_TEMPLATE = "gov-2021"          # the pack an unreadable file is checked with when none is named
_PREVIOUS_CACHE_SIZE = 16


class Checker:
    """Checks reports against rule packs.

    `pack` is a pack name (`gov-2021`, `example-city`) or the path of a pack file
    or folder; `None` picks, per report, the pack of the template it is printed on.
    """

    def __init__(self, pack: PathLike | None = None, *, packs: "PackCache | None" = None) -> None:
        self.pack_ref = str(pack) if pack is not None else None
        self.packs = packs if packs is not None else PackCache()
        self._previous: OrderedDict[tuple[str, str], Report | NianbaoError] = OrderedDict()
        self._memos: dict[str, tuple[object, object]] = {}     # pack name -> (pack, engine.RuleMemo)
        if self.pack_ref is not None:
            self.packs.get(self.pack_ref)     # a broken pack fails here, before any report is read

    # -- packs -----------------------------------------------------------------
    @property
    def fixed_pack(self):
        """The pack named at construction, or None when each report's template chooses."""
        return self.packs.get(self.pack_ref) if self.pack_ref is not None else None

    def pack_for(self, report: Report):
        """The pack a report is checked with: the one named, else its template's."""
        if self.pack_ref is not None:
            return self.packs.get(self.pack_ref)
        return self.packs.get(str(report.meta_value("template") or DEFAULT_TEMPLATE))

    def pack_of(self, result: CheckResult):
        """The pack a result was evaluated with (for pages and letters drawn from it)."""
        if result.report is not None:
            return self.pack_for(result.report)
        return self.fixed_pack or self.packs.get(DEFAULT_TEMPLATE)

    # -- reading ---------------------------------------------------------------
    def read(self, path: PathLike, *, template: str | None = None) -> Report:
        """Read and map one report. Raises `InputError` / `UnreadableInput` when it cannot be read."""
        from .reading import read_report

        fixed = self.fixed_pack
        return read_report(str(path), template=template or (fixed.template.version if fixed else None))

    def read_previous(self, path: PathLike, template: str) -> Report | NianbaoError:
        """Last year's report, read with this year's template; the error instead when it cannot be read."""
        key = (os.path.abspath(str(path)), template)
        if key in self._previous:
            self._previous.move_to_end(key)
            return self._previous[key]
        try:
            found: Report | NianbaoError = self.read(path, template=template)
        except NianbaoError as exc:
            found = exc
        self._previous[key] = found
        while len(self._previous) > _PREVIOUS_CACHE_SIZE:
            self._previous.popitem(last=False)
        return found

    # -- checking --------------------------------------------------------------
    def check(self, source: Source, *, previous: Source | None = None) -> CheckResult:
        """Read (unless given a Report), choose the pack, read last year's report, evaluate.

        Never raises for an input that cannot be read: the result then holds the
        pack's `parse.unreadable` finding and `result.unreadable` gives the reason.
        """
        if isinstance(source, Report):
            report = source
        else:
            try:
                report = self.read(source)
            except NianbaoError as exc:
                return self.unreadable(str(source), exc)
        return self.evaluate(report, previous=previous)

    def evaluate(self, report: Report, *, previous: Source | None = None, pack=None) -> CheckResult:
        """Evaluate a report already read (e.g. one kept in a store); `previous` may be a path or a Report."""
        from .engine import check_report

        active = pack if pack is not None else self.pack_for(report)
        prev_report = None
        if isinstance(previous, Report):
            prev_report = previous
        elif previous is not None:
            found = self.read_previous(previous, active.template.version)
            if isinstance(found, NianbaoError):
                # Same everywhere: this year's report is checked without last year's figures,
                # and the reason is one parse.unreadable note the pack turns into a finding.
                report = _with_note(report, "parse.unreadable",
                                    f"上一年度报告无法读取（{found}），本次未进行跨年度核对", kind="previous",
                                    previous=str(previous))
            else:
                prev_report = found
        return check_report(report, active, prev_report, memo=self._memo(active))

    def _memo(self, pack):
        """The verdict memo of a compiled pack (engine.RuleMemo): one per pack, a fresh one when it is recompiled."""
        from .engine import RuleMemo

        entry = self._memos.get(pack.name)
        if entry is None or entry[0] is not pack:
            entry = (pack, RuleMemo())
            self._memos[pack.name] = entry
        return entry[1]

    def unreadable(self, source: str, error: NianbaoError | str) -> CheckResult:
        """The result for a file that could not be read: the pack's verdict on one unreadable note."""
        message = error.message if isinstance(error, NianbaoError) else str(error)
        report = Report(source=source, format="unknown")
        report.note("parse.unreadable", f"文件无法读取：{message.rstrip('。')}", None, [], kind="document")
        pack = self.fixed_pack or self.packs.get(DEFAULT_TEMPLATE)
        result = self.evaluate(report, pack=pack)
        result.report = None
        result.unreadable = message
        result.input_error = isinstance(error, InputError)
        return result


def _with_note(report: Report, category: str, message: str, **detail) -> Report:
    """A shallow copy of the report with one more note (the caller's report is left as it was)."""
    import copy

    out = copy.copy(report)
    out.notes = list(report.notes)
    out.note(category, message, None, [], **detail)
    return out


class PackCache:
    """Compiled packs by reference: a `nianbao.packs.PackRegistry` (compiled packs keyed by the content
    of their files, so an edited, added or removed pack file is noticed), created on first use so that
    `import nianbao` stays light."""

    def __init__(self) -> None:
        self._registry = None

    @property
    def registry(self):
        if self._registry is None:
            from .packs.registry import PackRegistry

            self._registry = PackRegistry()
        return self._registry

    def get(self, ref: str):
        return self.registry.load(ref)

    def clear(self) -> None:
        self.registry.clear()


_default: Checker | None = None


def default_checker() -> Checker:
    """The process-wide checker behind `nianbao.check()` and `nianbao.read()`."""
    global _default
    if _default is None:
        _default = Checker()
    return _default


def read(path: PathLike, *, template: str | None = None) -> Report:
    """Read one report (PDF, web page, Word, text). Raises `InputError`/`UnreadableInput`."""
    return default_checker().read(path, template=template)


def check(source: Source, pack: PathLike | None = None, previous: Source | None = None) -> CheckResult:
    """Check one report (a path or a Report) with `pack` (default: its template's pack)."""
    checker = default_checker() if pack is None else Checker(pack, packs=default_checker().packs)
    return checker.check(source, previous=previous)


def load_pack(ref: PathLike):
    """A compiled rule pack by name (`gov-2021`) or path; cached until one of its files changes."""
    return default_checker().packs.get(str(ref))
