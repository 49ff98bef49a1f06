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
