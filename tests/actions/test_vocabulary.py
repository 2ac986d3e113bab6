"""The action vocabulary: AVA label map and CSV import, CRUD, and every problem named in a 422."""

from __future__ import annotations

from tests.actions.ava_reader import read_labelmap
from tests.actions.helpers import API, AVA_LABEL_MAP, label_map


def project(client) -> int:
    return client.post(f"{API}/projects", json={"name": "ava"}).json()["id"]


def vocabulary(client, pid: int) -> list[tuple[int, str, str | None, bool]]:
    rows = client.get(f"{API}/projects/{pid}/actions").json()
    return [(r["action_id"], r["name"], r["group"], r["exclusive"]) for r in rows]


def test_ava_label_map_imports_and_exports_as_mmaction2_reads_it(client):
    pid = project(client)
    label_map(client, pid)
    assert vocabulary(client, pid) == [
        (1, "bend/bow (at the waist)", "PERSON_MOVEMENT", True),
        (11, "sit", "PERSON_MOVEMENT", True),
        (12, "stand", "PERSON_MOVEMENT", True),
        (17, "carry/hold (an object)", "OBJECT_MANIPULATION", False),
        (79, "talk to (e.g., self, a person, a group)", "PERSON_INTERACTION", False),
    ]
    exported = client.get(f"{API}/projects/{pid}/actions/labelmap").text
    assert read_labelmap(exported) == read_labelmap(AVA_LABEL_MAP)
    # mmaction2's own label maps say item/id
    other = project(client)
    mm = 'item {\n  name: "walk"\n  id: 3\n}\nitem {\n  name: "run"\n  id: 4\n}\n'
    answer = client.post(f"{API}/projects/{other}/actions/import", files={"file": ("m.pbtxt", mm.encode())})
    assert answer.json() == {"created": 2, "replaced": 0}
    assert vocabulary(client, other) == [(3, "walk", None, False), (4, "run", None, False)]


def test_csv_import_with_and_without_header_and_replace(client):
    pid = project(client)
    csv_text = "id,name,group,exclusive\n1,stand,pose,yes\n2,sit,pose,yes\n3,wave,,\n"
    assert client.post(f"{API}/projects/{pid}/actions/import", files={"file": ("a.csv", csv_text.encode())}).is_success
    assert vocabulary(client, pid) == [(1, "stand", "pose", True), (2, "sit", "pose", True), (3, "wave", None, False)]
    more = client.post(f"{API}/projects/{pid}/actions/import", files={"file": ("b.csv", b"4,jump\n")})
    assert more.status_code == 201 and [v[0] for v in vocabulary(client, pid)] == [1, 2, 3, 4]
    replaced = client.post(
        f"{API}/projects/{pid}/actions/import", params={"replace": True}, files={"file": ("c.csv", b"7,run\n")}
    )
    assert replaced.json() == {"created": 1, "replaced": 4}
    assert vocabulary(client, pid) == [(7, "run", None, False)]


def test_bad_label_maps_name_every_problem_and_store_nothing(client):
    pid = project(client)
    bad = 'label {\n  name: "stand"\n  label_id: 1\n}\nlabel {\n  name: "sit"\n  label_id: 1\n}\n' \
          'label {\n  name: "stand"\n  label_id: 2\n}\nlabel {\n  name: "no id"\n}\n'  # fmt: skip
    answer = client.post(f"{API}/projects/{pid}/actions/import", files={"file": ("x.pbtxt", bad.encode())})
    assert answer.status_code == 422
    assert "entry 4 ('no id') has no numeric id" in answer.json()["detail"]
    fixed = bad.rsplit("label {", 1)[0]
    answer = client.post(f"{API}/projects/{pid}/actions/import", files={"file": ("x.pbtxt", fixed.encode())})
    detail = answer.json()["detail"]
    assert answer.status_code == 422 and "id 1 is used twice ('stand' and 'sit')" in detail
    assert "the name 'stand' is used twice" in detail
    answer = client.post(f"{API}/projects/{pid}/actions/import", files={"file": ("x.csv", b"one,two\nx,y\n")})
    assert answer.status_code == 422 and "numeric id" in answer.json()["detail"]
    assert vocabulary(client, pid) == []
    label_map(client, pid)
    clash = client.post(f"{API}/projects/{pid}/actions/import", files={"file": ("x.csv", b"11,crouch\n")})
    assert clash.status_code == 422 and "id 11 is used twice ('sit' and 'crouch')" in clash.json()["detail"]
    assert len(vocabulary(client, pid)) == 5


def test_crud_with_validation(client):
    pid = project(client)
    made = client.post(f"{API}/projects/{pid}/actions", json={"action_id": 5, "name": "wave", "group": "hands"})
    assert made.status_code == 201, made.text
    action = made.json()
    assert client.post(f"{API}/projects/{pid}/actions", json={"action_id": 5, "name": "clap"}).status_code == 422
    dup = client.post(f"{API}/projects/{pid}/actions", json={"action_id": 6, "name": "wave"})
    assert dup.status_code == 422 and "'wave' is used twice" in dup.json()["detail"]
    assert client.post(f"{API}/projects/{pid}/actions", json={"action_id": 0, "name": "zero"}).status_code == 422
    assert client.post(f"{API}/projects/{pid}/actions", json={"action_id": 8, "name": "  "}).status_code == 422
    patched = client.patch(
        f"{API}/projects/{pid}/actions/{action['id']}", json={"name": "wave hand", "exclusive": True}
    )
    assert patched.json()["name"] == "wave hand" and patched.json()["exclusive"] is True
    assert client.delete(f"{API}/projects/{pid}/actions/{action['id']}").status_code == 204
    assert client.delete(f"{API}/projects/{pid}/actions/{action['id']}").status_code == 404
    assert vocabulary(client, pid) == []
