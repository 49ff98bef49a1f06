"""Reading the bundled packs: PyYAML's C parser beside the pure-Python one, and a cold load of gov-2021.

The pack reader (nianbao/packs/yamlpos.py) composes each file's node tree with
yaml.CSafeLoader when PyYAML has it, because positions come from the nodes and the
C parser gives the same nodes and marks (plain scalars' style is "" instead of None,
which the reader normalises). This prints, per loader, the median time to compose and
construct every bundled pack file, checks the node trees are the same, and the time
of a cold `read_pack` + `compile_pack` of gov-2021 (reference: the C parser should be
several times faster; a cold load well under a second).

Run: .venv/bin/python benchmarks/pack_load.py
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from nianbao.packs.compile import compile_pack  # noqa: E402
from nianbao.packs.reader import read_pack  # noqa: E402


def _tree(node: yaml.Node, out: list) -> list:
    out.append((type(node).__name__, node.tag, node.start_mark.line, node.start_mark.column,
                node.end_mark.line, node.end_mark.column, getattr(node, "style", None) or None,
                node.value if isinstance(node, yaml.ScalarNode) else None))
    children = [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else (
        node.value if isinstance(node, yaml.SequenceNode) else [])
    for child in children:
        _tree(child, out)
    return out


def _time(loader: type, texts: list[str], rounds: int = 15) -> float:
    samples = []
    for _ in range(rounds):
        t = time.perf_counter()
        for text in texts:
            reader = loader(text)
            try:
                reader.construct_document(reader.get_single_node())
            finally:
                reader.dispose()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def main() -> None:
    files = sorted((REPO / "rules").glob("*/*.yaml"))
    texts = [f.read_text(encoding="utf-8") for f in files]
    print(f"{len(files)} bundled YAML files, {sum(len(t) for t in texts) // 1024} KB")
    pure = _time(yaml.SafeLoader, texts)
    print(f"pure-Python SafeLoader: {pure:7.1f} ms (median of 15)")
    if not getattr(yaml, "__with_libyaml__", False):
        print("PyYAML has no C parser here: the reader uses the pure-Python one")
    else:
        c = _time(yaml.CSafeLoader, texts)
        same = all(_tree(yaml.SafeLoader(t).get_single_node(), []) == _tree(yaml.CSafeLoader(t).get_single_node(), [])
                   for t in texts)
        print(f"C CSafeLoader:          {c:7.1f} ms  ({pure / c:.1f}× faster; same node trees: {'yes' if same else 'NO'})")
    samples = []
    for _ in range(5):
        t = time.perf_counter()
        compile_pack(read_pack("gov-2021"))
        samples.append((time.perf_counter() - t) * 1000)
    print(f"cold read + compile of gov-2021: {statistics.median(samples):.1f} ms (median of 5; reference < 1000 ms)")


if __name__ == "__main__":
    main()
