"""The workbench dashboard with 10,000 reports in the store: response time beside a trivial page.

Builds a SQLite store by checking the bundled sample and the corpus seeds once, then copying
their stored rows (reports, run entries, findings) under 10,000 varied agencies and years with
plain SQL inserts (what a campaign's store holds, without spending minutes re-checking), plus a
few hundred reviews. Then times, through the ASGI app in-process:
  - the login page (the reference: a page that touches no data),
  - the dashboard and its JSON twin cold (the summary recomputed) and warm (reused until the store changes),
  - the report list (first page).
Target (issue 13): dashboard < 300 ms with 10,000 reports.

    python benchmarks/dashboard_speed.py [--reports 10000]
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))


def build(db: str, n: int) -> None:
    from sqlalchemy import func, insert, select

    from nianbao.store import Store, check_into_store
    from nianbao.store import schema as S
    from nianbao.store.accounts import add_user
    seeds = sorted((REPO.parent / "shared" / "corpus" / "seeds").glob("*.txt"))
    with Store(db) as store:
        check_into_store(store, [str(REPO / "examples" / "sample-report.txt"), *map(str, seeds)], None, "bench")
        add_user(store, "bench", "reviewer", "bench-password")
        with store.engine.begin() as conn:
            run_id = conn.execute(select(func.max(S.runs.c.id))).scalar()
            base = [dict(r._mapping) for r in conn.execute(select(S.reports))]
            entries = {r.report_id: dict(r._mapping) for r in conn.execute(select(S.run_reports))}
            findings = {}
            for r in conn.execute(select(S.findings)):
                findings.setdefault(r.report_id, []).append(dict(r._mapping))
            next_id = max(r["id"] for r in base) + 1
            reports, run_rows, finding_rows = [], [], []
            for i in range(n - len(base)):
                src = base[i % len(base)]
                rid = next_id + i
                row = {**src, "id": rid, "content_hash": f"{src['content_hash'][:40]}{rid:024d}",
                       "agency": f"第{i // 3}号机关", "agency_key": f"agency-{i // 3}", "year": 2022 + i % 3,
                       "source_name": f"report-{rid}.txt", "version": 1}
                reports.append(row)
                run_rows.append({**entries[src["id"]], "report_id": rid, "previous_report_id": None})
                for f in findings.get(src["id"], []):
                    finding_rows.append({**{k: v for k, v in f.items() if k != "id"}, "report_id": rid,
                                         "fingerprint": f"{f['fingerprint'][:12]}{rid:08d}"})
            files = [{"content_hash": r["content_hash"], "size": 1, "data": b"x", "stored_at": r["received_at"]}
                     for r in reports]
            conn.execute(insert(S.files), files)
            conn.execute(insert(S.reports), reports)
            conn.execute(insert(S.run_reports), run_rows)
            conn.execute(insert(S.findings), finding_rows)
        fps = [f["fingerprint"] for f in finding_rows[:300]]
        store.review(fps, "false_positive", "基准测试", "bench")
        print(f"store: {n} reports, {len(finding_rows) + sum(len(v) for v in findings.values())} findings")


def timed(client, path: str, runs: int, before=None) -> float:
    times = []
    for _ in range(runs):
        if before:
            before()
        t = time.perf_counter()
        r = client.get(path)
        times.append(time.perf_counter() - t)
        assert r.status_code == 200, (path, r.status_code, r.text[:200])
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    from starlette.testclient import TestClient

    from nianbao.web import create_app
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        t = time.perf_counter()
        build(db, args.reports)
        print(f"built in {time.perf_counter() - t:.1f} s")
        app = create_app(db)
        c = TestClient(app)
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
        c.post("/login", data={"username": "bench", "password": "bench-password", "csrf_token": token})
        from nianbao.store import Store
        from nianbao.store.summary import SummaryCache
        store = Store(db)
        with store.engine.connect() as conn:
            fps = iter([r[0] for r in conn.exec_driver_sql("SELECT fingerprint FROM findings ORDER BY id DESC LIMIT 100")])

        def cold():                 # as after an upload or a re-check: everything read again
            app.state.summary = SummaryCache()

        def reviewed():             # as after a supervisor's review: reviews re-applied to the rows held
            store.review([next(fps)], "confirmed", "", "bench")
        ref = timed(c, "/login", args.runs)
        rows = [("login page (reference)", ref),
                ("dashboard HTML, after an upload", timed(c, "/", args.runs, cold)),
                ("dashboard JSON, after an upload", timed(c, "/index.json", args.runs, cold)),
                ("dashboard HTML, after a review", timed(c, "/", args.runs, reviewed)),
                ("dashboard HTML, unchanged store", timed(c, "/", args.runs)),
                ("dashboard JSON, unchanged store", timed(c, "/index.json", args.runs)),
                ("report list, first page", timed(c, "/reports", args.runs))]
        print(f"{'':34} {'median ms':>10} {'× reference':>12}")
        for name, ms in rows:
            print(f"{name:34} {ms:10.1f} {ms / ref:12.1f}")
        print(f"target: dashboard < 300 ms with {args.reports} reports")


if __name__ == "__main__":
    main()
