"""docker-compose.yml and its CPU variant: valid Compose, and wired to the images and the app they run."""

from __future__ import annotations

import importlib.util
import re
import shlex
import shutil
import subprocess
from typing import Any
from urllib.parse import urlsplit

import pytest

from .deployfiles import (
    COMPOSE_CPU_FILE,
    COMPOSE_FILE,
    REPO,
    Dockerfile,
    load_compose_file,
    parse_dockerfile,
    pyproject,
    strip_resets,
)

HEALTH_PATH = "/api/v1/health"


@pytest.mark.parametrize(
    "documents",
    [("docker-compose.yml",), ("docker-compose.cpu.yml",), ("docker-compose.yml", "docker-compose.cpu.yml")],
    ids=["base", "cpu-override", "cpu-merged"],
)
def test_compose_files_validate_against_the_compose_spec(documents, compose_schema, compose, compose_cpu):
    import jsonschema

    if len(documents) == 2:
        model = compose_cpu
    elif documents[0] == COMPOSE_FILE.name:
        model = compose
    else:
        model = strip_resets(load_compose_file(COMPOSE_CPU_FILE))
    validator = jsonschema.Draft202012Validator(compose_schema)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(model)]
    assert not errors, "\n".join(errors)


def test_the_schema_check_catches_a_misplaced_key(compose_schema, compose):
    """Guards the check above against passing vacuously (an unresolved $ref accepts anything)."""
    import copy

    import jsonschema

    broken = copy.deepcopy(compose)
    reservations = broken["services"]["api"]["deploy"]["resources"]["reservations"]
    reservations["device"] = reservations.pop("devices")
    assert not jsonschema.Draft202012Validator(compose_schema).is_valid(broken)


@pytest.mark.parametrize("files", [[COMPOSE_FILE], [COMPOSE_FILE, COMPOSE_CPU_FILE]], ids=["gpu", "cpu"])
def test_docker_compose_config_accepts_the_files(files):
    """`docker compose config` needs no engine; it is the reference parser when the plugin is here."""
    if shutil.which("docker") is None:
        pytest.skip("no docker client on this machine")
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("the docker client here has no compose plugin (`docker compose version` fails)")
    args = [arg for path in files for arg in ("-f", str(path))]
    result = subprocess.run(["docker", "compose", *args, "config", "-q"], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr


def _dockerfile_of(service: dict[str, Any]) -> Dockerfile:
    build = service["build"]
    return parse_dockerfile(COMPOSE_FILE.parent / build["context"] / build["dockerfile"])


@pytest.mark.parametrize("name", ["api", "worker", "frontend"])
def test_build_context_and_dockerfile_exist(compose, name):
    build = compose["services"][name]["build"]
    context = COMPOSE_FILE.parent / build["context"]
    assert context.is_dir(), f"{name}: build context {context} is missing"
    assert (context / build["dockerfile"]).is_file(), f"{name}: {build['dockerfile']} is missing"
    assert (context / ".dockerignore").is_file(), "without .dockerignore the whole checkout (.venv, data) is sent"


def test_every_build_arg_is_declared_by_its_dockerfile(compose_cpu):
    built = {name: service for name, service in compose_cpu["services"].items() if "build" in service}
    assert set(built) == {"api", "worker", "frontend"}  # redis and postgres run their official images
    for name, service in built.items():
        dockerfile = _dockerfile_of(service)
        declared = set(dockerfile.global_args) | {
            ins.args.partition("=")[0] for stage in dockerfile.stages for ins in stage.all("ARG")
        }
        unknown = set(service["build"].get("args", {})) - declared
        assert not unknown, f"{name}: build args {unknown} are not ARGs of {dockerfile.path.name}"


def test_the_api_reserves_the_gpus_and_each_worker_one(compose):
    api = compose["services"]["api"]["deploy"]["resources"]["reservations"]["devices"]
    assert api == [{"driver": "nvidia", "count": "all", "capabilities": ["gpu"]}]
    worker = compose["services"]["worker"]["deploy"]["resources"]["reservations"]["devices"]
    assert worker == [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]


@pytest.mark.parametrize("name", ["api", "worker"])
def test_cpu_variant_drops_the_gpu_and_builds_cpu_torch(compose, compose_cpu, name):
    backend = compose_cpu["services"][name]
    assert backend["deploy"]["resources"]["reservations"]["devices"] == []
    assert backend["environment"]["VSS_DEVICE"] == "cpu"
    assert backend["build"]["args"]["TORCH_INDEX_URL"].endswith("/whl/cpu")
    assert backend["image"] != compose["services"][name]["image"], "the CPU build would overwrite the GPU tag"
    # everything else is the GPU service's: same volumes, Dockerfile and bake arguments
    gpu = compose["services"][name]
    for key in ("volumes", "healthcheck", "expose", "command"):
        assert backend.get(key) == gpu.get(key)
    assert backend["build"]["dockerfile"] == gpu["build"]["dockerfile"]
    assert gpu["build"]["args"].items() <= backend["build"]["args"].items()


@pytest.mark.parametrize("name", ["api", "worker"])
def test_backend_volumes_hold_the_data_and_checkpoint_dirs(compose, backend_dockerfile, name):
    env = backend_dockerfile.final.env()
    mounts = dict(entry.split(":")[::-1] for entry in compose["services"][name]["volumes"])
    assert set(mounts) == {env["VSS_DATA_DIR"], env["VSS_CHECKPOINT_DIR"]}
    assert all(volume in compose["volumes"] for volume in mounts.values()), "named volumes survive `down`"
    declared = backend_dockerfile.final.last("VOLUME").exec_form()
    assert set(declared) == set(mounts)


def test_api_and_workers_share_one_broker_one_database_and_one_image(compose):
    """Broker mode: the API queues jobs in the redis service, the workers take them, and both read
    and write the postgres service's database; a worker runs the image the API runs."""
    api, worker = compose["services"]["api"], compose["services"]["worker"]
    for name in ("VSS_BROKER_URL", "VSS_DATABASE_URL"):
        assert api["environment"][name] == worker["environment"][name]
    broker = urlsplit(api["environment"]["VSS_BROKER_URL"])
    database = urlsplit(api["environment"]["VSS_DATABASE_URL"])
    assert broker.scheme == "redis" and broker.hostname == "redis" and "redis" in compose["services"]
    assert database.scheme == "postgresql+psycopg" and database.hostname == "postgres"
    postgres = compose["services"]["postgres"]
    assert database.username == postgres["environment"]["POSTGRES_USER"]
    assert database.path.lstrip("/") == postgres["environment"]["POSTGRES_DB"]
    assert worker["image"] == api["image"] and worker["build"] == api["build"]
    for service in (api, worker):
        assert {"redis", "postgres"} <= set(service["depends_on"])
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "ports" not in worker and "replicas" not in worker.get("deploy", {}), "scaled with --scale worker=N"


def test_backend_healthcheck_asks_the_health_endpoint_on_the_app_port(compose, backend_dockerfile):
    test = compose["services"]["api"]["healthcheck"]["test"]
    assert test[0] == "CMD"
    # the final image has no curl: python itself asks, and a non-2xx answer raises (exit code 1)
    assert test[1:3] == ["python", "-c"]
    quoted_url = re.search(r"'(http://[^']+)'", test[3])
    assert quoted_url is not None, test[3]
    url = urlsplit(quoted_url[1])
    assert url.path == HEALTH_PATH
    env = backend_dockerfile.final.env()
    assert str(url.port) == env["VSS_PORT"]
    assert env["VSS_HOST"] == "0.0.0.0", "the app must listen beyond the container's loopback"
    assert [env["VSS_PORT"]] == compose["services"]["api"]["expose"]
    assert backend_dockerfile.final.last("EXPOSE").args == env["VSS_PORT"]


def test_frontend_serves_the_studio_on_port_3000(compose, frontend_dockerfile):
    frontend = compose["services"]["frontend"]
    host, container = frontend["ports"][0].rsplit(":", 1)
    assert host == "3000"
    assert container == frontend_dockerfile.final.last("EXPOSE").args
    nginx_conf = (REPO / "docker" / "nginx.conf").read_text()
    assert re.search(rf"^\s*listen\s+{container};", nginx_conf, re.MULTILINE)
    assert "api" in frontend["depends_on"]
    assert "ports" not in compose["services"]["api"], "the API is reached through the studio's /api"


def _effective_command(service: dict[str, Any], dockerfile: Dockerfile) -> list[str]:
    """What the container runs: compose's entrypoint/command over the image's ENTRYPOINT/CMD."""

    def image_default(keyword: str) -> list[str]:
        instruction = dockerfile.final.last(keyword)
        if instruction is None:
            return []
        argv = instruction.exec_form()
        assert argv is not None, f"{keyword} in shell form: /bin/sh would not pass SIGTERM to the app"
        return argv

    def as_argv(value: str | list[str]) -> list[str]:
        return shlex.split(value) if isinstance(value, str) else value

    entrypoint = as_argv(service["entrypoint"]) if "entrypoint" in service else image_default("ENTRYPOINT")
    command = as_argv(service["command"]) if "command" in service else image_default("CMD")
    return [*entrypoint, *command]


@pytest.mark.parametrize("variant", ["gpu", "cpu"])
def test_backend_runs_the_module_the_project_starts(variant, compose, compose_cpu):
    """Both variants run `python -m video_seg_backend`: the module behind the `video-seg-studio`
    script in pyproject.toml, which the backend's own tests start the same way."""
    model = compose if variant == "gpu" else compose_cpu
    backend = model["services"]["api"]
    argv = _effective_command(backend, _dockerfile_of(backend))
    scripts = pyproject()["scripts"]
    entry_module = scripts["video-seg-studio"].partition(":")[0]
    assert entry_module.endswith(".__main__")
    package = entry_module.removesuffix(".__main__")
    assert argv == ["python", "-m", package]
    assert importlib.util.find_spec(entry_module) is not None, f"{entry_module} is not importable"
    worker = model["services"]["worker"]
    assert _effective_command(worker, _dockerfile_of(worker)) == ["python", "-m", package, "worker"]
    from video_seg_backend.__main__ import main

    with pytest.raises(SystemExit, match="VSS_BROKER_URL"):  # the subcommand exists and says what it needs
        main(["worker"])


def test_frontend_runs_nginx_in_the_foreground(compose, frontend_dockerfile):
    frontend = compose["services"]["frontend"]
    assert _effective_command(frontend, frontend_dockerfile) == ["nginx", "-g", "daemon off;"]
