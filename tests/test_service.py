"""The HTTP service: endpoints, JSON errors (400/401/403/408/413/422), limits while reading, reload."""
from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

CORPUS = Path(__file__).parent / "data" / "corpus" / "transcripts.jsonl"
CONVERSATIONS = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
CONTEXT = [
    {"role": "customer", "text": "宽带太慢了，我要投诉", "ts": "2026-11-20T10:00:00+08:00"},
    {"role": "agent", "text": "您好，非常抱歉，请问您的宽带账号是？", "ts": "2026-11-20T10:00:20+08:00"},
    {"role": "customer", "text": "还是不行，太慢了", "ts": "2026-11-20T10:01:00+08:00"},
]


@pytest.fixture(scope="module")
def base(start_service):
    return start_service()


@pytest.fixture(scope="module")
def client(base):
    with httpx.Client(base_url=base, timeout=10) as c:
        yield c


def _stable(result: dict) -> dict:
    return {k: v for k, v in result.items() if k != "elapsed_ms"}


# -- the endpoints --------------------------------------------------------------------------------------------
def test_check_answers_like_the_python_api(client, test_linter):
    body = {"draft": "亲，请修改DNS设置，这个我不知道", "context": CONTEXT, "ts": "2026-11-20T10:08:00+08:00"}
    response = client.post("/v1/check", json=body)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    got = response.json()
    expected = test_linter.check_reply(body["draft"], context=CONTEXT, ts=body["ts"]).to_dict()
    assert _stable(got) == _stable(expected)
    assert {f["rule"] for f in got["findings"]} == {"t-empathy", "t-slang", "t-taboo", "t-jargon", "t-slow"}
    assert got["blocking"] is True and got["elapsed_ms"] > 0


def test_check_options(client):
    warning_only = {"draft": "您好，亲"}
    assert client.post("/v1/check", json=warning_only).json()["blocking"] is False
    assert client.post("/v1/check", json={**warning_only, "fail_on": "warning"}).json()["blocking"] is True
    email = {"draft": "您好", "context": {"id": "e-1", "channel": "email", "messages": CONTEXT[:1]}, "ts": "2026-11-20T10:05:00+08:00"}
    assert "t-slow" not in {f["rule"] for f in client.post("/v1/check", json=email).json()["findings"]}
    as_chat = client.post("/v1/check", json={**email, "channel": "chat"}).json()
    assert "t-slow" in {f["rule"] for f in as_chat["findings"]}
    assert as_chat["findings"][0]["conversation_id"] == "e-1"


def test_scan_gives_the_findings_of_a_batch_scan(client, test_linter):
    response = client.post("/v1/scan", json={"conversations": CONVERSATIONS[:10]})
    assert response.status_code == 200
    body = response.json()
    assert [r["id"] for r in body["results"]] == [c["id"] for c in CONVERSATIONS[:10]]
    for result, conv in zip(body["results"], CONVERSATIONS[:10]):
        assert result["findings"] == [f.to_dict() for f in test_linter.scan(conv)]
    assert body["summary"]["conversations"] == 10
    assert body["summary"]["findings"] == sum(len(r["findings"]) for r in body["results"]) > 0


def test_scan_scores_each_conversation_as_the_scorecards_do(client, test_linter):
    """The score of /v1/scan is the score model's, the one `qa-lint scan` and the HTML scorecards report."""
    from qa_linter.scoring import load_scoring_model
    from qa_linter.canonical import conversation_from_dict

    model = load_scoring_model(None).limited_to(test_linter.rules)
    body = client.post("/v1/scan", json={"conversations": CONVERSATIONS[:10]}).json()
    assert body["scorecard"] == model.fingerprint
    scored = [r for r in body["results"] if r["score"] is not None]
    assert scored, "the corpus has conversations the model scores"
    for result, raw in zip(body["results"], CONVERSATIONS[:10]):
        conv = conversation_from_dict(raw)
        card = model.score(conv, test_linter.scan(conv))
        assert (result["score"], result["passed"]) == (card.total, card.passed)
        assert result["scorecard"] == card.to_dict()
    assert len({r["score"] for r in scored}) > 1, "scores differ with the findings"
    summary = body["summary"]
    assert summary["scored"] == len(scored)
    assert summary["passed"] == sum(r["passed"] is True for r in body["results"])
    assert summary["average_score"] == round(sum(r["score"] for r in scored) / len(scored), 1)


def test_scan_score_drops_with_a_finding(client):
    clean = {"id": "ok", "messages": [{"role": "customer", "text": "在吗"}, {"role": "agent", "text": "您好，祝您生活愉快"}]}
    taboo = {"id": "bad", "messages": [{"role": "customer", "text": "在吗"}, {"role": "agent", "text": "您好，这个我不知道，祝您生活愉快"}]}
    results = {r["id"]: r for r in client.post("/v1/scan", json={"conversations": [clean, taboo]}).json()["results"]}
    assert results["ok"]["findings"] == [] and results["ok"]["score"] == 100
    assert results["bad"]["findings"] and results["bad"]["score"] < results["ok"]["score"]


def test_rules_healthz_and_openapi(client, test_linter):
    rules = client.get("/v1/rules").json()
    assert [r["id"] for r in rules["rules"]] == [r.id for r in test_linter.rules]
    judged = {r["id"]: r["judged_on_draft"] for r in rules["rules"]}
    assert judged["t-closing"] is False and judged["t-taboo"] is True
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["rules"] == len(test_linter.rules)
    assert health["rule_pack"] == rules["rule_pack"] == test_linter.pack.fingerprint
    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {"/v1/check", "/v1/scan", "/v1/rules", "/v1/reload", "/healthz", "/"}
    check_request = doc["components"]["schemas"]["CheckRequest"]
    assert set(check_request["properties"]) == {"draft", "context", "channel", "ts", "fail_on"}


def test_page_is_served_with_a_strict_policy(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp and "unsafe-inline" not in csp
    assert "发送前检查" in response.text
    assert "http://" not in response.text and "https://" not in response.text  # nothing fetched from elsewhere


def test_unknown_routes_and_methods_are_json_errors(client):
    assert client.get("/v2/check").json() == {"error": "not_found", "reason": "no such endpoint: /v2/check"}
    response = client.get("/v1/check")
    assert response.status_code == 405 and response.json()["error"] == "method_not_allowed"


# -- 400: not JSON -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body, reason",
    [
        (b'{"draft": "x",}', "invalid JSON: Expecting property name enclosed in double quotes at line 1 column 15"),
        (b'{"draft": "x"\n  "context": []}', "invalid JSON: Expecting ',' delimiter at line 2 column 3"),
        (b"", "the request body is empty; send a JSON object"),
        (b"\xff\xfe", "the body is not UTF-8 (byte 0)"),
    ],
)
def test_malformed_json_is_400_with_the_reason(client, body, reason):
    response = client.post("/v1/check", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["reason"] == reason


# -- 422: wrong fields ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body, field, reason",
    [
        ([], None, "the body must be a JSON object, not an array"),
        ({}, "draft", "draft: required: the reply text to check"),
        ({"draft": 42}, "draft", "draft: must be a string, not a number"),
        ({"text": "您好"}, "text", "text: unknown field; expected draft, context, channel, ts, fail_on"),
        ({"draft": "您好", "channel": "sms"}, "channel", "channel: 'sms' is not one of chat, email, phone"),
        ({"draft": "您好", "fail_on": "fatal"}, "fail_on", "fail_on: 'fatal' is not one of error, warning, info, never"),
        ({"draft": "您好", "context": "hi"}, "context", "context: must be a conversation object or an array of messages, not a string"),
        ({"draft": "您好", "context": [{"role": "bot", "text": "x"}]}, "context", "context: messages[0].role 'bot' must be agent, customer or system"),
        ({"draft": "您好", "context": {"id": "x"}}, "context", 'context: context must be a conversation with "messages", or a list of messages'),
        ({"draft": "您好", "ts": "yesterday"}, "ts", "ts: 'yesterday' is not an ISO 8601 time (e.g. 2026-11-23T09:14:02+08:00)"),
        ({"draft": "您好", "ts": 1700000000}, "ts", "ts: must be an ISO 8601 string, not a number"),
    ],
)
def test_invalid_fields_are_422_naming_the_field(client, body, field, reason):
    response = client.post("/v1/check", json=body)
    assert response.status_code == 422
    error = response.json()
    assert (error["error"], error["field"], error["reason"]) == ("invalid_field", field, reason)


def test_too_many_messages_and_too_long_drafts_are_422(start_service):
    with httpx.Client(base_url=start_service(max_messages=5, max_draft_chars=50, max_conversations=2)) as c:
        ok = c.post("/v1/check", json={"draft": "您好", "context": CONTEXT})
        assert ok.status_code == 200
        many = c.post("/v1/check", json={"draft": "您好", "context": CONTEXT * 2})
        assert many.status_code == 422
        assert many.json() == {
            "error": "too_many_messages", "reason": "context: 6 messages; at most 4 (the draft is one more)",
            "field": "context", "limit": 5,
        }
        long = c.post("/v1/check", json={"draft": "您" * 51})
        assert long.status_code == 422 and long.json()["reason"] == "draft: 51 characters; at most 50"
        scan = c.post("/v1/scan", json={"conversations": [{"id": "a", "messages": CONTEXT * 2}]})
        assert scan.status_code == 422 and scan.json()["reason"] == "conversations[0]: 6 messages; at most 5"
        scan = c.post("/v1/scan", json={"conversations": [{"id": "a", "messages": []}] * 3})
        assert scan.status_code == 422 and scan.json()["error"] == "too_many_conversations"
        bad = c.post("/v1/scan", json={"conversations": [{"id": "a", "messages": [{"role": "agent"}]}]})
        assert bad.status_code == 422
        assert bad.json()["reason"] == "conversations[0]: messages[0].text must be a string"


# -- 413: too large, refused while reading -------------------------------------------------------------------
def test_a_declared_body_over_the_limit_is_413_at_once(start_service):
    base = start_service(max_body_bytes=2048)
    with httpx.Client(base_url=base) as c:
        response = c.post("/v1/check", json={"draft": "您" * 2000})
    assert response.status_code == 413
    assert response.json() == {"error": "body_too_large", "reason": "the request body is larger than 2048 bytes", "limit": 2048}


def test_a_streamed_body_is_cut_off_while_it_is_still_arriving(start_service):
    # Chunked, so the server cannot know the size in advance. The body is never finished: a server that
    # read it all before judging its size would wait forever; this one must answer 413 as soon as it passes.
    url = urlparse(start_service(max_body_bytes=4096))
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(b"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b'{"draft": "' + b"a" * 1000
        for _ in range(6):
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        status, body = _read_response(sock)
    assert status == 413
    assert json.loads(body)["error"] == "body_too_large"


def test_a_client_too_slow_to_send_its_body_gets_408(start_service):
    url = urlparse(start_service(body_timeout=0.5))
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(b"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"draft\"")
        started = time.monotonic()
        status, body = _read_response(sock)
    assert status == 408
    assert json.loads(body) == {"error": "body_timeout", "reason": "the request body did not arrive within 0.5 s"}
    assert time.monotonic() - started < 4


def _read_response(sock: socket.socket) -> tuple[int, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
    while len(body) < length:
        body += sock.recv(65536)
    return int(head.split()[1]), body


# -- 401/403: the token ------------------------------------------------------------------------------------
def test_a_configured_token_protects_the_v1_routes(start_service):
    base = start_service(token="s3cret")
    with httpx.Client(base_url=base) as c:
        for method, path, body in [("POST", "/v1/check", {"draft": "您好"}), ("POST", "/v1/scan", {"conversations": []}),
                                   ("GET", "/v1/rules", None), ("POST", "/v1/reload", None)]:
            missing = c.request(method, path, json=body)
            assert missing.status_code == 401, path
            assert missing.headers["www-authenticate"] == "Bearer"
            assert missing.json()["error"] == "unauthorized"
            wrong = c.request(method, path, json=body, headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401 and wrong.json()["reason"] == "the token is not valid"
        good = {"Authorization": "Bearer s3cret"}
        assert c.post("/v1/check", json={"draft": "您好"}, headers=good).status_code == 200
        assert c.get("/v1/rules", headers=good).status_code == 200
        assert c.get("/healthz").json()["token_required"] is True
        assert c.get("/").status_code == 200  # the page asks for the token itself


def test_reload_over_http_needs_a_configured_token(client):
    response = client.post("/v1/reload")
    assert response.status_code == 403
    assert response.json()["error"] == "reload_disabled"


# -- reload -------------------------------------------------------------------------------------------------
RULES_V1 = """rules:
  - {id: r-taboo, type: phrases, category: banned-phrase, severity: error, message: "忌语「{match}」", terms: [不知道]}
"""
RULES_V2 = RULES_V1 + """  - {id: r-slang, type: phrases, category: slang, message: "俚语「{match}」", terms: [{term: 亲, suggest: 您}]}
"""
RULES_BROKEN = RULES_V1 + """  - {id: r-bad, type: phrases, category: slang, message: m, terms: [亲], boundry: none}
"""


def test_reload_keeps_the_old_rules_when_the_new_ones_fail(start_service, tmp_path):
    from qa_linter import Linter

    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES_V1, encoding="utf-8")
    linter = Linter.from_config(rules=[rules], builtin=False)
    base = start_service(linter=linter, token="t", rules=[str(rules)])
    auth = {"Authorization": "Bearer t"}
    draft = {"draft": "亲，我不知道"}
    with httpx.Client(base_url=base, headers=auth, timeout=30) as c:
        before = c.post("/v1/check", json=draft).json()
        assert [f["rule"] for f in before["findings"]] == ["r-taboo"]

        rules.write_text(RULES_BROKEN, encoding="utf-8")
        failed = c.post("/v1/reload")
        assert failed.status_code == 409
        outcome = failed.json()
        assert outcome["error"] == "reload_failed" and outcome["reloaded"] is False
        assert outcome["rule_pack"] == before["rule_pack"]
        assert any("unknown field 'boundry'" in e and "rules.yaml:3" in e for e in outcome["errors"])
        assert _stable(c.post("/v1/check", json=draft).json()) == _stable(before)

        rules.write_text(RULES_V2, encoding="utf-8")
        done = c.post("/v1/reload")
        assert done.status_code == 200 and done.json()["reloaded"] is True
        after = c.post("/v1/check", json=draft).json()
        assert [f["rule"] for f in after["findings"]] == ["r-slang", "r-taboo"]
        assert after["rule_pack"] == done.json()["rule_pack"] != before["rule_pack"]
        assert c.get("/healthz").json()["reloads"] == 1
