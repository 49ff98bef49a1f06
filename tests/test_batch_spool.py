"""Parsed reports between a local batch's phases: one spool file per worker, not one file per report."""
from __future__ import annotations

import os
import pickle
import re
from pathlib import Path

import pytest

from conftest import SEEDS as SEEDS_DIR
from nianbao import Checker
from nianbao.batch.executors.local import LocalExecutor
from nianbao.batch.ledger import RunLedger
from nianbao.batch.spool import SpoolFiles, SpoolWriter, Stored, load
from nianbao.batch.tasks import ReadTask, WorkSettings


def _seeds() -> list[Path]:
    seeds = sorted(SEEDS_DIR.glob("*.txt")) if SEEDS_DIR.is_dir() else []
    if not seeds:
        pytest.skip(f"the corpus seeds are not at {SEEDS_DIR} (../shared/corpus)")
    return seeds


def test_reports_come_back_from_one_spool_file_as_they_went_in(tmp_path):
    checker = Checker()
    reports = [checker.read(p) for p in _seeds()]
    writer = SpoolWriter(str(tmp_path))
    stored = [writer.put(r) for r in reports]
    assert len({s.segment for s in stored}) == 1 and len(os.listdir(tmp_path)) == 1
    assert [s.offset for s in stored] == sorted(s.offset for s in stored)
    for report, where in reversed(list(zip(reports, stored))):        # any order, any number of times
        back = load(str(tmp_path), where)
        assert back == report                                           # every field, dataclass by dataclass
        assert checker.evaluate(back).to_json() == checker.evaluate(report).to_json()


def test_a_forked_worker_writes_a_spool_file_of_its_own(tmp_path):
    writer = SpoolWriter(str(tmp_path))
    mine = writer.put({"who": "parent"})
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:                                    # the child: same writer object, its own file
        try:
            os.write(write, pickle.dumps(tuple(writer.put({"who": "child"}))))
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as fh:
        theirs = Stored(*pickle.loads(fh.read()))
    os.waitpid(pid, 0)
    assert theirs.segment != mine.segment and len(os.listdir(tmp_path)) == 2
    assert load(str(tmp_path), theirs) == {"who": "child"} and load(str(tmp_path), mine) == {"who": "parent"}
    assert writer.put({"who": "parent again"}).segment == mine.segment


def test_a_writer_whose_spool_file_was_deleted_starts_a_new_one(tmp_path):
    writer = SpoolWriter(str(tmp_path))
    first = writer.put("a")
    os.unlink(tmp_path / first.segment)
    again = writer.put("b")
    assert again.segment != first.segment and load(str(tmp_path), again) == "b"


def test_missing_or_short_spool_file_is_an_oserror(tmp_path):
    where = SpoolWriter(str(tmp_path)).put(list(range(1000)))
    with pytest.raises(OSError):
        load(str(tmp_path), where._replace(length=where.length + 10))
    os.unlink(tmp_path / where.segment)
    with pytest.raises(OSError):
        load(str(tmp_path), where)


def test_a_spool_file_goes_once_phase_one_is_over_and_every_report_in_it_was_evaluated(tmp_path):
    writer = SpoolWriter(str(tmp_path))
    a, b = writer.put("a"), writer.put("b")
    files = SpoolFiles(str(tmp_path))
    files.stored(a)
    files.release(a)                    # phase 1 still running: the writer may append to it yet
    files.stored(b)
    assert (tmp_path / a.segment).exists()
    files.written()
    assert (tmp_path / a.segment).exists()
    files.release(b)
    assert not (tmp_path / a.segment).exists()
    files.release(b)                    # released twice, or after the run's folder went: no error


def test_a_batch_with_pairing_keeps_its_parsed_reports_in_one_spool_file_per_worker(tmp_path):
    """Phase 1 of 5 reports on one worker leaves one spool file (no file per report); evaluating them
    all, with the ledger's pairing and release order, deletes it."""
    seeds = _seeds()
    # One agency's report of the year before (the first seed with every year one less): a pair.
    last_year = tmp_path / "last-year.txt"
    last_year.write_text(re.sub(r"20(1\d|2\d)", lambda m: str(int(m.group(0)) - 1),
                                seeds[0].read_text(encoding="utf-8")), encoding="utf-8")
    seeds = seeds + [last_year]
    work = tmp_path / "work"
    work.mkdir()
    ledger = RunLedger(work / "ledger.sqlite")
    sources = [str(p) for p in seeds]
    ledger.add_tasks(sources, {s: Path(s).stem for s in sources})
    settings = WorkSettings(pages=False, letters=False)
    with LocalExecutor(settings, jobs=1, cache_dir=str(work), timeout=60) as executor:
        for read in executor.read(ledger.tasks()):
            assert read.failed is None
            ledger.add_identity(read.seq, read.identity, read.stored)
        spools = [p for p in os.listdir(work) if p.startswith("spool-")]
        assert len(spools) == 1
        ledger.pair()
        assert {t.read.seq: t.previous.seq for t, _ in ledger.evaluations() if t.previous} == {0: len(seeds) - 1}
        results = {}
        for outcome in executor.evaluate(ledger.evaluations()):
            results[outcome.seq] = outcome
            for seq in ledger.evaluated(outcome.seq):
                executor.release(seq, ledger.stored(seq))
        assert not [p for p in os.listdir(work) if p.startswith("spool-")]
    ledger.close()
    checker = Checker()
    for seq, source in enumerate(sources):          # the same verdicts as reading and checking directly
        previous = str(last_year) if seq == 0 else None
        assert results[seq].report["findings"] == checker.check(source, previous=previous).to_json()["findings"]
    assert any(f["rule"] == "section5-copied" for f in results[0].report["findings"])
