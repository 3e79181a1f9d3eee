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


def _serve(app):  # type: ignore[no-untyped-def]
    """Run the app in a real uvicorn server on a free port (the test client buffers bodies)."""
    import socket

    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="error", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    return server, thread, sock.getsockname()[1]


def test_upload_limit_is_enforced_while_a_chunked_body_streams(data):
    """A 64 MB chunked upload against a 1 MB limit: the 413 arrives after about 1 MB, and nothing
    is left in the upload folder (the limit used to be checked after the whole body was spooled)."""
    import select
    import socket

    server, thread, port = _serve(create_app(ServiceConfig(data, max_upload_bytes=1024 * 1024)))
    try:
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"POST /v1/analyses HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  b"Content-Type: multipart/form-data; boundary=XyZ\r\n\r\n")
        head = b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="big.wav"\r\n\r\n'
        s.sendall(b"%x\r\n%s\r\n" % (len(head), head))
        chunk = b"\0" * 65536
        sent, response = 0, b""
        while sent < 64 * 1024 * 1024:
            if select.select([s], [], [], 0)[0]:
                break
            try:
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        s.settimeout(10)
        try:
            while b"}" not in response.partition(b"\r\n\r\n")[2]:  # headers and the JSON body
                piece = s.recv(65536)
                if not piece:
                    break
                response += piece
        except (ConnectionResetError, TimeoutError):
            pass
        finally:
            s.close()
        assert response.startswith(b"HTTP/1.1 413"), response[:200]
        assert b'"parameter":"file"' in response and b"larger than 1 MB" in response
        assert sent < 16 * 1024 * 1024, f"{sent / 1e6:.0f} MB were sent before the 413"
        assert not list((data / "uploads").iterdir())
    finally:
        server.should_exit = True
        thread.join(10)


def test_announced_oversize_upload_is_refused_before_reading(data):
    with TestClient(create_app(ServiceConfig(data, max_upload_bytes=1024 * 1024))) as client:
        r = client.post("/v1/analyses", content=b"x" * 10, headers={
            "Content-Type": "multipart/form-data; boundary=a", "Content-Length": str(50 * 1024 * 1024)})
        assert r.status_code == 413 and r.json() == {"error": "upload larger than 1 MB", "status": 413, "parameter": "file"}


def test_every_error_has_one_json_shape(media, data):
    """Our checks, FastAPI's own validation, unknown routes and malformed bodies: one shape."""
    with TestClient(create_app(ServiceConfig(data))) as client:
        cases = [
            (client.post("/v1/analyses", data={"language": "en"}), 422, "file"),  # no file field
            (client.post("/v1/analyses", content=b"--b\r\ngarbage", headers={"Content-Type": "multipart/form-data; boundary=b"}), 422, "file"),
            (client.post("/v1/analyses", content=b"{}", headers={"Content-Type": "application/json"}), 422, "file"),
            (client.post("/v1/analyses", files={"file": ("a.txt", b"hi", "text/plain")}, data={"fps": "fast"}), 422, "fps"),
            (client.post("/v1/analyses", files={"file": ("a.txt", b"hi", "text/plain")}, data={"language": "fr"}), 422, "language"),
            (client.post("/v1/analyses", files={"file": ("a.txt", b"hi", "text/plain")}, data={"window": "0.01"}), 422, "window"),
            (client.get("/v1/analyses/" + "0" * 32), 404, "job_id"),
            (client.get("/v1/analyses/" + "0" * 32 + "/result?format=xml"), 400, "format"),
            (client.get("/no/such/route"), 404, None),
            (client.put("/v1/analyses"), 405, None),
        ]
        for r, code, parameter in cases:
            body = r.json()
            assert r.status_code == code and set(body) == {"error", "status", "parameter"}, (r.request.url, r.text)
            assert body["status"] == code and body["parameter"] == parameter and isinstance(body["error"], str)
            assert "--" not in body["error"], body  # no CLI flag names in API messages
        assert not list((data / "uploads").iterdir())


def test_internal_errors_are_json_too(data):
    app = create_app(ServiceConfig(data))
    app.state.store.list = lambda *a, **k: 1 / 0  # a bug anywhere behind a route
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/v1/analyses")
        assert r.status_code == 500 and r.json() == {"error": "internal error: ZeroDivisionError", "status": 500, "parameter": None}


def test_token_is_not_accepted_in_the_url(media, data):
    with TestClient(create_app(ServiceConfig(data, token="s3cret"))) as client:
        assert client.get("/v1/analyses?token=s3cret").status_code == 401
        assert client.get("/v1/analyses", headers={"Authorization": "Bearer s3cret"}).status_code == 200


@pytest.mark.slow
def test_delete_stops_a_running_job_and_frees_the_worker(media, data, tmp_path):
    """DELETE used to remove the files while the analysis ran on, holding the only worker."""
    import numpy as np

    from unlock_feeling.media.decode import load_audio
    from synth import write_wav

    # ~8 min of speech: far more than the worker can finish in the 20 s it is given to stop, even
    # on a loaded machine (a job stops between recognition windows, which take seconds each there)
    long = write_wav(tmp_path / "long.wav", np.tile(load_audio(media["speech_en"]), 60))
    app = create_app(ServiceConfig(data, workers=1))
    with TestClient(app) as client:
        job_id = client.post("/v1/analyses", files={"file": ("long.wav", long.read_bytes(), "audio/wav")},
                             data={"language": "en"}).json()["id"]
        deadline = time.time() + 120
        while client.get(f"/v1/analyses/{job_id}").json()["stage"] not in ("asr", "speakers", "text", "voice"):
            assert time.time() < deadline
            time.sleep(0.05)
        assert app.state.pool.running() == {job_id}
        assert client.delete(f"/v1/analyses/{job_id}").status_code == 204
        t0 = time.time()
        while app.state.pool.running() and time.time() - t0 < 20:
            time.sleep(0.05)
        assert not app.state.pool.running(), "the deleted job is still being analysed"
        assert not list((data / "results").glob(f"{job_id}*"))
        with open(media["text"], "rb") as f:
            next_id = client.post("/v1/analyses", files={"file": ("lines.txt", f, "text/plain")}).json()["id"]
        assert wait_done(client, next_id, timeout=60)["status"] == "done"


def test_a_failed_job_reports_full_progress(data, tmp_path):
    with TestClient(create_app(ServiceConfig(data))) as client:
        r = client.post("/v1/analyses", files={"file": ("blank.txt", b" \n\n", "text/plain")})
        job = wait_done(client, r.json()["id"])
        assert job["status"] == "failed" and job["progress"] == 100 and "contains no text" in job["error"]


def test_image_over_the_pixel_limit_is_422(data, tmp_path):
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 14000, 14000, 8, 0, 0, 0, 0))
           + chunk(b"IEND", b""))
    with TestClient(create_app(ServiceConfig(data))) as client:
        r = client.post("/v1/analyses", files={"file": ("huge.png", png, "image/png")})
        assert r.status_code == 422, r.text
        assert r.json() == {"error": "huge.png: image too large (14000×14000; at most 89 megapixels)",
                            "status": 422, "parameter": "file"}
        assert not list((data / "uploads").iterdir())
