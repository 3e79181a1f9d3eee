"""Persistent job records in SQLite (the embedded default). A restart loses nothing: finished
results stay, and jobs that were queued or running when the server stopped are queued again."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from unlock_feeling.errors import UserInputError

@dataclass
class Job:
    id: str
    status: str
    """queued, running, done, failed or cancelled"""
    progress: float
    stage: str
    error: str
    filename: str
    media_path: str
    options: dict[str, Any]
    created: float
    updated: float
    result_path: str

    def public(self) -> dict[str, Any]:
        d = asdict(self)
        for private in ("media_path", "result_path"):
            d.pop(private)
        d["progress"] = round(d["progress"], 1)
        return d


def sqlite_path(url: str) -> Path:
    """Accept `sqlite:///path/to/jobs.db` (or a plain path); other databases are not supported yet."""
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///"):])
    if "://" in url:
        raise UserInputError(f"unsupported database URL {url!r}: only sqlite:///PATH is supported")
    return Path(url)


class JobStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("""CREATE TABLE IF NOT EXISTS jobs (
                id TEXT PRIMARY KEY, status TEXT NOT NULL, progress REAL NOT NULL DEFAULT 0,
                stage TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '', filename TEXT NOT NULL,
                media_path TEXT NOT NULL, options TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL,
                result_path TEXT NOT NULL DEFAULT '')""")
            self._db.execute("CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status, created)")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @staticmethod
    def _job(row: sqlite3.Row | None) -> Job | None:
        if row is None:
            return None
        d = dict(row)
        d["options"] = json.loads(d["options"])
        return Job(**d)

    def create(self, filename: str, media_path: str, options: dict[str, Any], job_id: str | None = None) -> Job:
        now = time.time()
        job_id = job_id or uuid.uuid4().hex
        with self._lock:
            self._db.execute("INSERT INTO jobs (id, status, filename, media_path, options, created, updated) "
                             "VALUES (?, 'queued', ?, ?, ?, ?, ?)",
                             (job_id, filename, media_path, json.dumps(options), now, now))
        job = self.get(job_id)
        assert job is not None
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._job(self._db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone())

    def list(self, limit: int = 100) -> list[Job]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM jobs ORDER BY created DESC LIMIT ?", (limit,)).fetchall()
        return [j for r in rows if (j := self._job(r)) is not None]

    def count(self, status: str) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM jobs WHERE status = ?", (status,)).fetchone()[0])

    def update(self, job_id: str, **fields: Any) -> None:
        if not fields:
            return
        fields["updated"] = time.time()
        cols = ", ".join(f"{k} = ?" for k in fields)
        with self._lock:
            self._db.execute(f"UPDATE jobs SET {cols} WHERE id = ?", (*fields.values(), job_id))

    def claim_next(self) -> Job | None:
        """Atomically take the oldest queued job (several workers, even several processes)."""
        with self._lock:
            row = self._db.execute(
                "UPDATE jobs SET status = 'running', stage = 'starting', updated = ? WHERE id = ("
                "SELECT id FROM jobs WHERE status = 'queued' ORDER BY created LIMIT 1) RETURNING *",
                (time.time(),)).fetchone()
        return self._job(row)

    def requeue_interrupted(self) -> int:
        with self._lock:
            cur = self._db.execute("UPDATE jobs SET status = 'queued', progress = 0, stage = '', updated = ? "
                                   "WHERE status = 'running'", (time.time(),))
            return cur.rowcount

    def delete(self, job_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
