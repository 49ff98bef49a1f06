"""Opening a store: a SQLite file (default) or a PostgreSQL URL; the schema upgrades itself on open.

SQLite is opened in WAL mode with a busy timeout, and every transaction
starts with BEGIN IMMEDIATE (it takes the write lock at once), so two
processes writing one file wait for each other instead of failing or
corrupting it. A process killed mid-transaction leaves the file as it was
before that transaction (SQLite's journal rolls it back on the next open).
"""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from ..errors import NianbaoError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 60_000
_PG_MIGRATION_LOCK = 0x6E69616E   # pg_advisory_xact_lock key: one upgrader at a time


class StoreError(NianbaoError):
    """The database cannot be opened or used (path, URL, server, foreign or newer schema)."""


def normalise_url(db: str) -> str:
    """A file path becomes a sqlite URL; postgres(ql):// gets the psycopg (3) driver."""
    db = db.strip()
    if not db:
        raise StoreError("--db", "未指定数据库（使用 --db 或设置环境变量 NIANBAO_DB）")
    for prefix in ("postgresql://", "postgres://"):
        if db.startswith(prefix):
            return "postgresql+psycopg://" + db[len(prefix):]
    if db.startswith(("postgresql+", "sqlite:")):
        return db
    if "://" in db:
        raise StoreError(db, "不支持的数据库地址，请使用 SQLite 文件路径或 postgresql:// 地址")
    path = Path(db).expanduser().resolve()
    if path.is_dir():
        raise StoreError(db, "这是一个目录，请指定数据库文件路径")
    if not path.parent.is_dir():
        raise StoreError(db, "数据库文件所在的目录不存在")
    return f"sqlite:///{path}"


def shown(url: str) -> str:
    """The URL as shown to users: password hidden, a SQLite URL as its path."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or url
    return parsed.render_as_string(hide_password=True).replace("postgresql+psycopg://", "postgresql://", 1)


def connect(db: str) -> Engine:
    url = normalise_url(db)
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
            _sqlite_setup(engine)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except (ArgumentError, SQLAlchemyError, ImportError) as exc:
        raise StoreError(shown(url), f"无法打开数据库：{_reason(exc)}") from None
    try:
        _upgrade_when_free(engine)
    except StoreError:
        engine.dispose()
        raise
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(shown(url), f"无法打开数据库：{_reason(exc)}") from None
    return engine


def _upgrade_when_free(engine: Engine, attempts: int = 40) -> None:
    """Upgrade the schema; on SQLite, wait for another process opening the same new file at the same
    moment (switching a new file to WAL takes a lock SQLite's busy timeout does not wait for)."""
    import time
    for attempt in range(attempts):
        try:
            upgrade(engine)
            return
        except SQLAlchemyError as exc:
            if engine.dialect.name != "sqlite" or "locked" not in str(exc) or attempt == attempts - 1:
                raise
            engine.dispose()                # drop the connection that failed half-way
            time.sleep(0.05 + 0.05 * attempt)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None      # we issue BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a killed process never corrupts or half-commits; only an OS crash may lose
        # the last commits (never consistency).
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _alembic_config():
    from alembic.config import Config
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the latest revision (no-op when it is there already)."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = _alembic_config()
    script = ScriptDirectory.from_config(cfg)
    head = script.get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        if current is None:
            _refuse_foreign(conn, engine)
    if current == head:
        return
    if current is not None and current not in {s.revision for s in script.walk_revisions()}:
        raise StoreError(shown(str(engine.url)), f"数据库结构版本 {current} 比本程序新，请升级 nianbao 后再使用")
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def _refuse_foreign(conn, engine: Engine) -> None:
    """A database with tables but no schema version is someone else's: never write into it."""
    from sqlalchemy import inspect
    names = set(inspect(conn).get_table_names())
    if names - {"alembic_version"}:
        raise StoreError(shown(str(engine.url)), "该数据库不是 nianbao 审核库（已有其他数据表），为避免破坏数据，未作任何修改")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        text_ = str(exc.orig)
    else:
        text_ = str(exc)
    first = text_.strip().splitlines()[0] if text_.strip() else type(exc).__name__
    if "file is not a database" in first:
        return "文件不是 SQLite 数据库"
    if "could not translate host name" in first or "Connection refused" in first or "connection failed" in first:
        return f"无法连接数据库服务器（{first}）"
    if "password authentication failed" in first:
        return "数据库用户名或密码错误"
    return first


def default_db() -> str | None:
    return os.environ.get("NIANBAO_DB") or None
