"""Configuration comes from the environment: data dir, DATABASE_URL, host, port."""

from __future__ import annotations

from fastapi.testclient import TestClient

from video_seg_backend.core.config import Settings
from video_seg_backend.main import create_app


def test_environment_decides_where_data_lives(tmp_path, monkeypatch):
    db_file = tmp_path / "elsewhere" / "studio.sqlite"
    db_file.parent.mkdir()
    monkeypatch.setenv("VSS_DATA_DIR", str(tmp_path / "files"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db_file}")
    monkeypatch.setenv("VSS_HOST", "0.0.0.0")
    monkeypatch.setenv("VSS_PORT", "8123")
    monkeypatch.setenv("VSS_OFFLINE", "1")
    # Beyond loopback sign-in is on and needs an admin (issue 13); this test is about where data lives.
    monkeypatch.setenv("VSS_AUTH", "off")
    settings = Settings()
    assert (settings.host, settings.port) == ("0.0.0.0", 8123)
    with TestClient(create_app(settings)) as client:
        assert client.post("/api/v1/projects", json={"name": "p", "media_type": "image"}).status_code == 201
    assert db_file.exists() and not (tmp_path / "files" / "studio.db").exists()
    assert (tmp_path / "files" / "media").is_dir()


def test_defaults_are_local_sqlite_on_port_3000(monkeypatch):
    for name in ("VSS_DATA_DIR", "DATABASE_URL", "VSS_DATABASE_URL", "VSS_HOST", "VSS_PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.port == 3000 and settings.host == "127.0.0.1"
    assert settings.db_url.startswith("sqlite:///") and settings.db_url.endswith("data/studio.db")


def test_studio_is_served_with_client_side_routes(tmp_path):
    build = tmp_path / "build"
    (build / "_app").mkdir(parents=True)
    (build / "index.html").write_text("<html>studio</html>")
    (build / "_app" / "app.js").write_text("console.log(1)")
    settings = Settings(data_dir=tmp_path / "d", frontend_dir=build, offline=True, _env_file=None)
    with TestClient(create_app(settings)) as client:
        assert client.get("/").text == "<html>studio</html>"
        assert client.get("/projects/3/studio").text == "<html>studio</html>"  # SPA fallback
        assert client.get("/_app/app.js").text == "console.log(1)"
        assert client.get("/../../etc/passwd").text == "<html>studio</html>"
        missing = client.get("/api/v1/nope")
        assert missing.status_code == 404 and "No API endpoint" in missing.json()["detail"]
