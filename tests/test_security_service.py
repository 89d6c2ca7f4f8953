"""Service safety beyond test_service.py (which covers 400/408/413/422/401 and reload): hostile JSON, slow
clients that never finish their request head, and where the service listens by default.

The load test (50,000 requests, no errors, no memory growth) is benchmarks/service_soak.py.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest


RULES = Path(__file__).parent / "data" / "rules" / "all-types.yaml"


@pytest.fixture(scope="module")
def base(start_service):
    return start_service()


@pytest.mark.parametrize(
    "body",
    [
        b'{"draft": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"draft": "x", "context": ' + b'{"a":' * 50_000 + b"1" + b"}" * 50_000 + b"}",
    ],
)
def test_json_nested_thousands_deep_is_400_not_a_server_error(base, body):
    with httpx.Client(base_url=base) as c:
        response = c.post("/v1/check", content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400
        assert response.json()["error"] == "malformed_json"
        assert response.json()["reason"].startswith("invalid JSON: nested too deeply")
        assert c.post("/v1/check", json={"draft": "您好"}).status_code == 200  # and the service goes on


HUGE_NUMBER = b"9" * 5000  # Python refuses to convert an integer of more than 4,300 digits


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/check", b'{"draft": "x", "context": [{"role": "customer", "text": "a", "n": ' + HUGE_NUMBER + b"}]}"),
        ("/v1/check", b'{"draft": ' + HUGE_NUMBER + b"}"),
        ("/v1/scan", b'{"conversations": [{"id": "a", "meta": {"n": ' + HUGE_NUMBER + b'}, "messages": []}]}'),
    ],
)
def test_a_number_too_long_to_convert_is_400_not_a_server_error(base, path, body):
    with httpx.Client(base_url=base) as c:
        response = c.post(path, content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "malformed_json"
        assert response.json()["reason"].startswith("invalid JSON: a number with 5,000 digits")
        assert c.post("/v1/check", json={"draft": "您好"}).status_code == 200  # and the service goes on


def test_lone_surrogates_are_replaced_not_a_server_error(base):
    """"\ud800" is valid JSON but no UTF-8 response can carry it: it becomes U+FFFD as the body is read."""
    conversation = b'{"id": "s\\ud800", "agent": "a\\udc00", "messages": [{"role": "agent", "text": "\\u4eb2\\ud800"}]}'
    with httpx.Client(base_url=base) as c:
        scanned = c.post("/v1/scan", content=b'{"conversations": [' + conversation + b"]}",
                         headers={"Content-Type": "application/json"})
        assert scanned.status_code == 200, scanned.text
        assert scanned.json()["results"][0]["id"] == "s\ufffd"
        checked = c.post("/v1/check", content=b'{"draft": "\\u4eb2\\udc00", "context": [{"role": "customer", "text": "\\ud800"}]}',
                         headers={"Content-Type": "application/json"})
        assert checked.status_code == 200, checked.text
        assert "亲" in [f["text"] for f in checked.json()["findings"]]


def _wait_closed(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed the connection, None if it is still open after `seconds`."""
    sock.settimeout(seconds)
    started = time.monotonic()
    try:
        while sock.recv(65536):
            pass
    except socket.timeout:
        return None
    return time.monotonic() - started


@pytest.mark.parametrize(
    "sent",
    [b"", b"POST /v1/check HTTP/1.1\r\n", b"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl"],
    ids=["nothing", "request line only", "half a header"],
)
def test_a_client_that_never_finishes_its_request_head_is_disconnected(start_service, sent):
    url = urlparse(start_service(header_timeout=0.5))
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(sent)
        closed_after = _wait_closed(sock, 10)
    assert closed_after is not None, "the connection was still open after 10 s"


def test_the_deadline_applies_again_after_each_response_on_a_kept_alive_connection(start_service):
    url = urlparse(start_service(header_timeout=0.5))
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        sock.sendall(b"POST /v1/check HTTP/1.1\r\nHo")  # starts a second request, then stalls
        assert _wait_closed(sock, 10) is not None


def test_a_slow_request_head_that_arrives_in_time_is_served(start_service):
    url = urlparse(start_service(header_timeout=3.0))
    body = b'{"draft": "\xe6\x82\xa8\xe5\xa5\xbd"}'
    head = b"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        for i in range(0, len(head), 8):
            sock.sendall(head[i : i + 8])
            time.sleep(0.05)
        sock.sendall(body)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")


def test_stalled_connections_do_not_lock_out_other_clients(start_service):
    """Slowloris: many connections that never finish a request; a real client is still served at once."""
    base = start_service(header_timeout=1.0)
    url = urlparse(base)
    stalled = []
    try:
        for _ in range(50):
            sock = socket.create_connection((url.hostname, url.port), timeout=5)
            sock.sendall(b"POST /v1/check HTTP/1.1\r\nX-Slow: ")
            stalled.append(sock)
        with httpx.Client(base_url=base, timeout=5) as c:
            assert c.post("/v1/check", json={"draft": "亲，您好"}).status_code == 200
        closed = [_wait_closed(s, 10) for s in stalled]
        assert all(c is not None for c in closed)  # every stalled connection was let go
    finally:
        for sock in stalled:
            sock.close()


def test_the_service_listens_on_loopback_only_by_default(tmp_path):
    psutil = pytest.importorskip("psutil")
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa_linter.cli", "serve", "--port", "0", "--no-builtin", "--rules", str(RULES)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
    reader.start()
    try:
        listening = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not listening:
            connections = psutil.Process(proc.pid).net_connections(kind="inet")
            listening = [c.laddr for c in connections if c.status == psutil.CONN_LISTEN]
            time.sleep(0.1)
        assert listening and all(addr.ip == "127.0.0.1" for addr in listening), listening
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    reader.join(timeout=5)
    assert not any("warning: listening on" in line for line in lines)


def test_listening_beyond_loopback_without_a_token_warns(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa_linter.cli", "serve", "--host", "0.0.0.0", "--port", "0", "--no-builtin",
         "--rules", str(RULES)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )
    try:
        lines = [proc.stderr.readline() for _ in range(2)]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert any("without --token: anyone who can reach this port can use the service" in line for line in lines)
