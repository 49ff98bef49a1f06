"""The audit-campaign store: files, parsed reports, reports, packs, runs, findings, reviews, roster.

Revision ID: 0001
Revises:
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "files",
        sa.Column("content_hash", sa.String(64), primary_key=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("stored_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "parsed_reports",
        sa.Column("content_hash", sa.String(64), sa.ForeignKey("files.content_hash"), primary_key=True),
        sa.Column("parser_version", sa.String(64), primary_key=True),
        sa.Column("report_json", sa.Text, nullable=False),
        sa.Column("parsed_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("content_hash", sa.String(64), sa.ForeignKey("files.content_hash"), nullable=False, unique=True),
        sa.Column("source_name", sa.Text, nullable=False),
        sa.Column("agency", sa.Text),
        sa.Column("agency_key", sa.Text),
        sa.Column("year", sa.Integer),
        sa.Column("level", sa.String(32)),
        sa.Column("template", sa.String(32)),
        sa.Column("format", sa.String(16)),
        sa.Column("report_date", sa.String(10)),
        sa.Column("parser_version", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("received_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_reports_agency_year", "reports", ["agency_key", "year"])
    op.create_table(
        "packs",
        sa.Column("pack_hash", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("verdict_json", sa.Text, nullable=False),
        sa.Column("first_used", sa.DateTime, nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("pack_ref", sa.Text),
        sa.Column("run_by", sa.Text, nullable=False),
        sa.Column("parser_version", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
    )
    op.create_table(
        "run_reports",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), primary_key=True),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id"), primary_key=True),
        sa.Column("pack_hash", sa.String(64), sa.ForeignKey("packs.pack_hash"), nullable=False),
        sa.Column("previous_report_id", sa.Integer, sa.ForeignKey("reports.id")),
        sa.Column("unchecked_json", sa.Text, nullable=False),
        sa.Column("checked_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_run_reports_report", "run_reports", ["report_id", "run_id"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("report_id", sa.Integer, nullable=False),
        sa.Column("fingerprint", sa.String(32), nullable=False),
        sa.Column("figures", sa.String(32), nullable=False),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("basis", sa.Text, nullable=False),
        sa.Column("fields_json", sa.Text, nullable=False),
        sa.Column("evidence_json", sa.Text, nullable=False),
        sa.Column("reviewer_only", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_findings_run_report", "findings", ["run_id", "report_id"])
    op.create_index("ix_findings_fingerprint", "findings", ["fingerprint"])
    op.create_index("ix_findings_rule", "findings", ["rule"])
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("fingerprint", sa.String(32)),
        sa.Column("agency_key", sa.Text),
        sa.Column("rule", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("reviewer", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime),
    )
    op.create_index("ix_reviews_fingerprint", "reviews", ["fingerprint"])
    op.create_table(
        "roster",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("agency_key", sa.Text, nullable=False),
        sa.Column("level", sa.String(32)),
        sa.Column("region", sa.Text),
        sa.Column("deadline_group", sa.Text),
        sa.Column("imported_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("agency_key", name="uq_roster_agency_key"),
    )


def downgrade() -> None:
    for table in ("roster", "reviews", "findings", "run_reports", "runs", "packs", "reports", "parsed_reports",
                  "files"):
        op.drop_table(table)
