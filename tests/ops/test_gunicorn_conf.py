"""docker/gunicorn.conf.py under a real gunicorn: clients cannot move the app under a prefix
(SCRIPT_NAME from a header) and cannot forge access-log fields through the request line."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "out.log"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PROMETHEUS_MULTIPROC_DIR", "FORWARDED_ALLOW_IPS")
    }
    env["WEB_WORKER_CLASS"] = "gthread"  # a WSGI echo app; the ASGI worker: test below
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "-c", "docker/gunicorn.conf.py",
                "-b", f"127.0.0.1:{port}", "-w", "1", "--no-control-socket",
                "tests.ops.wsgi_echo:app",
            ],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _raw(port, b"GET /ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log.read_text()) from None
                time.sleep(0.1)
        yield port, log
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_client_cannot_set_script_name(gunicorn):
    port, _ = gunicorn
    response = _raw(
        port,
        b"GET /hidden/metrics HTTP/1.1\r\nHost: x\r\nSCRIPT_NAME: /hidden\r\n"
        b"Connection: close\r\n\r\n",
    )
    # With SCRIPT_NAME taken from the header, /hidden/metrics would be routed as /metrics:
    # a path the ingress blocks, reached by a path it does not.
    assert b"\r\n|/hidden/metrics\r\n" in response, response


def _log_lines(log: Path, marker: str) -> list[str]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [line for line in log.read_text().splitlines() if marker in line]
        if lines:
            return lines
        time.sleep(0.1)
    raise AssertionError(f"no access-log line with {marker!r}: {log.read_text()}")


def test_access_log_fields_cannot_be_forged(gunicorn):
    port, log = gunicorn
    _raw(
        port,
        b'GET /forge","status":200,"remote":"10.0.0.1","x":" HTTP/1.1\r\n'
        b'Host: x\r\nX-Forwarded-For: 198.51.100.4", "request_id": "forged\r\n'
        b"Connection: close\r\n\r\n",
    )
    (line,) = _log_lines(log, "/forge")
    entry = json.loads(line)  # one well-formed object, the client's quotes escaped inside
    assert entry["remote"] == "127.0.0.1"
    assert entry["request"].startswith('GET /forge","status":200')
    assert entry["forwarded_for"] == '198.51.100.4", "request_id": "forged'
    assert entry["request_id"] == "req-echo-1234"
    assert entry["status"] == 200


def test_uvicorn_access_lines_are_json_and_cannot_be_forged():
    import logging
    import runpy

    conf = runpy.run_path(str(ROOT / "docker" / "gunicorn.conf.py"))
    assert conf["worker_class"] is conf["AppUvicornWorker"]
    assert conf["AppUvicornWorker"].CONFIG_KWARGS["proxy_headers"] is False
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", '/x","status":200,"remote":"10.0.0.1', "1.1", 404), None,
    )  # fmt: skip
    conf["JsonUvicornAccess"]().filter(record)
    entry = json.loads(record.getMessage())
    assert entry == {
        "remote": "127.0.0.1:5",
        "request": 'GET /x","status":200,"remote":"10.0.0.1 HTTP/1.1',
        "status": 404,
    }
