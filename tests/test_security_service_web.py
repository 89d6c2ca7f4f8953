"""The local service against the web and greedy clients: cross-site pages (a no-cors text/plain POST), DNS
rebinding (a Host the service does not answer to), another site's Origin, /v1/scan requests whose answer or run
time would be out of proportion to their body, and a flood of slow connections from the same machine."""
from __future__ import annotations

import json
import resource
import socket
import threading
import time
from urllib.parse import urlparse

import httpx
import pytest


@pytest.fixture(scope="module")
def base(start_service):
    return start_service()


def conversation(text: str = "亲，您好", messages: int = 1, conv_id: str = "c") -> dict:
    return {"id": conv_id, "messages": [{"role": "agent", "text": text} for _ in range(messages)]}


# -- what a page on another site can send ---------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/v1/check", "/v1/scan"])
@pytest.mark.parametrize("content_type", ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", None])
def test_a_body_not_declared_json_is_refused_415(base, path, content_type):
    """A page on another site may POST text/plain with mode no-cors, no preflight asked: it must not be served."""
    body = json.dumps({"draft": "亲"} if path == "/v1/check" else {"conversations": [conversation()]}).encode()
    headers = {"Content-Type": content_type} if content_type else {}
    with httpx.Client(base_url=base) as c:
        response = c.post(path, content=body, headers=headers)
    assert response.status_code == 415, response.text
    assert response.json()["error"] == "unsupported_media_type"


def test_json_with_a_charset_is_accepted(base):
    with httpx.Client(base_url=base) as c:
        response = c.post("/v1/check", content='{"draft": "亲"}'.encode(), headers={"Content-Type": "application/json; charset=utf-8"})
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/", "/healthz", "/v1/rules", "/openapi.json"])
@pytest.mark.parametrize("host", ["evil.example:8080", "evil.example", "127.0.0.1.nip.io", "localhost.evil.example"])
def test_a_host_name_the_service_does_not_answer_to_is_refused_421(base, path, host):
    """DNS rebinding: evil.example re-pointed at 127.0.0.1 calls the service as its own origin, under its own name."""
    with httpx.Client(base_url=base) as c:
        response = c.get(path, headers={"Host": host})
    assert response.status_code == 421, response.text
    assert response.json()["error"] == "unknown_host"


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:{port}", "localhost:{port}", "LOCALHOST", "[::1]:{port}"])
def test_the_service_answers_to_its_own_address_and_localhost(base, host):
    port = urlparse(base).port
    with httpx.Client(base_url=base) as c:
        assert c.get("/healthz", headers={"Host": host.format(port=port)}).status_code == 200


def test_more_names_are_allowed_with_allow_host(start_service):
    url = start_service(allowed_hosts=["qa.example.com"])
    with httpx.Client(base_url=url) as c:
        assert c.get("/healthz", headers={"Host": "qa.example.com:8080"}).status_code == 200
        assert c.get("/healthz", headers={"Host": "other.example.com"}).status_code == 421


@pytest.mark.parametrize("origin", ["https://evil.example", "http://evil.example:8080", "null", "http://localhost.evil.example"])
def test_a_request_from_another_sites_page_is_refused_403(base, origin):
    with httpx.Client(base_url=base) as c:
        for method, path, body in (("POST", "/v1/check", {"draft": "亲"}), ("POST", "/v1/scan", {"conversations": []}),
                                   ("GET", "/v1/rules", None)):
            response = c.request(method, path, json=body, headers={"Origin": origin})
            assert response.status_code == 403, (path, response.text)
            assert response.json()["error"] == "cross_origin"


def test_the_services_own_page_and_allowed_origins_may_call_it(start_service):
    url = start_service(allowed_origins=["https://helpdesk.example.com"])
    own = f"http://127.0.0.1:{urlparse(url).port}"
    with httpx.Client(base_url=url) as c:
        assert c.post("/v1/check", json={"draft": "亲"}, headers={"Origin": own}).status_code == 200
        assert c.post("/v1/check", json={"draft": "亲"}, headers={"Origin": "https://helpdesk.example.com"}).status_code == 200
        assert c.post("/v1/check", json={"draft": "亲"}, headers={"Origin": "https://other.example.com"}).status_code == 403


# -- what a /v1/scan may cost ----------------------------------------------------------------------------------
def test_more_messages_in_all_than_the_limit_is_422(start_service):
    url = start_service(max_scan_messages=50)
    body = {"conversations": [conversation(messages=20, conv_id=f"c{i}") for i in range(3)]}
    with httpx.Client(base_url=url) as c:
        response = c.post("/v1/scan", json=body)
    assert response.status_code == 422 and response.json()["error"] == "too_many_messages", response.text
    assert response.json()["limit"] == 50


@pytest.mark.parametrize("path", ["/v1/scan", "/v1/check"])
def test_a_message_longer_than_the_limit_is_422(start_service, path):
    url = start_service(max_message_chars=100)
    long = {"role": "customer", "text": "太慢了" * 50}
    body = ({"conversations": [{"id": "c", "messages": [long]}]} if path == "/v1/scan"
            else {"draft": "您好", "context": [long]})
    with httpx.Client(base_url=url) as c:
        response = c.post(path, json=body)
    assert response.status_code == 422 and response.json()["error"] == "message_too_long", response.text
    assert "messages[0].text: 150 characters; at most 100" in response.json()["reason"]


def test_an_answer_larger_than_the_limit_stops_the_scan_422(start_service):
    """A 1 MB body of 亲亲亲… once made a 90 MB answer: the answer is measured as it grows."""
    url = start_service(max_output_bytes=200_000)
    body = {"conversations": [conversation("亲" * 5_000, conv_id=f"c{i}") for i in range(10)]}
    with httpx.Client(base_url=url, timeout=60) as c:
        response = c.post("/v1/scan", json=body)
        assert response.status_code == 422 and response.json()["error"] == "result_too_large", response.text[:300]
        assert len(response.content) < 1000
        small = c.post("/v1/scan", json={"conversations": [conversation()]})
    assert small.status_code == 200 and small.json()["summary"]["conversations"] == 1


def test_a_scan_that_runs_past_its_time_budget_stops_422(start_service):
    url = start_service(scan_seconds=0.05)
    body = {"conversations": [conversation("亲，这个我不知道，" * 500, conv_id=f"c{i}") for i in range(40)]}
    with httpx.Client(base_url=url, timeout=60) as c:
        response = c.post("/v1/scan", json=body)
    assert response.status_code == 422 and response.json()["error"] == "scan_too_long", response.text[:300]


def test_scan_answers_are_valid_json_with_every_record(base):
    body = {"conversations": [conversation(conv_id=f"c{i}") for i in range(5)]}
    with httpx.Client(base_url=base) as c:
        data = c.post("/v1/scan", json=body).json()
    assert [r["id"] for r in data["results"]] == [f"c{i}" for i in range(5)]
    assert data["summary"]["conversations"] == 5 and data["summary"]["findings"] == sum(len(r["findings"]) for r in data["results"])


# -- slow clients -------------------------------------------------------------------------------------------------
def _enough_file_descriptors(needed: int) -> bool:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return True
    if hard == resource.RLIM_INFINITY or hard >= needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
        return True
    return False


ATTACKER = "127.0.0.2"  # on Linux all of 127.0.0.0/8 is this machine: another client address on loopback


def _can_bind(address: str) -> bool:
    try:
        with socket.socket() as sock:
            sock.bind((address, 0))
        return True
    except OSError:
        return False


def test_six_hundred_slow_connections_do_not_starve_normal_requests(start_service):
    """The battery's slowloris: 600 connections that trickle a header (more than the 512-connection limit) made
    78% of normal requests fail. One client now holds at most its share of connections (a new one evicts its
    own longest-waiting one), so another client is served every time."""
    if not _enough_file_descriptors(4096):
        pytest.skip("needs 4,096 file descriptors")
    if not _can_bind(ATTACKER):
        pytest.skip(f"{ATTACKER} is not a local address here")
    url = urlparse(start_service())
    stalled: list[socket.socket] = []
    stop = threading.Event()

    def flood():
        while not stop.is_set():  # keep 600 open, reopening those the server closed
            alive = []
            for sock in stalled:
                try:
                    sock.send(b"X-Slow: 1\r\n")
                    alive.append(sock)
                except OSError:
                    sock.close()
            stalled[:] = alive
            while len(stalled) < 600 and not stop.is_set():
                try:
                    sock = socket.create_connection((url.hostname, url.port), timeout=5, source_address=(ATTACKER, 0))
                    sock.sendall(b"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                    stalled.append(sock)
                except OSError:
                    break
            time.sleep(0.05)

    attacker = threading.Thread(target=flood, daemon=True)
    attacker.start()
    try:
        time.sleep(3)  # the flood has opened (and reopened) its 600 connections many times over
        statuses = []
        for _ in range(100):
            try:
                with httpx.Client(base_url=f"http://{url.hostname}:{url.port}", timeout=10) as c:
                    statuses.append(c.post("/v1/check", json={"draft": "亲，您好"}).status_code)
            except httpx.HTTPError as exc:
                statuses.append(type(exc).__name__)
        assert statuses.count(200) == 100, statuses
    finally:
        stop.set()
        attacker.join(timeout=10)
        for sock in stalled:
            sock.close()


def test_one_client_holds_at_most_its_share_of_connections(start_service):
    url = urlparse(start_service(max_connections_per_client=8, header_timeout=30))
    idle = [socket.create_connection((url.hostname, url.port), timeout=5) for _ in range(8)]
    try:
        time.sleep(0.2)
        late = socket.create_connection((url.hostname, url.port), timeout=5)
        late.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert late.recv(65536).startswith(b"HTTP/1.1 200")  # served: the oldest idle connection made room
        late.close()
        idle[0].settimeout(5)
        assert idle[0].recv(1) == b""  # and that one was closed
    finally:
        for sock in idle:
            sock.close()
