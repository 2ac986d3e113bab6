"""Request values a fuzzer or a careless client sends: each gets a 4xx that names the field, and
nothing is stored that a later request would trip over."""

from __future__ import annotations

import json

import pytest

from tests.conftest import png_bytes, upload

W, H = 64, 48
TOO_BIG = 2**63  # one past SQLite's largest integer
JS_MAX = 2**53 - 1


@pytest.fixture
def image(client):
    """An image project with a label, one image and one object on it."""
    pid = client.post("/api/v1/projects", json={"name": "p", "media_type": "image"}).json()["id"]
    lid = client.post(f"/api/v1/projects/{pid}/labels", json={"name": "disc"}).json()["id"]
    (media,) = upload(client, pid, ("a.png", png_bytes(W, H), "image/png")).json()
    base = f"/api/v1/projects/{pid}/media/{media['id']}"
    oid = client.post(f"{base}/objects", json={"label_id": lid}).json()["id"]
    return {"pid": pid, "lid": lid, "base": base, "oid": oid}


# --------------------------------------------------------------------------- integers


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/projects/{big}"),
        ("GET", "/api/v1/projects/{pid}/media/{big}"),
        ("PATCH", "/api/v1/projects/{pid}/labels/{big}"),
        ("DELETE", "/api/v1/projects/{pid}/media/{mid}/objects/{big}"),
        ("DELETE", "/api/v1/projects/{pid}/media/{mid}/prompts/{big}"),
        ("GET", "/api/v1/jobs/{big}"),
        ("POST", "/api/v1/jobs/{big}/cancel"),
        ("GET", "/api/v1/projects/{pid}/media/{mid}/annotations?frame={big}"),
        ("GET", "/api/v1/projects/{pid}/media/{mid}/annotations?object_id=-{big}"),
        ("GET", "/api/v1/projects/{pid}/media/{mid}/prompts?frame={big}"),
    ],
)
def test_ids_beyond_64_bits_are_a_422_not_a_500(client, image, method, path):
    mid = image["base"].rsplit("/", 1)[1]
    url = path.format(big=TOO_BIG, pid=image["pid"], mid=mid)
    response = client.request(method, url, json={"name": "x"} if method == "PATCH" else None)
    assert response.status_code == 422, response.text
    assert str(JS_MAX) in response.json()["detail"] or "less than" in response.json()["detail"]


@pytest.mark.parametrize(
    ("suffix", "body"),
    [
        ("objects", {"label_id": TOO_BIG}),
        ("prompts", {"object_id": TOO_BIG, "frame_index": 0, "x": 1, "y": 1}),
        ("prompts", {"object_id": 1, "frame_index": TOO_BIG * 10, "x": 1, "y": 1}),
    ],
)
def test_body_ids_beyond_64_bits_are_a_422(client, image, suffix, body):
    response = client.post(f"{image['base']}/{suffix}", json=body)
    assert response.status_code == 422, response.text


def test_every_integer_the_api_reads_is_bounded(client):
    """Each integer parameter and request-body field carries a maximum a database can hold (and a
    JavaScript client can represent), so the next route cannot forget it."""
    spec = client.get("/api/v1/openapi.json").json()
    schemas = spec["components"]["schemas"]
    unbounded: list[str] = []

    def walk(schema: dict, where: str, seen: frozenset[str] = frozenset()) -> None:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            if name not in seen:
                walk(schemas[name], f"{where}<{name}>", seen | {name})
            return
        if schema.get("type") == "integer" and not (
            -JS_MAX <= schema.get("minimum", -(2**64)) and schema.get("maximum", 2**64) <= JS_MAX
        ):
            unbounded.append(where)
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in schema.get(key, []):
                walk(sub, where, seen)
        if "items" in schema:
            walk(schema["items"], f"{where}[]", seen)
        for name, sub in schema.get("properties", {}).items():
            walk(sub, f"{where}.{name}", seen)

    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            for param in op.get("parameters", []):
                walk(param["schema"], f"{method.upper()} {path} {param['name']}")
            for content in op.get("requestBody", {}).get("content", {}).values():
                walk(content.get("schema", {}), f"{method.upper()} {path} body")
    assert unbounded == []


# --------------------------------------------------------------------------- floats


@pytest.mark.parametrize(
    "body",
    [
        b'{"object_id": %d, "frame_index": 0, "kind": "box", "x0": -Infinity, "y0": 0, "x1": Infinity, "y1": NaN}',
        b'{"object_id": %d, "frame_index": 0, "x": NaN, "y": 5}',
        b'{"object_id": %d, "frame_index": 0, "x": 1e400, "y": 5}',
    ],
)
def test_prompt_coordinates_must_be_finite(client, image, body):
    response = client.post(
        f"{image['base']}/prompts", content=body % image["oid"], headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert "finite" in response.json()["detail"]
    assert client.get(f"{image['base']}/prompts").json() == []


def test_annotation_score_must_be_finite(client, image):
    click = client.post(
        f"{image['base']}/prompts", json={"object_id": image["oid"], "frame_index": 0, "x": 30, "y": 24}
    )
    item = {"object_id": image["oid"], "frame_index": 0, "rle": click.json()["annotation"]["rle"], "score": 12345}
    payload = json.dumps([item]).replace("12345", "1e400")  # JSON for infinity, as Python reads it
    response = client.put(f"{image['base']}/annotations", content=payload, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert "finite" in response.json()["detail"]


@pytest.mark.parametrize("counts", ["0", "", "\u0000"])
def test_put_annotations_refuses_counts_that_do_not_cover_the_frame(client, image, counts):
    item = {"object_id": image["oid"], "frame_index": 0, "rle": {"size": [H, W], "counts": counts}}
    response = client.put(f"{image['base']}/annotations", json=[item])
    assert response.status_code == 422, response.text
    assert "RLE" in response.json()["detail"]
    assert client.get(f"{image['base']}/annotations").json() == []


# --------------------------------------------------------------------------- unknown fields


def test_a_misspelt_field_is_a_422_that_lists_the_fields(client, image):
    # Ignoring it would create a video project when "mediatype" asked for images, or rename nothing.
    response = client.post("/api/v1/projects", json={"name": "q", "mediatype": "image"})
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == "mediatype: not a field of this request (expected: name, media_type)"
    assert [p["name"] for p in client.get("/api/v1/projects").json()] == ["p"]
    label = f"/api/v1/projects/{image['pid']}/labels/{image['lid']}"
    response = client.patch(label, json={"name": "ring", "colour": "#ff0000"})
    assert response.json()["detail"] == "colour: not a field of this request (expected: name, color)"
    assert client.get(f"/api/v1/projects/{image['pid']}/labels").json()[0]["name"] == "disc"


def test_a_misspelt_field_in_a_list_body_names_the_item_fields(client, image):
    click = client.post(
        f"{image['base']}/prompts", json={"object_id": image["oid"], "frame_index": 0, "x": 30, "y": 24}
    )
    item = {"object_id": image["oid"], "frame_index": 0, "rle": click.json()["annotation"]["rle"], "sorce": "edited"}
    response = client.put(f"{image['base']}/annotations", json=[item])
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail.startswith("0.sorce: not a field of this request (expected: object_id, frame_index, rle, source,")
    assert client.get(f"{image['base']}/annotations").json()[0]["source"] == "prompt"  # unchanged


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize("name", ["   ", "a\u0000b", "x" * 201])
def test_project_names_are_checked(client, name):
    response = client.post("/api/v1/projects", json={"name": name, "media_type": "video"})
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith("name")
    assert client.get("/api/v1/projects").json() == []


def test_project_name_is_trimmed_and_rename_is_checked_the_same(client):
    pid = client.post("/api/v1/projects", json={"name": "  Birds  "}).json()["id"]
    assert client.get(f"/api/v1/projects/{pid}").json()["name"] == "Birds"
    assert client.patch(f"/api/v1/projects/{pid}", json={"name": "   "}).status_code == 422
    null = client.patch(f"/api/v1/projects/{pid}", json={"name": None})
    assert null.status_code == 422, null.text
    assert "name" in null.json()["detail"]
    assert client.get(f"/api/v1/projects/{pid}").json()["name"] == "Birds"


def test_label_rename_is_checked_like_create(client, image):
    base = f"/api/v1/projects/{image['pid']}/labels"
    lid = image["lid"]
    blank = client.patch(f"{base}/{lid}", json={"name": "   "})
    assert blank.status_code == 422, blank.text
    padded = client.patch(f"{base}/{lid}", json={"name": " disc2 "})
    assert padded.status_code == 200 and padded.json()["name"] == "disc2"
    # what the database holds is what the response said: the trimmed name clashes as a duplicate
    assert client.post(base, json={"name": "disc2"}).status_code == 409
    assert [lb["name"] for lb in client.get(base).json()] == ["disc2"]
    assert client.patch(f"{base}/{lid}", json={"color": None}).status_code == 422


def test_object_relabel_to_null_is_a_422(client, image):
    url = f"{image['base']}/objects/{image['oid']}"
    response = client.patch(url, json={"label_id": None})
    assert response.status_code == 422, response.text
    assert "label_id" in response.json()["detail"]
    assert client.patch(url, json={"name": None}).status_code == 200  # a name may be cleared
    assert client.get(f"{image['base']}/objects").json()[0]["label_id"] == image["lid"]


# --------------------------------------------------------------------------- misc


def test_propagate_with_an_empty_object_list_is_refused(client, image):
    response = client.post(f"{image['base']}/propagate", json={"object_ids": []})
    assert response.status_code == 422, response.text
    assert "object_ids" in response.json()["detail"]


def test_a_missing_body_says_so(client, image):
    response = client.post("/api/v1/projects")
    assert response.status_code == 422
    assert "body" in response.json()["detail"].lower()


def test_export_of_a_project_with_a_non_latin_name(client):
    """HTTP headers are Latin-1: the file name goes in an ASCII fallback plus RFC 5987 filename*."""
    pid = client.post("/api/v1/projects", json={"name": "日本 проект ü", "media_type": "image"}).json()["id"]
    response = client.get(f"/api/v1/projects/{pid}/export", params={"format": "coco"})
    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    assert disposition.isascii() and 'filename="' in disposition
    assert "filename*=UTF-8''%E6%97%A5%E6%9C%AC_%D0%BF%D1%80%D0%BE%D0%B5%D0%BA%D1%82_%C3%BC_coco.zip" in disposition


def test_force_delete_of_a_label_in_use_deletes_its_objects(client, image):
    base = f"/api/v1/projects/{image['pid']}/labels/{image['lid']}"
    assert client.delete(base).status_code == 409
    response = client.delete(base, params={"force": True})
    assert response.status_code == 204, response.text
    assert client.get(f"{image['base']}/objects").json() == []
    assert client.get(f"/api/v1/projects/{image['pid']}/labels").json() == []


def test_errors_are_documented_as_they_are_sent(client):
    """Every operation documents its 4xx answers as {"detail": str} (422 adds "errors"), the shape
    the handlers send, rather than FastAPI's default list-shaped 422 alone."""
    spec = client.get("/api/v1/openapi.json").json()
    error = spec["components"]["schemas"]["ErrorResponse"]
    assert error["properties"]["detail"]["type"] == "string" and error["required"] == ["detail"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            assert op["responses"]["4XX"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorResponse"
            }, f"{method} {path}"
    media = spec["paths"]["/api/v1/projects/{project_id}/media/{media_id}/file"]["get"]["responses"]["200"]
    assert "application/json" not in media["content"]


def test_a_method_a_path_does_not_have_is_a_405(client):
    pid = client.post("/api/v1/projects", json={"name": "p"}).json()["id"]
    response = client.put(f"/api/v1/projects/{pid}")
    assert response.status_code == 405, response.text
    assert set(response.headers["allow"].split(", ")) == {"GET", "PATCH", "DELETE"}
    assert "PUT" in response.json()["detail"]
    options = client.options(f"/api/v1/projects/{pid}")  # not a CORS preflight: the same answer
    assert options.status_code == 405 and set(options.headers["allow"].split(", ")) == {"GET", "PATCH", "DELETE"}
    assert client.put("/api/v1/nothing-here").status_code == 404
