"""The batch parent's on-disk ledger gives what the in-memory bookkeeping gave (batch/ledger.py)."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nianbao.batch import ledger as ledger_module
from nianbao.batch.ledger import RunLedger
from nianbao.batch.tasks import Identity
from nianbao.pairing import current_first, duplicate_groups, pair_reports


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    """Pages of three rows, so every stream crosses many page boundaries."""
    monkeypatch.setattr(ledger_module, "_PAGE", 3)


def _identities(draw_agency, count: int, rng: random.Random) -> dict[int, Identity]:
    ids = {}
    for seq in range(count):
        agency = draw_agency(rng)
        ids[seq] = Identity(agency, rng.choice([2022, 2023, 2024, None]), rng.choice(["gov-2021", "gov-2019"]),
                            rng.choice(["a" * 64, "b" * 64, "c" * 64]), rng.randint(1, 3), float(rng.randint(1, 3)))
    return ids


def _ledger(tmp_path, ids: dict[int, Identity], failed: set[int] = frozenset()) -> RunLedger:
    ledger = RunLedger(tmp_path / "ledger.sqlite")
    sources = [f"/in/{seq:03d}.txt" for seq in range(len(ids))]
    ledger.add_tasks(sources, {s: f"{i:03d}" for i, s in enumerate(sources)})
    for seq, ident in ids.items():
        if seq not in failed:
            ledger.add_identity(seq, ident)
    return ledger


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=40), st.integers(min_value=0, max_value=10_000))
def test_pairing_one_agency_at_a_time_equals_pairing_all_at_once(tmp_path_factory, count, seed):
    rng = random.Random(seed)
    ids = _identities(lambda r: r.choice(["甲县", "乙区", "丙市", "丁局", None]), count, rng)
    failed = {seq for seq in ids if rng.random() < 0.1}          # files that could not be read
    kept = {s: i for s, i in ids.items() if s not in failed}
    ledger = _ledger(tmp_path_factory.mktemp("ledger"), ids, failed)

    groups = ledger.pair()
    expected_groups = duplicate_groups(sorted(kept), kept)
    expected_pairs = pair_reports(current_first(sorted(kept), expected_groups),
                                  {s: (i.agency_key, i.year) for s, i in kept.items()})
    assert groups == expected_groups
    work = list(ledger.evaluations())
    assert [task.read.seq for task, _ in work] == sorted(kept)
    assert {task.read.seq: task.previous.seq for task, _ in work if task.previous} == expected_pairs
    for task, ident in work:
        assert ident == kept[task.read.seq] and task.read.source == f"/in/{task.read.seq:03d}.txt"
        if task.previous is not None:
            assert task.previous_template == kept[task.previous.seq].template

    # Each parsed report is released once, after the last task that needs it (itself, next year's).
    users = {s: 1 for s in kept}
    for prev in expected_pairs.values():
        users[prev] += 1
    released = []
    for task, _ in work:
        for seq in ledger.evaluated(task.read.seq):
            released.append(seq)
            assert seq not in released[:-1]
        for seq in (task.read.seq, expected_pairs.get(task.read.seq)):
            if seq is not None:
                users[seq] -= 1
        assert all(users[s] == 0 for s in released)
    assert sorted(released) == sorted(kept)
    ledger.close()


def test_tasks_entries_and_files_stream_in_order_across_pages(tmp_path):
    ids = _identities(lambda r: "甲县", 10, random.Random(1))
    ledger = _ledger(tmp_path, ids)
    assert [t.seq for t in ledger.tasks()] == list(range(10))
    for seq in (7, 2, 9, 0, 5):                                   # results arrive in any order
        ledger.add_entry(seq, {"seq": seq, "source": f"报告{seq}"})
    ledger.add_note(5, "重复文件")
    entries = list(ledger.entries())
    assert [e["seq"] for e in entries] == [0, 2, 5, 7, 9]
    assert entries[2]["duplicate"] == "重复文件" and "duplicate" not in entries[0]
    assert entries[1]["source"] == "报告2"

    assert ledger.record("reports/b.html") == ["reports/b.html"]
    # A report's files in one call: only those not recorded before come back, in the order given.
    assert ledger.record("letters/a.docx", "reports/a.html", "reports/b.html", "letters/a.docx") == \
        ["letters/a.docx", "reports/a.html"]
    assert ledger.record("index.html") == ["index.html"] and ledger.record() == []
    assert list(ledger.files()) == ["index.html", "letters/a.docx", "reports/a.html", "reports/b.html"]
    ledger.add_previous_files(["reports/a.html", "reports/old.html", "letters/old.docx", "reports/old.html"])
    assert list(ledger.stale_files()) == ["letters/old.docx", "reports/old.html"]
    ledger.close()
