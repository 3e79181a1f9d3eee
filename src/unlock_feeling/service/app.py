"""FastAPI application: /v1/analyses (upload, status, result, report, delete), the web page at /,
and the OpenAPI schema at /openapi.json. Thin shell over the same pipeline as the CLI.

Every error answers with one JSON shape (`service/errors.py`); uploads are streamed to disk with
the size limit enforced while the bytes arrive (`service/upload.py`); probing and report rendering
run in worker threads, off the event loop."""

from __future__ import annotations

import os
import re
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator, Optional

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from unlock_feeling.errors import ModelError, UserInputError
from unlock_feeling.service.errors import ApiError, error_body
from unlock_feeling.service.jobs import Job, JobStore, sqlite_path
from unlock_feeling.service.options import form_values
from unlock_feeling.service.upload import check_length, receive_upload
from unlock_feeling.service.worker import WorkerPool

_SAFE_SUFFIX = re.compile(r"^\.[a-z0-9]{1,5}$")
_JOB_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class ServiceConfig:
    data: Path
    database: str = ""
    """sqlite:///PATH; default DATA/jobs.db"""
    workers: int = 1
    max_queue: int = 16
    max_upload_bytes: int = 500 * 1024 * 1024
    token: Optional[str] = None


@dataclass
class Service:
    """What the routes share: settings, folders, the job store and the worker pool."""

    config: ServiceConfig
    uploads: Path
    results: Path
    store: JobStore
    pool: WorkerPool

    @classmethod
    def open(cls, config: ServiceConfig) -> "Service":
        data = Path(config.data)
        uploads, results = data / "uploads", data / "results"
        uploads.mkdir(parents=True, exist_ok=True)
        store = JobStore(sqlite_path(config.database) if config.database else data / "jobs.db")
        return cls(config, uploads, results, store, WorkerPool(store, results, config.workers))


def _display_name(name: Optional[str]) -> str:
    """The client's file name for display only: no directories, no control characters."""
    base = re.split(r"[\\/]", name or "upload")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip(" .") or "upload"
    return base[:200]


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _auth(request: Request) -> None:
    """Bearer token in the Authorization header (never in the URL: URLs end up in logs)."""
    token = _service(request).config.token
    if token and request.headers.get("authorization", "") != f"Bearer {token}":
        raise ApiError(401, "missing or wrong bearer token", None, {"WWW-Authenticate": "Bearer"})


def _job_or_404(service: Service, job_id: str) -> Job:
    job = service.store.get(job_id) if _JOB_ID.fullmatch(job_id) else None
    if job is None:
        raise ApiError(404, f"no analysis {job_id}", "job_id")
    return job


def _finished(service: Service, job_id: str) -> Job:
    job = _job_or_404(service, job_id)
    if job.status == "failed":
        raise ApiError(422, job.error)
    if job.status != "done":
        raise ApiError(409, f"analysis {job_id} is {job.status}")
    return job


def _validate(path: Path, name: str) -> None:
    """Probe the content (not the extension); the message names the client's file."""
    from unlock_feeling.media.decode import probe

    try:
        info = probe(path)
    except UserInputError as e:
        raise ApiError(422, str(e).replace(str(path), name), "file") from None
    if info.kind == "text":
        try:
            path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ApiError(422, f"{name}: not UTF-8 text", "file") from None


_UPLOAD_SCHEMA = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "video, audio, image or UTF-8 .txt"},
        "language": {"type": "string", "enum": ["auto", "ko", "en"], "default": "auto"},
        "fps": {"type": "number", "default": 5.0, "minimum": 0.1, "maximum": 30},
        "window": {"type": "number", "default": 2.0, "minimum": 0.5, "maximum": 600}}}}}}}

router = APIRouter()


@router.post("/v1/analyses", status_code=202, dependencies=[Depends(_auth)], openapi_extra=_UPLOAD_SCHEMA)
async def create(request: Request) -> dict[str, Any]:
    """Upload a video, audio, image or UTF-8 .txt file (multipart field `file`, options `language`,
    `fps`, `window`); returns the job id (HTTP 202)."""
    service = _service(request)
    limit = service.config.max_upload_bytes
    check_length(request.headers.get("content-length"), limit)
    if service.store.count("queued") >= service.config.max_queue:
        raise ApiError(429, "the queue is full, try again later")
    job_id = os.urandom(16).hex()

    def target(filename: str) -> Path:
        suffix = Path(_display_name(filename)).suffix.lower()
        return service.uploads / (job_id + (suffix if _SAFE_SUFFIX.match(suffix) else ""))

    upload = await receive_upload(request.headers.get("content-type", ""), request.stream(), limit, target)
    try:
        if upload.path is None:
            raise ApiError(422, "the upload has no `file` field", "file")
        options = form_values(upload.fields)
        name = _display_name(upload.filename)
        await run_in_threadpool(_validate, upload.path, name)
    except BaseException:
        if upload.path is not None:
            upload.path.unlink(missing_ok=True)
        raise
    job = service.store.create(name, str(upload.path), options, job_id)
    service.pool.notify()
    return {"id": job.id, "status": job.status}


@router.get("/v1/analyses", dependencies=[Depends(_auth)])
def list_jobs(request: Request) -> list[dict[str, Any]]:
    return [j.public() for j in _service(request).store.list()]


@router.get("/v1/analyses/{job_id}", dependencies=[Depends(_auth)])
def status(request: Request, job_id: str) -> dict[str, Any]:
    return _job_or_404(_service(request), job_id).public()


@router.get("/v1/analyses/{job_id}/result", dependencies=[Depends(_auth)])
def result(request: Request, job_id: str, format: str = "json") -> Response:
    import pandas as pd

    if format not in ("json", "csv"):
        raise ApiError(400, "format must be json or csv", "format")
    df = pd.read_parquet(_finished(_service(request), job_id).result_path)
    if format == "csv":
        return Response(df.to_csv(index=False), media_type="text/csv; charset=utf-8")
    return Response(df.to_json(orient="records", force_ascii=False), media_type="application/json")


@router.get("/v1/analyses/{job_id}/report", response_class=HTMLResponse, dependencies=[Depends(_auth)])
def report(request: Request, job_id: str) -> str:
    import pandas as pd

    from unlock_feeling.report.html import render_html
    from unlock_feeling.report.table import atomic_write

    service = _service(request)
    job = _finished(service, job_id)
    cached = service.results / f"{job.id}.html"
    if not cached.exists():
        html = render_html(pd.read_parquet(job.result_path), Path(job.media_path))

        def write(tmp: str) -> None:
            Path(tmp).write_text(html, encoding="utf-8")

        atomic_write(cached, write)
    return cached.read_text(encoding="utf-8")


@router.delete("/v1/analyses/{job_id}", status_code=204, response_class=Response, dependencies=[Depends(_auth)])
def delete(request: Request, job_id: str) -> None:
    """Delete an analysis; a running one is stopped (its worker moves on to the next job)."""
    service = _service(request)
    job = _job_or_404(service, job_id)
    if job.status == "running":
        service.store.update(job.id, status="cancelled")
        service.pool.cancel(job.id)
    for p in (Path(job.media_path), Path(job.result_path) if job.result_path else None,
              service.results / f"{job.id}.html"):
        if p is not None and p.is_file():
            p.unlink()
    service.store.delete(job.id)


@router.get("/healthz", include_in_schema=False)
def health(request: Request) -> dict[str, Any]:
    store = _service(request).store
    return {"ok": True, "queued": store.count("queued"), "running": store.count("running"), "time": time.time()}


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def page() -> str:
    from unlock_feeling.service.page import PAGE

    return PAGE


def _json_error(status: int, message: str, parameter: Optional[str] = None,
                headers: Optional[dict[str, str]] = None) -> JSONResponse:
    return JSONResponse(error_body(status, message, parameter), status_code=status, headers=headers)


def _add_error_handlers(app: FastAPI) -> None:
    """One error shape for every error: our own, FastAPI's validation, Starlette's 404/405, crashes."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _json_error(exc.status, exc.message, exc.parameter, exc.headers)

    @app.exception_handler(UserInputError)
    async def input_error(request: Request, exc: UserInputError) -> JSONResponse:
        return _json_error(422, str(exc), exc.parameter)

    @app.exception_handler(ModelError)
    async def model_error(request: Request, exc: ModelError) -> JSONResponse:
        return _json_error(500, str(exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        parameter = where[-1] if where else None
        return _json_error(422, f"{parameter or 'request'}: {first.get('msg', 'invalid')}", parameter)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _json_error(exc.status_code, str(exc.detail), None, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> JSONResponse:
        import logging

        logging.getLogger("unlock_feeling.service").exception("internal error on %s", request.url.path)
        return _json_error(500, f"internal error: {type(exc).__name__}")


def create_app(config: ServiceConfig) -> FastAPI:
    service = Service.open(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.pool.start()
        try:
            yield
        finally:
            service.pool.stop()

    app = FastAPI(title="unlock-feeling", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Per-utterance emotion recognition (text, face, voice). Jobs persist across restarts. "
                              "Errors: {\"error\": message, \"status\": code, \"parameter\": field or null}.")
    app.state.service = service
    app.state.store, app.state.pool = service.store, service.pool
    _add_error_handlers(app)
    app.include_router(router)
    return app
