"""Alembic environment: run by `store.database.upgrade` on an open connection (never from a shell)."""
from __future__ import annotations

from alembic import context

from nianbao.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
