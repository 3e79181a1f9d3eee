"""Worker pool: threads that take queued jobs from the job store and run the analysis pipeline.
Each worker owns its own Analyzer (models are loaded once per worker, not per job)."""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from unlock_feeling.errors import ModelError, UserInputError
from unlock_feeling.progress import overall_progress
from unlock_feeling.service.jobs import Job, JobStore

class JobCancelled(Exception):
    """Raised inside a running analysis (from its progress callback) once its job is deleted."""


@dataclass
class WorkerPool:
    store: JobStore
    results: Path
    workers: int = 1
    poll_seconds: float = 0.2
    _stop: threading.Event = field(default_factory=threading.Event)
    _wake: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _cancelled: set[str] = field(default_factory=set)
    _running: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        self.results.mkdir(parents=True, exist_ok=True)
        self.store.requeue_interrupted()
        for i in range(self.workers):
            t = threading.Thread(target=self._run, name=f"unlock-feeling-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def notify(self) -> None:
        self._wake.set()

    def cancel(self, job_id: str) -> None:
        """Stop a running job at its next progress report (between stages and batches)."""
        with self._lock:
            self._cancelled.add(job_id)

    def running(self) -> set[str]:
        """Ids of the jobs this pool's workers are analysing now."""
        with self._lock:
            return set(self._running)

    def _is_cancelled(self, job_id: str) -> bool:
        with self._lock:
            return job_id in self._cancelled

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        for t in self._threads:
            t.join(timeout)

    def _run(self) -> None:
        from unlock_feeling.pipeline import Analyzer

        analyzers: dict[str, Analyzer] = {}
        while not self._stop.is_set():
            job = self.store.claim_next()
            if job is None:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
                continue
            self._process(job, analyzers)

    def _process(self, job: Job, analyzers: dict) -> None:  # type: ignore[type-arg]
        import json

        from unlock_feeling.pipeline import Analyzer
        from unlock_feeling.service.options import analyze_options

        key = json.dumps(job.options, sort_keys=True)
        done_stages: set[str] = set()
        last = [0.0]

        def progress(stage: str, done: int, total: int) -> None:
            if self._is_cancelled(job.id):
                raise JobCancelled(job.id)
            if done >= total:
                done_stages.add(stage)
            now = time.monotonic()
            if now - last[0] > 0.3 or done >= total:
                last[0] = now
                current = self.store.get(job.id)  # another process may have deleted it
                if current is None or current.status == "cancelled":
                    raise JobCancelled(job.id)
                self.store.update(job.id, stage=stage, progress=overall_progress(done_stages, stage, done / max(total, 1)))

        from unlock_feeling.report.table import atomic_write

        with self._lock:
            self._running.add(job.id)
        try:
            if key not in analyzers:
                analyzers[key] = Analyzer(analyze_options(job.options))
            df = analyzers[key].analyze(Path(job.media_path), progress)
            out = self.results / f"{job.id}.parquet"
            atomic_write(out, lambda tmp: df.assign(source=job.filename).to_parquet(tmp, index=False))
            current = self.store.get(job.id)
            if current is None or current.status == "cancelled":
                out.unlink(missing_ok=True)
                return
            self.store.update(job.id, status="done", progress=100.0, stage="done", result_path=str(out))
        except JobCancelled:
            return
        except (UserInputError, ModelError) as e:
            message = str(e).replace(job.media_path, job.filename)
            self.store.update(job.id, status="failed", stage="failed", progress=100.0, error=message)
        except Exception as e:  # noqa: BLE001 - a worker must survive any job
            traceback.print_exc()
            self.store.update(job.id, status="failed", stage="failed", progress=100.0,
                              error=f"internal error: {type(e).__name__}: {e}")
        finally:
            with self._lock:
                self._cancelled.discard(job.id)
                self._running.discard(job.id)
