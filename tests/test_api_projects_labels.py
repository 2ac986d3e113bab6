"""Projects and labels over HTTP, as the studio uses them."""

from __future__ import annotations


def test_health_and_openapi(client):
    health = client.get("/api/v1/health").json()
    assert health["status"] == "ok" and health["device"] in ("cpu", "cuda", "mps")
    assert health["default_model"]
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/projects" in spec["paths"]


def test_project_lifecycle(client):
    created = client.post("/api/v1/projects", json={"name": "Birds", "media_type": "video"})
    assert created.status_code == 201
    pid = created.json()["id"]
    client.post("/api/v1/projects", json={"name": "Shelves", "media_type": "image"})
    names = [p["name"] for p in client.get("/api/v1/projects").json()]
    assert names == ["Shelves", "Birds"]
    renamed = client.patch(f"/api/v1/projects/{pid}", json={"name": "Swans"})
    assert renamed.json()["name"] == "Swans" and renamed.json()["media_type"] == "video"
    assert client.delete(f"/api/v1/projects/{pid}").status_code == 204
    missing = client.get(f"/api/v1/projects/{pid}")
    assert missing.status_code == 404 and missing.json()["detail"] == "Project not found"


def test_project_bad_input(client):
    bad_type = client.post("/api/v1/projects", json={"name": "x", "media_type": "audio"})
    assert bad_type.status_code == 422 and "media_type" in bad_type.json()["detail"]
    empty = client.post("/api/v1/projects", json={"name": "", "media_type": "image"})
    assert empty.status_code == 422 and "name" in empty.json()["detail"]
    assert client.get("/api/v1/projects").json() == []


def test_labels(client):
    pid = client.post("/api/v1/projects", json={"name": "p", "media_type": "video"}).json()["id"]
    base = f"/api/v1/projects/{pid}/labels"
    swan = client.post(base, json={"name": "swan", "color": "#1F77B4"})
    assert swan.status_code == 201 and swan.json()["color"] == "#1f77b4"
    dup = client.post(base, json={"name": "swan", "color": "#000000"})
    assert dup.status_code == 409 and "already exists" in dup.json()["detail"]
    bad = client.post(base, json={"name": "duck", "color": "blue"})
    assert bad.status_code == 422 and "hex colour" in bad.json()["detail"]
    lid = swan.json()["id"]
    updated = client.patch(f"{base}/{lid}", json={"name": "black swan", "color": "#222222"}).json()
    assert (updated["name"], updated["color"]) == ("black swan", "#222222")
    duck = client.post(base, json={"name": "duck"}).json()
    clash = client.patch(f"{base}/{duck['id']}", json={"name": "black swan"})
    assert clash.status_code == 409
    # the same name is fine in another project
    other = client.post("/api/v1/projects", json={"name": "q", "media_type": "video"}).json()["id"]
    assert client.post(f"/api/v1/projects/{other}/labels", json={"name": "duck"}).status_code == 201
    assert client.delete(f"{base}/{lid}").status_code == 204
    assert [label["name"] for label in client.get(base).json()] == ["duck"]
    assert client.patch(f"/api/v1/projects/{other}/labels/{duck['id']}", json={"name": "x"}).status_code == 404
