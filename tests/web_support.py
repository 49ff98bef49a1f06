"""Helpers for the workbench tests: a store with reports and users, a logged-in client."""
from __future__ import annotations

import re

import pytest

pytest.importorskip("starlette", reason="the web extra (starlette) is not installed: pip install '.[web]'")
pytest.importorskip("argon2", reason="the web extra (argon2-cffi) is not installed: pip install '.[web]'")
pytest.importorskip("sqlalchemy", reason="the store extra is not installed: pip install '.[store]'")

from starlette.testclient import TestClient  # noqa: E402

PASSWORD = "correct-horse-9"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_store(db: str, files: list[str]) -> None:
    from nianbao.store import Store, check_into_store
    from nianbao.store.accounts import add_user
    with Store(db) as store:
        if files:
            check_into_store(store, [str(f) for f in files], None, "测试")
        for name, role in (("admin", "admin"), ("reviewer", "reviewer"), ("viewer", "viewer")):
            add_user(store, name, role, PASSWORD)


def client(db: str) -> TestClient:
    from nianbao.web import create_app
    return TestClient(create_app(db), raise_server_exceptions=False)


def token(c: TestClient, path: str = "/settings") -> str:
    return TOKEN.search(c.get(path).text).group(1)


def login(c: TestClient, name: str) -> str:
    """Log in; returns the session's CSRF token for the forms that follow."""
    pre = TOKEN.search(c.get("/login").text).group(1)
    r = c.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": pre, "next": "/"},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    return token(c)
