"""Suite-wide safety: fake credentials, no metadata probes, no real AWS endpoint or profile."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

_FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    # DefaultAzureCredential then tries only the environment: never a managed-identity metadata address.
    "AZURE_TOKEN_CREDENTIALS": "EnvironmentCredential",
}
# google-auth never probes the Compute Engine metadata server (read when google.auth is first imported,
# so set for the whole session and every subprocess); were it to, the address is a closed local port.
_NO_GCE = {"NO_GCE_CHECK": "true", "GCE_METADATA_HOST": "127.0.0.1:9", "GCE_METADATA_IP": "127.0.0.1:9"}
os.environ.update(_NO_GCE)


@pytest.fixture(autouse=True)
def _isolated_cloud_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    for name in (
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "CSPM_AI_CONFIG",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "GOOGLE_CLOUD_PROJECT",
        "CLOUDSDK_CORE_PROJECT",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in _FAKE_AWS.items():
        monkeypatch.setenv(name, value)
    home = tmp_path_factory.mktemp("home")
    # Config and data directories of the user under test, never the real ones.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "aws-credentials"))
    # No gcloud application-default credentials file of the real user.
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(home / "gcloud"))
    for name, value in _NO_GCE.items():
        monkeypatch.setenv(name, value)
    yield


# PostgreSQL: the inventory and end-to-end tests run on it as well as on SQLite.
PG_HOST = os.environ.get("CSPM_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("CSPM_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("CSPM_TEST_PG_USER", "postgres")

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _admin_connection(dbname: str) -> psycopg.Connection:
    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname, autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test session; fails under CI when unreachable."""
    try:
        admin = _admin_connection("postgres")
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL on {PG_HOST}:{PG_PORT} is unreachable: {' '.join(str(exc).split())}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    name = f"cspm_test_{secrets.token_hex(6)}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with _admin_connection("postgres") as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _reset_postgres(name: str) -> None:
    with _admin_connection(name) as conn:
        conn.execute("SET lock_timeout = '10s'")
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database (no tables yet)."""
    if request.param == "sqlite":
        yield f"sqlite:///{(tmp_path / 'inventory.db').as_posix()}"
        return
    name: str = request.getfixturevalue("postgres_database")
    _reset_postgres(name)
    yield f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
