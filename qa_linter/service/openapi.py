"""The OpenAPI 3.1 description served at /openapi.json, written out by hand to match the hand-made validation."""
from __future__ import annotations

from typing import Any

from .. import __version__
from ..vocabulary import CHANNELS, FAIL_ON, ROLES, SEVERITIES
from .settings import ServiceSettings


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


NULLABLE_INT = {"type": ["integer", "null"]}
NULLABLE_STR = {"type": ["string", "null"]}

MESSAGE = {
    "type": "object",
    "required": ["role", "text"],
    "properties": {
        "role": {"enum": list(ROLES)},
        "text": {"type": "string"},
        "ts": {"type": "string", "format": "date-time", "description": "ISO 8601; needed by timing rules"},
    },
}

CONVERSATION = {
    "type": "object",
    "required": ["messages"],
    "description": "A conversation in the canonical transcript format.",
    "properties": {
        "id": {"type": "string"},
        "channel": {"enum": list(CHANNELS), "default": "chat"},
        "agent": {"type": "string"},
        "team": {"type": "string"},
        "started_at": {"type": "string", "format": "date-time"},
        "messages": {"type": "array", "items": _ref("Message")},
        "meta": {"type": "object"},
    },
}

FINDING = {
    "type": "object",
    "description": "One broken standard at one place; start/end are code-point offsets in the message text.",
    "properties": {
        "conversation_id": {"type": "string"},
        "message_index": {"type": "integer"},
        "role": {"type": "string"},
        "rule": {"type": "string"},
        "category": {"type": "string"},
        "severity": {"enum": list(SEVERITIES)},
        "message": {"type": "string"},
        "start": NULLABLE_INT,
        "end": NULLABLE_INT,
        "text": NULLABLE_STR,
        "suggestion": NULLABLE_STR,
        "manual": NULLABLE_STR,
    },
}

SUGGESTION = {
    "type": "object",
    "description": (
        "replacement: put `replacement` in place of the draft's text between start and end (the matched "
        "term's own suggestion); advice: show `text`, do not apply it."
    ),
    "properties": {
        "finding": {"type": "integer", "description": "index into findings"},
        "rule": {"type": "string"},
        "kind": {"enum": ["replacement", "advice"]},
        "text": {"type": "string"},
        "start": NULLABLE_INT,
        "end": NULLABLE_INT,
        "original": NULLABLE_STR,
        "replacement": NULLABLE_STR,
    },
}

CHECK_REQUEST = {
    "type": "object",
    "required": ["draft"],
    "additionalProperties": False,
    "properties": {
        "draft": {"type": "string", "description": "the reply the agent is about to send"},
        "context": {
            "description": "the conversation so far: a canonical conversation or an array of messages",
            "oneOf": [_ref("Conversation"), {"type": "array", "items": _ref("Message")}],
        },
        "channel": {"enum": list(CHANNELS), "description": "default: the context's channel, else chat"},
        "ts": {"type": "string", "format": "date-time", "description": "the draft's send time; slow-response is judged only with it"},
        "fail_on": {"enum": list(FAIL_ON), "description": "lowest severity that blocks sending"},
    },
}

CHECK_RESPONSE = {
    "type": "object",
    "properties": {
        "findings": {"type": "array", "items": _ref("Finding")},
        "blocking": {"type": "boolean"},
        "suggestions": {"type": "array", "items": _ref("Suggestion")},
        "elapsed_ms": {"type": "number"},
        "message_index": {"type": "integer", "description": "the draft's position in the conversation"},
        "fail_on": {"type": "string"},
        "rule_pack": {"type": "string"},
    },
}

SCAN_REQUEST = {
    "type": "object",
    "required": ["conversations"],
    "additionalProperties": False,
    "properties": {"conversations": {"type": "array", "items": _ref("Conversation")}},
}

SCAN_RESPONSE = {
    "type": "object",
    "properties": {
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "channel": {"type": "string"},
                    "messages": {"type": "integer"},
                    "findings": {"type": "array", "items": _ref("Finding")},
                    "score": {"type": ["number", "null"], "description": "0-100 from the scoring model, as `qa-lint scan` and the scorecards give it; null when no section applies"},
                    "passed": {"type": ["boolean", "null"], "description": "score at or above the pass mark and no auto-fail"},
                    "scorecard": {"type": "object", "description": "the scorecard: pass_mark, auto_fail, points, sections"},
                },
            },
        },
        "summary": {"type": "object", "description": "conversations, findings, by_category, scored, passed, average_score, elapsed_ms"},
        "scorecard": {"type": "string", "description": "the scoring model's fingerprint"},
        "rule_pack": {"type": "string"},
    },
}

RULE = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "type": {"type": "string"},
        "category": {"type": "string"},
        "severity": {"type": "string"},
        "message": {"type": "string"},
        "suggest": NULLABLE_STR,
        "manual": NULLABLE_STR,
        "channels": {"type": ["array", "null"], "items": {"type": "string"}},
        "judged_on_draft": {"type": "boolean", "description": "false for rules about later messages (closing, …)"},
    },
}

ERROR = {
    "type": "object",
    "required": ["error", "reason"],
    "properties": {
        "error": {"type": "string", "description": "a stable code, e.g. malformed_json, body_too_large, invalid_field"},
        "reason": {"type": "string", "description": "what is wrong, for a person"},
        "field": NULLABLE_STR,
        "limit": {"type": "integer"},
    },
}


def openapi_document(settings: ServiceSettings) -> dict[str, Any]:
    protected = [{"bearer": []}] if settings.token else []
    body_errors = {
        "400": _error("the body is not JSON (the reason says where)"),
        "401": _error("a token is configured and the request has none or a wrong one"),
        "408": _error("the body did not arrive in time"),
        "403": _error("the request comes from a web page of another site (Origin)"),
        "413": _error(f"the body is larger than {settings.max_body_bytes} bytes"),
        "415": _error("the body is not declared as application/json"),
        "421": _error("the Host header names a host this service does not answer to"),
        "422": _error("a field is missing or wrong, or a limit is passed (messages, message length; for /v1/scan also "
                      f"an answer over {settings.max_output_bytes} bytes or a scan over {settings.scan_seconds:g} s)"),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "qa-linter service",
            "version": __version__,
            "description": "Checks customer-service replies against service standards written as YAML rules.",
        },
        "paths": {
            "/v1/check": {
                "post": {
                    "summary": "Check a draft reply as the next agent message of a conversation",
                    "security": protected,
                    "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("CheckRequest")}}},
                    "responses": {"200": _json(_ref("CheckResponse"), "the draft's findings"), **body_errors},
                }
            },
            "/v1/scan": {
                "post": {
                    "summary": "Scan whole conversations",
                    "security": protected,
                    "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ScanRequest")}}},
                    "responses": {"200": _json(_ref("ScanResponse"), "findings per conversation"), **body_errors,
                                  "503": _error("too many scans are running; retry after a second")},
                }
            },
            "/v1/rules": {
                "get": {
                    "summary": "The loaded rules",
                    "security": protected,
                    "responses": {
                        "200": _json({"type": "object", "properties": {"rule_pack": {"type": "string"}, "rules": {"type": "array", "items": _ref("Rule")}}}, "the rules"),
                        "401": _error("missing or wrong token"),
                    },
                }
            },
            "/v1/reload": {
                "post": {
                    "summary": "Load the rule files again; the previous rules stay if the new ones fail to load",
                    "security": [{"bearer": []}],
                    "responses": {
                        "200": _json({"type": "object"}, "reloaded"),
                        "401": _error("missing or wrong token"),
                        "403": _error("the service was started without --token: reload over HTTP is off"),
                        "409": _json({"type": "object"}, "the new rules did not load (errors listed); the previous rules are still served"),
                    },
                }
            },
            "/healthz": {"get": {"summary": "Liveness and the loaded rule pack", "responses": {"200": _json({"type": "object"}, "ok")}}},
            "/": {"get": {"summary": "The agent page (HTML)", "responses": {"200": {"description": "HTML page", "content": {"text/html": {}}}}}},
        },
        "components": {
            "schemas": {
                "Message": MESSAGE,
                "Conversation": CONVERSATION,
                "Finding": FINDING,
                "Suggestion": SUGGESTION,
                "CheckRequest": CHECK_REQUEST,
                "CheckResponse": CHECK_RESPONSE,
                "ScanRequest": SCAN_REQUEST,
                "ScanResponse": SCAN_RESPONSE,
                "Rule": RULE,
                "Error": ERROR,
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
