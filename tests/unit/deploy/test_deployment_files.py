"""docker-compose.yml and the Procfile: valid, consistent with each other and the settings."""

from __future__ import annotations

import re
import shlex
from dataclasses import fields
from typing import Any

import yaml

from plm_sync.config import ENV_PREFIX, SECRET_FILES, Settings
from tests.conftest import ROOT

SETTING_NAMES = {ENV_PREFIX + item.name.upper() for item in fields(Settings)} | set(
    SECRET_FILES.values()
)


def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def procfile() -> dict[str, list[str]]:
    entries = {}
    for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines():
        name, _, command = line.partition(":")
        entries[name.strip()] = shlex.split(command)
    return entries


def test_compose_has_the_stack() -> None:
    services = compose()["services"]
    assert set(services) == {
        "redis",
        "postgres",
        "migrate",
        "worker",
        "beat",
        "sandbox",
        "commerce",
        "web",
        "flower",
    }
    assert services["migrate"]["command"] == ["plm-sync", "migrate"]
    assert services["beat"]["deploy"]["replicas"] == 1


def test_compose_runs_the_procfile_commands() -> None:
    services = compose()["services"]
    for name, command in procfile().items():
        assert services[name]["command"] == command


def test_procfile_has_worker_and_beat_of_the_tasks_app() -> None:
    entries = procfile()
    assert set(entries) == {"worker", "beat", "web", "flower"}
    assert entries["worker"][:4] == ["celery", "-A", "tasks.app", "worker"]
    assert entries["beat"][:4] == ["celery", "-A", "tasks.app", "beat"]
    assert entries["flower"][:4] == ["celery", "-A", "tasks.app", "flower"]
    assert entries["web"][:2] == ["plm-sync", "serve"]


def test_the_web_service_serves_beyond_loopback_with_a_token() -> None:
    data = compose()
    web = data["services"]["web"]
    assert "--allow-remote" in web["command"]
    assert set(web["environment"]) <= SETTING_NAMES
    assert web["environment"]["PLM_SYNC_SERVE_TOKEN_FILE"] == "/run/secrets/serve_token"
    assert (ROOT / data["secrets"]["serve_token"]["file"]).read_text(encoding="utf-8").strip()
    assert all(port.startswith("127.0.0.1:") for port in web["ports"])
    assert all(port.startswith("127.0.0.1:") for port in data["services"]["flower"]["ports"])


def test_every_environment_name_is_a_setting() -> None:
    services = compose()["services"]
    for name in ("migrate", "worker", "beat"):
        environment = services[name]["environment"]
        assert set(environment) <= SETTING_NAMES, set(environment) - SETTING_NAMES
        assert {"PLM_SYNC_DATABASE_URL", "PLM_SYNC_BROKER_URL"} <= set(environment)


def test_compose_database_and_broker_point_at_the_stack() -> None:
    data = compose()
    environment = data["services"]["worker"]["environment"]
    postgres = data["services"]["postgres"]["environment"]
    assert environment["PLM_SYNC_BROKER_URL"].startswith("redis://redis:6379/")
    expected = (
        f"postgresql+psycopg://{postgres['POSTGRES_USER']}:{postgres['POSTGRES_PASSWORD']}"
        f"@postgres:5432/{postgres['POSTGRES_DB']}"
    )
    assert environment["PLM_SYNC_DATABASE_URL"] == expected
    sandbox_port = data["services"]["sandbox"]["command"][-3]
    assert environment["PLM_SYNC_CONNECT_URL"] == f"http://sandbox:{sandbox_port}/public/v1"


def test_readme_and_docs_name_only_real_settings() -> None:
    readme = "\n".join(
        path.read_text(encoding="utf-8")
        for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    )
    named = set(re.findall(r"PLM_SYNC_[A-Z_]+", readme)) - {
        "PLM_SYNC_TEST_POSTGRES_URL",
        "PLM_SYNC_TEST_REDIS_URL",
    }
    assert named <= SETTING_NAMES, named - SETTING_NAMES
    for command in ("celery -A tasks.app worker", "celery -A tasks.app beat"):
        assert command in readme


def test_compose_passes_the_api_key_as_a_secret_file() -> None:
    data = compose()
    secret = data["secrets"]["connect_api_key"]["file"]
    assert (ROOT / secret).read_text(encoding="utf-8").strip()
    for name in ("migrate", "worker", "beat"):
        service = data["services"][name]
        assert "PLM_SYNC_CONNECT_API_KEY" not in service["environment"]
        assert service["environment"]["PLM_SYNC_CONNECT_API_KEY_FILE"] == (
            "/run/secrets/connect_api_key"
        )
        assert service["secrets"] == ["connect_api_key", "commerce_oauth_secret"]
        assert "PLM_SYNC_COMMERCE_OAUTH_SECRET" not in service["environment"]


def test_compose_pushes_into_the_commerce_sandbox_with_its_credentials() -> None:
    from plm_sync.sandbox.commerce.server import (  # noqa: PLC0415
        SANDBOX_APP_ID,
        SANDBOX_OAUTH_KEY,
        SANDBOX_OAUTH_SECRET,
    )

    data = compose()
    environment = data["services"]["worker"]["environment"]
    port = data["services"]["commerce"]["command"][-1]
    assert environment["PLM_SYNC_COMMERCE_URL"] == f"http://commerce:{port}"
    assert environment["PLM_SYNC_COMMERCE_OAUTH_KEY"] == SANDBOX_OAUTH_KEY
    assert environment["PLM_SYNC_COMMERCE_APP_ID"] == SANDBOX_APP_ID
    secret = ROOT / data["secrets"]["commerce_oauth_secret"]["file"]
    assert secret.read_text(encoding="utf-8").strip() == SANDBOX_OAUTH_SECRET
