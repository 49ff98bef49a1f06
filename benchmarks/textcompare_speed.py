"""Year-over-year text comparison: milliseconds per report pair (one core).

Every section of this year's report is compared with last year's (textcompare.compare,
rapidfuzz partial_ratio of each sentence against last year's section), uncached, as the
audit page's side-by-side view needs it; then the copied-text rules alone as the engine
runs them (section 5), also uncached. Pairs: the real consecutive reports of the corpus
(Hongze PDF, Pingtan web page) and every seed paired with every other seed (unrelated
texts: the slow case, since nothing matches early).
Reference: under 10 ms per pair for all sections, so pairing adds little to a check
(the whole gov-2021 pack evaluates in about 2 ms; reading a PDF takes 100 ms or more).
Run: .venv/bin/python benchmarks/textcompare_speed.py
"""
from __future__ import annotations

import itertools
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from nianbao.reading import read_report  # noqa: E402
from nianbao.textcompare import compare  # noqa: E402

REAL = REPO.parent / "shared" / "corpus" / "real"
SEEDS = REPO.parent / "shared" / "corpus" / "seeds"
TARGET_MS = 10.0


def _pairs():
    for old, new in (("huaian-hongze-2023.pdf", "huaian-hongze-2024.pdf"),
                     ("fujian-pingtan-2023.html", "fujian-pingtan-2024.html")):
        if (REAL / old).exists() and (REAL / new).exists():
            yield f"{new} ← {old}", read_report(str(REAL / new)), read_report(str(REAL / old))
    seeds = [read_report(str(p)) for p in sorted(SEEDS.glob("*.txt"))]
    for a, b in itertools.permutations(seeds, 2):
        yield f"{Path(a.source).name[:12]} ← {Path(b.source).name[:12]}", a, b


def _time(fn, rounds: int = 30) -> float:
    fn()                                             # warm-up
    samples = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def main() -> None:
    uncached = compare.__wrapped__
    all_sections, section5 = [], []
    for name, this, last in _pairs():
        common = [n for n in this.sections if n in last.sections]
        texts = [(this.sections[n].text, last.sections[n].text) for n in common]
        chars = sum(len(a) + len(b) for a, b in texts)
        ms_all = _time(lambda: [uncached(a, b) for a, b in texts])
        ms_5 = _time(lambda: uncached(this.sections[5].text, last.sections[5].text)) if 5 in common else 0.0
        all_sections.append(ms_all)
        section5.append(ms_5)
        print(f"{name:<52} {len(common)} sections, {chars:>6} chars  all {ms_all:6.2f} ms  section 5 {ms_5:5.2f} ms")
    if not all_sections:
        print("no report pairs found (corpus missing)")
        return
    print(f"median over {len(all_sections)} pairs: all sections {statistics.median(all_sections):.2f} ms, "
          f"worst {max(all_sections):.2f} ms (reference: < {TARGET_MS:.0f} ms per pair); "
          f"section 5 alone {statistics.median(section5):.2f} ms")


if __name__ == "__main__":
    main()
