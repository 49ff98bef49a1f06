"""The audit-campaign store: reports, runs, findings and their reviews in one database.

    from nianbao.store import Store, check_into_store, recheck
    with Store("campaign.db") as store:            # or "postgresql://user@host/db"
        check_into_store(store, ["reports/"], pack_ref=None, user="张三")
        for state in store.states():               # each report as its latest run left it
            print(state.report["agency"], state.verdict, [f.status for f in state.findings])

Needs the `store` extra (SQLAlchemy, Alembic, psycopg). Modules: `database`
(open, WAL, migrations), `schema` (tables), `campaign` (Store: writes and
states), `checking` (check into the store; versions and signatures), `recheck`, `diff` (runs, resubmissions), `reviews`,
`verdict`, `fingerprint`, `roster`, `export`.
"""
from .campaign import Evaluated, ReportState, Store, StoredFinding, Submission
from .checking import CheckSummary, check_into_store, parser_version
from .recheck import RecheckSummary, recheck
from .database import StoreError, default_db
from .diff import Resubmission, StateDiff, diff_states, resubmissions
from .reviews import DISMISSED, SCOPE_CN, STATUS_CN, Review

__all__ = [
    "Store", "StoreError", "default_db", "check_into_store", "recheck", "parser_version", "CheckSummary",
    "RecheckSummary", "ReportState", "StoredFinding", "Submission", "Evaluated", "StateDiff", "diff_states",
    "Resubmission", "resubmissions", "Review", "STATUS_CN", "SCOPE_CN", "DISMISSED",
]
