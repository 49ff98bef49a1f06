"""Incremental recheck: each pack's rule signatures, each evaluation's inputs.

A recheck re-evaluates only the rules whose signature changed, for a report
whose inputs (its parse, last year's report, its roster level, the
evaluator) are the same as in its previous run; rows written before this
revision have neither and are simply evaluated in full once.

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("packs") as batch:
        batch.add_column(sa.Column("rules_json", sa.Text))
    with op.batch_alter_table("run_reports") as batch:
        batch.add_column(sa.Column("inputs_hash", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("run_reports") as batch:
        batch.drop_column("inputs_hash")
    with op.batch_alter_table("packs") as batch:
        batch.drop_column("rules_json")
