"""A real browser (Playwright driving Debian's Chromium) uses the web page end to end."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed")
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "interview.mp4"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture()
def server(tmp_path):
    uvicorn = pytest.importorskip("uvicorn")
    from unlock_feeling.service.app import ServiceConfig, create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(ServiceConfig(tmp_path / "data")), host="127.0.0.1", port=port,
                                        log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(20)


@pytest.mark.slow
def test_upload_and_see_the_report(server, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1600})
        requests_outside: list[str] = []
        page.on("request", lambda r: requests_outside.append(r.url)
                if not r.url.startswith((server, "data:", "about:")) else None)
        page.goto(server + "/")
        page.set_input_files("#file", str(EXAMPLE))
        page.click("#go")
        report = page.frame_locator("#report")
        report.locator("#timeline").wait_for(state="visible", timeout=240_000)
        rows = report.locator("#utterances tbody tr")
        assert rows.count() == 6  # one row per sentence of the example
        assert "happy" in rows.first.inner_text()
        assert report.locator("#timeline .main-svg").first.is_visible()  # plotly drew the timeline
        assert page.locator("#jobs li.done").count() == 1
        assert not requests_outside, requests_outside  # works without any external resource
        shot = tmp_path / "web-page.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        print(f"screenshot: {shot}")
        browser.close()
