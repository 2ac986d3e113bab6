"""Real Postgres (and, later, Redis) servers for tests, started on loopback from Debian's packages.

``scripts/test.sh`` installs them; where the binaries are missing or the server cannot start, the
tests that need one are skipped with the reason, never failed or faked.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def _as_postgres_user(cmd: list[str]) -> list[str]:
    # The server refuses to run as root; Debian's package creates the 'postgres' account.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@contextmanager
def postgres_server() -> Iterator[str]:
    """A throwaway Postgres cluster on a free loopback port; yields a ``postgresql+psycopg`` URL."""
    bindir = postgres_bin()
    if bindir is None:
        pytest.skip("Postgres is not installed (apt-get install -y postgresql; scripts/test.sh does it)")
    root = Path(tempfile.mkdtemp(prefix="vss-pg-"))
    data = root / "data"
    port = free_port()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    try:
        subprocess.run(
            _as_postgres_user([str(bindir / "initdb"), "-D", str(data), "-U", "vss", "--auth=trust", "-E", "UTF8"]),
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        subprocess.run(
            _as_postgres_user([
                str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60", "start",
                "-o", f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c full_page_writes=off",
            ]),
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        log = (root / "log").read_text(errors="replace")[-2000:] if (root / "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"Postgres could not start here: {exc}; {log}")
    try:
        subprocess.run(
            [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "vss", "studio"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        yield f"postgresql+psycopg://vss@127.0.0.1:{port}/studio"
    finally:
        subprocess.run(
            _as_postgres_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
            capture_output=True, timeout=60,
        )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


def redis_bin() -> str | None:
    return shutil.which("redis-server") or ("/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None)


class RedisServer:
    """A throwaway redis-server on a loopback port, which a test may stop and start again."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = redis_bin()
        assert binary is not None
        self._process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if self._process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        pytest.skip(f"redis-server could not start on 127.0.0.1:{self.port}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
            self._process = None


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    """A Redis on a free loopback port for the duration of the block."""
    if redis_bin() is None:
        pytest.skip("Redis is not installed (apt-get install -y redis-server; scripts/test.sh does it)")
    server = RedisServer(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
