"""The documentation's scripts (``examples/``) run unchanged against the real server, one after another,
as a colleague and an administrator would run them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import Server, unique

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(server: Server, script: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        env={**os.environ, "MLP_URL": server.url, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"{script}: {done.stderr}"
    return done.stdout


def test_the_documentation_scripts_run_unchanged(server: Server, admin_token: str) -> None:
    name = unique("jupyter")
    out = run(
        server,
        "create_register_token.py",
        ADMIN_REFRESH_TOKEN=admin_token,
        CLIENT_NAME=name,
        ACCESS_TTL="2h45m30s",
        REFRESH_TTL="2h",
        TOKEN_TYPE="USER",
    )
    register_token = out.strip()
    assert register_token.startswith("mlprg_"), out

    refresh_token = run(server, "create_refresh_token.py", REGISTER_TOKEN=register_token).strip()
    assert refresh_token.startswith("mlpat_")

    printed = run(server, "who_am_i.py", REFRESH_TOKEN=refresh_token)
    lines = printed.splitlines()
    assert lines[0] == f"Token {name}:"
    assert lines[1].startswith("\tid: ")
    assert lines[2:4] == ["\ttype: USER", "\tissuer_name: admin@localhost"]
    assert lines[4].startswith("\texp: 20")

    listed = run(server, "get_project_tokens_info.py", ADMIN_REFRESH_TOKEN=admin_token)
    assert f"name='{name}'" in listed
    assert refresh_token not in listed

    assert run(server, "delete_token.py", ADMIN_REFRESH_TOKEN=admin_token, TOKEN_NAME=name) == ""
    listed = run(server, "get_project_tokens_info.py", ADMIN_REFRESH_TOKEN=admin_token)
    assert f"name='{name}'" not in listed

    # A script on a deleted token fails the way the documentation shows.
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "who_am_i.py")],
        env={**os.environ, "MLP_URL": server.url, "REFRESH_TOKEN": refresh_token},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert (
        "mlplatform_client.core.exceptions.UnauthorizedException: <Response [401]>. Info: "
        '{"status":401,"errorCode":"UnauthorizedException","errorParams":{"field":"Unauthorized"}}'
    ) in done.stderr
    assert refresh_token not in done.stderr
