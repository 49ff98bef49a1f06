"""Where the project's data lives: grammar/ and rules/ beside src/.

The package is installed editable from the repository (see README), so the
top-level folders the design fixes are found by walking up from here.
NIANBAO_HOME overrides the search (a checkout elsewhere).
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def project_root() -> Path:
    env = os.environ.get("NIANBAO_HOME")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "rules").is_dir() and (parent / "grammar").is_dir():
            return parent
    raise RuntimeError("cannot find the nianbao rules/ and grammar/ folders; set NIANBAO_HOME")


def rules_dir() -> Path:
    return project_root() / "rules"


def grammar_dir() -> Path:
    return project_root() / "grammar"
