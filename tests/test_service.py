"""The HTTP service with the real app, real pipeline and generated media."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from unlock_feeling.service.app import ServiceConfig, create_app  # noqa: E402


def wait_done(client: TestClient, job_id: str, timeout: float = 300) -> dict:
    deadline = time.time() + timeout
    seen = []
    while time.time() < deadline:
        job = client.get(f"/v1/analyses/{job_id}").json()
        seen.append(job["progress"])
        if job["status"] in ("done", "failed"):
            job["seen_progress"] = seen
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {job}")


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    return tmp_path / "service data"


def test_upload_progress_result_report_delete(media, data):
    with TestClient(create_app(ServiceConfig(data))) as client:
        with open(media["video"], "rb") as f:
            r = client.post("/v1/analyses", files={"file": ("talking face.mp4", f, "video/mp4")}, data={"language": "en"})
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        job = wait_done(client, job_id)
        assert job["status"] == "done" and job["progress"] == 100 and job["filename"] == "talking face.mp4"
        rows = client.get(f"/v1/analyses/{job_id}/result").json()
        assert len(rows) == 5 and rows[0]["emotion"] == "happy" and rows[0]["source"] == "talking face.mp4"
        csv_text = client.get(f"/v1/analyses/{job_id}/result?format=csv").text
        assert csv_text.startswith("source,start,end")
        report = client.get(f"/v1/analyses/{job_id}/report")
        assert report.status_code == 200 and 'id="timeline"' in report.text and "id='utterances'" in report.text
        assert "data:image/jpeg;base64" in report.text  # thumbnails with face boxes
        assert client.get("/openapi.json").json()["paths"]["/v1/analyses"]
        assert client.delete(f"/v1/analyses/{job_id}").status_code == 204
        assert client.get(f"/v1/analyses/{job_id}").status_code == 404
        assert not list((data / "uploads").iterdir())


def test_jobs_survive_a_restart(media, data):
    # a server with no free worker queues the job, then stops
    app = create_app(ServiceConfig(data, workers=1))
    app.state.pool.workers = 0
    with TestClient(app) as client:
        with open(media["text"], "rb") as f:
            job_id = client.post("/v1/analyses", files={"file": ("lines.txt", f, "text/plain")}).json()["id"]
        assert client.get(f"/v1/analyses/{job_id}").json()["status"] == "queued"
    # simulate a crash mid-run: the job is marked running when the process dies
    store = app.state.store
    store.update(job_id, status="running", progress=40.0)
    # a new server on the same data finishes it
    with TestClient(create_app(ServiceConfig(data))) as client:
        job = wait_done(client, job_id)
        assert job["status"] == "done"
        assert [r["emotion"] for r in client.get(f"/v1/analyses/{job_id}/result").json()] == ["happy", "angry", "sad"]
    # and after another restart the finished result is still there
    with TestClient(create_app(ServiceConfig(data))) as client:
        assert client.get(f"/v1/analyses/{job_id}").json()["status"] == "done"
        assert len(client.get(f"/v1/analyses/{job_id}/result").json()) == 3


def test_oversize_upload_is_413(media, data):
    with TestClient(create_app(ServiceConfig(data, max_upload_bytes=10_000))) as client:
        with open(media["video"], "rb") as f:
            r = client.post("/v1/analyses", files={"file": ("big.mp4", f, "video/mp4")})
        assert r.status_code == 413 and "larger than" in r.json()["error"]
        assert not list((data / "uploads").iterdir())


def test_bad_media_is_422_with_the_cli_message(data, tmp_path):
    with TestClient(create_app(ServiceConfig(data))) as client:
        r = client.post("/v1/analyses", files={"file": ("movie.mp4", b"\x00garbage" * 1000, "video/mp4")})
        assert r.status_code == 422
        assert r.json()["error"].startswith("movie.mp4: not a readable media file")
        r = client.post("/v1/analyses", files={"file": ("notes.txt", "café".encode("latin-1"), "text/plain")})
        assert r.status_code == 422 and r.json()["error"] == "notes.txt: not UTF-8 text"
        r = client.post("/v1/analyses", files={"file": ("empty.wav", b"", "audio/wav")})
        assert r.status_code == 422 and "empty" in r.json()["error"]


def test_path_traversal_in_file_name_is_harmless(media, data):
    with TestClient(create_app(ServiceConfig(data))) as client:
        with open(media["text"], "rb") as f:
            r = client.post("/v1/analyses", files={"file": ("../../evil/../x.txt", f, "text/plain")})
        assert r.status_code == 202
        job = wait_done(client, r.json()["id"])
        assert job["filename"] == "x.txt"
        stored = list((data / "uploads").iterdir())
        assert len(stored) == 1 and stored[0].parent == data / "uploads" and ".." not in stored[0].name
        assert not (data.parent / "evil").exists()


def test_token_and_queue_limit(media, data):
    app = create_app(ServiceConfig(data, token="s3cret", max_queue=1))
    app.state.pool.workers = 0  # nothing drains the queue
    with TestClient(app) as client:
        files = lambda: {"file": ("lines.txt", media["text"].read_bytes(), "text/plain")}  # noqa: E731
        assert client.post("/v1/analyses", files=files()).status_code == 401
        auth = {"Authorization": "Bearer s3cret"}
        assert client.post("/v1/analyses", files=files(), headers=auth).status_code == 202
        r = client.post("/v1/analyses", files=files(), headers=auth)
        assert r.status_code == 429 and "queue is full" in r.json()["error"]


def test_concurrent_uploads(media, data):
    with TestClient(create_app(ServiceConfig(data, workers=2))) as client:
        ids, errors = [], []

        def upload(i: int) -> None:
            try:
                r = client.post("/v1/analyses", files={"file": (f"lines {i}.txt", media["text"].read_bytes(), "text/plain")})
                assert r.status_code == 202
                ids.append(r.json()["id"])
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=upload, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors and len(set(ids)) == 6
        for job_id in ids:
            assert wait_done(client, job_id)["status"] == "done"


def test_unbounded_window_is_refused_before_any_work(media, data):
    """window=0.000001 on a silent video used to run forever and grow memory (hostile input)."""
    with TestClient(create_app(ServiceConfig(data))) as client:
        for field, value in (("window", "0.000001"), ("fps", "1000"), ("window", "nan")):
            with open(media["video_mute"], "rb") as f:
                r = client.post("/v1/analyses", files={"file": ("mute.mp4", f, "video/mp4")}, data={field: value})
            assert r.status_code == 422, (field, r.text)
            assert field in r.json()["error"] and "between" in r.json()["error"]
        assert client.get("/v1/analyses").json() == []  # no job was queued
        assert not list((data / "uploads").iterdir())  # and nothing stored
