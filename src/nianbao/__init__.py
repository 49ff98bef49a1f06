"""nianbao: a rule-engine compliance checker for 政府信息公开工作年度报告.

The library is the product; the command line, the batch workers and the tests
call it. In five lines::

    import nianbao
    result = nianbao.check("report.pdf")                 # read, choose the pack, evaluate
    for f in result.findings:
        print(f.severity, f.rule, f.message, f.where())

A `Checker` keeps its compiled packs and last-year reports between calls; use
one for many reports. See docs/api.md.
"""
from .checker import Checker, PackCache, check, load_pack, read
from .errors import InputError, NianbaoError, PackError, UnreadableInput
from .findings import CheckResult, Evidence, Finding, Unchecked
from .model import Fact, Location, Report

__version__ = "0.2.0"

__all__ = [
    "Checker", "PackCache", "check", "read", "load_pack",
    "CheckResult", "Finding", "Evidence", "Unchecked", "Report", "Fact", "Location",
    "NianbaoError", "InputError", "UnreadableInput", "PackError", "__version__",
]
