"""FastAPI application: /v1/analyses (upload, status, result, report, delete), the web page at /,
and the OpenAPI schema at /openapi.json. Thin shell over the same pipeline as the CLI."""

import os
import re
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator, Optional

from fastapi import Depends, FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response

from unlock_feeling.errors import UserInputError
from unlock_feeling.service.jobs import JobStore, sqlite_path
from unlock_feeling.service.worker import WorkerPool

_SAFE_SUFFIX = re.compile(r"^\.[a-z0-9]{1,5}$")


@dataclass(frozen=True)
class ServiceConfig:
    data: Path
    database: str = ""
    """sqlite:///PATH; default DATA/jobs.db"""
    workers: int = 1
    max_queue: int = 16
    max_upload_bytes: int = 500 * 1024 * 1024
    token: Optional[str] = None


def _display_name(name: Optional[str]) -> str:
    """The client's file name for display only: no directories, no control characters."""
    base = re.split(r"[\\/]", name or "upload")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip(" .") or "upload"
    return base[:200]


def create_app(config: ServiceConfig) -> FastAPI:
    from unlock_feeling.service.page import PAGE

    data = Path(config.data)
    uploads, results = data / "uploads", data / "results"
    uploads.mkdir(parents=True, exist_ok=True)
    store = JobStore(sqlite_path(config.database) if config.database else data / "jobs.db")
    pool = WorkerPool(store, results, config.workers)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool.start()
        try:
            yield
        finally:
            pool.stop()

    app = FastAPI(title="unlock-feeling", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Per-utterance emotion recognition (text, face, voice). Jobs persist across restarts.")
    app.state.store, app.state.pool = store, pool

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(UserInputError)
    async def input_error(request: Request, exc: UserInputError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=422)

    def auth(request: Request) -> None:
        if not config.token:
            return
        header = request.headers.get("authorization", "")
        if header != f"Bearer {config.token}" and request.query_params.get("token") != config.token:
            raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})

    def job_or_404(job_id: str):  # type: ignore[no-untyped-def]
        job = store.get(job_id) if re.fullmatch(r"[0-9a-f]{32}", job_id) else None
        if job is None:
            raise HTTPException(404, f"no analysis {job_id}")
        return job

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> str:
        return PAGE

    @app.post("/v1/analyses", status_code=202, dependencies=[Depends(auth)])
    async def create(request: Request, file: UploadFile = File(...), language: str = Form("auto"),
                     fps: float = Form(5.0), window: float = Form(2.0)) -> dict[str, Any]:
        """Upload a video, audio, image or UTF-8 .txt file; returns the job id (HTTP 202)."""
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > config.max_upload_bytes + 1024 * 1024:
            raise HTTPException(413, f"upload larger than {config.max_upload_bytes // (1024 * 1024)} MB")
        if store.count("queued") >= config.max_queue:
            raise HTTPException(429, "the queue is full, try again later")
        from unlock_feeling.pipeline import AnalyzeOptions

        options: dict[str, Any] = {"language": language, "fps": fps, "window": window}
        AnalyzeOptions(**options)  # validates (UserInputError → 422)
        name = _display_name(file.filename)
        suffix = Path(name).suffix.lower()
        job_id = os.urandom(16).hex()
        target = uploads / (job_id + (suffix if _SAFE_SUFFIX.match(suffix) else ""))
        size = 0
        try:
            with open(target, "wb") as out:
                while chunk := await file.read(1 << 20):
                    size += len(chunk)
                    if size > config.max_upload_bytes:
                        raise HTTPException(413, f"upload larger than {config.max_upload_bytes // (1024 * 1024)} MB")
                    out.write(chunk)
            _validate(target, name)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        job = store.create(name, str(target), options, job_id)
        pool.notify()
        return {"id": job.id, "status": job.status}

    def _validate(path: Path, name: str) -> None:
        """Probe the content (not the extension); the message names the client's file."""
        from unlock_feeling.media.decode import probe

        try:
            info = probe(path)
        except UserInputError as e:
            raise HTTPException(422, str(e).replace(str(path), name)) from None
        if info.kind == "text":
            try:
                path.read_bytes().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise HTTPException(422, f"{name}: not UTF-8 text") from None

    @app.get("/v1/analyses", dependencies=[Depends(auth)])
    def list_jobs() -> list[dict[str, Any]]:
        return [j.public() for j in store.list()]

    @app.get("/v1/analyses/{job_id}", dependencies=[Depends(auth)])
    def status(job_id: str) -> dict[str, Any]:
        return job_or_404(job_id).public()

    def finished(job_id: str):  # type: ignore[no-untyped-def]
        job = job_or_404(job_id)
        if job.status == "failed":
            raise HTTPException(422, job.error)
        if job.status != "done":
            raise HTTPException(409, f"analysis {job_id} is {job.status}")
        return job

    @app.get("/v1/analyses/{job_id}/result", dependencies=[Depends(auth)])
    def result(job_id: str, format: str = "json") -> Response:
        import pandas as pd

        df = pd.read_parquet(finished(job_id).result_path)
        if format == "csv":
            return Response(df.to_csv(index=False), media_type="text/csv; charset=utf-8")
        if format != "json":
            raise HTTPException(400, "format must be json or csv")
        return Response(df.to_json(orient="records", force_ascii=False), media_type="application/json")

    @app.get("/v1/analyses/{job_id}/report", response_class=HTMLResponse, dependencies=[Depends(auth)])
    def report(job_id: str) -> str:
        import pandas as pd

        from unlock_feeling.report.html import render_html

        job = finished(job_id)
        cached = results / f"{job.id}.html"
        if not cached.exists():
            tmp = cached.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(render_html(pd.read_parquet(job.result_path), Path(job.media_path)), encoding="utf-8")
            os.replace(tmp, cached)
        return cached.read_text(encoding="utf-8")

    @app.delete("/v1/analyses/{job_id}", status_code=204, response_class=Response, dependencies=[Depends(auth)])
    def delete(job_id: str) -> None:
        job = job_or_404(job_id)
        if job.status == "running":
            store.update(job.id, status="cancelled")
        for p in (Path(job.media_path), Path(job.result_path) if job.result_path else None, results / f"{job.id}.html"):
            if p is not None and p.is_file():
                p.unlink()
        store.delete(job.id)

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict[str, Any]:
        return {"ok": True, "queued": store.count("queued"), "running": store.count("running"), "time": time.time()}

    return app

