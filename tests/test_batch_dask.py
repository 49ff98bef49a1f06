"""The Dask backend: a real local scheduler with two worker processes gives the findings of a local run."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import REAL, REPO, SEEDS
from nianbao.cli import main

distributed = pytest.importorskip("distributed", reason="Dask backend not installed (pip install 'nianbao[dask]')")


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=50) as local:
        yield local.scheduler_address


@pytest.fixture()
def corpus(tmp_path):
    if not SEEDS.is_dir():
        pytest.skip(f"seed corpus not found at {SEEDS}")
    folder = tmp_path / "in"
    (folder / "real").mkdir(parents=True)
    for seed in sorted(SEEDS.glob("*.txt")):
        shutil.copy(seed, folder / seed.name)
    for real in sorted(REAL.glob("*")):
        if real.suffix in (".pdf", ".html", ".txt", ".md"):
            shutil.copy(real, folder / "real" / real.name)
    shutil.copy(REPO / "examples" / "sample-report.txt", folder / "sample.txt")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "scan.jpg").write_bytes(b"\xff\xd8\xff")
    return folder


def _findings(out: Path) -> dict:
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    return {"reports": {r["source"]: r for r in data["reports"]}, "not_checked": data["not_checked"],
            "duplicates": data["duplicates"]}


@pytest.mark.parametrize("ship,pairing", [(False, True), (True, True), (False, False)],
                         ids=["shared-path", "ship-bytes", "no-pairing"])
def test_dask_backend_gives_the_findings_of_a_local_run(cluster, corpus, tmp_path, capsys, ship, pairing):
    local, remote = tmp_path / "local", tmp_path / "dask"
    extra = [] if pairing else ["--no-pairing"]
    assert main(["check", str(corpus), "--out", str(local), "--jobs", "2"] + extra) == 1
    args = (["check", str(corpus), "--out", str(remote), "--scheduler", cluster] + (["--ship-bytes"] if ship else [])
            + extra)
    assert main(args) == 1
    a, b = _findings(local), _findings(remote)
    assert set(a["reports"]) == set(b["reports"]) and len(a["reports"]) >= 8
    for source, report in a["reports"].items():
        assert b["reports"][source] == report, source
    assert a["not_checked"] == b["not_checked"] and a["duplicates"] == b["duplicates"]
    # Cross-year pairing happened on the cluster too (and not at all without it).
    assert any(r.get("previous") for r in b["reports"].values()) == pairing
    assert not (remote / ".nianbao-work").exists()          # the command's spool went with the run
    # Pages and letters came back from the workers into the same outputs.
    for kind in ("reports", "letters"):
        assert sorted(p.name for p in (local / kind).iterdir()) == sorted(p.name for p in (remote / kind).iterdir())
    assert (remote / "index.html").read_text(encoding="utf-8").count("data-index=") == len(a["reports"])
    manifest = json.loads((remote / ".nianbao-manifest.json").read_text(encoding="utf-8"))
    assert "reports/sample.html" in manifest["files"]


def test_unreachable_scheduler_is_one_line_and_exit_2(tmp_path, capsys, corpus):
    code = main(["check", str(corpus), "--out", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "无法连接 Dask 调度器" in err


@pytest.mark.parametrize("sees_folder", [True, False], ids=["shared-folder", "elsewhere"])
def test_a_remote_worker_writes_pages_itself_only_where_it_sees_the_run_folder(tmp_path, sees_folder):
    """What a Dask worker does with one report's page and letters: written into the output folder when
    this run's probe file is visible from the worker, else sent back as bytes for the parent to write."""
    from nianbao.batch import worker
    from nianbao.batch.tasks import ReadTask, WorkSettings

    out = tmp_path / "out"
    (out / ".nianbao-work").mkdir(parents=True)
    probe = out / ".nianbao-work" / f"shared-{'seen' if sees_folder else 'other-machine'}"
    if sees_folder:
        probe.write_text("nianbao\n", encoding="utf-8")
    settings = WorkSettings(shared_out=(str(out), str(probe)))
    task = ReadTask(0, str(REPO / "examples" / "sample-report.txt"), "sample")
    outcome = worker.check_phase(task, settings)
    assert outcome.page == "reports/sample.html" and outcome.letter_files
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and ".nianbao-work" not in p.parts)
    if sees_folder:
        assert outcome.files == {} and written == sorted([outcome.page, *outcome.letter_files])
        assert "审核结果" in (out / outcome.page).read_text(encoding="utf-8")
    else:
        assert written == [] and sorted(outcome.files) == sorted([outcome.page, *outcome.letter_files])
        assert "审核结果" in outcome.files[outcome.page].decode("utf-8")


def test_a_parsed_report_travels_pickled_and_each_evaluation_unpickles_its_own_copy(tmp_path):
    """Phase 1 on a Dask worker answers with the report pickled (the command stores the bytes as they
    are); a phase-2 task brings them along, as this year's report and as next year's previous one, and
    evaluating the same bytes twice gives the same findings. Without them the worker reads the file."""
    from nianbao.batch import worker
    from nianbao.batch.tasks import EvalTask, ReadTask, WorkSettings

    settings = WorkSettings(out_dir=str(tmp_path / "out"))
    this_year = ReadTask(0, str(REPO / "examples" / "sample-report.txt"), "this")
    last_year = ReadTask(1, str(REPO / "examples" / "sample-report.txt"), "last")
    parsed, previous = worker.parse_many((this_year, last_year), settings)
    assert isinstance(parsed.report, bytes) and parsed.outcome.identity.year == 2024
    identity = parsed.outcome.identity
    task = EvalTask(this_year, last_year, previous.outcome.identity.template, stored=("spool", 0, 1),
                    previous_stored=("spool", 1, 1))
    first, again = worker.evaluate_many(((task, parsed.report, previous.report, identity),) * 2, settings)
    assert first.report["findings"] == again.report["findings"] and first.report["previous"]
    reread = worker.evaluate_shipped(EvalTask(this_year), settings, None, None, identity)
    alone = worker.evaluate_shipped(EvalTask(this_year), settings, parsed.report, None, identity)
    assert reread.report["findings"] == alone.report["findings"] and not alone.report.get("previous")


class _DieOnFile(distributed.WorkerPlugin):
    """A Dask worker plugin (installed on every worker, restarted ones included) under which reading a
    file whose path holds `marker` ends the worker process at once, as a crash or the OOM killer would."""

    name = "nianbao-test-die-on-file"

    def __init__(self, marker: str):
        self.marker = marker

    def setup(self, worker):
        import os

        from nianbao.batch import worker as batch_worker

        original, marker = batch_worker._read, self.marker

        def read(task, settings, template=None):
            if marker in task.source:
                os._exit(70)
            return original(task, settings, template)
        batch_worker._read = read


def test_a_file_that_kills_its_dask_workers_is_one_unreadable_result_and_the_run_goes_on(tmp_path, capsys):
    """Dask retries a task whose worker died on another worker; a file that has killed as many workers
    as the scheduler allows is that file's result (“处理该文件的进程意外退出”), the other files are
    checked as usual and the run ends normally."""
    import dask
    from distributed import Client, LocalCluster

    from nianbao.batch import WORKER_DIED

    folder = tmp_path / "in"
    folder.mkdir()
    sample = REPO / "examples" / "sample-report.txt"
    shutil.copy(sample, folder / "sample.txt")
    shutil.copy(sample, folder / "crash-me.txt")
    out = tmp_path / "out"
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                          silence_logs=50) as local, Client(local) as client:
            client.register_plugin(_DieOnFile("crash-me"))
            status = main(["check", str(folder), "--out", str(out), "--scheduler", local.scheduler_address])
    capsys.readouterr()
    assert status == 1
    reports = _findings(out)["reports"]
    crashed, fine = reports[str(folder / "crash-me.txt")], reports[str(folder / "sample.txt")]
    assert [f["category"] for f in crashed["findings"]] == ["parse.unreadable"]
    assert WORKER_DIED in crashed["findings"][0]["message"]
    assert len(fine["findings"]) == 4 and fine["meta"]["year"] == 2024
    assert (out / "index.html").exists() and not (out / ".nianbao-work").exists()
