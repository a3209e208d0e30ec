"""The real mlp-console server on a fresh database, and tokens made with its command line."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from mlplatform_client import MLPlatform

REPO = Path(__file__).resolve().parents[3]


@dataclass
class Server:
    url: str
    database: str
    binary: str

    def cli(self, *args: str) -> str:
        """Runs an admin command on the server's database; its stdout, stripped."""
        done = subprocess.run(
            [self.binary, "--database-url", self.database, "--log", "warn", *args],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def token(self, role: str = "admin", expires_in: str | None = None, name: str | None = None) -> str:
        """A new access token of the project ``default``; its value."""
        args = ["token", "create", "--project", "default", "--role", role]
        args += ["--name", name or f"{role}-{uuid.uuid4().hex[:8]}"]
        if expires_in is not None:
            args += ["--expires-in", expires_in]
        return self.cli(*args)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server() -> Iterator[Server]:
    """The server binary serving a fresh database on a free port of 127.0.0.1, stopped at the end."""
    binary = os.environ.get("MLP_BIN", str(REPO / "target" / "debug" / "mlp-console"))
    assert Path(binary).exists(), f"{binary}: build it first (cargo build)"
    with tempfile.TemporaryDirectory() as work:
        # MLP_PYTEST_DATABASE_URL: a PostgreSQL server (scripts/test-python's second pass); each server
        # gets a database of its own on it.
        database = str(Path(work) / "client.db")
        postgres = os.environ.get("MLP_PYTEST_DATABASE_URL")
        if postgres:
            name = f"py_{uuid.uuid4().hex}"
            subprocess.run(["psql", postgres, "-qc", f"CREATE DATABASE {name}"], check=True)
            database = f"{postgres.rsplit('/', 1)[0]}/{name}"
        port = free_port()
        env = {
            **os.environ,
            "MLP_DATABASE_URL": database,
            "MLP_BIND": f"127.0.0.1:{port}",
            "MLP_SECRET_KEY": "python-client-tests-secret-key-0123456789abcdef",
            "MLP_BOOTSTRAP_PASSWORD": "bootstrap password for the client tests",
            "MLP_LOG": "warn",
        }
        with open(Path(work) / "server.log", "wb") as log:
            process = subprocess.Popen([binary, "serve"], env=env, stdout=log, stderr=log)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                assert process.poll() is None, (Path(work) / "server.log").read_text()
                assert time.monotonic() < deadline, "the server did not start within 30 s"
                time.sleep(0.05)
            yield Server(url=url, database=database, binary=binary)
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    with running_server() as running:
        yield running


@pytest.fixture
def admin_token(server: Server) -> str:
    return server.token("admin")


@pytest.fixture
def mlp(server: Server, admin_token: str) -> Iterator[MLPlatform]:
    with MLPlatform(admin_token, base_url=server.url) as client:
        yield client


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
