"""The parent's bookkeeping of one batch run, kept on disk so its memory does not grow with the run.

For every input the parent must remember a little: its task (path, output name),
its identity once read (agency, year, hash…), last year's report paired with it,
the index entry of its result and the files written for it. A few hundred bytes
each — 15 MB at 10,000 reports, 150 MB for a national run — so they live in a
SQLite database in the run's private folder instead (stdlib, no server; durable
enough for scratch data: no journal, no fsync). Pairing reads the identities one
agency at a time, which is all `pairing` ever compares.
"""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Iterator

from ..pairing import DuplicateGroup, current_first, duplicate_groups, pair_reports
from .tasks import EvalTask, Identity, ReadTask

_SCHEMA = """
CREATE TABLE tasks (seq INTEGER PRIMARY KEY, source TEXT NOT NULL, name TEXT NOT NULL);
CREATE TABLE identities (seq INTEGER PRIMARY KEY, agency_key TEXT, year INTEGER, template TEXT,
                         sha256 TEXT NOT NULL, size INTEGER NOT NULL, mtime REAL NOT NULL);
CREATE INDEX identities_agency ON identities (agency_key, seq);
CREATE TABLE stored (seq INTEGER PRIMARY KEY, segment TEXT NOT NULL, offset INTEGER NOT NULL,
                     length INTEGER NOT NULL);
CREATE TABLE pairs (seq INTEGER PRIMARY KEY, previous INTEGER NOT NULL);
CREATE TABLE users (seq INTEGER PRIMARY KEY, count INTEGER NOT NULL);
CREATE TABLE notes (seq INTEGER PRIMARY KEY, note TEXT NOT NULL);
CREATE TABLE entries (seq INTEGER PRIMARY KEY, entry TEXT NOT NULL);
CREATE TABLE files (rel TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE previous_files (rel TEXT PRIMARY KEY) WITHOUT ROWID;
"""
_PAGE = 1000                    # rows fetched at a time when streaming a table


class RunLedger:
    def __init__(self, path: Path):
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-2048", "temp_store=FILE"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.executescript(_SCHEMA)
        self.duplicates: list[DuplicateGroup] = []       # set by pair()

    def close(self) -> None:
        self._db.close()

    def _stream(self, table_sql: str, key: str) -> Iterator[tuple]:
        """SELECT … FROM … [WHERE] in pages ordered by `key` (unique)."""
        last = None
        while True:
            if last is None:
                rows = self._db.execute(f"{table_sql} ORDER BY {key} LIMIT {_PAGE}").fetchall()
            else:
                joiner = " AND " if " WHERE " in table_sql else " WHERE "
                rows = self._db.execute(f"{table_sql}{joiner}{key} > ? ORDER BY {key} LIMIT {_PAGE}",
                                        (last,)).fetchall()
            if not rows:
                return
            yield from rows
            last = rows[-1][0]

    # -- tasks -------------------------------------------------------------------------
    def add_tasks(self, sources: list[str], names: dict[str, str]) -> None:
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT INTO tasks VALUES (?, ?, ?)",
                                 ((i, s, names[s]) for i, s in enumerate(sources)))

    def task(self, seq: int) -> ReadTask:
        source, name = self._db.execute("SELECT source, name FROM tasks WHERE seq = ?", (seq,)).fetchone()
        return ReadTask(seq, source, name)

    def tasks(self) -> Iterator[ReadTask]:
        for seq, source, name in self._stream("SELECT seq, source, name FROM tasks", "seq"):
            yield ReadTask(seq, source, name)

    # -- identities and pairing ---------------------------------------------------------
    def add_identity(self, seq: int, identity: Identity, stored: tuple[str, int, int] | None = None) -> None:
        """A report read in phase 1; `stored`: where its parsed copy waits (spool.Stored)."""
        self._db.execute("INSERT OR REPLACE INTO identities VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (seq, identity.agency_key, identity.year, identity.template, identity.sha256,
                          identity.size, identity.mtime))
        if stored is not None:
            self._db.execute("INSERT OR REPLACE INTO stored VALUES (?, ?, ?, ?)", (seq, *stored))

    def stored(self, seq: int) -> tuple[str, int, int] | None:
        row = self._db.execute("SELECT segment, offset, length FROM stored WHERE seq = ?", (seq,)).fetchone()
        return tuple(row) if row else None

    def identity(self, seq: int) -> Identity:
        row = self._db.execute("SELECT agency_key, year, template, sha256, size, mtime FROM identities "
                               "WHERE seq = ?", (seq,)).fetchone()
        return Identity(*row)

    def _agencies(self) -> Iterator[dict[int, Identity]]:
        """The identities of one agency at a time (input order within each), through the
        (agency_key, seq) index a page at a time."""
        group: dict[int, Identity] = {}
        last: tuple[str, int] | None = None
        while True:
            where = "agency_key IS NOT NULL" + (" AND (agency_key, seq) > (?, ?)" if last else "")
            rows = self._db.execute(
                "SELECT seq, agency_key, year, template, sha256, size, mtime FROM identities "
                f"WHERE {where} ORDER BY agency_key, seq LIMIT {_PAGE}", last or ()).fetchall()
            if not rows:
                break
            for seq, *rest in rows:
                ident = Identity(*rest)
                if group and ident.agency_key != next(iter(group.values())).agency_key:
                    yield group
                    group = {}
                group[seq] = ident
            last = (rows[-1][1], rows[-1][0])
        if group:
            yield group

    def pair(self) -> list[DuplicateGroup]:
        """Pair each report with last year's of the same agency and find duplicate years, one agency
        at a time (pairing never compares two agencies). Returns the duplicate groups in input order
        (as `duplicate_groups` finds them; also kept as `self.duplicates`)."""
        found: list[DuplicateGroup] = []
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM pairs")
            self._db.execute("DELETE FROM users")
            self._db.execute("INSERT INTO users SELECT seq, 1 FROM identities")
            for ids in self._agencies():
                order = list(ids)
                groups = duplicate_groups(order, ids)
                pairs = pair_reports(current_first(order, groups),
                                     {s: (i.agency_key, i.year) for s, i in ids.items()})
                self._db.executemany("INSERT INTO pairs VALUES (?, ?)", pairs.items())
                self._db.executemany("UPDATE users SET count = count + 1 WHERE seq = ?",
                                     ((prev,) for prev in pairs.values()))
                found += groups
        found.sort(key=lambda g: g.members[0])
        self.duplicates = found
        return found

    def evaluations(self) -> Iterator[tuple[EvalTask, Identity]]:
        """Phase 2's tasks in input order, made as they are taken."""
        for row in self._stream(
                "SELECT i.seq, t.source, t.name, i.agency_key, i.year, i.template, i.sha256, i.size, i.mtime, "
                "p.previous, pt.source, pt.name, pi.template, s.segment, s.offset, s.length, "
                "ps.segment, ps.offset, ps.length FROM identities i JOIN tasks t ON t.seq = i.seq "
                "LEFT JOIN pairs p ON p.seq = i.seq LEFT JOIN tasks pt ON pt.seq = p.previous "
                "LEFT JOIN identities pi ON pi.seq = p.previous LEFT JOIN stored s ON s.seq = i.seq "
                "LEFT JOIN stored ps ON ps.seq = p.previous", "i.seq"):
            seq, source, name, *ident, prev, prev_source, prev_name, prev_template = row[:13]
            stored, prev_stored = row[13:16], row[16:19]
            previous = ReadTask(prev, prev_source, prev_name) if prev is not None else None
            yield EvalTask(ReadTask(seq, source, name), previous, prev_template if previous else None,
                           stored if stored[0] is not None else None,
                           prev_stored if previous and prev_stored[0] is not None else None), Identity(*ident)

    def evaluated(self, seq: int) -> list[int]:
        """`seq` was evaluated: the parsed reports no task needs any more (itself, last year's)."""
        row = self._db.execute("SELECT previous FROM pairs WHERE seq = ?", (seq,)).fetchone()
        used = (seq,) if row is None else (seq, row[0])
        left = dict(self._db.execute(f"UPDATE users SET count = count - 1 WHERE seq IN ({', '.join('?' * len(used))}) "
                                     "RETURNING seq, count", used).fetchall())
        return [s for s in used if left.get(s) == 0]

    def add_note(self, seq: int, note: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO notes VALUES (?, ?)", (seq, note))

    # -- index entries -------------------------------------------------------------------
    def add_entry(self, seq: int, entry: dict[str, Any]) -> None:
        self._db.execute("INSERT OR REPLACE INTO entries VALUES (?, ?)",
                         (seq, json.dumps(entry, ensure_ascii=False)))

    def entries(self) -> Iterator[dict[str, Any]]:
        """The index entries in input order, each with its duplicate note."""
        for _seq, text, note in self._stream(
                "SELECT e.seq, e.entry, n.note FROM entries e LEFT JOIN notes n ON n.seq = e.seq", "e.seq"):
            entry = json.loads(text)
            if note is not None:
                entry["duplicate"] = note
            yield entry

    # -- files written -------------------------------------------------------------------
    def record(self, *rels: str) -> list[str]:
        """Remember files of this run; those not recorded before (one statement for a report's files)."""
        if not rels:
            return []
        rows = self._db.execute(f"INSERT INTO files VALUES {', '.join(['(?)'] * len(rels))} "
                                "ON CONFLICT DO NOTHING RETURNING rel", rels).fetchall()
        new = {rel for (rel,) in rows}
        return [rel for rel in dict.fromkeys(rels) if rel in new]

    def files(self) -> Iterator[str]:
        for (rel,) in self._stream("SELECT rel FROM files", "rel"):
            yield rel

    def add_previous_files(self, rels) -> None:
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR IGNORE INTO previous_files VALUES (?)", ((r,) for r in rels))

    def stale_files(self) -> Iterator[str]:
        """Files earlier runs wrote that this one did not write again, in order."""
        for (rel,) in self._stream("SELECT rel FROM previous_files WHERE rel NOT IN (SELECT rel FROM files)",
                                   "rel"):
            yield rel
