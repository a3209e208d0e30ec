"""Schemathesis hooks for scripts/fuzz-api: the Administrator token the fuzzed calls carry.

The fuzzer deletes and renews tokens by name, its own among them (it learns names from the list it
reads). When a call is refused with 401, schemathesis asks `get` again: if the current token no longer
works, a new one is made with the operator CLI against the same database.
"""

import itertools
import os
import subprocess
import urllib.error
import urllib.request

import schemathesis

BASE = os.environ["MLP_FUZZ_BASE"]  # http://127.0.0.1:PORT/api/v1
CLI = [os.environ["MLP_FUZZ_BIN"], "--database-url", os.environ["MLP_FUZZ_DB"], "--log", "warn"]
PROJECT = os.environ["MLP_FUZZ_PROJECT"]

_names = itertools.count(1)


def _works(token: str) -> bool:
    request = urllib.request.Request(f"{BASE}/tokens/me", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status == 200
    except urllib.error.URLError:
        return False


def _mint() -> str:
    name = f"fuzz-admin-{next(_names)}"
    done = subprocess.run(
        [*CLI, "token", "create", "--project", PROJECT, "--name", name, "--role", "admin"],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1]


@schemathesis.auth()
class AdminToken:
    token = None

    def get(self, case, context):
        if self.token is None or not _works(self.token):
            AdminToken.token = _mint()
        return self.token

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
