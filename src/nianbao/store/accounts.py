"""Who may use the web workbench, what each of them did, and the campaign's settings.

Passwords are hashed with Argon2 (argon2-cffi, the `web` extra); the store
keeps only the hash. Every review, setting change, upload and account change
is appended to the audit log with who and when.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from . import schema as S
from .database import StoreError

ROLES = ("admin", "reviewer", "viewer")
ROLE_CN = {"admin": "管理员", "reviewer": "复核人员", "viewer": "只读用户"}
# What each role may do, checked in one place (web.auth.require).
PERMISSIONS = {
    "view": {"admin", "reviewer", "viewer"},
    "review": {"admin", "reviewer"},
    "upload": {"admin", "reviewer"},
    "settings": {"admin", "reviewer"},
    "packs": {"admin"},
    "roster": {"admin"},
    "users": {"admin"},
}
MIN_PASSWORD = 8
# Letter settings a campaign keeps (the names nianbao.toml uses).
SETTING_KEYS = ("sender", "reference", "signatory", "contact", "deadline_days")


@dataclass(frozen=True)
class User:
    name: str
    role: str

    def may(self, action: str) -> bool:
        return self.role in PERMISSIONS[action]


def _hasher():
    try:
        from argon2 import PasswordHasher
    except ImportError:  # pragma: no cover - the web extra is missing
        raise StoreError("users", "缺少密码哈希组件 argon2-cffi，请安装：pip install 'nianbao[web]'") from None
    return PasswordHasher()


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def add_user(store, name: str, role: str, password: str, actor: str = "命令行") -> User:
    name = name.strip()
    if not name or len(name) > 64 or any(ord(ch) < 32 for ch in name):
        raise StoreError(store.where, "用户名应为 1–64 个可见字符")
    if role not in ROLES:
        raise StoreError(store.where, f"角色“{role}”无效，应为 {'、'.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise StoreError(store.where, f"密码至少 {MIN_PASSWORD} 个字符")
    hashed = _hasher().hash(password)
    with store.engine.begin() as conn:
        exists = conn.execute(select(S.users.c.name).where(S.users.c.name == name)).first()
        if exists:
            conn.execute(S.users.update().where(S.users.c.name == name).values(role=role, password_hash=hashed))
        else:
            conn.execute(S.users.insert().values(name=name, role=role, password_hash=hashed, created_at=_now()))
        _log(conn, actor, "user", name, {"role": role, "changed": bool(exists)})
    return User(name, role)


def authenticate(store, name: str, password: str) -> User | None:
    """The user when the password is right; None otherwise (the same answer for an unknown name)."""
    from argon2.exceptions import InvalidHashError, VerificationError
    hasher = _hasher()
    with store.engine.connect() as conn:
        row = conn.execute(select(S.users).where(S.users.c.name == name.strip())).first()
    if row is None:
        hasher.hash(password)             # same work either way: no timing hint that the name exists
        return None
    try:
        hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return User(row.name, row.role)


def get_user(store, name: str) -> User | None:
    with store.engine.connect() as conn:
        row = conn.execute(select(S.users.c.name, S.users.c.role).where(S.users.c.name == name)).first()
    return User(row.name, row.role) if row else None


def users(store) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return [{"name": r.name, "role": r.role, "created_at": r.created_at.isoformat()}
                for r in conn.execute(select(S.users.c.name, S.users.c.role, S.users.c.created_at)
                                      .order_by(S.users.c.name))]


def _log(conn, actor: str, action: str, target: str, detail: dict[str, Any]) -> None:
    conn.execute(S.audit_log.insert().values(at=_now(), actor=actor, action=action, target=str(target)[:500],
                                             detail=json.dumps(detail, ensure_ascii=False)[:4000]))


def log(store, actor: str, action: str, target: str, **detail: Any) -> None:
    with store.engine.begin() as conn:
        _log(conn, actor, action, target, detail)


def audit_entries(store, limit: int = 500) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(S.audit_log).order_by(S.audit_log.c.id.desc()).limit(limit))
        return [{"id": r.id, "at": r.at.isoformat(), "actor": r.actor, "action": r.action, "target": r.target,
                 "detail": json.loads(r.detail)} for r in rows]


def get_settings(store, internal: bool = False) -> dict[str, str]:
    """The campaign's settings; keys starting with "_" (e.g. the session-signing key) only when asked."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(S.settings.c.key, S.settings.c.value))
        return {r.key: r.value for r in rows if internal or not r.key.startswith("_")}


def set_internal(store, key: str, value: str) -> None:
    """A setting the program keeps for itself (not shown, not in the audit log)."""
    with store.engine.begin() as conn:
        if conn.execute(select(S.settings.c.key).where(S.settings.c.key == key)).first():
            conn.execute(S.settings.update().where(S.settings.c.key == key).values(value=value, updated_at=_now()))
        else:
            conn.execute(S.settings.insert().values(key=key, value=value, updated_at=_now(), updated_by="nianbao"))


def set_settings(store, values: dict[str, str], actor: str) -> dict[str, str]:
    """Change the campaign's letter settings; every change is in the audit log."""
    unknown = set(values) - set(SETTING_KEYS)
    if unknown:
        raise StoreError(store.where, f"未知的设置项：{'、'.join(sorted(unknown))}")
    if values.get("deadline_days"):
        try:
            days = int(values["deadline_days"])
        except ValueError:
            days = 0
        if not 1 <= days <= 90:
            raise StoreError(store.where, "整改期限应为 1–90 之间的整数（工作日）")
    current = get_settings(store)
    changed = {k: v.strip() for k, v in values.items() if v.strip() != current.get(k, "")}
    if not changed:
        return current
    with store.engine.begin() as conn:
        for key, value in changed.items():
            if key in current:
                conn.execute(S.settings.update().where(S.settings.c.key == key)
                             .values(value=value, updated_at=_now(), updated_by=actor))
            else:
                conn.execute(S.settings.insert().values(key=key, value=value, updated_at=_now(), updated_by=actor))
        _log(conn, actor, "settings", "letters", {k: {"from": current.get(k, ""), "to": v} for k, v in changed.items()})
    return get_settings(store)
