"""The store's tables (SQLAlchemy Core), as the latest migration leaves them.

Queries use these definitions; the schema itself is created and upgraded only
by the Alembic migrations in `migrations/versions/` (each frozen once released).
Structured values (parsed reports, evidence, field lists) are JSON text, the
same on SQLite and PostgreSQL.
"""
from __future__ import annotations

from sqlalchemy import (Boolean, Column, DateTime, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Table, Text,
                        UniqueConstraint)

metadata = MetaData()

# Each distinct file content once: the bytes, so a new parser can re-read it and pages can show it.
files = Table(
    "files", metadata,
    Column("content_hash", String(64), primary_key=True),        # sha256 hex
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("stored_at", DateTime, nullable=False),
)

# A file as the parser of one version read it (Report as model_json writes it).
parsed_reports = Table(
    "parsed_reports", metadata,
    Column("content_hash", String(64), ForeignKey("files.content_hash"), primary_key=True),
    Column("parser_version", String(64), primary_key=True),
    Column("report_json", Text, nullable=False),
    Column("parsed_at", DateTime, nullable=False),
)

# One submitted report: a file of an agency and year. A second file for the same
# agency and year is a resubmission: the next `version`.
reports = Table(
    "reports", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("content_hash", String(64), ForeignKey("files.content_hash"), nullable=False, unique=True),
    Column("source_name", Text, nullable=False),
    Column("agency", Text),
    Column("agency_key", Text),
    Column("year", Integer),
    Column("level", String(32)),
    Column("template", String(32)),
    Column("format", String(16)),
    Column("report_date", String(10)),                              # signing/publication date as printed
    Column("parser_version", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("error", Text),                                          # why the file could not be read
    Column("received_at", DateTime, nullable=False),
    Index("ix_reports_agency_year", "agency_key", "year"),
)

# A pack as used by a run: name, hash of its rule files, its verdict policy (JSON).
packs = Table(
    "packs", metadata,
    Column("pack_hash", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("verdict_json", Text, nullable=False),
    Column("first_used", DateTime, nullable=False),
    Column("rules_json", Text),                                     # rule id -> signature (0002)
)

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),                     # check | recheck
    Column("pack_ref", Text),                                       # as asked for; None: per template
    Column("run_by", Text, nullable=False),
    Column("parser_version", String(64), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),                                # None: interrupted
)

# A report as evaluated in a run: each row is written with its findings in one transaction.
run_reports = Table(
    "run_reports", metadata,
    Column("run_id", Integer, ForeignKey("runs.id"), primary_key=True),
    Column("report_id", Integer, ForeignKey("reports.id"), primary_key=True),
    Column("pack_hash", String(64), ForeignKey("packs.pack_hash"), nullable=False),
    Column("previous_report_id", Integer, ForeignKey("reports.id")),
    Column("unchecked_json", Text, nullable=False),
    Column("checked_at", DateTime, nullable=False),
    Column("inputs_hash", String(64)),                              # what the evaluation read (0002)
    Index("ix_run_reports_report", "report_id", "run_id"),
)

findings = Table(
    "findings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, nullable=False),
    Column("report_id", Integer, nullable=False),
    Column("fingerprint", String(32), nullable=False),
    Column("figures", String(32), nullable=False),                  # hash of the evidence values
    Column("rule", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("category", String(64), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("basis", Text, nullable=False),
    Column("fields_json", Text, nullable=False),
    Column("evidence_json", Text, nullable=False),
    Column("reviewer_only", Boolean, nullable=False, default=False),   # a remark never put in a letter
    Index("ix_findings_run_report", "run_id", "report_id"),
    Index("ix_findings_fingerprint", "fingerprint"),
    Index("ix_findings_rule", "rule"),
)

# Reviews are appended, never updated: the latest one in force for a finding decides.
reviews = Table(
    "reviews", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(16), nullable=False),                    # report | agency | rule
    Column("fingerprint", String(32)),                              # scope report
    Column("agency_key", Text),                                     # scope agency
    Column("rule", Text),                                           # scopes agency and rule
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("reviewer", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime),
    Index("ix_reviews_fingerprint", "fingerprint"),
)

roster = Table(
    "roster", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("agency_key", Text, nullable=False),
    Column("level", String(32)),
    Column("region", Text),
    Column("deadline_group", Text),
    Column("imported_at", DateTime, nullable=False),
    UniqueConstraint("agency_key", name="uq_roster_agency_key"),
)

# The web workbench: who may log in (argon2 hashes), what each did, the campaign's settings.
users = Table(
    "users", metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),                     # admin | reviewer | viewer
    Column("password_hash", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("target", Text, nullable=False),
    Column("detail", Text, nullable=False),
)

settings = Table(
    "settings", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", String(64), nullable=False),
)
