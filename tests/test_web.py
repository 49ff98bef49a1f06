"""The workbench over HTTP: every route, its JSON twin, login, roles, CSRF, escaping, uploads."""
from __future__ import annotations

import io
import time
import zipfile

import docx
import pytest

from conftest import CLEAN, SAMPLE, real_path
from web_support import PASSWORD, client, login, make_store, token

PAGES = ["/", "/reports", "/findings", "/letters", "/settings", "/packs", "/roster", "/audit-log", "/upload",
         "/reports/1", "/users"]
TWINS = ["/index.json", "/reports.json", "/findings.json", "/letters.json", "/settings.json", "/packs.json",
         "/roster.json", "/audit-log.json", "/reports/1.json", "/upload.json", "/packs/gov-2021.json",
         "/letters/1.json", "/reports/1/source.json", "/users.json"]


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    db = str(tmp_path_factory.mktemp("web") / "campaign.db")
    make_store(db, [SAMPLE, CLEAN, real_path("huaian-hongze-2023.pdf"), real_path("huaian-hongze-2024.pdf")])
    return db


def test_nothing_without_a_session(campaign):
    c = client(campaign)
    for path in PAGES:
        r = c.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), path
    for path in TWINS:
        r = c.get(path)
        assert r.status_code == 401 and r.json()["error"] == "请先登录", path
    assert c.get("/findings.csv", follow_redirects=False).status_code == 303
    assert c.get("/letters/1.docx", follow_redirects=False).status_code == 303
    assert c.get("/reports/2/pages/1.png", follow_redirects=False).status_code == 303


def test_login_wrong_password_and_cookie_flags(campaign):
    c = client(campaign)
    pre = token(c, "/login")
    r = c.post("/login", data={"username": "admin", "password": "wrong-password", "csrf_token": pre})
    assert r.status_code == 401 and "用户名或密码错误" in r.text
    r = c.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": pre}, follow_redirects=False)
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    # The login form itself needs its token.
    c2 = client(campaign)
    c2.get("/login")
    assert c2.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 403


def test_every_page_and_json_twin(campaign):
    c = client(campaign)
    login(c, "admin")
    for path in PAGES:
        r = c.get(path)
        assert r.status_code == 200 and "年报审核工作台" in r.text, path
        assert "content-security-policy" in r.headers
    for path in TWINS:
        assert c.get(path).status_code == 200, path
    reports = c.get("/reports.json").json()["reports"]
    by_agency = {(r["agency"], r["year"]): r for r in reports}
    # The clean fixture is the same agency and year as the sample: a corrected resubmission (version 2).
    clean = by_agency[("示例县人民政府", 2024)]
    assert (clean["source"], clean["version"], clean["verdict"]) == ("clean-report.txt", 2, "通过")
    assert clean["counts"] == {"error": 0, "warning": 0, "info": 0}
    everything = c.get("/reports.json?all=1").json()["reports"]
    sample = next(r for r in everything if r["source"] == "sample-report.txt")
    assert sample["counts"] == {"error": 2, "warning": 2, "info": 0} and sample["superseded"]
    fixed = c.get(f"/reports/{clean['id']}.json").json()["resubmission"]
    assert len(fixed["fixed"]) == 4 and fixed["remaining"] == [] and fixed["new"] == []
    dash = c.get("/index.json").json()
    assert dash["reports"] == 3 and dash["files"] == 4 and dict(dash["by_severity"])["错误"] >= 1
    # The 2024 PDF is compared with the 2023 one of the same agency (names differ in the two years).
    hongze = by_agency[("淮安市洪泽区人民政府", 2024)]
    page = c.get(f"/reports/{hongze['id']}.json").json()
    figures = {f["name"]: (f["previous"], f["current"]) for f in page["previous"]["figures"]}
    assert figures["section3.new.total"] == (21, 95)
    # A PDF finding's page is drawn with its cell outlined.
    assert page["source_pages"]
    png = c.get(f"/reports/{hongze['id']}/pages/{page['source_pages'][0]}.png")
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_review_needs_csrf_and_role_and_is_kept(campaign):
    c = client(campaign)
    csrf = login(c, "reviewer")
    report = next(r for r in c.get("/reports.json?all=1").json()["reports"] if r["source"] == "sample-report.txt")
    finding = next(f for f in c.get(f"/reports/{report['id']}.json").json()["findings"] if f["rule"] == "duplicate-words")
    form = {"fingerprint": finding["fingerprint"], "status": "false_positive", "reason": "“我县我县”系排版所致",
            "next": f"/reports/{report['id']}"}
    assert c.post("/findings/review", data=form).status_code == 403                   # no token
    assert c.post("/findings/review", data={**form, "csrf_token": "forged"}).status_code == 403
    r = c.post("/findings/review", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    again = client(campaign)                                                            # a new session: it is stored
    login(again, "viewer")
    after = {f["rule"]: f for f in again.get(f"/reports/{report['id']}.json").json()["findings"]}
    assert after["duplicate-words"]["status"] == "false_positive"
    assert after["duplicate-words"]["review"]["reason"] == "“我县我县”系排版所致"
    html = again.get(f"/reports/{report['id']}").text
    assert 'class="finding sev-warning dismissed"' in html or "dismissed" in html
    # The letter leaves the dismissed finding out.
    assert "我县我县" not in again.get(f"/letters/{report['id']}.html").text
    log = again.get("/audit-log.json").json()["entries"]
    assert any(e["action"] == "review" and e["actor"] == "reviewer" and e["detail"]["status"] == "false_positive"
               for e in log)
    # A viewer may not review.
    viewer_csrf = token(again)
    refused = again.post("/findings/review", data={**form, "status": "confirmed", "csrf_token": viewer_csrf})
    assert refused.status_code == 403 and "无权" in refused.text


def test_settings_change_is_audited_and_used_by_letters(campaign):
    c = client(campaign)
    csrf = login(c, "reviewer")
    r = c.post("/settings", data={"sender": "示例市人民政府办公室", "reference": "示政办函〔2026〕3号", "contact": "王敏 0000-1234567",
                                  "signatory": "", "deadline_days": "15", "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert c.get("/settings.json").json()["settings"]["sender"] == "示例市人民政府办公室"
    report = next(r for r in c.get("/reports.json?all=1").json()["reports"] if r["source"] == "sample-report.txt")
    d = c.get(f"/letters/{report['id']}.docx")
    assert d.status_code == 200
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(d.content)).paragraphs)
    assert "示例市人民政府办公室" in text and "示政办函〔2026〕3号" in text
    bundle = zipfile.ZipFile(io.BytesIO(c.get("/letters.zip").content))
    assert any(n.endswith(".docx") for n in bundle.namelist())
    assert any(e["action"] == "settings" for e in c.get("/audit-log.json").json()["entries"])
    # A viewer cannot change the settings.
    v = client(campaign)
    vt = login(v, "viewer")
    assert v.post("/settings", data={"sender": "x", "csrf_token": vt}).status_code == 403


def test_users_and_packs_are_for_admins(campaign):
    c = client(campaign)
    csrf = login(c, "reviewer")
    assert c.get("/users").status_code == 403
    assert c.post("/users", data={"name": "x", "role": "admin", "password": "12345678", "csrf_token": csrf}).status_code == 403
    a = client(campaign)
    at = login(a, "admin")
    assert a.post("/users", data={"name": "新同事", "role": "viewer", "password": "abcdefgh9", "csrf_token": at},
                  follow_redirects=False).status_code == 303
    assert any(u["name"] == "新同事" for u in a.get("/users.json").json()["users"])


def test_pack_lint_pasted_shows_positions(campaign):
    c = client(campaign)
    csrf = login(c, "viewer")
    bad = "pack: x\nextends: gov-2021\nrules:\n  - id: r1\n    title: t\n    category: arith.sum\n    severity: error\n    check: section3.nwe.total >= 0\n    message: m\n"
    r = c.post("/packs/lint.json", data={"text": bad, "csrf_token": csrf})
    problems = r.json()["problems"]
    assert any("pack.yaml:8:" in p["text"] and "section3.new" in p["text"] for p in problems), problems


def test_report_text_is_escaped_everywhere(tmp_path, campaign):
    hostile = tmp_path / "hostile.txt"
    text = SAMPLE.read_text(encoding="utf-8").replace("示例县人民政府", "示例<script>alert(1)</script>县人民政府", 1)
    text = text.replace("我县我县", "我县<img src=x onerror=alert(2)>我县", 1)
    hostile.write_text(text, encoding="utf-8")
    db = str(tmp_path / "h.db")
    make_store(db, [hostile])
    c = client(db)
    login(c, "admin")
    for path in ["/", "/reports", "/reports/1", "/findings", "/letters", "/reports/1/source", "/reports/1/audit",
                 "/letters/1.html"]:
        body = c.get(path).text
        assert "<script>alert" not in body and "<img src=x onerror" not in body, path


def test_upload_several_files_and_a_zip_with_unreadable_members(tmp_path):
    db = str(tmp_path / "u.db")
    make_store(db, [])
    c = client(db)
    csrf = login(c, "reviewer")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("sub/clean.txt", CLEAN.read_bytes())
        zf.writestr("../../etc/evil.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2048))   # an old Word file
    files = [("files", ("示例报告.txt", SAMPLE.read_bytes(), "text/plain")),
             ("files", ("reports.zip", archive.getvalue(), "application/zip"))]
    r = c.post("/upload.json", data={"csrf_token": csrf}, files=files)
    assert r.status_code == 202, r.text
    job = r.json()["id"]
    for _ in range(120):
        state = c.get(f"/uploads/{job}.json").json()["job"]
        if state["finished"]:
            break
        time.sleep(0.25)
    assert state["finished"] and state["error"] is None
    names = {e["name"]: e for e in state["entries"]}
    assert names["示例报告.txt"]["errors"] == 2
    assert names["reports.zip/clean.txt"]["errors"] == 0
    evil = names["reports.zip/evil.doc"]
    assert "旧版 Office 二进制文件" in evil["error"]
    assert not (tmp_path / "etc").exists()
    listed = {r["source"] for r in c.get("/reports.json?all=1").json()["reports"]}
    assert "示例报告.txt" in listed
    # A viewer cannot upload; a request over the limit is refused before it is read.
    v = client(db)
    vt = login(v, "viewer")
    assert v.post("/upload", data={"csrf_token": vt}, files=files).status_code == 403
    big = c.post("/upload", data={"csrf_token": csrf},
                 files=[("files", ("big.txt", b"x" * (51 * 1024 * 1024), "text/plain"))])
    assert big.status_code == 413
