"""Shared test helpers: where the corpus is, and building reports from fixtures."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The corpus stays in ../shared (CI has it beside the clone); NIANBAO_CORPUS overrides.
CORPUS = Path(os.environ.get("NIANBAO_CORPUS", REPO.parent / "shared" / "corpus"))
SEEDS = CORPUS / "seeds"
REAL = CORPUS / "real"


def seed_path(prefix: str) -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"seed corpus not found at {SEEDS} (set NIANBAO_CORPUS to the shared corpus folder)")
    matches = sorted(SEEDS.glob(f"{prefix}*"))
    if not matches:
        pytest.skip(f"seed report {prefix}* not found in {SEEDS}")
    return matches[0]


def real_path(name: str) -> Path:
    path = REAL / name
    if not path.exists():
        pytest.skip(f"real report {name} not found in {REAL} (set NIANBAO_CORPUS to the shared corpus folder)")
    return path


SAMPLE = REPO / "examples" / "sample-report.txt"
CLEAN = REPO / "tests" / "fixtures" / "clean-report.txt"


@pytest.fixture
def checker():
    """A fresh library Checker (packs chosen per report by template)."""
    from nianbao import Checker
    return Checker()


@pytest.fixture
def sample() -> Path:
    """The bundled sample report (four findings: two errors, two warnings)."""
    return SAMPLE


@pytest.fixture
def clean_report() -> Path:
    """A fixture report with no finding at all."""
    return CLEAN


@pytest.fixture
def cli(capsys):
    """Run `nianbao ARGS…` in-process: returns (exit status, stdout, stderr); `.json` parses stdout."""
    from nianbao.cli import main

    class Run:
        def __init__(self, code, out, err):
            self.code, self.out, self.err = code, out, err

        @property
        def json(self):
            import json
            return json.loads(self.out)

        def __iter__(self):          # code, out, err = cli(...)
            return iter((self.code, self.out, self.err))

    def run(*args) -> Run:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Each test session gets its own nianbao cache folder (XDG_CACHE_HOME, inherited by the CLI
    subprocesses), so no test reads what an earlier run or another checkout left in ~/.cache."""
    folder = tmp_path_factory.mktemp("xdg-cache")
    folder.chmod(0o700)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(folder))
        mp.delenv("NIANBAO_NO_CACHE", raising=False)
        yield folder
