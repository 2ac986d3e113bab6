"""docker/nginx.conf: passes nginx's own check, and a real nginx started from it on loopback serves the
studio, proxies /api, streams Server-Sent Events without buffering and accepts large uploads."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .deployfiles import REPO

NGINX_CONF = REPO / "docker" / "nginx.conf"
NGINX: str = shutil.which("nginx") or next(
    (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(path, os.X_OK)), ""
)
needs_nginx = pytest.mark.skipif(not NGINX, reason="nginx is not installed (apt-get install -y nginx)")
UPSTREAM = re.compile(r"set \$backend http://(?P<host>[\w.-]+):(?P<port>\d+);")


def relocated(conf: str, tmp: Path) -> str:
    """The configuration with its pid and temp files under ``tmp`` instead of the container's /tmp."""
    return conf.replace("/tmp/", f"{tmp}/")


@needs_nginx
def test_nginx_accepts_the_configuration(tmp_path):
    conf = tmp_path / "nginx.conf"
    conf.write_text(relocated(NGINX_CONF.read_text(), tmp_path))
    result = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-e", "stderr", "-c", str(conf)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_upstream_is_the_backend_service_on_its_port(compose, backend_dockerfile):
    upstream = UPSTREAM.search(NGINX_CONF.read_text())
    assert upstream is not None
    assert upstream["host"] in compose["services"]
    assert upstream["port"] == backend_dockerfile.final.env()["VSS_PORT"]


# ---- a live nginx in front of a stand-in backend --------------------------------------------------------
class FakeBackend(BaseHTTPRequestHandler):
    """Answers like the API: health, an event stream that waits between two events, uploads."""

    protocol_version = "HTTP/1.0"  # the body ends when the connection closes, as a stream does
    second_event_allowed: threading.Event

    def log_message(self, format, *args):  # noqa: A002 - keep pytest's output clean
        pass

    def do_GET(self):
        if self.path == "/api/v1/health":
            self._json({"status": "ok", "forwarded_for": self.headers.get("X-Forwarded-For")})
        elif re.fullmatch(r"/api/v1/projects/[^/]+/events", self.path):
            # No X-Accel-Buffering header: the configuration itself must turn buffering off.
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            self.wfile.write(b'event: job.progress\ndata: {"done": 1}\n\n')
            self.wfile.flush()
            self.second_event_allowed.wait(timeout=10)
            self.wfile.write(b"event: job.finished\ndata: {}\n\n")
        else:
            self._json({"detail": "Not found"}, status=404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        received = 0
        while received < length:
            chunk = self.rfile.read(min(1 << 20, length - received))
            if not chunk:
                break
            received += len(chunk)
        self._json({"received": received}, status=201)

    def _json(self, payload, status=200):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def backend() -> Iterator[tuple[int, threading.Event]]:
    class Handler(FakeBackend):
        second_event_allowed = threading.Event()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], Handler.second_event_allowed
    finally:
        Handler.second_event_allowed.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def studio(tmp_path, backend) -> Iterator[int]:
    """nginx from docker/nginx.conf, changed only where the container and this machine differ:
    loopback ports, the stand-in backend's address and a temporary root with a built studio in it."""
    backend_port, _ = backend
    site = tmp_path / "html"
    (site / "_app" / "immutable").mkdir(parents=True)
    (site / "index.html").write_text("<!doctype html><title>Video-Seg Studio</title>")
    (site / "_app" / "immutable" / "start.abc123.js").write_text("export {};")
    port = _free_port()
    conf = relocated(NGINX_CONF.read_text(), tmp_path)
    conf = re.sub(r"listen\s+\d+;", f"listen 127.0.0.1:{port};", conf)
    conf = UPSTREAM.sub(f"set $backend http://127.0.0.1:{backend_port};", conf)
    conf = conf.replace("root /usr/share/nginx/html;", f"root {site};")
    if os.geteuid() == 0:  # workers would otherwise drop to "nobody", who cannot enter pytest's tmp dirs
        conf = "user root;\n" + conf
    (tmp_path / "nginx.conf").write_text(conf)
    process = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-e", "stderr", "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    pytest.fail(f"nginx did not start: {process.communicate()[1].decode()}")
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def _get(port: int, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    return connection.getresponse()


@needs_nginx
def test_api_requests_reach_the_backend(studio):
    response = _get(studio, "/api/v1/health")
    assert response.status == 200
    assert json.loads(response.read())["forwarded_for"] == "127.0.0.1"


@needs_nginx
def test_events_arrive_while_the_stream_is_still_open(studio, backend):
    _, second_event_allowed = backend
    connection = http.client.HTTPConnection("127.0.0.1", studio, timeout=5)
    connection.request("GET", "/api/v1/projects/7/events", headers={"Accept": "text/event-stream"})
    response = connection.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Type") == "text/event-stream"
    # A buffering proxy holds the first event until the backend closes the stream: this read times out.
    first = b""
    while not first.endswith(b"\n\n"):
        first += response.read1(4096)
    assert b"job.progress" in first
    second_event_allowed.set()
    assert b"job.finished" in response.read()


@needs_nginx
def test_large_uploads_are_passed_through(studio):
    body = b"\0" * (8 * 1024 * 1024)  # nginx's default limit is 1 MB
    connection = http.client.HTTPConnection("127.0.0.1", studio, timeout=30)
    connection.request(
        "POST",
        "/api/v1/projects/7/media",
        body=body,
        headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(body))},
    )
    response = connection.getresponse()
    assert response.status == 201
    assert json.loads(response.read()) == {"received": len(body)}


@needs_nginx
def test_studio_routes_fall_back_to_the_single_page_app(studio):
    response = _get(studio, "/projects/7/media/3")
    assert response.status == 200
    assert b"Video-Seg Studio" in response.read()
    assert response.getheader("Cache-Control") == "no-cache"
    asset = _get(studio, "/_app/immutable/start.abc123.js")
    assert asset.status == 200
    assert "immutable" in asset.getheader("Cache-Control", "")
    assert _get(studio, "/_app/immutable/missing.js").status == 404
