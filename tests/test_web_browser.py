"""The workbench in a real browser (Debian's chromium driven by Playwright), against `nianbao serve`.

Screenshots of the dashboard, a report page with a highlighted PDF cell and the letter
settings page are written to reports_out/screenshots/ for a person to look at.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, real_path

pytest.importorskip("starlette", reason="the web extra is not installed: pip install '.[web]'")
pytest.importorskip("sqlalchemy", reason="the store extra is not installed: pip install '.[store]'")
playwright = pytest.importorskip("playwright.sync_api", reason="playwright (test extra) is not installed")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")
SHOTS = REPO / "reports_out" / "screenshots"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    db = str(folder / "campaign.db")
    env = {**os.environ, "NIANBAO_ADMIN_PASSWORD": "admin-pass-123"}
    exe = [sys.executable, "-m", "nianbao.cli"]
    for name, role in (("reviewer", "reviewer"), ("viewer", "viewer")):
        subprocess.run([*exe, "user", "add", name, "--role", role, "--db", db], input="secret-pass-1\n",
                       text=True, check=True, env=env, capture_output=True)
    port = _free_port()
    proc = subprocess.Popen([*exe, "serve", "--db", db, "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"nianbao serve exited: {proc.stdout.read()}")
            time.sleep(0.3)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def _login(page, base: str, name: str, password: str) -> None:
    page.goto(f"{base}/")
    assert "/login" in page.url
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_supervisor_session_in_a_browser(server, browser, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    _login(page, server, "reviewer", "secret-pass-1")

    # Upload two real reports; the progress page turns into the results.
    page.goto(f"{server}/upload")
    page.set_input_files("input[type=file]", [str(real_path("huaian-hongze-2023.pdf")),
                                              str(real_path("huaian-hongze-2024.pdf"))])
    page.click("form#upload button[type=submit]")
    page.wait_for_selector("text=已完成", timeout=120_000)
    assert page.locator("table.list tbody tr").count() == 2

    # The dashboard counts them.
    page.goto(f"{server}/")
    assert page.locator(".tiles li").first.inner_text().startswith("2")
    page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)

    # The 2023 report: its table-4 totals are a real defect, drawn on the PDF page.
    page.goto(f"{server}/reports?q=洪泽")
    with page.expect_navigation(wait_until="load"):
        page.click("text=2023 >> xpath=.. >> a")
    page.wait_for_selector("article.finding")
    findings = page.locator("article.finding")
    assert findings.count() >= 3
    assert page.locator("article.finding:has-text('table4-review-total')").count() == 1
    page.wait_for_selector("img.page")
    page.locator("img.page").first.scroll_into_view_if_needed()
    for _ in range(100):        # the page images are drawn by the server on request
        if page.evaluate("() => Array.from(document.querySelectorAll('img.page')).every(i => i.complete && i.naturalWidth > 0)"):
            break
        time.sleep(0.2)
    page.screenshot(path=str(SHOTS / "report-pdf-cell.png"), full_page=True)

    # Mark one finding as a false positive, reload: it is kept, struck through, with the reason.
    target = page.locator("article.finding:has-text('work-points-statement')")
    target.locator("select[name=status]").select_option("false_positive")
    target.locator("input[name=reason]").fill("工作要点落实情况写在第一部分，已人工核对")
    # The form posts and is redirected back; reloading before that navigation ends detaches the page.
    with page.expect_navigation(wait_until="load"):
        target.locator("button[type=submit]").click()
    page.reload(wait_until="load")
    kept = page.locator("article.finding:has-text('work-points-statement')")
    assert "dismissed" in kept.get_attribute("class")
    assert "已人工核对" in kept.inner_text() and "误报" in kept.inner_text()

    # Download the Word letter and open it with python-docx.
    import docx
    with page.expect_download() as info:
        page.click("text=下载整改函（Word）")
    path = tmp_path / "letter.docx"
    info.value.save_as(str(path))
    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert "洪泽区人民政府" in text and "行政复议" in text       # the table-4 defects are in the letter
    assert "工作要点" not in text                                  # the finding marked 误报 is not

    page.goto(f"{server}/settings")
    page.fill("input[name=sender]", "淮安市人民政府办公室")
    page.click("form.settings button[type=submit]")
    page.wait_for_selector("text=已保存")
    page.screenshot(path=str(SHOTS / "letter-settings.png"), full_page=True)
    context.close()

    # A viewer sees the findings but is refused a review.
    viewer = browser.new_context().new_page()
    _login(viewer, server, "viewer", "secret-pass-1")
    viewer.goto(f"{server}/findings")
    assert viewer.locator("form.review").count() == 0
    token = viewer.evaluate("document.querySelector('input[name=csrf_token]').value")
    fp = viewer.evaluate("fetch('/findings.json').then(r => r.json()).then(d => d.findings[0].fingerprint)")
    status = viewer.evaluate(
        "([t, fp]) => fetch('/findings/review', {method: 'POST', headers: {'content-type': 'application/x-www-form-urlencoded'},"
        " body: new URLSearchParams({csrf_token: t, fingerprint: fp, status: 'confirmed', reason: ''})}).then(r => r.status)",
        [token, fp])
    assert status == 403
    for name in ("dashboard.png", "report-pdf-cell.png", "letter-settings.png"):
        assert (SHOTS / name).stat().st_size > 10_000
