"""Where the project's data lives: the rule packs (`rules/`), the grammar (`grammar/`), the sample.

An installed wheel carries them inside the package (`nianbao/_bundled/`, put there
by setup.py's build step from the repository's top-level folders) and they are
found beside this module (the package is always installed as a folder: the packs
and the grammar are read as files). A source checkout (editable install) has no
`_bundled/`; there they are the top-level folders beside `src/`.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def data_root() -> Path:
    """The folder holding rules/, grammar/ and examples/."""
    here = Path(__file__).resolve()
    bundled = here.parent / "_bundled"     # not importlib.resources: its imports (tempfile, random…) cost every start
    if bundled.is_dir():
        return bundled
    for parent in here.parents:
        if (parent / "rules").is_dir() and (parent / "grammar").is_dir():
            return parent
    raise RuntimeError("nianbao is installed without its rules/ and grammar/ data; reinstall the package")


def rules_dir() -> Path:
    return data_root() / "rules"


def grammar_dir() -> Path:
    return data_root() / "grammar"


def sample_report() -> Path:
    """The bundled sample report (examples/sample-report.txt)."""
    return data_root() / "examples" / "sample-report.txt"


# Kept for the modules that name files relative to the checkout in messages.
project_root = data_root
