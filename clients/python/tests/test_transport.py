"""What the library does on the wire when the server misbehaves: timeouts, and retries only where safe.

These use small stand-in servers on 127.0.0.1, since the real one answers promptly and never with a 503
unless its database is down (which tests/scale in the Rust suite covers).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from mlplatform_client import MLPlatform
from mlplatform_client.core import exceptions

UNAVAILABLE = {
    "status": 503,
    "errorCode": "ServiceUnavailableException",
    "errorParams": {"field": "database unavailable"},
}


@contextmanager
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


@contextmanager
def flaky_server(failures: int) -> Iterator[tuple[str, list[str]]]:
    """Answers a JSON 503 to the first ``failures`` requests, then 200; records each request's method."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            seen.append(self.command)
            length = int(self.headers.get("Content-Length", "0"))
            self.rfile.read(length)
            if len(seen) <= failures:
                body, status = json.dumps(UNAVAILABLE, separators=(",", ":")).encode(), 503
            else:
                me = {
                    "id": "1",
                    "name": "n",
                    "type": "USER",
                    "issuer_name": "a@b",
                    "project_id": "p",
                    "exp": None,
                    "label_selector": None,
                }
                body, status = json.dumps(me).encode(), 200
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = answer  # noqa: N815
        do_POST = answer  # noqa: N815

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_server_that_never_answers_times_out_for_reads_and_writes() -> None:
    with silent_server() as url:
        client = MLPlatform("mlpat_x", base_url=url, timeout=0.3)
        for call in (client.who_am_i, lambda: client.renew_token("n")):
            started = time.monotonic()
            with pytest.raises(requests.exceptions.Timeout):
                call()
            assert time.monotonic() - started < 5, "a bounded wait"


def test_a_get_is_retried_on_503_and_a_post_is_not() -> None:
    with flaky_server(failures=2) as (url, seen):
        me = MLPlatform("mlpat_x", base_url=url).who_am_i()
        assert me.name == "n"
        assert seen == ["GET", "GET", "GET"]
    with flaky_server(failures=1) as (url, seen):
        with pytest.raises(exceptions.ServiceUnavailableException) as caught:
            MLPlatform("mlpat_x", base_url=url).renew_token("n")
        assert seen == ["POST"], "a write is never repeated by the library"
        assert caught.value.status == 503
        assert caught.value.retry_after == 0
        assert str(caught.value) == (
            '<Response [503]>. Info: {"status":503,"errorCode":"ServiceUnavailableException",'
            '"errorParams":{"field":"database unavailable"}}'
        )


def test_an_unknown_error_code_or_a_body_that_is_not_json_is_the_base_class() -> None:
    response = requests.Response()
    response.status_code = 502
    response.reason = "Bad Gateway"
    response._content = b"<html>upstream down</html>"
    error = exceptions.error_for(response)
    assert type(error) is exceptions.MLPlatformException
    assert str(error) == "<Response [502]>. Info: <html>upstream down</html>"
    response._content = b'{"status":500,"errorCode":"InternalServerErrorException","errorParams":{}}'
    assert type(exceptions.error_for(response)) is exceptions.InternalServerErrorException
